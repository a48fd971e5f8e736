/**
 * The OAuth scopes the worker needs, per API operation it calls, as Pipedrive's OpenAPI files declare them
 * (each operation's `security: oauth2: [...]`: any one of the listed scopes grants it). An API token
 * carries its user's permissions instead; scopes matter for an OAuth app install. The table is checked
 * against the published files by test/contract/scopes.test.ts.
 */
export interface ScopedOperation {
  doc: 'v1' | 'v2';
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path template as in the spec (relative to /api/v2 or /v1). */
  path: string;
  /** Any one of these grants the call. */
  anyOf: readonly string[];
  /**
   * When the worker makes the call. `webhooks`: only with near-real-time (`setup --webhooks`,
   * `--remove-webhooks`, and the subscription check of doctor and of each night when CADENCE_WEBHOOK_URL is set).
   */
  use: 'nightly' | 'write-back' | 'setup' | 'doctor' | 'webhooks';
}

export const WORKER_OPERATIONS: readonly ScopedOperation[] = [
  { doc: 'v2', method: 'GET', path: '/deals', anyOf: ['deals:read', 'deals:full'], use: 'nightly' },
  { doc: 'v2', method: 'GET', path: '/deals/archived', anyOf: ['deals:read', 'deals:full'], use: 'nightly' },
  { doc: 'v2', method: 'GET', path: '/persons', anyOf: ['contacts:read', 'contacts:full'], use: 'nightly' },
  { doc: 'v2', method: 'GET', path: '/organizations', anyOf: ['contacts:read', 'contacts:full'], use: 'nightly' },
  { doc: 'v2', method: 'GET', path: '/activities', anyOf: ['activities:read', 'activities:full'], use: 'nightly' },
  { doc: 'v2', method: 'GET', path: '/organizationFields', anyOf: ['contacts:read', 'contacts:full', 'admin', 'contact-fields:full'], use: 'nightly' },
  { doc: 'v2', method: 'GET', path: '/personFields', anyOf: ['contacts:read', 'contacts:full', 'admin', 'contact-fields:full'], use: 'nightly' },
  { doc: 'v2', method: 'GET', path: '/dealFields', anyOf: ['deals:read', 'deals:full', 'admin', 'deal-fields:full'], use: 'nightly' },
  { doc: 'v1', method: 'GET', path: '/users', anyOf: ['users:read'], use: 'nightly' },
  { doc: 'v1', method: 'GET', path: '/activityTypes', anyOf: ['activities:read', 'activities:full', 'admin'], use: 'nightly' },
  { doc: 'v2', method: 'POST', path: '/activities', anyOf: ['activities:full'], use: 'write-back' },
  { doc: 'v2', method: 'PATCH', path: '/activities/{id}', anyOf: ['activities:full'], use: 'write-back' },
  { doc: 'v2', method: 'DELETE', path: '/activities/{id}', anyOf: ['activities:full'], use: 'write-back' },
  { doc: 'v2', method: 'PATCH', path: '/organizations/{id}', anyOf: ['contacts:full'], use: 'write-back' },
  { doc: 'v2', method: 'POST', path: '/organizationFields', anyOf: ['admin', 'contact-fields:full'], use: 'setup' },
  { doc: 'v1', method: 'POST', path: '/activityTypes', anyOf: ['admin'], use: 'setup' },
  { doc: 'v1', method: 'GET', path: '/users/me', anyOf: ['base'], use: 'doctor' },
  { doc: 'v1', method: 'GET', path: '/webhooks', anyOf: ['admin'], use: 'webhooks' },
  { doc: 'v1', method: 'POST', path: '/webhooks', anyOf: ['admin'], use: 'webhooks' },
  { doc: 'v1', method: 'DELETE', path: '/webhooks/{id}', anyOf: ['admin'], use: 'webhooks' },
];

export interface ScopeCheck {
  operation: ScopedOperation;
  granted: boolean;
}

/** Which operations a token with `granted` scopes may call (`dryRun`: no write-back needed). */
export function checkScopes(granted: readonly string[], opts: { writes: boolean } = { writes: true }): ScopeCheck[] {
  const have = new Set(granted);
  return WORKER_OPERATIONS.filter((o) => opts.writes || o.use !== 'write-back').map((operation) => ({ operation, granted: operation.anyOf.some((s) => have.has(s)) }));
}

/** The smallest scope set that covers every operation of the worker: what to ask for when installing the app. */
export const RECOMMENDED_SCOPES = ['base', 'deals:read', 'contacts:full', 'activities:full', 'users:read', 'admin'] as const;
