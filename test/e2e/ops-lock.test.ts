/**
 * The lock backends against the real servers (Redis 127.0.0.1:6379, PostgreSQL 127.0.0.1:5432 db
 * `test`) and a real SQLite file: the same contract for each, plus a race of many owners at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisClientType } from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsStoreFor } from '../../src/ops/ops-store.js';
import { acquireLock, withLock } from '../../src/store/lock.js';
import { lockBackendFor } from '../../src/store/lock-for-store.js';
import { memoryLockBackend } from '../../src/store/lock-memory.js';
import { postgresLockBackend } from '../../src/store/lock-postgres.js';
import { redisLockBackend } from '../../src/store/lock-redis.js';
import type { SqlQuery } from '../../src/store/lock-sql.js';
import { sqliteLockBackend } from '../../src/store/lock-sqlite.js';
import { openStateStore, type StateStore } from '../../src/store/open-state-store.js';
import { captureLogger } from '../unit/ops/capture-logger.js';
import type { LockBackend } from '../../src/store/lock-backend.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const run = `${process.pid}-${Date.now()}`;
const dir = mkdtempSync(join(tmpdir(), 'cadence-lock-'));
const { logger } = captureLogger();

interface Harness {
  backend: LockBackend;
  /** Makes the named lock's lease run out now (each backend in its own way). */
  expire(name: string): Promise<void>;
}

// One store per backend for the whole file: @keyv/postgres keeps one pool per process, which the
// first store.close() ends, so stores on the same URL must not be opened and closed independently.
const stores = {} as Record<'redis' | 'postgres' | 'sqlite' | 'memory', StateStore>;
let redis: RedisClientType;
let pgQuery: SqlQuery;
let sqliteQuery: SqlQuery;
let fakeNow = Date.parse('2026-01-01T00:00:00Z');

