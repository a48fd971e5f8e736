/**
 * Drives a sandbox running in another process (benchmarks, CLI child processes) through its
 * loopback-only `/_sandbox/*` admin surface. No API token, no rate-limit cost.
 */
import type { Kind } from './model.js';
import type { SandboxKnobs, SandboxStats, WriteRecord } from './server.js';
import type { StateCounts } from './state.js';

export interface SandboxAdminClient {
  writes(): Promise<WriteRecord[]>;
  clearWrites(): Promise<void>;
  stats(): Promise<SandboxStats>;
  setKnobs(k: Partial<SandboxKnobs>): Promise<SandboxKnobs>;
  revokeToken(): Promise<void>;
  setToken(token: string): Promise<void>;
  resetRateLimits(): Promise<void>;
  counts(): Promise<StateCounts>;
  markActivityDone(id: number): Promise<void>;
  deactivateUser(id: number): Promise<void>;
  upsert(kind: Kind, record: Record<string, unknown>, opts?: { bumpUpdateTime?: boolean }): Promise<Record<string, unknown>>;
  remove(kind: Kind, id: number, opts?: { bumpUpdateTime?: boolean }): Promise<void>;
  mergeOrganizations(fromId: number, toId: number): Promise<void>;
  get(kind: Kind, id: number): Promise<Record<string, unknown> | undefined>;
}

export function sandboxAdminClient(baseUrl: string): SandboxAdminClient {
  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${baseUrl}/_sandbox${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as { success: boolean; data: T };
    if (!res.ok) throw new Error(`sandbox admin ${method} ${path} failed (${res.status}): ${JSON.stringify(json.data)}`);
    return json.data;
  }
  return {
    writes: () => call('GET', '/writes'),
    clearWrites: () => call('POST', '/clear-writes', {}),
    stats: () => call('GET', '/stats'),
    setKnobs: (k) => call('POST', '/knobs', k),
    revokeToken: () => call('POST', '/revoke-token', {}),
    setToken: (token) => call('POST', '/token', { token }),
    resetRateLimits: () => call('POST', '/reset-rate-limits', {}),
    counts: () => call('GET', '/counts'),
    markActivityDone: (id) => call('POST', `/activities/${id}/done`, {}),
    deactivateUser: (id) => call('POST', `/users/${id}/deactivate`, {}),
    upsert: (kind, record, opts = {}) => call('POST', '/upsert', { kind, record, bumpUpdateTime: opts.bumpUpdateTime !== false }),
    remove: (kind, id, opts = {}) => call('POST', '/remove', { kind, id, bumpUpdateTime: opts.bumpUpdateTime !== false }),
    mergeOrganizations: (fromId, toId) => call('POST', '/merge-organizations', { fromId, toId }),
    get: async (kind, id) => {
      const res = await fetch(`${baseUrl}/_sandbox/entity/${kind}/${id}`);
      if (res.status === 404) return undefined;
      return ((await res.json()) as { data: Record<string, unknown> }).data;
    },
  };
}
