/**
 * A lock with a lease, kept in the state store, so that several replicas of the worker can share one
 * deployment and each company is worked on by one process at a time. The lease expires if its holder
 * dies (no one has to clean up), and is renewed while the work runs.
 *
 * Each backend does acquire/renew/release as one atomic operation on the server (lock-redis.ts,
 * lock-postgres.ts, lock-sqlite.ts, lock-memory.ts); this module adds the lease object and the renew
 * loop. A lock is not reentrant: a second acquire by the same owner fails like any other.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../log/logger.js';
import { lockBackendFor } from './lock-for-store.js';
import type { StateStore } from './open-state-store.js';
import { systemClock, type Clock } from '../domain/clock.js';
import type { LockBackend } from './lock-backend.js';
import type { ErrorKind } from '../domain/errors.js';

/** A lock backend, or an open state store (its backend is picked by lockBackendFor). */
export type LockStore = LockBackend | Pick<StateStore, 'backend' | 'namespace'>;

function backendOf(store: LockStore): LockBackend {
  return 'tryAcquire' in store ? store : lockBackendFor(store);
}

export interface Lease {
  readonly name: string;
  readonly owner: string;
  readonly ttlMs: number;
  /** False when the lease expired or someone else holds the lock now. */
  renew(): Promise<boolean>;
  release(): Promise<boolean>;
}

export interface AcquireOptions {
  ttlMs: number;
  owner: string;
}

/** Thrown into the work's AbortSignal when the lease could not be kept. */
export class LockLostError extends Error {
  override readonly name = 'LockLostError';
  readonly kind: ErrorKind = 'lock-lost';
  constructor(readonly lockName: string, detail: string) {
    super(`lost the lock "${lockName}": ${detail}; stopping so that another worker can take over`);
  }
}

/** Unique per process and call: host, pid and a random suffix (readable in logs and in the store). */
export function newOwnerId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

function checkTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs < 10) throw new RangeError(`lock ttlMs must be a whole number of milliseconds ≥ 10, got ${ttlMs}`);
}

export async function acquireLock(store: LockStore, name: string, { ttlMs, owner }: AcquireOptions): Promise<Lease | null> {
  checkTtl(ttlMs);
  const backend = backendOf(store);
  if (!(await backend.tryAcquire(name, owner, ttlMs))) return null;
  return {
    name,
    owner,
    ttlMs,
    renew: () => backend.renew(name, owner, ttlMs),
    release: () => backend.release(name, owner),
  };
}

export interface WithLockOptions extends AcquireOptions {
  /** Aborts the work too (e.g. shutdown); the lock is still released when the work returns. */
  signal?: AbortSignal;
  clock?: Clock;
  logger?: Logger;
}

export type WithLockResult<T> = { acquired: false } | { acquired: true; value: T; lost: boolean };

/**
 * Runs `fn` while holding the lock, renewing the lease every ttl/3. If a renewal says the lease is
 * gone, or renewals keep failing until less than one interval of the lease is left, `fn`'s signal is
 * aborted with a LockLostError: the work must stop writing, because another worker may take over.
 * The lock is released when `fn` settles (unless it was lost). `fn`'s error is rethrown.
 */
export async function withLock<T>(
  store: LockStore,
  name: string,
  opts: WithLockOptions,
  fn: (signal: AbortSignal, lease: Lease) => Promise<T>,
): Promise<WithLockResult<T>> {
  const clock = opts.clock ?? systemClock();
  const lease = await acquireLock(store, name, opts);
  if (!lease) return { acquired: false };

  const lost = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, lost.signal]) : lost.signal;
  const everyMs = Math.max(1, Math.floor(opts.ttlMs / 3));
  let lastRenewedAt = clock.now();
  let cancelTimer: (() => void) | undefined;
  let stopped = false;
  let renewing: Promise<void> = Promise.resolve();

  const loseLock = (detail: string) => {
    opts.logger?.error({ lock: name, owner: lease.owner }, `lock lost: ${detail}`);
    lost.abort(new LockLostError(name, detail));
  };
  const scheduleRenewal = () => {
    cancelTimer = clock.setTimer(everyMs, () => {
      renewing = renewOnce();
    });
  };
  const renewOnce = async () => {
    if (stopped) return;
    try {
      if (await lease.renew()) {
        lastRenewedAt = clock.now();
      } else {
        return loseLock('the lease expired or another worker holds it');
      }
    } catch (err) {
      const leftMs = lastRenewedAt + opts.ttlMs - clock.now();
      if (leftMs <= everyMs) return loseLock(`renewal failed (${(err as Error).message}) and the lease ends in ${Math.max(0, leftMs)} ms`);
      opts.logger?.warn({ lock: name, err: (err as Error).message, leaseLeftMs: leftMs }, 'lock renewal failed; retrying');
    }
    if (!stopped) scheduleRenewal();
  };

  scheduleRenewal();
  try {
    const value = await fn(signal, lease);
    return { acquired: true, value, lost: lost.signal.aborted };
  } finally {
    stopped = true;
    cancelTimer?.();
    await renewing;
    if (!lost.signal.aborted) {
      try {
        await lease.release();
      } catch (err) {
        // The lease expires on its own; say so rather than fail the work that already finished.
        opts.logger?.warn({ lock: name, err: (err as Error).message, ttlMs: opts.ttlMs }, 'could not release the lock; it expires with its lease');
      }
    }
  }
}
