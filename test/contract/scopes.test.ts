/**
 * The scope table doctor checks (src/pipedrive/scopes.ts) is what Pipedrive's OpenAPI files declare for
 * each operation the worker calls (`security: oauth2`), and covers every operation the e2e runs use.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { WORKER_OPERATIONS, RECOMMENDED_SCOPES, checkScopes } from '../../src/pipedrive/scopes.js';

const docs = {
  v1: parse(readFileSync('test/contract/spec/pipedrive-v1-openapi.yml', 'utf8')) as { paths: Record<string, Record<string, { security?: Array<Record<string, string[]>> }>> },
  v2: parse(readFileSync('test/contract/spec/pipedrive-v2-openapi.yml', 'utf8')) as { paths: Record<string, Record<string, { security?: Array<Record<string, string[]>> }>> },
};

describe('OAuth scopes of the worker', () => {
  it.each(WORKER_OPERATIONS.map((o) => [`${o.doc} ${o.method} ${o.path}`, o] as const))('%s: as the spec declares', (_name, o) => {
    const op = docs[o.doc].paths[o.path]?.[o.method.toLowerCase()];
    expect(op, 'the operation exists in the spec').toBeDefined();
    const declared = (op!.security ?? []).find((s) => s.oauth2)?.oauth2;
    expect([...o.anyOf].sort()).toEqual([...(declared ?? [])].sort());
  });

  it('the recommended set covers every operation; read-only scopes miss the write-back, setup and the webhooks', () => {
    expect(checkScopes(RECOMMENDED_SCOPES).every((c) => c.granted)).toBe(true);
    const readOnly = checkScopes(['base', 'deals:read', 'contacts:read', 'activities:read', 'users:read']);
    expect(readOnly.filter((c) => !c.granted).map((c) => c.operation.use).sort()).toEqual([
      'setup', 'setup', 'webhooks', 'webhooks', 'webhooks', 'write-back', 'write-back', 'write-back', 'write-back',
    ]);
  });

  it('covers every webhook call the client makes (list, create, delete: the admin scope)', () => {
    const webhookOps = WORKER_OPERATIONS.filter((o) => o.path.startsWith('/webhooks')).map((o) => `${o.method} ${o.path}`).sort();
    expect(webhookOps).toEqual(['DELETE /webhooks/{id}', 'GET /webhooks', 'POST /webhooks']);
    const granted = checkScopes(['base', 'deals:read', 'contacts:full', 'activities:full', 'users:read', 'admin']).filter((c) => c.operation.use === 'webhooks');
    expect(granted.every((c) => c.granted)).toBe(true);
  });
});
