/**
 * The background processing of webhook events (docs/operations.md "Near-real-time"), per company:
 *
 * - coalescing: a recorded event starts (or extends) a quiet period; the batch starts when no event came
 *   for `quietMs`, and at the latest `maxDelayMs` after the first event waiting (a steady trickle never
 *   postpones it for ever);
 * - the batch runs under the company's lock (`company:<id>`, the nightly job's, lease renewed while it
 *   works): while the nightly job (or another replica) holds it, the events stay in the inbox and the batch
 *   is tried again `retryMs` later;
 * - the inbox is polled every `pollMs` too, so events recorded by another replica's receiver, or left
 *   unprocessed by a process that died, are processed (at start the inbox is checked at once);
 * - a batch that fails is logged and tried again `retryMs` later; its events stay unprocessed.
 *
 * The batch itself is injected (`runBatch`), as the nightly job is for runAllCompanies.
 */
import type { Logger } from '../log/logger.js';
import { newOwnerId, withLock } from '../store/lock.js';
import type { LockBackend } from '../store/lock-backend.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { companyLockName, DEFAULT_LOCK_TTL_MS } from './run-all-companies.js';

export const DEFAULT_WEBHOOK_QUIET_MS = 10_000;
export const DEFAULT_WEBHOOK_MAX_DELAY_MS = 60_000;

export interface WebhookProcessorOptions<O> {
  companies: readonly string[];
  /** One batch of the company's pending events; its signal aborts on shutdown or when the lease is lost. */
  runBatch: (companyId: string, signal: AbortSignal) => Promise<O>;
  /** Whether the company's inbox holds unprocessed events. */
  hasPending: (companyId: string) => Promise<boolean>;
  locks: LockBackend;
  logger: Logger;
  clock?: Clock;
  quietMs?: number;
  maxDelayMs?: number;
  /** Wait before trying again when the lock is held elsewhere or a batch failed (default: maxDelayMs). */
  retryMs?: number;
  /** Inbox poll interval (default: maxDelayMs). */
  pollMs?: number;
  lockTtlMs?: number;
  owner?: string;
  onBatch?: (companyId: string, outcome: O) => void;
  /** The batch could not start because another process holds the company (the nightly job). */
  onLockBusy?: (companyId: string) => void;
  onError?: (companyId: string, err: unknown) => void;
}

export interface WebhookProcessor {
  /** An event was recorded for the company (the receiver calls it). */
  notify(companyId: string): void;
  /** Resolves when no batch is running or waiting (tests). */
  idle(): Promise<void>;
  /** Stops timers, aborts the batch in flight and waits for it. */
  close(): Promise<void>;
}

interface CompanyQueue {
  firstAt: number | null;
  lastAt: number;
  cancel: (() => void) | null;
  running: Promise<void> | null;
  /** An event came while the batch ran: schedule again when it ends. */
  again: boolean;
}

interface Proc<O> {
  opts: WebhookProcessorOptions<O>;
  clock: Clock;
  quietMs: number;
  maxDelayMs: number;
  retryMs: number;
  owner: string;
  stop: AbortController;
  queues: Map<string, CompanyQueue>;
}

function arm<O>(p: Proc<O>, id: string, q: CompanyQueue, delayMs?: number): void {
  if (p.stop.signal.aborted) return;
  q.cancel?.();
  const now = p.clock.now();
  const due = delayMs !== undefined ? now + delayMs : Math.min(q.lastAt + p.quietMs, (q.firstAt ?? now) + p.maxDelayMs);
  q.cancel = p.clock.setTimer(Math.max(0, due - now), () => {
    q.cancel = null;
    fire(p, id, q);
  });
}

function fire<O>(p: Proc<O>, id: string, q: CompanyQueue): void {
  if (q.running) {
    q.again = true;
    return;
  }
  q.firstAt = null;
  q.again = false;
  q.running = work(p, id, q).finally(() => {
    q.running = null;
    if (q.again && !p.stop.signal.aborted) {
      q.firstAt ??= p.clock.now();
      arm(p, id, q);
    }
  });
}

/** Batches under the company's lock until the inbox is empty; a busy lock or a failure tries again later. */
async function work<O>(p: Proc<O>, id: string, q: CompanyQueue): Promise<void> {
  const { opts } = p;
  const log = opts.logger.child({ company: id });
  try {
    while (!p.stop.signal.aborted && (await opts.hasPending(id))) {
      const got = await withLock(opts.locks, companyLockName(id), { ttlMs: opts.lockTtlMs ?? DEFAULT_LOCK_TTL_MS, owner: p.owner, clock: p.clock, logger: log, signal: p.stop.signal }, (signal) => opts.runBatch(id, signal));
      if (!got.acquired) {
        log.info({ retryMs: p.retryMs }, 'webhook events wait: the company is locked by another job (the nightly run); trying again later');
        opts.onLockBusy?.(id);
        q.firstAt ??= p.clock.now();
        arm(p, id, q, p.retryMs);
        return;
      }
      if (got.lost) throw new Error('the company lock was lost during the batch');
      opts.onBatch?.(id, got.value);
    }
  } catch (err) {
    if (p.stop.signal.aborted) return;
    log.error({ err: (err as Error).message, retryMs: p.retryMs }, 'webhook batch failed; its events stay in the inbox and are tried again');
    opts.onError?.(id, err);
    arm(p, id, q, p.retryMs);
  }
}

export function startWebhookProcessor<O>(opts: WebhookProcessorOptions<O>): WebhookProcessor {
  const clock = opts.clock ?? systemClock();
  const maxDelayMs = opts.maxDelayMs ?? DEFAULT_WEBHOOK_MAX_DELAY_MS;
  const p: Proc<O> = {
    opts,
    clock,
    quietMs: Math.min(opts.quietMs ?? DEFAULT_WEBHOOK_QUIET_MS, maxDelayMs),
    maxDelayMs,
    retryMs: opts.retryMs ?? maxDelayMs,
    owner: opts.owner ?? newOwnerId(),
    stop: new AbortController(),
    queues: new Map(opts.companies.map((id) => [id, { firstAt: null, lastAt: 0, cancel: null, running: null, again: false }])),
  };
  const notify = (id: string): void => {
    const q = p.queues.get(id);
    if (!q || p.stop.signal.aborted) return;
    const now = clock.now();
    q.lastAt = now;
    q.firstAt ??= now;
    if (q.running) q.again = true;
    else arm(p, id, q);
  };
  const pollMs = opts.pollMs ?? maxDelayMs;
  let cancelPoll: (() => void) | null = null;
  const poll = (): void => {
    for (const [id, q] of p.queues) {
      if (q.running || q.cancel) continue;
      void opts.hasPending(id).then((yes) => yes && notify(id), (err: unknown) => opts.logger.warn({ company: id, err: (err as Error).message }, 'webhook inbox not readable; polling again later'));
    }
    if (!p.stop.signal.aborted) cancelPoll = clock.setTimer(pollMs, poll);
  };
  poll();
  return {
    notify,
    async idle() {
      for (;;) {
        const busy = [...p.queues.values()].map((q) => q.running).filter((r): r is Promise<void> => r !== null);
        if (busy.length === 0) return;
        await Promise.all(busy);
      }
    },
    async close() {
      p.stop.abort();
      cancelPoll?.();
      for (const q of p.queues.values()) q.cancel?.();
      await Promise.all([...p.queues.values()].map((q) => q.running));
    },
  };
}