beforeAll(async () => {
  stores.redis = await openStateStore(REDIS_URL, logger, { namespace: `test-${run}` });
  stores.postgres = await openStateStore(PG_URL, logger, { namespace: `test-${run}` });
  stores.sqlite = await openStateStore(`sqlite://${join(dir, 'state.sqlite')}`, logger, { namespace: `test-${run}` });
  stores.memory = await openStateStore('memory://', logger);
  const b = { redis: stores.redis.backend, pg: stores.postgres.backend, sqlite: stores.sqlite.backend };
  if (b.redis.kind !== 'redis' || b.pg.kind !== 'postgres' || b.sqlite.kind !== 'sqlite') throw new Error('unexpected store kinds');
  redis = b.redis.client as RedisClientType;
  const pg = b.pg;
  const sqlite = b.sqlite;
  pgQuery = async (sql, params) => (await pg.query(sql, [...params])) as Record<string, unknown>[];
  sqliteQuery = async (sql, params) => (await sqlite.query(sql, ...params)) as Record<string, unknown>[];
});
afterAll(async () => {
  await pgQuery(`DELETE FROM cadence_locks_test WHERE name LIKE $1`, [`company:${run}-%`]).catch(() => undefined);
  await pgQuery(`DELETE FROM cadence_locks WHERE name LIKE $1`, [`test-${run}:%`]).catch(() => undefined);
  for (const key of await redis.keys(`test:${run}:*`)) await redis.del(key);
  for (const store of Object.values(stores)) {
    await store.clearNamespace();
    await store.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

const harnesses: Record<string, () => Harness> = {
  redis: () => ({
    backend: redisLockBackend(redis, { prefix: `test:${run}:lock:` }),
    // PEXPIRE 1 ms, then wait for Redis to drop the key.
    async expire(name) {
      const key = `test:${run}:lock:${name}`;
      await redis.pExpire(key, 1);
      while ((await redis.exists(key)) === 1) await delay(2);
    },
  }),
  postgres: () => ({
    backend: postgresLockBackend(pgQuery, { table: 'cadence_locks_test' }),
    // The database's clock decides; move the row's expiry into the past instead of waiting.
    async expire(name) {
      await pgQuery(`UPDATE cadence_locks_test SET expires_at = now() - interval '1 second' WHERE name = $1`, [name]);
    },
  }),
  sqlite: () => ({
    backend: sqliteLockBackend(sqliteQuery, { table: 'cadence_locks_test', clock: { now: () => fakeNow } }),
    async expire() {
      fakeNow += 60_000;
    },
  }),
  memory: () => {
    let now = 0;
    return {
      backend: memoryLockBackend({ clock: { now: () => now } }),
      async expire() {
        now += 60_000;
      },
    };
  },
};

describe.each(Object.keys(harnesses))('%s lock backend', (kind) => {
  let h: Harness;
  beforeAll(() => {
    h = harnesses[kind]!();
  });
  const name = (suffix: string) => `company:${run}-${suffix}`;

  it('holds the lock for one owner; others, and the holder again, are refused', async () => {
    const n = name('basic');
    expect(await h.backend.tryAcquire(n, 'a', 30_000)).toBe(true);
    expect(await h.backend.tryAcquire(n, 'b', 30_000)).toBe(false);
    expect(await h.backend.tryAcquire(n, 'a', 30_000)).toBe(false);
    expect(await h.backend.holder(n)).toBe('a');
  });

  it('tells who holds the lease and until when (for the message of a run that waits)', async () => {
    const n = name('lease');
    expect(await h.backend.lease!(n)).toBeNull();
    expect(await h.backend.tryAcquire(n, 'host-a:1:x', 30_000)).toBe(true);
    const lease = await h.backend.lease!(n);
    expect(lease?.owner).toBe('host-a:1:x');
    // Within the lease: about 30 s ahead of the clock the backend uses (the server's for Redis/PostgreSQL).
    const base = kind === 'sqlite' ? fakeNow : kind === 'memory' ? 0 : Date.now();
    expect(lease!.expiresAt - base).toBeGreaterThan(20_000);
    expect(lease!.expiresAt - base).toBeLessThanOrEqual(31_000);
    await h.expire(n);
    expect(await h.backend.lease!(n)).toBeNull();
  });

  it('renews and releases only for the holder', async () => {
    const n = name('owner-checks');
    await h.backend.tryAcquire(n, 'a', 30_000);
    expect(await h.backend.renew(n, 'b', 30_000)).toBe(false);
    expect(await h.backend.release(n, 'b')).toBe(false);
    expect(await h.backend.holder(n)).toBe('a');
    expect(await h.backend.renew(n, 'a', 30_000)).toBe(true);
    expect(await h.backend.release(n, 'a')).toBe(true);
    expect(await h.backend.holder(n)).toBeNull();
    expect(await h.backend.release(n, 'a')).toBe(false);
    expect(await h.backend.tryAcquire(n, 'b', 30_000)).toBe(true);
  });

  it('after the lease runs out: another owner takes over, and the old one can neither renew nor release', async () => {
    const n = name('expiry');
    await h.backend.tryAcquire(n, 'a', 30_000);
    await h.expire(n);
    expect(await h.backend.holder(n)).toBeNull();
    expect(await h.backend.renew(n, 'a', 30_000)).toBe(false);
    expect(await h.backend.tryAcquire(n, 'b', 30_000)).toBe(true);
    expect(await h.backend.release(n, 'a')).toBe(false);
    expect(await h.backend.holder(n)).toBe('b');
  });

  it('gives the lock to exactly one of many owners racing for it', async () => {
    const n = name('race');
    const owners = Array.from({ length: 25 }, (_, i) => `w${i}`);
    const won = await Promise.all(owners.map((o) => h.backend.tryAcquire(n, o, 30_000)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(await h.backend.holder(n)).toBe(owners[won.indexOf(true)]);
  });
});

describe('redis lease is Redis-timed', () => {
  it('sets a PX expiry on the key and renew pushes it out again', async () => {
    const backend = redisLockBackend(redis, { prefix: `test:${run}:px:` });
    await backend.tryAcquire('c', 'a', 5_000);
    const first = await redis.pTTL(`test:${run}:px:c`);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(5_000);
    await backend.renew('c', 'a', 60_000);
    expect(await redis.pTTL(`test:${run}:px:c`)).toBeGreaterThan(5_000);
    await backend.release('c', 'a');
  });
});

describe('lockBackendFor(openStateStore(url)): the lock rides on the state store connection', () => {
  it.each(['redis', 'postgres', 'sqlite', 'memory'] as const)('%s: two handles on the same store exclude each other, and records round-trip through keyv', async (kind) => {
    const store = stores[kind];
    const a = opsStoreFor(store);
    const b = opsStoreFor(store);
    expect(a.locks.kind).toBe(kind);
    const name = `company:${run}-${kind}`;
    expect(await a.locks.tryAcquire(name, 'a', 30_000)).toBe(true);
    expect(await b.locks.tryAcquire(name, 'b', 30_000)).toBe(false);
    expect(await b.locks.holder(name)).toBe('a');
    expect(await a.locks.release(name, 'a')).toBe(true);
    expect(await b.locks.tryAcquire(name, 'b', 30_000)).toBe(true);
    await b.locks.release(name, 'b');
    await a.records.set(`ops:run:${run}`, { n: 1 });
    expect(await b.records.get(`ops:run:${run}`)).toEqual({ n: 1 });
  });

  it.each(['redis', 'postgres', 'sqlite', 'memory'] as const)('%s: acquireLock and withLock take the state store itself', async (kind) => {
    const store = stores[kind];
    const name = `company:${run}-direct-${kind}`;
    const lease = await acquireLock(store, name, { ttlMs: 30_000, owner: 'a' });
    expect(await lockBackendFor(store).holder(name)).toBe('a');
    expect(await withLock(store, name, { ttlMs: 30_000, owner: 'b' }, async () => 'ran')).toEqual({ acquired: false });
    await lease!.release();
    expect(await withLock(store, name, { ttlMs: 30_000, owner: 'b' }, async () => lockBackendFor(store).holder(name))).toEqual({ acquired: true, value: 'b', lost: false });
    expect(await lockBackendFor(store).holder(name)).toBeNull();
  });
});
