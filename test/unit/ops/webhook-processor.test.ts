/**
 * Coalescing and locking of the background processing (ops/webhook-processor.ts) on a manual clock: a
 * batch starts after the quiet period, at the latest at the max delay, never while another job holds the
 * company, and again after a failure; events found in the inbox at start are processed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startWebhookProcessor, type WebhookProcessor } from '../../../src/ops/webhook-processor.js';
import { companyLockName } from '../../../src/ops/run-all-companies.js';
import { memoryLockBackend } from '../../../src/store/lock-memory.js';
import { manualClock, type ManualClock } from './manual-clock.js';

const logger = pino({ level: 'silent' });
const QUIET = 1_000;
const MAX = 5_000;

interface Harness {
  clock: ManualClock;
  proc: WebhookProcessor;
  batches: number[];
  pending: { n: number };
  locks: ReturnType<typeof memoryLockBackend>;
  busy: string[];
  fail: { next: boolean };
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.proc.close();
  h = undefined;
});

function start(initialPending = 0): Harness {
  const clock = manualClock(Date.parse('2026-03-12T15:00:00Z'));
  const locks = memoryLockBackend({ clock });
  const pending = { n: initialPending };
  const batches: number[] = [];
  const busy: string[] = [];
  const fail = { next: false };
  const proc = startWebhookProcessor({
    companies: ['acme'],
    hasPending: async () => pending.n > 0,
    runBatch: async () => {
      if (fail.next) {
        fail.next = false;
        throw new Error('store lost');
      }
      batches.push(clock.now());
      pending.n = 0;
      return null;
    },
    locks,
    logger,
    clock,
    quietMs: QUIET,
    maxDelayMs: MAX,
    retryMs: 2_000,
    pollMs: 60_000,
    lockTtlMs: 30_000,
    onLockBusy: (id) => busy.push(id),
  });
  h = { clock, proc, batches, pending, locks, busy, fail };
  return h;
}

function event(x: Harness): void {
  x.pending.n++;
  x.proc.notify('acme');
}

describe('webhook processor', () => {
  it('coalesces events: one batch, a quiet period after the last one', async () => {
    const x = start();
    const t0 = x.clock.now();
    event(x);
    await x.clock.advance(600);
    event(x);
    await x.clock.advance(600);
    event(x);
    expect(x.batches).toEqual([]);
    await x.clock.advance(999);
    expect(x.batches).toEqual([]);
    await x.clock.advance(1);
    expect(x.batches).toEqual([t0 + 2_200]);
  });

  it('a steady trickle does not postpone the batch beyond the max delay', async () => {
    const x = start();
    const t0 = x.clock.now();
    for (let i = 0; i < 12; i++) {
      event(x);
      await x.clock.advance(500);
    }
    expect(x.batches[0]).toBe(t0 + MAX);
  });

  it('waits while another job (the nightly run) holds the company; the events stay and are processed after', async () => {
    const x = start();
    expect(await x.locks.tryAcquire(companyLockName('acme'), 'nightly', 60_000)).toBe(true);
    event(x);
    await x.clock.advance(QUIET);
    expect(x.batches).toEqual([]);
    expect(x.busy).toEqual(['acme']);
    expect(x.pending.n).toBe(1);
    await x.clock.advance(2_000);
    expect(x.batches).toEqual([]);
    await x.locks.release(companyLockName('acme'), 'nightly');
    await x.clock.advance(2_000);
    expect(x.batches).toHaveLength(1);
    expect(x.pending.n).toBe(0);
  });

  it('a failed batch is tried again later; its events were not lost', async () => {
    const x = start();
    x.fail.next = true;
    event(x);
    await x.clock.advance(QUIET);
    expect(x.batches).toEqual([]);
    expect(x.pending.n).toBe(1);
    await x.clock.advance(2_000);
    expect(x.batches).toHaveLength(1);
  });

  it('events already in the inbox at start (a process killed before processing them) are processed', async () => {
    const x = start(3);
    await x.clock.advance(QUIET);
    expect(x.batches).toHaveLength(1);
    expect(x.pending.n).toBe(0);
  });

  it('an event during a batch brings another batch after it', async () => {
    const x = start();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const runs: number[] = [];
    await x.proc.close();
    const clock = x.clock;
    const pending = { n: 1 };
    const proc = startWebhookProcessor({
      companies: ['acme'], hasPending: async () => pending.n > 0, locks: memoryLockBackend({ clock }), logger, clock, quietMs: QUIET, maxDelayMs: MAX, pollMs: 60_000,
      runBatch: async () => {
        runs.push(clock.now());
        pending.n = 0;
        if (runs.length === 1) await gate;
        return null;
      },
    });
    h = { ...x, proc };
    await clock.advance(QUIET);
    expect(runs).toHaveLength(1);
    pending.n = 1;
    proc.notify('acme');
    release();
    await clock.advance(QUIET);
    expect(runs).toHaveLength(2);
  });
});
