/**
 * Opens the state store named by CADENCE_STATE_URL on keyv 5 (DEPENDENCIES.md §5):
 *   sqlite://<file>   embedded default (./data/cadence.sqlite), no server needed; the folder is created
 *                     0700 and the file 0600 (private-fs.ts)
 *   redis://…         @keyv/redis, for several replicas
 *   postgres://…      @keyv/postgres, for several replicas
 *   memory://         in-process, for tests
 * Values are plain JSON (keyv's default serializer walks every value in JS and costs seconds on a 1M-record
 * mirror). Errors are thrown, not swallowed (keyv's default is to emit and return undefined).
 */
import { dirname, resolve } from 'node:path';
import Keyv from 'keyv';
import KeyvRedis from '@keyv/redis';
import KeyvPostgres from '@keyv/postgres';
import KeyvSqlite from '@keyv/sqlite';
import type { Logger } from '../log/logger.js';
import { createCompanyState, type CompanyState } from './company-state.js';
import { scopedKv } from './kv.js';
import { ensureDirSync, PathError } from './fs-paths.js';
import { preparePrivateFile } from './private-fs.js';
import { DEFAULT_MIRROR_TUNING, type MirrorTuning } from './mirror-store.js';

export type StoreKind = 'sqlite' | 'redis' | 'postgres' | 'memory';

/** What the lock module (src/store/lock*.ts) needs to build a lock on the same backend. */
export type StoreBackend =
  | { kind: 'sqlite'; file: string; query: (sql: string, ...params: unknown[]) => Promise<unknown[]> }
  | { kind: 'redis'; client: unknown }
  | { kind: 'postgres'; table: string; query: (sql: string, values?: unknown[]) => Promise<unknown[]> }
  | { kind: 'memory'; map: Map<string, unknown> };

