/**
 * The CLI's last line of defence (src/ops/last-defence.ts) in the real process: a promise rejection nobody
 * handles, injected while `run-once` holds the company lock (a test preload turns SIGUSR2 into one), is
 * logged once without a stack, the run is recorded as failed with its reason, the lock is released and the
 * process exits 70; the next run-once starts at once instead of waiting out the lease.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { opsStoreFor } from '../../src/ops/ops-store.js';
import { companyLockName } from '../../src/ops/run-all-companies.js';
import { readRunRecord } from '../../src/ops/run-record.js';
import { startCli } from './support/cli.js';
import { COMPANY, TOKEN, startCompany, type FaultCompany } from './support/company.js';

let c: FaultCompany | undefined;
afterEach(async () => {
  await c?.close();
  c = undefined;
});

describe('an unhandled rejection in run-once', () => {
  it('is logged once without a stack, the run recorded as failed, the lock released, exit 70; the next night runs at once', async () => {
    c = await startCompany(new Date());
    const company = c;
    const run = startCli(['run-once'], company.env({ CADENCE_DRY_RUN: 'true' }), { nodeArgs: ['--import', './test/faults/support/inject-rejection.ts'] });
    // During the sync's list pages: the job holds the company lock.
    company.proxy.setDecide((n) => (n === 9 ? { kind: 'before', forward: true, run: () => run.child.kill('SIGUSR2') } : undefined), { reset: true });
    const r = await run.done;
    expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 70, signal: null });
    const errors = r.stderr.split('\n').filter((l) => l.includes('"level":50'));
    expect(errors, r.stderr).toHaveLength(1);
    expect(errors[0]).toContain('internal error (uncaught exception): Error: injected: a request promise nobody awaited');
    expect(r.stderr).not.toMatch(/^\s+at |triggerUncaughtException|"stack"/m);
    expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);

    const store = await company.openStore();
    try {
      const ops = opsStoreFor(store);
      const record = await readRunRecord(ops.records, COMPANY);
      expect(record).toMatchObject({ status: 'failed', consecutiveFailures: 1, lastError: { kind: 'error' } });
      expect(record?.lastError?.reason).toContain('internal error (uncaught exception): Error: injected');
      expect(await ops.locks.holder(companyLockName(COMPANY))).toBeNull();
    } finally {
      await store.close();
    }

    company.proxy.setDecide(undefined);
    const t0 = Date.now();
    const next = await company.cli(['run-once'], { CADENCE_DRY_RUN: 'true' });
    expect(next.code, next.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(60_000);
  });
});
