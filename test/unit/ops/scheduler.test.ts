import { describe, expect, it } from 'vitest';
import type { OpsStore, RunSummary } from '../../../src/ops/run-all-companies.js';
import { startScheduler, type SchedulerOptions } from '../../../src/ops/scheduler.js';
import { PipedriveAuthError } from '../../../src/pipedrive/errors.js';
import { memoryLockBackend } from '../../../src/store/lock-memory.js';
import { captureLogger } from './capture-logger.js';
import { manualClock } from './manual-clock.js';
import { memoryRecords } from './memory-records.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function world(startIso: string) {
  const clock = manualClock(Date.parse(startIso));
  const store: OpsStore = { locks: memoryLockBackend({ clock }), records: memoryRecords() };
  const log = captureLogger();
  const runs: Array<{ companyId: string; at: string }> = [];
  const summaries: RunSummary<string>[] = [];
  const base: SchedulerOptions<string> = {
    companies: ['acme', 'globex'],
    schedule: '0 2 * * *',
    timeZone: 'America/Sao_Paulo',
    runCompany: async (companyId) => {
      runs.push({ companyId, at: new Date(clock.now()).toISOString() });
      return 'ok';
    },
    store,
    logger: log.logger,
    clock,
    lockTtlMs: 30_000,
    owner: 'replica-1',
    onRunFinished: (s) => summaries.push(s),
  };
  return { clock, store, log, runs, summaries, base };
}

