import { describe, expect, it } from 'vitest';
import { acquireLock, LockLostError, withLock } from '../../../src/store/lock.js';
import { memoryLockBackend } from '../../../src/store/lock-memory.js';
import { captureLogger } from './capture-logger.js';
import { manualClock } from './manual-clock.js';
import type { LockBackend } from '../../../src/store/lock-backend.js';

const TTL = 3_000;

function setup() {
  const clock = manualClock(Date.parse('2026-01-01T00:00:00Z'));
  const backend = memoryLockBackend({ clock });
  return { clock, backend };
}

/** A job that runs until the test lets it go (or its signal aborts), reporting its signal. */
function gate() {
  let release!: () => void;
  let onStart!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const started = new Promise<void>((r) => (onStart = r));
  let seen: AbortSignal | undefined;
  const job = async (signal: AbortSignal) => {
    seen = signal;
    onStart();
    await Promise.race([released, new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }))]);
    return 'done';
  };
  return { job, release: () => release(), started, signal: () => seen };
}

describe('acquireLock', () => {
  it('gives the lock to one owner until it is released', async () => {
    const { backend } = setup();
    const a = await acquireLock(backend, 'company:acme', { ttlMs: TTL, owner: 'a' });
    expect(a).not.toBeNull();
    expect(await acquireLock(backend, 'company:acme', { ttlMs: TTL, owner: 'b' })).toBeNull();
    expect(await acquireLock(backend, 'company:acme', { ttlMs: TTL, owner: 'a' })).toBeNull(); // not reentrant
    expect(await acquireLock(backend, 'company:other', { ttlMs: TTL, owner: 'b' })).not.toBeNull();
    expect(await a!.release()).toBe(true);
    expect(await acquireLock(backend, 'company:acme', { ttlMs: TTL, owner: 'b' })).not.toBeNull();
  });

  it('lets another owner take over once the lease expires, and the old lease can then neither renew nor release', async () => {
    const { clock, backend } = setup();
    const a = (await acquireLock(backend, 'company:acme', { ttlMs: TTL, owner: 'a' }))!;
    await clock.advance(TTL - 1);
    expect(await acquireLock(backend, 'company:acme', { ttlMs: TTL, owner: 'b' })).toBeNull();
    await clock.advance(1);
    const b = await acquireLock(backend, 'company:acme', { ttlMs: TTL, owner: 'b' });
    expect(b).not.toBeNull();
    expect(await a.renew()).toBe(false);
    expect(await a.release()).toBe(false);
    expect(await backend.holder('company:acme')).toBe('b');
  });

  it('rejects a nonsense ttl', async () => {
    const { backend } = setup();
    await expect(acquireLock(backend, 'x', { ttlMs: 0, owner: 'a' })).rejects.toThrow(/ttlMs must be a whole number of milliseconds ≥ 10, got 0/);
  });
});

