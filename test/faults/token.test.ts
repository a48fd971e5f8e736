/**
 * The API token revoked mid-run (an admin rotates it while the nightly job runs): the CLI stops with the
 * message that says what to fix and exit code 3 (run-once too), the token never appears in any output (debug logging on),
 * and the state is intact: committed pages and checkpoints are kept, the ledger matches Pipedrive, and once
 * the token is valid again the next run completes the work without writing anything twice.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SYNCED_ENTITIES } from '../../src/domain/entities.js';
import { expectMirrorEqualsSandbox } from '../e2e/support/sync-expect.js';
import {
  COMPANY,
  TOKEN,
  endState,
  expectConverged,
  expectLedgerConsistent,
  expectOnlyRightWrites,
  postsByKey,
  referenceEndState,
  startCompany,
  type EndState,
  type FaultCompany,
} from './support/company.js';
import type { CliResult } from './support/cli.js';

const NOW = new Date();
const FIX = 'the API token was rejected: check PIPEDRIVE_API_TOKEN';
let reference: EndState;
let c: FaultCompany | undefined;

beforeAll(async () => {
  reference = await referenceEndState(NOW);
});
afterEach(async () => {
  await c?.close();
  c = undefined;
});

function expectStoppedForToken(r: CliResult): void {
  expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 3, signal: null });
  expect(`${r.stdout}\n${r.stderr}`).toContain(FIX);
  expect(`${r.stdout}\n${r.stderr}`).not.toContain(TOKEN);
}

describe('the token revoked mid-run', () => {
  it('during the sync: exit 3 with the fix, checkpoints and committed pages kept, the next run completes', async () => {
    c = await startCompany(NOW);
    const company = c;
    // Revoked just before the 9th request (the list pages are under way).
    company.proxy.setDecide((n) => (n === 9 ? { kind: 'before', forward: true, run: () => company.sandbox.revokeToken() } : undefined));
    const r = await company.cli(['sync'], { LOG_LEVEL: 'debug' });
    expectStoppedForToken(r);

    const store = await company.openStore();
    try {
      const state = store.company(COMPANY);
      let kept = 0;
      for (const e of SYNCED_ENTITIES) {
        const cp = await state.checkpoints.get(e);
        const mirror = await state.mirror.loadEntity(e);
        kept += mirror.size;
        // A pass is either finished (bookmark) or resumable (its cursor), and the mirror holds what it committed.
        expect(cp.pass === null ? cp.bookmark !== null : cp.pass.records === mirror.size).toBe(true);
      }
      expect(kept).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
    expect(company.sandbox.writes()).toEqual([]);

    company.proxy.setDecide(undefined);
    company.sandbox.setToken(TOKEN);
    const again = await company.cli(['sync']);
    expect(again.code, again.stderr).toBe(0);
    const store2 = await company.openStore();
    try {
      await expectMirrorEqualsSandbox(store2.company(COMPANY), company.sandbox);
    } finally {
      await store2.close();
    }
  });

  it('during the write-back: exit 3 with the fix, nothing wrong written, the ledger matches Pipedrive, the next run converges', async () => {
    c = await startCompany(NOW);
    const company = c;
    let applyN = 0;
    company.proxy.setDecide((_n, req) =>
      (req.method !== 'GET' || /[?&]org_id=/.test(req.url)) && ++applyN === 25
        ? { kind: 'before', forward: true, run: () => company.sandbox.revokeToken() }
        : undefined,
    );
    const r = await company.cli(['apply', '--force'], { LOG_LEVEL: 'debug' });
    expectStoppedForToken(r);
    const partial = endState(company.sandbox);
    expect(Object.keys(partial.keyed).length).toBeGreaterThan(0);
    expectOnlyRightWrites(partial, reference);
    const store = await company.openStore();
    try {
      await expectLedgerConsistent(store, company.sandbox);
    } finally {
      await store.close();
    }

    company.proxy.setDecide(undefined);
    company.sandbox.setToken(TOKEN);
    const again = await company.cli(['run-once']);
    expect(again.code, again.stderr).toBe(0);
    await expectConverged(company, reference);
    expect([...postsByKey(company.sandbox)].filter(([, n]) => n !== 1)).toEqual([]);
  });

  it('run-once (every configured company): the company fails with the same message, exit 3, nothing written', async () => {
    c = await startCompany(NOW);
    const company = c;
    company.proxy.setDecide((n) => (n === 9 ? { kind: 'before', forward: true, run: () => company.sandbox.revokeToken() } : undefined));
    const r = await company.cli(['run-once'], { LOG_LEVEL: 'debug' });
    // run-once runs every company and exits 3 when the failures were rejected credentials (src/ops/run-once.ts); the reason is the fix.
    expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 3, signal: null });
    expect(`${r.stdout}\n${r.stderr}`).toContain(FIX);
    expect(`${r.stdout}\n${r.stderr}`).not.toContain(TOKEN);
    expect(company.sandbox.writes()).toEqual([]);
  });
});
