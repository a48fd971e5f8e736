/** A parameterised query that returns rows: what the SQL lock backends need from a connection. */
export type SqlQuery = (sql: string, params: readonly unknown[]) => Promise<readonly Record<string, unknown>[]>;

/** Table names are interpolated into SQL, so only plain identifiers are accepted. */
export function checkTableName(table: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table)) throw new RangeError(`lock table name must be a plain SQL identifier, got "${table}"`);
  return table;
}