export interface StateStore {
  kind: StoreKind;
  /** The keyv namespace all keys live under (`cadence` unless a test asks for its own). */
  namespace: string;
  /** The underlying keyv instance (for the lock module; everything else goes through company()). */
  keyv: Keyv;
  backend: StoreBackend;
  company(companyId: string): CompanyState;
  /** Keys of this namespace that start with `prefix` (as the callers wrote them, e.g. `c:acme:secret:x`). */
  keysWithPrefix(prefix: string): Promise<string[]>;
  /** Deletes every key of this namespace that starts with `prefix`; returns how many. */
  deleteWithPrefix(prefix: string): Promise<number>;
  /** Deletes every key of this namespace (tests). */
  clearNamespace(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenStateStoreOptions {
  namespace?: string;
  /** SQL table for sqlite/postgres (default `cadence_state`). */
  table?: string;
  tuning?: Partial<MirrorTuning>;
}

export function storeKindOf(url: string): StoreKind {
  if (/^sqlite:/i.test(url)) return 'sqlite';
  if (/^rediss?:/i.test(url)) return 'redis';
  if (/^postgres(ql)?:/i.test(url)) return 'postgres';
  if (/^memory:/i.test(url)) return 'memory';
  throw new Error(`CADENCE_STATE_URL: unsupported "${url.replace(/\/\/[^@/]*@/, '//***@')}": use sqlite://<file>, redis://host:port, postgres://user@host/db or memory://`);
}

/** `sqlite://./data/x.sqlite` → `./data/x.sqlite`; `sqlite:///abs/x.sqlite` → `/abs/x.sqlite`; `sqlite://` → default. */
export function sqliteFileOf(url: string): string {
  const rest = url.replace(/^sqlite:\/\//i, '');
  return rest === '' ? './data/cadence.sqlite' : rest;
}

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listens there)',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'no answer (timed out)',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** `host:port` of a server URL, without credentials; the default port of its kind when none is given. */
export function storeAddress(kind: StoreKind, url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || (kind === 'redis' ? '6379' : '5432')}`;
  } catch {
    return 'an address that is not a valid URL';
  }
}

/**
 * Why the state store did not open, in words: which store, where, the cause, and what to do. No driver
 * internals: node-redis says "throwOnConnectError is set to true" where the cause is a refused connection.
 */
export function storeOpenError(kind: StoreKind, url: string, err: unknown): string {
  const e = err as { code?: string; message?: string; errors?: { code?: string }[] } | null;
  const code = e?.code ?? e?.errors?.find((x) => x.code)?.code;
  if (kind === 'redis' || kind === 'postgres') {
    const name = kind === 'redis' ? 'Redis' : 'PostgreSQL';
    const cause = code && NETWORK_WORDS[code] ? NETWORK_WORDS[code] : code ? code : (e?.message ?? 'no connection').replace(/\.?\s*This is thrown because .*$/, '');
    return `cannot reach the ${name} state store at ${storeAddress(kind, url)} (CADENCE_STATE_URL): ${cause}; start ${name} there, or set CADENCE_STATE_URL to where it runs`;
  }
  return `cannot open the ${kind} state store (CADENCE_STATE_URL): ${e?.message ?? String(err)}; set CADENCE_STATE_URL to a file this user can write, e.g. sqlite://./data/cadence.sqlite`;
}

/**
 * Reconnects through a short Redis outage (restart, ~5 s of attempts), then gives up. node-redis's default retries
 * forever while commands wait in its offline queue, so a job whose Redis went away hung instead of
 * failing with an error (found by test/faults/redis.test.ts).
 */
export function redisReconnectDelay(attempt: number): number | Error {
  if (attempt >= 6) return new Error(`the Redis state store stayed unreachable after ${attempt} reconnection attempts: check CADENCE_STATE_URL and the server`);
  return Math.min(100 * 2 ** attempt, 2_000);
}

/** The driver's last connection error (node-redis reports it as an event, not with the failed call). */
interface ConnectErrors {
  last: unknown;
}

/** The keyv store and the raw backend for the URL's kind (SQLite in WAL mode, owner-only file). */
async function openBackend(kind: StoreBackend['kind'], url: string, namespace: string, table: string, connectErrors: ConnectErrors): Promise<{ keyv: Keyv; backend: StoreBackend }> {
  const json = { serialize: JSON.stringify, deserialize: JSON.parse } as const;
  let keyv: Keyv;
  let backend: StoreBackend;
  switch (kind) {
    case 'memory': {
      const map = new Map<string, unknown>();
      keyv = new Keyv({ store: map, namespace, ...json, throwOnErrors: true });
      backend = { kind, map };
      break;
    }
    case 'sqlite': {
      const file = resolve(sqliteFileOf(url));
      ensureDirSync(dirname(file), 'CADENCE_STATE_URL');
      // Owner-only (0700 folder, 0600 file, whatever the umask): the file is a copy of the CRM.
      try {
        preparePrivateFile(file);
      } catch (err) {
        throw new PathError('open the state file', file, (err as NodeJS.ErrnoException).code ?? 'EIO', 'CADENCE_STATE_URL');
      }
      const adapter = new KeyvSqlite({ uri: `sqlite://${file}`, table, busyTimeout: 15_000 });
      keyv = new Keyv({ store: adapter, namespace, ...json, throwOnErrors: true });
      const query = (sql: string, ...params: unknown[]) => (adapter as unknown as { query: (s: string, ...p: unknown[]) => Promise<unknown[]> }).query(sql, ...params);
      // WAL lets readers (status, reports) proceed while a sync writes.
      await query('PRAGMA journal_mode=WAL');
      // With WAL, NORMAL survives a killed process (only an OS crash can lose the last commits).
      await query('PRAGMA synchronous=NORMAL');
      backend = { kind, file, query };
      break;
    }
    case 'redis': {
      const adapter = new KeyvRedis({ url, socket: { reconnectStrategy: redisReconnectDelay } }, { throwOnConnectError: true, throwOnErrors: true });
      adapter.namespace = namespace;
      (adapter.client as unknown as { on?: (e: string, f: (err: unknown) => void) => void }).on?.('error', (err) => (connectErrors.last = err));
      keyv = new Keyv(adapter, { namespace, useKeyPrefix: false, ...json, throwOnErrors: true });
      backend = { kind, client: adapter.client };
      break;
    }
    case 'postgres': {
      const adapter = new KeyvPostgres({ uri: url, table });
      keyv = new Keyv({ store: adapter, namespace, ...json, throwOnErrors: true });
      const query = (sql: string, values?: unknown[]) => adapter.query(sql, values) as Promise<unknown[]>;
      backend = { kind, table, query };
      break;
    }
  }

  return { keyv, backend };
}

export async function openStateStore(url: string, logger: Logger, options: OpenStateStoreOptions = {}): Promise<StateStore> {
  const kind = storeKindOf(url);
  const namespace = options.namespace ?? 'cadence';
  const table = options.table ?? 'cadence_state';
  if (!/^[A-Za-z0-9_]+$/.test(table)) throw new Error(`state store table name must be letters, digits and _ only, got "${table}"`);
  const tuning = { ...DEFAULT_MIRROR_TUNING, ...options.tuning };
  const connectErrors: ConnectErrors = { last: undefined };
  const { keyv, backend } = await openBackend(kind, url, namespace, table, connectErrors);
  keyv.on('error', (err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err), store: kind }, 'state store error'));
  // Fail at open, with the URL's kind in the message, rather than on the first page of a sync.
  try {
    await keyv.get('__ping__');
  } catch (err) {
    await keyv.disconnect().catch(() => undefined);
    throw new Error(storeOpenError(kind, url, connectErrors.last ?? err), { cause: err });
  }

  const companies = new Map<string, CompanyState>();
  return {
    kind,
    namespace,
    keyv,
    backend,
    company(companyId: string) {
      if (!/^[A-Za-z0-9._:-]+$/.test(companyId)) throw new Error(`company id "${companyId}" may only contain letters, digits and . _ : -`);
      let state = companies.get(companyId);
      if (!state) {
        state = createCompanyState(scopedKv(keyv, `c:${companyId}:`), companyId, logger, tuning);
        companies.set(companyId, state);
      }
      return state;
    },
    keysWithPrefix: (prefix) => keysWithPrefix(backend, namespace, table, prefix),
    async deleteWithPrefix(prefix) {
      if (prefix === '') throw new Error('deleteWithPrefix: an empty prefix would delete the whole namespace; use clearNamespace');
      const keys = await keysWithPrefix(backend, namespace, table, prefix);
      for (let i = 0; i < keys.length; i += 500) await keyv.deleteMany(keys.slice(i, i + 500));
      return keys.length;
    },
    async clearNamespace() {
      await keyv.clear();
    },
    async close() {
      await keyv.disconnect();
    },
  };
}

