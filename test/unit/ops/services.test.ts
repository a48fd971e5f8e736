import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { jobOutcomeVerdict } from '../../../src/ops/job-verdict.js';
import type { OpsStore } from '../../../src/ops/run-all-companies.js';
import { readRunRecord } from '../../../src/ops/run-record.js';
import { runOnce, runOnceExitCode, RUN_ONCE_EXIT } from '../../../src/ops/run-once.js';
import { EXIT } from '../../../src/cli/errors-to-exit.js';
import { startScheduledService } from '../../../src/ops/run-scheduled.js';
import type { ShutdownProcess } from '../../../src/ops/shutdown.js';
import { memoryLockBackend } from '../../../src/store/lock-memory.js';
import { captureLogger } from './capture-logger.js';
import { manualClock } from './manual-clock.js';
import { memoryRecords } from './memory-records.js';

function world() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const proc: ShutdownProcess = {
    on: (e, l) => emitter.on(e, l),
    off: (e, l) => emitter.off(e, l),
    exit: (code) => void exits.push(code),
  };
  const clock = manualClock(Date.parse('2026-01-10T12:00:00Z'));
  const store: OpsStore = { locks: memoryLockBackend({ clock }), records: memoryRecords() };
  let closed = 0;
  let started!: (signal: AbortSignal) => void;
  const jobStarted = new Promise<AbortSignal>((r) => (started = r));
  /** A job for `acme` that runs until aborted, then checkpoints; the others return at once. */
  const runCompany = async (id: string, signal: AbortSignal) => {
    if (id !== 'acme') return 'ok';
    started(signal);
    await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    return 'checkpointed';
  };
  return {
    send: (s: 'SIGTERM' | 'SIGINT') => void emitter.emit(s, s),
    listeners: () => emitter.listenerCount('SIGTERM') + emitter.listenerCount('SIGINT'),
    exits,
    clock,
    store,
    jobStarted,
    runCompany,
    closed: () => closed,
    base: {
      companies: ['acme', 'globex'],
      store,
      logger: captureLogger().logger,
      clock,
      lockTtlMs: 3_000,
      close: async () => void closed++,
      shutdown: { proc },
    },
  };
}

describe('runOnce', () => {
  it('exits 0 when every company succeeded and 1 when one failed, closing the store either way', async () => {
    const w = world();
    const ok = await runOnce({ ...w.base, runCompany: async () => 'ok' });
    expect(ok.exitCode).toBe(0);
    const failed = await runOnce({ ...w.base, runCompany: async (id) => (id === 'globex' ? Promise.reject(new Error('401')) : 'ok') });
    expect(failed.exitCode).toBe(1);
    expect(failed.summary.counts).toMatchObject({ succeeded: 1, failed: 1 });
    expect(w.closed()).toBe(2);
    expect(w.exits).toEqual([]); // a normal end leaves exiting to the CLI
  });

  it('SIGTERM mid-job: the job checkpoints, the lock is released, the store closed, exit 0', async () => {
    const w = world();
    const running = runOnce({ ...w.base, runCompany: w.runCompany });
    const signal = await w.jobStarted;
    w.send('SIGTERM');
    const { exitCode, summary } = await running;
    expect(signal.aborted).toBe(true);
    expect(exitCode).toBe(0);
    expect(w.exits).toEqual([0]);
    expect(summary.results.map((r) => r.status)).toEqual(['aborted', 'not-started']);
    expect(await w.store.locks.holder('company:acme')).toBeNull();
    expect(w.closed()).toBe(1);
  });
});