describe('startScheduler', () => {
  it('runs at 02:00 in the firm zone, every night, and says when the next run is', async () => {
    const w = world('2026-01-10T12:00:00Z');
    const scheduler = startScheduler(w.base);
    expect(scheduler.nextRun()?.toISOString()).toBe('2026-01-11T05:00:00.000Z'); // 02:00 in São Paulo (UTC-3)
    await w.clock.advance(Date.parse('2026-01-11T05:00:00Z') - w.clock.now() - 1);
    expect(w.runs).toEqual([]);
    await w.clock.advance(1);
    expect(w.runs).toEqual([
      { companyId: 'acme', at: '2026-01-11T05:00:00.000Z' },
      { companyId: 'globex', at: '2026-01-11T05:00:00.000Z' },
    ]);
    expect(w.summaries[0]?.slot).toBe('2026-01-11T05:00:00.000Z');
    expect(scheduler.nextRun()?.toISOString()).toBe('2026-01-12T05:00:00.000Z');
    await w.clock.advance(2 * DAY);
    expect(w.summaries.map((s) => s.slot)).toEqual(['2026-01-11T05:00:00.000Z', '2026-01-12T05:00:00.000Z', '2026-01-13T05:00:00.000Z']);
    expect(scheduler.stats()).toMatchObject({ ticks: 3, runs: 3, skippedOverlaps: 0, running: false, statusTotals: { acme: { succeeded: 3 } } });
    await scheduler.stop();
  });

  it('follows the firm zone across a DST change (New York spring forward: the 02:30 night runs at 03:00 EDT)', async () => {
    const w = world('2026-03-07T12:00:00Z');
    const scheduler = startScheduler({ ...w.base, schedule: '30 2 * * *', timeZone: 'America/New_York', companies: ['acme'] });
    await w.clock.advance(2 * DAY);
    expect(w.runs.map((r) => r.at)).toEqual(['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z']);
    await scheduler.stop();
  });

  it('never overlaps: a tick that comes while the previous run is going is skipped, counted and logged', async () => {
    const w = world('2026-01-10T12:00:00Z');
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    let calls = 0;
    const scheduler = startScheduler({
      ...w.base,
      schedule: '*/10 * * * *',
      companies: ['acme'],
      runCompany: async () => {
        calls++;
        if (calls === 1) await slow;
        return 'ok';
      },
    });
    await w.clock.advance(35 * 60_000); // ticks at :10 (runs, hangs), :20 and :30 (skipped)
    expect(calls).toBe(1);
    expect(scheduler.stats()).toMatchObject({ ticks: 3, runs: 1, skippedOverlaps: 2, running: true });
    expect(w.log.problems().filter((m) => m === 'previous run still going; skipping this tick')).toHaveLength(2);
    release();
    await w.clock.advance(10 * 60_000); // :40 runs
    expect(calls).toBe(2);
    expect(scheduler.stats()).toMatchObject({ ticks: 4, runs: 2, skippedOverlaps: 2, running: false });
    await scheduler.stop();
  });

  it('retries a failed company on the next tick, counting consecutive failures with the reason', async () => {
    const w = world('2026-01-10T12:00:00Z');
    let tokenRevoked = true;
    const scheduler = startScheduler({
      ...w.base,
      runCompany: async (companyId) => {
        if (companyId === 'globex' && tokenRevoked) throw new PipedriveAuthError('Pipedrive rejected the API token', { method: 'GET', path: '/api/v2/deals', status: 401 });
        return 'ok';
      },
    });
    await w.clock.advance(2 * DAY);
    expect(scheduler.stats().consecutiveFailures).toEqual({ acme: 0, globex: 2 });
    expect(w.log.problems()).toContain('company globex failed (2 runs in a row): Pipedrive rejected the API token (HTTP 401)');
    tokenRevoked = false;
    await w.clock.advance(DAY);
    expect(scheduler.stats().consecutiveFailures).toEqual({ acme: 0, globex: 0 });
    expect(scheduler.stats().statusTotals).toEqual({ acme: { succeeded: 3 }, globex: { failed: 2, succeeded: 1 } });
    await scheduler.stop();
  });

  it('runs a late tick once after the host slept through several, and says so', async () => {
    const w = world('2026-01-10T12:00:00Z');
    const scheduler = startScheduler({ ...w.base, companies: ['acme'] });
    w.clock.jump(3 * DAY); // suspended from 09:00 on the 10th to 09:00 on the 13th
    await w.clock.advance(0);
    expect(w.summaries.map((s) => s.slot)).toEqual(['2026-01-11T05:00:00.000Z']);
    expect(w.log.problems()).toContain('tick is late (host suspended or clock stepped); running it now');
    expect(scheduler.nextRun()?.toISOString()).toBe('2026-01-14T05:00:00.000Z');
    await scheduler.stop();
  });

  it('stop(): no more ticks, no timers left, and it waits for the run in flight', async () => {
    const w = world('2026-01-10T12:00:00Z');
    const shutdown = new AbortController();
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const scheduler = startScheduler({
      ...w.base,
      companies: ['acme'],
      signal: shutdown.signal,
      runCompany: async (_id, signal) => {
        started();
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
        return 'checkpointed';
      },
    });
    await w.clock.advance(DAY);
    await running;
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await w.clock.advance(0);
    expect(stopped).toBe(false); // the job is still writing
    shutdown.abort(new Error('SIGTERM'));
    await stopping;
    expect(w.summaries[0]?.results[0]).toMatchObject({ status: 'aborted', outcome: 'checkpointed' });
    expect(scheduler.nextRun()).toBeNull();
    expect(w.clock.pending()).toBe(0);
    expect(await w.store.locks.holder('company:acme')).toBeNull();
    await w.clock.advance(3 * DAY);
    expect(w.summaries).toHaveLength(1);
  });

  it('refuses a bad schedule or time zone at start, naming what to fix', () => {
    const w = world('2026-01-10T12:00:00Z');
    expect(() => startScheduler({ ...w.base, schedule: '0 25 * * *' })).toThrow(/CADENCE_SCHEDULE: the hour "25" is not valid \(allowed: 0–23\)/);
    expect(() => startScheduler({ ...w.base, timeZone: 'Brazil/Nowhere' })).toThrow(/timeZone: expected an IANA time zone/);
    expect(w.clock.pending()).toBe(0);
  });
});