const likeEscape = (v: string) => v.replace(/[\\%_]/g, (c) => `\\${c}`);
const globEscape = (v: string) => v.replace(/[\\*?[\]]/g, (c) => `\\${c}`);

/** Keys as stored by the backend: keyv writes `<namespace>:<key>` (SQL, memory) or `<namespace>::<key>` (Redis). */
async function keysWithPrefix(b: StoreBackend, namespace: string, table: string, prefix: string): Promise<string[]> {
  switch (b.kind) {
    case 'memory': {
      const full = `${namespace}:${prefix}`;
      return [...b.map.keys()].filter((k) => k.startsWith(full)).map((k) => k.slice(namespace.length + 1));
    }
    case 'sqlite':
    case 'postgres': {
      const pattern = `${likeEscape(`${namespace}:${prefix}`)}%`;
      const rows = (b.kind === 'sqlite'
        ? await b.query(`SELECT key FROM ${table} WHERE key LIKE ? ESCAPE '\\'`, pattern)
        : await b.query(`SELECT key FROM ${table} WHERE key LIKE $1 ESCAPE '\\'`, [pattern])) as { key: string }[];
      // SQLite's LIKE ignores ASCII case: keep exact matches only.
      return rows.map((r) => r.key).filter((k) => k.startsWith(`${namespace}:${prefix}`)).map((k) => k.slice(namespace.length + 1));
    }
    case 'redis': {
      const client = b.client as { scanIterator(o: { MATCH: string; COUNT: number }): AsyncIterable<string[] | string> };
      const out: string[] = [];
      for await (const batch of client.scanIterator({ MATCH: `${globEscape(`${namespace}::${prefix}`)}*`, COUNT: 1000 })) {
        for (const k of Array.isArray(batch) ? batch : [batch]) out.push(k.slice(namespace.length + 2));
      }
      return out;
    }
  }
}