describe('startScheduledService', () => {
  it('SIGTERM while idle: no more ticks, store closed, exit 0', async () => {
    const w = world();
    const service = startScheduledService({ ...w.base, schedule: '0 2 * * *', timeZone: 'America/Sao_Paulo', runCompany: w.runCompany });
    expect(service.scheduler.nextRun()?.toISOString()).toBe('2026-01-11T05:00:00.000Z');
    w.send('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.scheduler.nextRun()).toBeNull();
    expect(w.closed()).toBe(1);
    expect(w.clock.pending()).toBe(0);
  });

  it('SIGTERM during a run: the job in flight stops at its next check, its lock is released, exit 0', async () => {
    const w = world();
    const service = startScheduledService({ ...w.base, schedule: '0 2 * * *', timeZone: 'America/Sao_Paulo', runCompany: w.runCompany });
    await w.clock.advance(24 * 3_600_000);
    const signal = await w.jobStarted;
    expect(await w.store.locks.holder('company:acme')).not.toBeNull();
    w.send('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(signal.aborted).toBe(true);
    expect(await w.store.locks.holder('company:acme')).toBeNull();
    expect(service.scheduler.stats().statusTotals).toEqual({ acme: { aborted: 1 }, globex: { 'not-started': 1 } });
  });

  it('refuses a bad schedule without leaving signal handlers behind', () => {
    const w = world();
    expect(() => startScheduledService({ ...w.base, schedule: 'every night', timeZone: 'UTC', runCompany: w.runCompany })).toThrow(/CADENCE_SCHEDULE/);
    expect(w.listeners()).toBe(0);
  });
});

describe('jobOutcomeVerdict', () => {
  it('fails a failed job with the kind its error names, and accepts ok and partial runs', () => {
    expect(jobOutcomeVerdict({ status: 'failed', error: { name: 'PipedriveAuthError', message: 'Pipedrive rejected the API token', kind: 'auth' } })).toEqual({
      ok: false,
      kind: 'auth',
      reason: 'Pipedrive rejected the API token',
    });
    expect(jobOutcomeVerdict({ status: 'partial' })).toEqual({ ok: true });
    expect(jobOutcomeVerdict({ status: 'ok' })).toEqual({ ok: true });
  });

  it('calls a run the daily budget stopped (sync stopped or skipped, or the write-back) a budget stop, and a write-back stopped by rejected credentials a failure', () => {
    const sync = (status: 'ok' | 'stopped-budget' | 'skipped-budget') => ({ status, stopReason: 'the daily budget is spent' }) as never;
    expect(jobOutcomeVerdict({ status: 'partial', sync: sync('stopped-budget') })).toEqual({ ok: true, budgetStop: 'sync stopped-budget: the daily budget is spent' });
    expect(jobOutcomeVerdict({ status: 'partial', sync: sync('skipped-budget') })).toEqual({ ok: true, budgetStop: 'sync skipped-budget: the daily budget is spent' });
    const apply = (stoppedBy: string) => ({ stoppedBy, aborted: 'it stopped' }) as never;
    expect(jobOutcomeVerdict({ status: 'partial', sync: sync('ok'), apply: apply('budget') })).toEqual({ ok: true, budgetStop: 'write-back stopped: it stopped' });
    expect(jobOutcomeVerdict({ status: 'partial', sync: sync('ok'), apply: apply('auth') })).toEqual({ ok: false, kind: 'auth', reason: 'it stopped' });
    expect(jobOutcomeVerdict({ status: 'ok', sync: sync('ok') })).toEqual({ ok: true });
  });
});

describe('runOnce exit codes', () => {
  it('uses the CLI table numbers', () => {
    expect(RUN_ONCE_EXIT).toEqual({ ok: EXIT.ok, failed: EXIT.failed, credentials: EXIT.auth, budget: EXIT.budget });
  });

  it('0 only for complete nights; another failure (1) before rejected credentials (3) before a budget stop (4)', () => {
    const r = (status: string, kind?: string) => ({ companyId: 'x', status, consecutiveFailures: 0, ...(kind ? { failure: { kind, reason: kind } } : {}) }) as never;
    expect(runOnceExitCode({ results: [r('succeeded'), r('done-elsewhere')] })).toBe(0);
    expect(runOnceExitCode({ results: [r('succeeded'), r('stopped-budget')] })).toBe(4);
    expect(runOnceExitCode({ results: [r('stopped-budget'), r('failed', 'auth')] })).toBe(3);
    expect(runOnceExitCode({ results: [r('failed', 'forbidden')] })).toBe(3);
    expect(runOnceExitCode({ results: [r('failed', 'auth'), r('failed', 'outage')] })).toBe(1);
    expect(runOnceExitCode({ results: [r('stopped-budget'), r('lock-lost', 'lock-lost')] })).toBe(1);
  });

  it('a budget stop: exit 4, recorded as stopped-budget without counting as a failure or a success', async () => {
    const w = world();
    const stopped = await runOnce({
      ...w.base,
      companies: ['acme'],
      runCompany: async () => 'stopped',
      classify: (o) => (o === 'stopped' ? { ok: true, budgetStop: 'sync stopped-budget: spent' } : { ok: true }),
    });
    expect(stopped.exitCode).toBe(4);
    expect(stopped.summary.results).toMatchObject([{ companyId: 'acme', status: 'stopped-budget', stopReason: 'sync stopped-budget: spent', consecutiveFailures: 0 }]);
    const record = await readRunRecord(w.store.records, 'acme');
    expect(record).toMatchObject({ status: 'stopped-budget', stopReason: 'sync stopped-budget: spent', consecutiveFailures: 0 });
    expect(record?.lastSuccessAt).toBeUndefined();
    expect(await w.store.locks.holder('company:acme')).toBeNull();
  });
});

describe('startScheduledService with companies in several time zones', () => {
  it('runs each zone at its own 02:00 and stops them all on SIGTERM', async () => {
    const w = world();
    const ran: Array<[string, string]> = [];
    const service = startScheduledService({
      ...w.base,
      schedule: '0 2 * * *',
      zones: [
        { timeZone: 'America/Sao_Paulo', companies: ['acme'] },
        { timeZone: 'Europe/Lisbon', companies: ['tejo'] },
      ],
      runCompany: async (id) => {
        ran.push([id, new Date(w.clock.now()).toISOString()]);
        return 'ok';
      },
    });
    expect(service.scheduler.nextRun()?.toISOString()).toBe('2026-01-11T02:00:00.000Z'); // Lisbon (UTC+0 in January) first
    await w.clock.advance(24 * 3_600_000);
    expect(ran).toEqual([
      ['tejo', '2026-01-11T02:00:00.000Z'],
      ['acme', '2026-01-11T05:00:00.000Z'],
    ]);
    expect(service.scheduler.stats()).toMatchObject({ ticks: 2, runs: 2, statusTotals: { acme: { succeeded: 1 }, tejo: { succeeded: 1 } } });
    w.send('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.scheduler.nextRun()).toBeNull();
    expect(w.clock.pending()).toBe(0);
  });
});
