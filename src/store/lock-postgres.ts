/**
 * PostgreSQL lock backend on a table of its own. Each operation is one statement, so it is atomic
 * without an explicit transaction; expiry is judged by the database's clock (`now()`), the one clock
 * every replica shares. Acquire is an upsert that only overwrites an expired row:
 *   INSERT … ON CONFLICT (name) DO UPDATE … WHERE expires_at <= now() RETURNING owner
 * which returns a row exactly when this owner got the lock.
 */
import { checkTableName, type SqlQuery } from './lock-sql.js';
import type { LockBackend } from './lock-backend.js';

export function postgresLockBackend(query: SqlQuery, { table = 'cadence_locks' }: { table?: string } = {}): LockBackend {
  const t = checkTableName(table);
  let ready: Promise<void> | undefined;
  const ensureTable = () =>
    (ready ??= query(
      `CREATE TABLE IF NOT EXISTS ${t} (name text PRIMARY KEY, owner text NOT NULL, expires_at timestamptz NOT NULL)`,
      [],
    ).then(
      () => undefined,
      (err: { code?: string }) => {
        // Two workers creating the table at once: the loser sees a duplicate; the table exists.
        if (err.code === '23505' || err.code === '42P07') return;
        ready = undefined;
        throw err;
      },
    ));
  const run = async (sql: string, params: readonly unknown[]) => {
    await ensureTable();
    return query(sql, params);
  };
  const lease = `now() + ($3::bigint * interval '1 millisecond')`;
  return {
    kind: 'postgres',
    async tryAcquire(name, owner, ttlMs) {
      const rows = await run(
        `INSERT INTO ${t} (name, owner, expires_at) VALUES ($1, $2, ${lease})
         ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
         WHERE ${t}.expires_at <= now()
         RETURNING owner`,
        [name, owner, ttlMs],
      );
      return rows.length === 1;
    },
    async renew(name, owner, ttlMs) {
      const rows = await run(
        `UPDATE ${t} SET expires_at = ${lease} WHERE name = $1 AND owner = $2 AND expires_at > now() RETURNING name`,
        [name, owner, ttlMs],
      );
      return rows.length === 1;
    },
    async release(name, owner) {
      const rows = await run(`DELETE FROM ${t} WHERE name = $1 AND owner = $2 RETURNING name`, [name, owner]);
      return rows.length === 1;
    },
    async holder(name) {
      const rows = await run(`SELECT owner FROM ${t} WHERE name = $1 AND expires_at > now()`, [name]);
      const owner = rows[0]?.owner;
      return typeof owner === 'string' ? owner : null;
    },
    async lease(name) {
      const rows = await run(`SELECT owner, (EXTRACT(EPOCH FROM expires_at) * 1000)::bigint AS expires_ms FROM ${t} WHERE name = $1 AND expires_at > now()`, [name]);
      const owner = rows[0]?.owner;
      return typeof owner === 'string' ? { owner, expiresAt: Number(rows[0]!.expires_ms) } : null;
    },
  };
}
