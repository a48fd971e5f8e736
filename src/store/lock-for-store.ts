/**
 * The lock backend that matches an open state store, on the store's own connection (one pool, one
 * client, one SQLite handle with its busy timeout): Redis → lock-redis, PostgreSQL → lock-postgres
 * (table `cadence_locks` beside the state table), SQLite → lock-sqlite (same file), memory → the
 * store's map. Each call returns a new object over the same shared state, so calling it twice is safe.
 */
import type { StateStore } from './open-state-store.js';
import { memoryLockBackend } from './lock-memory.js';
import { postgresLockBackend } from './lock-postgres.js';
import { redisLockBackend, type RedisLockClient } from './lock-redis.js';
import { sqliteLockBackend } from './lock-sqlite.js';
import type { SqlQuery } from './lock-sql.js';
import type { LockBackend } from './lock-backend.js';
import type { Clock } from '../domain/clock.js';

export interface LockForStoreOptions {
  /** Clock for SQLite and memory leases and a Redis lease's end (Redis and PostgreSQL keep leases on the server's clock). */
  clock?: Pick<Clock, 'now'>;
  /** SQL table for SQLite/PostgreSQL (default `cadence_locks`). */
  table?: string;
}

/** Lock names carry the store namespace, so deployments sharing one database never share a lock. */
function namespaced(backend: LockBackend, namespace: string): LockBackend {
  const n = (name: string) => `${namespace}:${name}`;
  return {
    kind: backend.kind,
    tryAcquire: (name, owner, ttlMs) => backend.tryAcquire(n(name), owner, ttlMs),
    renew: (name, owner, ttlMs) => backend.renew(n(name), owner, ttlMs),
    release: (name, owner) => backend.release(n(name), owner),
    holder: (name) => backend.holder(n(name)),
    ...(backend.lease ? { lease: (name: string) => backend.lease!(n(name)) } : {}),
  };
}

export function lockBackendFor(store: Pick<StateStore, 'backend' | 'namespace'>, { clock, table = 'cadence_locks' }: LockForStoreOptions = {}): LockBackend {
  const b = store.backend;
  switch (b.kind) {
    case 'redis':
      return redisLockBackend(b.client as RedisLockClient, { prefix: `${store.namespace}:lock:`, ...(clock ? { clock } : {}) });
    case 'postgres': {
      const query: SqlQuery = async (sql, params) => (await b.query(sql, [...params])) as Record<string, unknown>[];
      return namespaced(postgresLockBackend(query, { table }), store.namespace);
    }
    case 'sqlite': {
      const query: SqlQuery = async (sql, params) => (await b.query(sql, ...params)) as Record<string, unknown>[];
      return namespaced(sqliteLockBackend(query, { table, ...(clock ? { clock } : {}) }), store.namespace);
    }
    case 'memory':
      return namespaced(memoryLockBackend({ map: b.map, ...(clock ? { clock } : {}) }), store.namespace);
  }
}
