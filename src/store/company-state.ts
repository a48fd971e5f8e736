/**
 * One Pipedrive company's state inside the store: the mirror (with sync checkpoints), the reference data
 * (field catalogue, users, activity types), the run history, and the apply step's intent ledger and
 * append-only audit log.
 */
import { createHash } from 'node:crypto';
import {
  Activity,
  Deal,
  Organization,
  Person,
  SYNCED_ENTITIES,
  type ActivityType,
  type EntityKind,
  type FieldDefinition,
  type MirrorSnapshot,
  type User,
} from '../domain/entities.js';
import type { Logger } from '../log/logger.js';
import { createHealthHistory, type HealthHistoryApi } from './health-history.js';
import { MAX_KEY_LENGTH, type Kv } from './kv.js';
import { EntityMirror, DEFAULT_MIRROR_TUNING, type MirrorTuning, type PageWrite } from './mirror-store.js';
import { emptyCheckpoint, type RunRecord, type SyncCheckpoint, type SyncStream } from './schemas.js';

export interface EntityRecordOf {
  organization: Organization;
  person: Person;
  deal: Deal;
  activity: Activity;
}

/** Column order of each entity's segments: the domain schema's own key order. */
const COLUMNS: { [E in EntityKind]: readonly string[] } = {
  organization: Object.keys(Organization.shape),
  person: Object.keys(Person.shape),
  deal: Object.keys(Deal.shape),
  activity: Object.keys(Activity.shape),
};

export interface MirrorApi {
  /** The whole mirror as the rules read it (four entities + users, activity types, fields). */
  load(): Promise<MirrorSnapshot>;
  loadEntity<E extends EntityKind>(entity: E): Promise<Map<number, EntityRecordOf[E]>>;
  /** Some columns of every live record, keyed by id (cheap for reconciliation). */
  loadColumns<E extends EntityKind>(entity: E, cols: readonly (keyof EntityRecordOf[E] & string)[]): Promise<Map<number, unknown[]>>;
  /**
   * Upserts a page of records and removes tombstoned ids; commits `checkpoint` in the same write (the
   * checkpoint of the entity's `stream` list walk when given: archived deals).
   */
  writePage<E extends EntityKind>(entity: E, page: PageWrite<EntityRecordOf[E]>, checkpoint?: SyncCheckpoint, stream?: SyncStream): Promise<void>;
  /** Removes records (reconciliation: vanished upstream). */
  remove(entity: EntityKind, ids: readonly number[], checkpoint?: SyncCheckpoint): Promise<void>;
  compactIfNeeded(entity: EntityKind): Promise<boolean>;
  compact(entity: EntityKind): Promise<{ live: number; segmentsBefore: number; segmentsAfter: number }>;
  sizes(entity: EntityKind): Promise<{ segments: number; storedRows: number; liveAtCompaction: number; rowsSinceCompaction: number }>;
  /** Estimated record count per entity from the manifests (no load). */
  estimatedCounts(): Promise<Record<EntityKind, number>>;
  clear(entity: EntityKind): Promise<void>;
}

export interface CheckpointApi {
  /** The entity's checkpoint (of its `stream` list walk when given), or a fresh empty one. */
  get(entity: EntityKind, stream?: SyncStream): Promise<SyncCheckpoint>;
  put(entity: EntityKind, checkpoint: SyncCheckpoint, stream?: SyncStream): Promise<void>;
}

export interface LedgerApi<T = Record<string, unknown>> {
  get(key: string): Promise<T | undefined>;
  put(key: string, entry: T): Promise<void>;
  /** Every key ever put, in first-put order. */
  keys(): Promise<string[]>;
}

export interface AuditApi<T = Record<string, unknown>> {
  /** Appends an entry; returns its sequence number (0-based). */
  append(entry: T): Promise<number>;
  /** Entries in append order; `limit` keeps the last N. */
  list(options?: { limit?: number }): Promise<T[]>;
  count(): Promise<number>;
}

