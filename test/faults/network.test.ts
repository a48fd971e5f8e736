/**
 * Network and payload faults on the nightly job (`cadence run-once` as a child process): 429 storms, 5xx
 * bursts, connection resets, responses slower than the request timeout, truncated and non-JSON bodies, and
 * a record with unexpected types. Each run must complete or stop with a clear message, and never write
 * wrong data; a following run without the fault converges to the end state of an uninterrupted run, with
 * no activity written twice.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  endState,
  expectConverged,
  expectLedgerConsistent,
  expectOnlyRightWrites,
  expectSameEndState,
  postsByKey,
  referenceEndState,
  startCompany,
  withoutOrgs,
  type EndState,
  type FaultCompany,
} from './support/company.js';

const NOW = new Date();
let reference: EndState;
let company: FaultCompany | undefined;

beforeAll(async () => {
  reference = await referenceEndState(NOW);
});
afterEach(async () => {
  await company?.close();
  company = undefined;
});

/** After the faulty run(s): a clean run converges, nothing was ever POSTed twice, the ledger matches Pipedrive. */
async function expectConvergesAfterwards(c: FaultCompany): Promise<void> {
  c.sandbox.setKnobs({ serverErrorRate: 0, dropRate: 0, malformedRate: 0, slowRate: 0, force429: 0 });
  c.proxy.setDecide(undefined);
  const clean = await c.cli(['run-once']);
  expect(clean.code, clean.stderr).toBe(0);
  await expectConverged(c, reference);
  expect([...postsByKey(c.sandbox)].filter(([, n]) => n !== 1)).toEqual([]);
  const store = await c.openStore();
  try {
    await expectLedgerConsistent(store, c.sandbox);
  } finally {
    await store.close();
  }
}

describe('the nightly job under network faults', () => {
  it('a 429 storm mid-run: waits it out and completes with the same writes', async () => {
    company = await startCompany(NOW);
    const c = company;
    // From the 9th request on (the sync's list pages), the next 6 requests are refused with 429 + Retry-After.
    c.proxy.setDecide((n) => (n === 9 ? { kind: 'before', forward: true, run: () => c.sandbox.setKnobs({ force429: 6 }) } : undefined));
    const r = await c.cli(['run-once']);
    expect(r.code, r.stderr).toBe(0);
    expect(c.sandbox.stats().rateLimited.forced).toBe(6);
    expect(r.stdout).toMatch(/Run \S+: ok/);
    expectSameEndState(endState(c.sandbox), reference);
    expect([...postsByKey(c.sandbox)].filter(([, n]) => n !== 1)).toEqual([]);
  });

  it('a burst of 5xx answers (every request for a while): retries reads, never resends a create, converges', async () => {
    company = await startCompany(NOW);
    const c = company;
    // Requests 40–55 (inside the write-back) all get 500/503.
    c.proxy.setDecide((n) => {
      if (n === 40) return { kind: 'before', forward: true, run: () => c.sandbox.setKnobs({ serverErrorRate: 1 }) };
      if (n === 56) return { kind: 'before', forward: true, run: () => c.sandbox.setKnobs({ serverErrorRate: 0 }) };
      return undefined;
    });
    const r = await c.cli(['run-once']);
    expect(r.stderr).not.toMatch(/TypeError|ReferenceError|at .*\.ts:\d+/);
    expect(c.sandbox.stats().faults.serverErrors).toBeGreaterThan(0);
    // Completes (some creates may be left for the next run: a 5xx on a POST is ambiguous and never resent blindly).
    expect(r.code, r.stderr).toBe(0);
    expectOnlyRightWrites(endState(c.sandbox), reference);
    await expectConvergesAfterwards(c);
  });

  it('connection resets on 10 % of the requests (half of the dropped writes had landed): no duplicate, converges', async () => {
    company = await startCompany(NOW, { sandbox: { knobs: { dropRate: 0.1, seed: 5 } } });
    const c = company;
    const r = await c.cli(['run-once']);
    expect(c.sandbox.stats().faults.dropped).toBeGreaterThan(5);
    expect([0, 1]).toContain(r.code);
    if (r.code !== 0) expect(r.stderr).toMatch(/ECONNRESET|socket hang up|every attempt/);
    expectOnlyRightWrites(endState(c.sandbox), reference);
    await expectConvergesAfterwards(c);
  });

  it('responses slower than CADENCE_REQUEST_TIMEOUT_MS: timed-out reads are retried, a timed-out create is not resent', async () => {
    company = await startCompany(NOW, { sandbox: { knobs: { slowRate: 0.08, slowMs: 1_000, seed: 8 } } });
    const c = company;
    const r = await c.cli(['run-once'], { CADENCE_REQUEST_TIMEOUT_MS: '400' });
    expect(c.sandbox.stats().faults.slow).toBeGreaterThan(3);
    expect([0, 1]).toContain(r.code);
    if (r.code !== 0) expect(r.stderr).toMatch(/timeout|CADENCE_REQUEST_TIMEOUT_MS/i);
    expectOnlyRightWrites(endState(c.sandbox), reference);
    await expectConvergesAfterwards(c);
  });

  it('truncated JSON bodies on 10 % of the answers and non-JSON 200s: retried or reconciled, never misread', async () => {
    company = await startCompany(NOW, { sandbox: { knobs: { malformedRate: 0.1, seed: 3 } } });
    const c = company;
    // Two answers that are not JSON at all (a proxy's HTML page with status 200), on a list page and later.
    const html = '<html><body>Bad gateway</body></html>';
    c.proxy.setDecide((n) => (n === 8 || n === 30 ? { kind: 'respond', status: 200, body: html, contentType: 'text/html' } : undefined));
    const r = await c.cli(['run-once']);
    expect(c.sandbox.stats().faults.malformed).toBeGreaterThan(5);
    expect([0, 1]).toContain(r.code);
    if (r.code !== 0) expect(r.stderr).toMatch(/JSON|malformed|unreadable/i);
    expectOnlyRightWrites(endState(c.sandbox), reference);
    await expectConvergesAfterwards(c);
  });

  it('a record with unexpected types: skipped and reported by id and field, nothing written for it, the rest done', async () => {
    company = await startCompany(NOW);
    const c = company;
    const victim = 42;
    c.proxy.setDecide((_n, req) => {
      if (!/^\/api\/v2\/organizations\?/.test(req.url)) return undefined;
      return {
        kind: 'transform',
        edit: (body) => {
          const b = body as { data?: Array<Record<string, unknown>> };
          for (const org of b.data ?? []) if (org.id === victim) Object.assign(org, { owner_id: 'seven', name: 42 });
          return b;
        },
      };
    });
    const r = await c.cli(['run-once']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/malformed records skipped: 1/);
    expect(r.stdout).toMatch(new RegExp(`organization #${victim}: (owner_id|name)`));
    // Nothing for the client we could not read; everything else exactly as in the uninterrupted run.
    const touched = c.sandbox
      .writes()
      .filter((w) => w.path.startsWith(`/api/v2/organizations/${victim}`) || (w.body as { org_id?: number } | null)?.org_id === victim);
    expect(touched).toEqual([]);
    expectSameEndState(withoutOrgs(endState(c.sandbox), [victim]), withoutOrgs(reference, [victim]));
  });
});
