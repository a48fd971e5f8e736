/**
 * SQLite lock backend on a table of its own: one host (SQLite is a file), several processes. Each
 * operation is one statement (an upsert whose DO UPDATE only fires on an expired row, with RETURNING
 * to tell whether it did), and SQLite runs each statement in its own write transaction. Expiry is
 * judged by the injected clock: every process on the host shares the same system clock. The
 * connection should have a busy timeout so that two processes wait for each other instead of failing.
 */
import { checkTableName, type SqlQuery } from './lock-sql.js';
import type { LockBackend } from './lock-backend.js';
import { systemClock, type Clock } from '../domain/clock.js';

export function sqliteLockBackend(
  query: SqlQuery,
  { table = 'cadence_locks', clock = systemClock() }: { table?: string; clock?: Pick<Clock, 'now'> } = {},
): LockBackend {
  const t = checkTableName(table);
  let ready: Promise<void> | undefined;
  const run = async (sql: string, params: readonly unknown[]) => {
    ready ??= query(`CREATE TABLE IF NOT EXISTS ${t} (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL)`, []).then(
      () => undefined,
      (err: unknown) => {
        ready = undefined;
        throw err;
      },
    );
    await ready;
    return query(sql, params);
  };
  return {
    kind: 'sqlite',
    async tryAcquire(name, owner, ttlMs) {
      const at = clock.now();
      const rows = await run(
        `INSERT INTO ${t} (name, owner, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE ${t}.expires_at <= ?
         RETURNING owner`,
        [name, owner, at + ttlMs, at],
      );
      return rows.length === 1;
    },
    async renew(name, owner, ttlMs) {
      const at = clock.now();
      const rows = await run(`UPDATE ${t} SET expires_at = ? WHERE name = ? AND owner = ? AND expires_at > ? RETURNING name`, [
        at + ttlMs,
        name,
        owner,
        at,
      ]);
      return rows.length === 1;
    },
    async release(name, owner) {
      const rows = await run(`DELETE FROM ${t} WHERE name = ? AND owner = ? RETURNING name`, [name, owner]);
      return rows.length === 1;
    },
    async holder(name) {
      const rows = await run(`SELECT owner FROM ${t} WHERE name = ? AND expires_at > ?`, [name, clock.now()]);
      const owner = rows[0]?.owner;
      return typeof owner === 'string' ? owner : null;
    },
    async lease(name) {
      const rows = await run(`SELECT owner, expires_at FROM ${t} WHERE name = ? AND expires_at > ?`, [name, clock.now()]);
      const owner = rows[0]?.owner;
      return typeof owner === 'string' ? { owner, expiresAt: Number(rows[0]!.expires_at) } : null;
    },
  };
}