export interface CompanyState {
  companyId: string;
  mirror: MirrorApi;
  checkpoints: CheckpointApi;
  fields: { get(): Promise<FieldDefinition[]>; put(fields: readonly FieldDefinition[]): Promise<void> };
  users: { get(): Promise<User[]>; put(users: readonly User[]): Promise<void> };
  activityTypes: { get(): Promise<ActivityType[]>; put(types: readonly ActivityType[]): Promise<void> };
  runs: { append(run: RunRecord): Promise<void>; list(limit?: number): Promise<RunRecord[]> };
  ledger: LedgerApi;
  audit: AuditApi;
  /** Health score per client per ISO week (docs/policy.md §10.5). */
  health: HealthHistoryApi;
  /**
   * The relationships seen last night and the changes seen since (docs/policy.md §10.5, src/rules/changes.ts):
   * one value, validated by the rules when read back (undefined on the first night).
   */
  changes: { read(): Promise<unknown>; write(memory: unknown): Promise<void> };
}

const RUN_HISTORY_KEEP = 200;
/** One key, rewritten each night: about 6.4 MiB of JSON at the benchmark size (50,000 clients, 4 persons each; test/unit/rules/changes.test.ts prints it). */
const CHANGES_KEY = 'changes:memory';
const AUDIT_CHUNK = 100;

function stableKey(key: string): string {
  return key.length <= MAX_KEY_LENGTH - 40 ? key : `h:${createHash('sha256').update(key).digest('hex')}`;
}

export function createCompanyState(kv: Kv, companyId: string, logger: Logger, tuning: MirrorTuning = DEFAULT_MIRROR_TUNING): CompanyState {
  const mirrors = {
    organization: new EntityMirror<Organization>(kv, 'organization', COLUMNS.organization, logger, tuning),
    person: new EntityMirror<Person>(kv, 'person', COLUMNS.person, logger, tuning),
    deal: new EntityMirror<Deal>(kv, 'deal', COLUMNS.deal, logger, tuning),
    activity: new EntityMirror<Activity>(kv, 'activity', COLUMNS.activity, logger, tuning),
  };

  const ref = <T>(key: string) => ({
    async get(): Promise<T[]> {
      return (await kv.get<T[]>(key)) ?? [];
    },
    async put(values: readonly T[]): Promise<void> {
      await kv.set(key, values);
    },
  });
  const fields = ref<FieldDefinition>('ref:fields');
  const users = ref<User>('ref:users');
  const activityTypes = ref<ActivityType>('ref:activityTypes');

  const mirror = mirrorApi(companyId, mirrors, { users, activityTypes, fields });

  const checkpoints: CheckpointApi = {
    async get(entity, stream) {
      return (await mirrors[entity].checkpoint(stream)) ?? emptyCheckpoint(entity);
    },
    put: (entity, cp, stream) => mirrors[entity].writeCheckpoint(cp, stream),
  };

  const runs = runHistory(kv);
  const ledger = ledgerApi(kv);
  const audit = auditLog(kv);
  const changes: CompanyState['changes'] = {
    read: () => kv.get<unknown>(CHANGES_KEY),
    write: (memory) => kv.set(CHANGES_KEY, memory),
  };

  return { companyId, mirror, checkpoints, fields, users, activityTypes, runs, ledger, audit, health: createHealthHistory(kv), changes };
}

type Mirrors = { [E in EntityKind]: EntityMirror<EntityRecordOf[E]> };
type RefList<T> = { get(): Promise<T[]>; put(values: readonly T[]): Promise<void> };

