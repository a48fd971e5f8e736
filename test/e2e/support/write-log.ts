/** Reading the sandbox's write log in the end-to-end and fault tests. */
import type { Sandbox } from '../../../sandbox/server.js';
import { extractCadenceKey } from '../../../src/domain/provenance.js';

/** Applied POSTs of activities per provenance key: a key POSTed twice is a duplicate the worker sent. */
export function postsByKey(sb: Sandbox): Map<string, number> {
  const m = new Map<string, number>();
  for (const w of sb.writes()) {
    if (w.method !== 'POST' || w.path !== '/api/v2/activities' || !w.applied) continue;
    const key = extractCadenceKey((w.body as { note?: string }).note);
    if (key) m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}