describe('withLock', () => {
  it('runs the work under the lock and releases it afterwards', async () => {
    const { clock, backend } = setup();
    const result = await withLock(backend, 'company:acme', { ttlMs: TTL, owner: 'a', clock }, async () => {
      expect(await backend.holder('company:acme')).toBe('a');
      return 42;
    });
    expect(result).toEqual({ acquired: true, value: 42, lost: false });
    expect(await backend.holder('company:acme')).toBeNull();
    expect(clock.pending()).toBe(0); // no renewal timer left behind
  });

  it('does not run the work when someone else holds the lock', async () => {
    const { clock, backend } = setup();
    await backend.tryAcquire('company:acme', 'other', TTL);
    let ran = false;
    const result = await withLock(backend, 'company:acme', { ttlMs: TTL, owner: 'a', clock }, async () => {
      ran = true;
    });
    expect(result).toEqual({ acquired: false });
    expect(ran).toBe(false);
    expect(await backend.holder('company:acme')).toBe('other');
  });

  it('renews every ttl/3 while the work runs, so a long job keeps its lock far past the ttl', async () => {
    const { clock, backend } = setup();
    const renewals: number[] = [];
    const counting: LockBackend = { ...backend, renew: async (...args) => (renewals.push(clock.now()), backend.renew(...args)) };
    const g = gate();
    const running = withLock(counting, 'company:acme', { ttlMs: TTL, owner: 'a', clock }, g.job);
    await g.started;
    const t0 = clock.now();
    await clock.advance(TTL * 5);
    expect(await backend.tryAcquire('company:acme', 'b', TTL)).toBe(false);
    expect(await backend.holder('company:acme')).toBe('a');
    expect(renewals.map((t) => t - t0)).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000, 12000, 13000, 14000, 15000]);
    g.release();
    expect(await running).toEqual({ acquired: true, value: 'done', lost: false });
    expect(await backend.holder('company:acme')).toBeNull();
  });

  it('aborts the work with LockLostError when a renewal finds the lease gone, and does not release the new holder', async () => {
    const { clock, backend } = setup();
    const { logger, problems } = captureLogger();
    const g = gate();
    const running = withLock(backend, 'company:acme', { ttlMs: TTL, owner: 'a', clock, logger }, g.job);
    await g.started;
    // Simulate a pause longer than the lease (GC, suspended VM): another worker takes over.
    await backend.release('company:acme', 'a');
    await backend.tryAcquire('company:acme', 'b', TTL);
    await clock.advance(TTL / 3);
    expect(g.signal()?.aborted).toBe(true);
    expect(g.signal()?.reason).toBeInstanceOf(LockLostError);
    expect(await running).toEqual({ acquired: true, value: 'done', lost: true });
    expect(await backend.holder('company:acme')).toBe('b');
    expect(problems()).toEqual(['lock lost: the lease expired or another worker holds it']);
  });

  it('tolerates one failed renewal while the lease still has time, but gives up before it runs out', async () => {
    const { clock, backend } = setup();
    const { logger, problems } = captureLogger();
    let failing = 0;
    const flaky: LockBackend = {
      ...backend,
      renew: async (...args) => {
        if (failing > 0) {
          failing--;
          throw new Error('ECONNRESET');
        }
        return backend.renew(...args);
      },
    };
    const g = gate();
    const running = withLock(flaky, 'company:acme', { ttlMs: TTL, owner: 'a', clock, logger }, g.job);
    await g.started;
    failing = 1;
    await clock.advance(TTL); // fail at 1 s, renew at 2 s and 3 s
    expect(g.signal()?.aborted).toBe(false);
    expect(problems()).toEqual(['lock renewal failed; retrying']);
    failing = 2;
    await clock.advance(TTL); // fail at 4 s (2 s left: retry), fail at 5 s (1 s left: give up)
    expect(g.signal()?.aborted).toBe(true);
    expect((g.signal()?.reason as Error).message).toMatch(/renewal failed \(ECONNRESET\) and the lease ends in 1000 ms/);
    expect((await running).acquired).toBe(true);
  });

  it('passes an outer abort (shutdown) to the work and still releases the lock', async () => {
    const { clock, backend } = setup();
    const shutdown = new AbortController();
    const g = gate();
    const running = withLock(backend, 'company:acme', { ttlMs: TTL, owner: 'a', clock, signal: shutdown.signal }, g.job);
    await g.started;
    shutdown.abort(new Error('SIGTERM'));
    expect(await running).toEqual({ acquired: true, value: 'done', lost: false });
    expect(g.signal()?.reason).toEqual(new Error('SIGTERM'));
    expect(await backend.holder('company:acme')).toBeNull();
  });

  it('rethrows the work error after releasing the lock', async () => {
    const { clock, backend } = setup();
    await expect(
      withLock(backend, 'company:acme', { ttlMs: TTL, owner: 'a', clock }, async () => {
        throw new Error('token revoked');
      }),
    ).rejects.toThrow('token revoked');
    expect(await backend.holder('company:acme')).toBeNull();
    expect(clock.pending()).toBe(0);
  });

  it('finishes the work even if the release fails (the lease expires on its own)', async () => {
    const { clock, backend } = setup();
    const { logger, problems } = captureLogger();
    const broken: LockBackend = { ...backend, release: async () => Promise.reject(new Error('connection closed')) };
    const result = await withLock(broken, 'company:acme', { ttlMs: TTL, owner: 'a', clock, logger }, async () => 'ok');
    expect(result).toEqual({ acquired: true, value: 'ok', lost: false });
    expect(problems()).toEqual(['could not release the lock; it expires with its lease']);
  });
});