/** The mirror of every entity, and the snapshot the rules read (entities plus reference data). */
function mirrorApi(companyId: string, mirrors: Mirrors, refs: { users: RefList<User>; activityTypes: RefList<ActivityType>; fields: RefList<FieldDefinition> }): MirrorApi {
  const { users, activityTypes, fields } = refs;
  const mirrorOf = <E extends EntityKind>(e: E) => mirrors[e] as unknown as EntityMirror<EntityRecordOf[E]>;
  return {
    async load() {
      const [organizations, persons, deals, activities, u, t, f] = await Promise.all([
        mirrors.organization.load(),
        mirrors.person.load(),
        mirrors.deal.load(),
        mirrors.activity.load(),
        users.get(),
        activityTypes.get(),
        fields.get(),
      ]);
      return {
        companyId,
        organizations,
        persons,
        deals,
        activities,
        users: new Map(u.map((x) => [x.id, x])),
        activityTypes: t,
        fields: f,
      };
    },
    loadEntity: (entity) => mirrorOf(entity).load(),
    loadColumns: (entity, cols) => mirrors[entity].loadColumns(cols),
    writePage: (entity, page, checkpoint, stream) => mirrorOf(entity).writePage(page, checkpoint, stream),
    remove: (entity, ids, checkpoint) => mirrors[entity].writePage({ upserts: [], deletes: ids }, checkpoint),
    compactIfNeeded: (entity) => mirrors[entity].compactIfNeeded(),
    compact: (entity) => mirrors[entity].compact(),
    sizes: (entity) => mirrors[entity].sizes(),
    async estimatedCounts() {
      const out = {} as Record<EntityKind, number>;
      for (const e of SYNCED_ENTITIES) {
        const s = await mirrors[e].sizes();
        out[e] = s.liveAtCompaction + s.rowsSinceCompaction;
      }
      return out;
    },
    clear: (entity) => mirrors[entity].clear(),
  };
}

/** The run history: one entry per run id and kind, the last RUN_HISTORY_KEEP kept. */
function runHistory(kv: Kv) {
  return {
    async append(run: RunRecord) {
      const list = (await kv.get<RunRecord[]>('runs')) ?? [];
      // A run is appended when it starts and again when it ends: keep one entry per run id and kind
      // (the nightly job and the sync inside it share a run id).
      const kept = list.filter((r) => r.runId !== run.runId || r.kind !== run.kind);
      kept.push(run);
      await kv.set('runs', kept.slice(-RUN_HISTORY_KEEP));
    },
    async list(limit = 20) {
      const list = (await kv.get<RunRecord[]>('runs')) ?? [];
      return list.slice(-limit).reverse();
    },
  };
}

/** The write ledger: an entry per idempotency key, and the index of keys. */
function ledgerApi(kv: Kv): LedgerApi {
  return {
    async get(key) {
      const v = await kv.get<{ key: string; entry: Record<string, unknown> }>(`ledger:e:${stableKey(key)}`);
      return v?.entry;
    },
    async put(key, entry) {
      const existed = (await kv.get(`ledger:e:${stableKey(key)}`)) !== undefined;
      await kv.set(`ledger:e:${stableKey(key)}`, { key, entry });
      if (!existed) {
        const index = (await kv.get<string[]>('ledger:index')) ?? [];
        if (!index.includes(key)) {
          index.push(key);
          await kv.set('ledger:index', index);
        }
      }
    },
    async keys() {
      return (await kv.get<string[]>('ledger:index')) ?? [];
    },
  };
}

/** Append-only log in chunks of 100 entries: an append rewrites one chunk and a two-number head. */
function auditLog(kv: Kv): AuditApi {
  return {
    async append(entry) {
      const head = (await kv.get<{ count: number }>('audit:head')) ?? { count: 0 };
      const seq = head.count;
      const chunkKey = `audit:c:${Math.floor(seq / AUDIT_CHUNK)}`;
      const chunk = (await kv.get<Record<string, unknown>[]>(chunkKey)) ?? [];
      // A crash between the chunk and the head write leaves the entry in the chunk: trim to the head.
      const kept = chunk.slice(0, seq % AUDIT_CHUNK);
      kept.push(entry);
      await kv.set(chunkKey, kept);
      await kv.set('audit:head', { count: seq + 1 });
      return seq;
    },
    async list(options = {}) {
      const head = (await kv.get<{ count: number }>('audit:head')) ?? { count: 0 };
      const from = options.limit !== undefined ? Math.max(0, head.count - options.limit) : 0;
      const keys: string[] = [];
      for (let c = Math.floor(from / AUDIT_CHUNK); c * AUDIT_CHUNK < head.count; c++) keys.push(`audit:c:${c}`);
      const chunks = await kv.getMany<Record<string, unknown>[]>(keys);
      const all = chunks.flatMap((ch) => ch ?? []);
      const firstSeq = Math.floor(from / AUDIT_CHUNK) * AUDIT_CHUNK;
      return all.slice(from - firstSeq, head.count - firstSeq);
    },
    async count() {
      return ((await kv.get<{ count: number }>('audit:head')) ?? { count: 0 }).count;
    },
  };
}
