/**
 * The sandbox's in-memory Pipedrive company: records, field catalogue, users and activity types,
 * the v2 list/get/write semantics of PIPEDRIVE.md, and admin operations for tests (no HTTP cost).
 */
import { createHash } from 'node:crypto';
import type {
  ActivityRec, ActivityTypeRec, AnyRec, Dataset, FieldOptionRec, FieldRec, Kind, RecordOf, UserRec,
} from './model.js';
import { KINDS } from './model.js';
import { CREATABLE_FIELD_TYPES, v1Field, v2Field } from './fields.js';
import { HttpError } from './http-error.js';
import { activityOut, dealOut, organizationOut, personOut, v1ActivityTypeOut, v1UserOut } from './serialize.js';
import { SortedIndex } from './sorted-index.js';
import type { Position, RecordSource } from './sorted-index.js';
import type { WriteContext } from './writes.js';
import type { RecordChange } from './webhooks.js';
import { WRITERS } from './writes.js';

type Body = Record<string, unknown>;

class Table<R extends AnyRec> implements RecordSource<R> {
  private readonly recs: (R | undefined)[] = [];
  private n = 0;
  maxId = 0;
  get(id: number): R | undefined {
    return Number.isInteger(id) && id > 0 ? this.recs[id] : undefined;
  }
  set(r: R): void {
    if (this.recs[r.id] === undefined) this.n++;
    this.recs[r.id] = r;
    if (r.id > this.maxId) this.maxId = r.id;
  }
  forEachId(fn: (id: number) => void): void {
    const recs = this.recs;
    for (let i = 1; i < recs.length; i++) if (recs[i] !== undefined) fn(i);
  }
  size(): number {
    return this.n;
  }
}

export type SortField = 'id' | 'update_time' | 'add_time' | 'due_date';
const NULL_DATE_KEY = -8.64e15;

const SORT_KEYS: Record<SortField, (r: AnyRec) => number> = {
  id: (r) => r.id,
  update_time: (r) => r.updateTime,
  add_time: (r) => r.addTime,
  due_date: (r) => {
    const d = (r as ActivityRec).dueDate;
    return d ? Date.parse(d + 'T00:00:00Z') : NULL_DATE_KEY;
  },
};

type ForeignKey = 'orgId' | 'dealId' | 'personId';
const FOREIGN_KEYS: Record<ForeignKey, (r: AnyRec) => number | null> = {
  orgId: (r) => (r as { orgId?: number | null }).orgId ?? null,
  dealId: (r) => (r as { dealId?: number | null }).dealId ?? null,
  personId: (r) => (r as ActivityRec).primaryPersonId ?? (r as RecordOf['deal']).personId ?? null,
};

export const ENTITY_PLURAL: Record<Kind, string> = {
  organization: 'organizations', person: 'persons', deal: 'deals', activity: 'activities',
};
const ENTITY_LABEL: Record<Kind, string> = { organization: 'Organization', person: 'Person', deal: 'Deal', activity: 'Activity' };

export interface ListResult {
  data: Record<string, unknown>[];
  nextCursor: string | null;
}

export interface AdminWriteOptions {
  /** Default true: the write bumps update_time like any Pipedrive change. */
  bumpUpdateTime?: boolean;
}

export interface StateCounts {
  organizations: number;
  persons: number;
  deals: number;
  activities: number;
  deleted: { organizations: number; persons: number; deals: number; activities: number };
  users: number;
  activityTypes: number;
  customFields: Record<Kind, number>;
}

function b64(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

function intParam(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new HttpError(400, `Validation failed: ${key}: expected an integer`);
  return Number(v);
}

function timeParam(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw new HttpError(400, `Validation failed: ${key}: expected an RFC3339 time such as 2026-01-01T00:00:00Z`);
  return ms;
}

interface ListPaging {
  limit: number;
  sortBy: SortField;
  direction: 'asc' | 'desc';
}

/** `limit`, `sort_by` and `sort_direction` of a v2 list, validated like the API (saved filters refused). */
function parsePaging(kind: Kind, q: URLSearchParams): ListPaging {
  const limitText = q.get('limit');
  let limit = 100;
  if (limitText !== null && limitText !== '') {
    if (!/^\d+$/.test(limitText) || Number(limitText) < 1) throw new HttpError(400, 'Validation failed: limit: expected a positive integer');
    limit = Number(limitText);
    if (limit > 500) throw new HttpError(400, 'Validation failed: limit: must be less than or equal to 500');
  }
  const sortBy = (q.get('sort_by') ?? 'id') as SortField;
  const sortable: SortField[] = kind === 'activity' ? ['id', 'update_time', 'add_time', 'due_date'] : ['id', 'update_time', 'add_time'];
  if (!sortable.includes(sortBy)) throw new HttpError(400, `Validation failed: sort_by: must be one of ${sortable.join(', ')}`);
  const direction = q.get('sort_direction') ?? 'asc';
  if (direction !== 'asc' && direction !== 'desc') throw new HttpError(400, 'Validation failed: sort_direction: must be asc or desc');
  if (q.get('filter_id')) throw new HttpError(400, 'Validation failed: filter_id: saved filters are not supported by the sandbox');
  return { limit, sortBy, direction };
}

interface ListFilters {
  since: number | undefined;
  until: number | undefined;
  ownerId: number | undefined;
  orgId: number | undefined;
  personId: number | undefined;
  dealId: number | undefined;
  done: boolean | undefined;
  ids: number[] | undefined;
  /** The `custom_fields` keys asked for (not for activities); undefined: all. */
  customFields: string[] | undefined;
  /** Deal statuses to list (deals only). */
  statuses: Set<string> | undefined;
  withAttendees: boolean;
}

/** The filters of a v2 list, each validated like the API and only where the entity has it. */
function parseFilters(kind: Kind, q: URLSearchParams): ListFilters {
  const since = timeParam(q, 'updated_since');
  const until = timeParam(q, 'updated_until');
  const ownerId = intParam(q, 'owner_id');
  const orgId = kind === 'organization' ? undefined : intParam(q, 'org_id');
  const personId = kind === 'deal' || kind === 'activity' ? intParam(q, 'person_id') : undefined;
  const dealId = kind === 'person' || kind === 'activity' ? intParam(q, 'deal_id') : undefined;
  let done: boolean | undefined;
  if (kind === 'activity' && q.get('done') !== null && q.get('done') !== '') {
    const d = q.get('done');
    if (d !== 'true' && d !== 'false' && d !== '1' && d !== '0') throw new HttpError(400, 'Validation failed: done: expected true or false');
    done = d === 'true' || d === '1';
  }
  let ids: number[] | undefined;
  if (q.get('ids')) {
    ids = q.get('ids')!.split(',').map((s) => {
      if (!/^\d+$/.test(s.trim())) throw new HttpError(400, 'Validation failed: ids: expected a comma-separated list of integers');
      return Number(s.trim());
    });
    if (ids.length > 100) throw new HttpError(400, 'Validation failed: ids: at most 100 ids');
  }
  let customFields: string[] | undefined;
  if (kind !== 'activity' && q.get('custom_fields')) {
    customFields = q.get('custom_fields')!.split(',').map((s) => s.trim()).filter(Boolean);
    if (customFields.length > 15) throw new HttpError(400, 'Validation failed: custom_fields: at most 15 keys');
  }
  let statuses: Set<string> | undefined;
  if (kind === 'deal') {
    const s = q.get('status');
    statuses = new Set(s ? s.split(',').map((x) => x.trim()) : ['open', 'won', 'lost']);
    for (const x of statuses) {
      if (!['open', 'won', 'lost', 'deleted'].includes(x)) throw new HttpError(400, 'Validation failed: status: must be open, won, lost or deleted');
    }
  }
  const withAttendees = kind === 'activity' && (q.get('include_fields') ?? '').split(',').includes('attendees');
  return { since, until, ownerId, orgId, personId, dealId, done, ids, customFields, statuses, withAttendees };
}

/** Whether a record belongs in the list: archived or not, status, time window and the id filters. */
function listFilter(kind: Kind, f: ListFilters, archived: boolean, personOfDeal: (dealId: number) => number | null | undefined): (r: AnyRec) => boolean {
  const { statuses, since, until, ownerId, orgId, personId, dealId, done } = f;
  return (r: AnyRec): boolean => {
    if (kind === 'deal' && (r as RecordOf['deal']).isArchived !== archived) return false;
    if (statuses) {
      if (r.isDeleted ? !statuses.has('deleted') : !statuses.has((r as RecordOf['deal']).status)) return false;
    } else if (r.isDeleted) return false;
    if (since !== undefined && r.updateTime < since) return false;
    if (until !== undefined && r.updateTime >= until) return false;
    if (ownerId !== undefined && (r as { ownerId: number | null }).ownerId !== ownerId) return false;
    if (orgId !== undefined && (r as { orgId: number | null }).orgId !== orgId) return false;
    if (personId !== undefined) {
      const p = kind === 'deal' ? (r as RecordOf['deal']).personId : (r as ActivityRec).primaryPersonId;
      if (p !== personId) return false;
    }
    if (dealId !== undefined) {
      if (kind === 'activity' && (r as ActivityRec).dealId !== dealId) return false;
      if (kind === 'person' && personOfDeal(dealId) !== r.id) return false;
    }
    if (done !== undefined && (r as ActivityRec).done !== done) return false;
    return true;
  };
}

export class SandboxState {
  readonly companyId: number;
  readonly companyName: string;
  readonly meUserId: number;
  private readonly tables: { [K in Kind]: Table<RecordOf[K]> };
  private readonly indexes = new Map<string, SortedIndex<AnyRec>>();
  private readonly users = new Map<number, UserRec>();
  private readonly activityTypes: ActivityTypeRec[];
  private readonly fields: FieldRec[];
  private cfKeyCache = new Map<Kind, string[]>();
  /** Lazily built `${kind}:${field}` → foreign id → record ids, so org/deal/person filters avoid a 1M scan. */
  private readonly fkIndexes = new Map<string, Map<number, Set<number>>>();
  private nextOptionId: number;
  private nextFieldId: number;
  /** Receives every record write when webhooks are on (sandbox/webhooks.ts). */
  webhookSink: { wants(kind: Kind, action: RecordChange['action']): boolean; emit(change: RecordChange): void } | null = null;
  /** `api` while an API write runs; admin writes model a person in the Pipedrive app. */
  private writeSource: 'api' | 'app' = 'app';

  constructor(
    dataset: Dataset,
    private readonly clock: () => Date,
  ) {
    this.companyId = dataset.companyId;
    this.companyName = dataset.companyName;
    this.meUserId = dataset.meUserId;
    this.tables = { organization: new Table(), person: new Table(), deal: new Table(), activity: new Table() };
    for (const r of dataset.organizations) this.tables.organization.set(r);
    for (const r of dataset.persons) this.tables.person.set(r);
    for (const r of dataset.deals) this.tables.deal.set(r);
    for (const r of dataset.activities) this.tables.activity.set(r);
    for (const u of dataset.users) this.users.set(u.id, { ...u });
    this.activityTypes = dataset.activityTypes.map((t) => ({ ...t }));
    this.fields = dataset.fields.map((f) => ({ ...f, options: f.options ? f.options.map((o) => ({ ...o })) : null }));
    this.nextOptionId = 1 + Math.max(0, ...this.fields.flatMap((f) => (f.options ?? []).flatMap((o) => (typeof o.id === 'number' ? [o.id] : []))));
    this.nextFieldId = 1 + Math.max(0, ...this.fields.map((f) => f.id));
  }

  private now(): number {
    return this.clock().getTime();
  }

  // ---- lookups -----------------------------------------------------------------------------

  raw<K extends Kind>(kind: K, id: number): RecordOf[K] | undefined {
    return this.tables[kind].get(id) as RecordOf[K] | undefined;
  }

  private live(kind: Kind, id: number): boolean {
    const r = this.tables[kind].get(id);
    return r !== undefined && !r.isDeleted;
  }

  customFieldDefs(kind: Kind): FieldRec[] {
    return this.fields.filter((f) => f.entity === kind && f.isCustom);
  }

  fieldDefs(kind: Kind): FieldRec[] {
    return this.fields.filter((f) => f.entity === kind);
  }

  /** Custom field codes of an entity, in catalogue order. */
  cfKeys(kind: Kind): string[] {
    let keys = this.cfKeyCache.get(kind);
    if (!keys) {
      keys = this.customFieldDefs(kind).map((f) => f.key);
      this.cfKeyCache.set(kind, keys);
    }
    return keys;
  }

  /** A custom field id by its name (first match), for tests and the demo. */
  fieldByName(kind: Kind, name: string): FieldRec | undefined {
    return this.fields.find((f) => f.entity === kind && f.name === name);
  }

  user(id: number): UserRec | undefined {
    return this.users.get(id);
  }

  listUsers(): UserRec[] {
    return [...this.users.values()];
  }

  activityType(key: string): ActivityTypeRec | undefined {
    return this.activityTypes.find((t) => t.keyString === key);
  }

  /** Serialises one record in its REST v2 shape. */
  out(kind: Kind, r: AnyRec, cfKeys: readonly string[] = this.cfKeys(kind), attendees = false): Record<string, unknown> {
    switch (kind) {
      case 'organization':
        return organizationOut(r as RecordOf['organization'], cfKeys);
      case 'person':
        return personOut(r as RecordOf['person'], cfKeys);
      case 'deal':
        return dealOut(r as RecordOf['deal'], cfKeys);
      case 'activity':
        return activityOut(r as RecordOf['activity'], attendees);
    }
  }

  private index(kind: Kind, field: SortField): SortedIndex<AnyRec> {
    const k = `${kind}:${field}`;
    let idx = this.indexes.get(k);
    if (!idx) {
      idx = new SortedIndex<AnyRec>(this.tables[kind] as unknown as RecordSource<AnyRec>, SORT_KEYS[field]);
      this.indexes.set(k, idx);
    }
    return idx;
  }

  private fkIndex(kind: Kind, field: ForeignKey): Map<number, Set<number>> {
    const k = `${kind}:${field}`;
    let idx = this.fkIndexes.get(k);
    if (!idx) {
      const built = new Map<number, Set<number>>();
      const t = this.tables[kind] as unknown as Table<AnyRec>;
      t.forEachId((id) => {
        const v = FOREIGN_KEYS[field](t.get(id)!);
        if (v !== null) {
          let set = built.get(v);
          if (!set) built.set(v, (set = new Set()));
          set.add(id);
        }
      });
      this.fkIndexes.set(k, built);
      idx = built;
    }
    return idx;
  }

  private store(kind: Kind, r: AnyRec): void {
    const old = this.tables[kind].get(r.id) as AnyRec | undefined;
    for (const field of Object.keys(FOREIGN_KEYS) as ForeignKey[]) {
      const idx = this.fkIndexes.get(`${kind}:${field}`);
      if (!idx) continue;
      const before = old ? FOREIGN_KEYS[field](old) : null;
      const after = FOREIGN_KEYS[field](r);
      if (before === after) continue;
      if (before !== null) idx.get(before)?.delete(r.id);
      if (after !== null) {
        let set = idx.get(after);
        if (!set) idx.set(after, (set = new Set()));
        set.add(r.id);
      }
    }
    (this.tables[kind] as unknown as Table<AnyRec>).set(r);
    for (const f of Object.keys(SORT_KEYS) as SortField[]) this.indexes.get(`${kind}:${f}`)?.touch(r.id);
    const sink = this.webhookSink;
    if (sink && !(old?.isDeleted && r.isDeleted)) {
      const action = !old ? 'create' : r.isDeleted ? 'delete' : 'change';
      if (sink.wants(kind, action)) {
        sink.emit({ kind, action, id: r.id, before: old ? this.out(kind, old) : undefined, after: this.out(kind, r), source: this.writeSource, userId: this.meUserId });
      }
    }
  }

  private asApi<T>(fn: () => T): T {
    this.writeSource = 'api';
    try {
      return fn();
    } finally {
      this.writeSource = 'app';
    }
  }

  // ---- REST v2 reads ---------------------------------------------------------------------------

  /**
   * GET /api/v2/{entity}: cursor pagination, filters and sorting per PIPEDRIVE.md §2.1. Deals: the plain
   * list has only non-archived deals; `archived` serves GET /api/v2/deals/archived (only archived ones).
   */
  listV2(kind: Kind, q: URLSearchParams, opts: { archived?: boolean } = {}): ListResult {
    const { limit, sortBy, direction } = parsePaging(kind, q);
    const after = q.get('cursor') ? this.decodeCursor(q.get('cursor')!, sortBy, direction) : null;
    const f = parseFilters(kind, q);
    const wanted = f.customFields;
    const cfKeys = wanted ? this.cfKeys(kind).filter((k) => wanted.includes(k)) : this.cfKeys(kind);
    const accept = listFilter(kind, f, opts.archived === true, (dealId) => this.tables.deal.get(dealId)?.personId);
    let page: AnyRec[];
    const keyOf = SORT_KEYS[sortBy];
    const candidates = this.listCandidates(kind, f);
    if (candidates) {
      const sign = direction === 'asc' ? 1 : -1;
      page = [...candidates]
        .map((id) => this.tables[kind].get(id) as AnyRec | undefined)
        .filter((r): r is AnyRec => r !== undefined && accept(r))
        .map((r) => ({ r, k: keyOf(r) }))
        .filter(({ r, k }) => !after || sign * (k === after.key ? r.id - after.id : k - after.key) > 0)
        .sort((a, b) => sign * (a.k === b.k ? a.r.id - b.r.id : a.k - b.k))
        .slice(0, limit + 1)
        .map(({ r }) => r);
    } else {
      page = this.index(kind, sortBy).query({
        direction,
        after,
        ...(sortBy === 'update_time' && f.since !== undefined ? { minKey: f.since } : {}),
        ...(sortBy === 'update_time' && f.until !== undefined ? { maxKeyExclusive: f.until } : {}),
        accept,
        take: limit + 1,
      });
    }
    const more = page.length > limit;
    if (more) page = page.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map((r) => this.out(kind, r, cfKeys, f.withAttendees)),
      nextCursor: more && last ? this.encodeCursor(sortBy, direction, keyOf(last), last.id) : null,
    };
  }

  /** A small candidate set (ids, or the records of one org/deal/person) is sorted directly instead of walking the index. */
  private listCandidates(kind: Kind, f: ListFilters): Iterable<number> | undefined {
    let candidates: Iterable<number> | undefined = f.ids ? new Set(f.ids) : undefined;
    if (!candidates) {
      const fk: Array<[ForeignKey, number | undefined]> = [['orgId', f.orgId], ['dealId', kind === 'activity' ? f.dealId : undefined], ['personId', f.personId]];
      for (const [field, value] of fk) {
        if (value === undefined) continue;
        const set = this.fkIndex(kind, field).get(value) ?? new Set<number>();
        if (!candidates || set.size < (candidates as Set<number>).size) candidates = set;
      }
    }
    return candidates;
  }

  /** Cursor = base64url JSON of the last item's (sort value, id), like Pipedrive's opaque cursor. */
  private encodeCursor(field: SortField, direction: string, key: number, id: number): string {
    let fieldValue: unknown = key;
    if (field === 'update_time' || field === 'add_time') fieldValue = new Date(key).toISOString();
    if (field === 'due_date') fieldValue = key === NULL_DATE_KEY ? null : new Date(key).toISOString().slice(0, 10);
    return b64({ field, fieldValue, sortDirection: direction, id });
  }

  private decodeCursor(cursor: string, field: SortField, direction: string): Position {
    const invalid = (): never => {
      throw new HttpError(400, 'Validation failed: cursor: invalid cursor (use the next_cursor of the previous page with the same sort_by and sort_direction)');
    };
    let c: Body;
    try {
      c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Body;
    } catch {
      return invalid();
    }
    if (typeof c !== 'object' || c === null || c.field !== field || c.sortDirection !== direction || typeof c.id !== 'number') return invalid();
    let key: number;
    if (field === 'id') key = typeof c.fieldValue === 'number' ? c.fieldValue : NaN;
    else if (field === 'due_date') key = c.fieldValue === null ? NULL_DATE_KEY : Date.parse(`${String(c.fieldValue)}T00:00:00Z`);
    else key = typeof c.fieldValue === 'string' ? Date.parse(c.fieldValue) : NaN;
    if (Number.isNaN(key)) return invalid();
    return { key, id: c.id };
  }

  /** GET /api/v2/{entity}/{id}: deleted records are still returned (is_deleted true), like Pipedrive within 30 days. */
  getV2(kind: Kind, id: number, q: URLSearchParams = new URLSearchParams()): Record<string, unknown> {
    const r = this.tables[kind].get(id);
    if (!r) throw new HttpError(404, `${ENTITY_LABEL[kind]} not found`);
    let cfKeys = this.cfKeys(kind);
    if (kind !== 'activity' && q.get('custom_fields')) {
      const wanted = q.get('custom_fields')!.split(',');
      cfKeys = cfKeys.filter((k) => wanted.includes(k));
    }
    return this.out(kind, r, cfKeys, (q.get('include_fields') ?? '').split(',').includes('attendees'));
  }

  // ---- REST v2 writes --------------------------------------------------------------------------

  private ctx(admin: boolean): WriteContext {
    return {
      now: this.now(),
      meUserId: this.meUserId,
      admin,
      user: (id) => this.users.get(id),
      userExists: (id) => this.users.has(id),
      orgExists: (id) => this.live('organization', id),
      personExists: (id) => this.live('person', id),
      dealExists: (id) => this.live('deal', id),
      activityType: (key) => this.activityType(key),
      customFields: (kind) => this.customFieldDefs(kind),
    };
  }

  create(kind: Kind, body: unknown): Record<string, unknown> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'Validation failed: body: expected a JSON object');
    const id = this.tables[kind].maxId + 1;
    const rec = WRITERS[kind](body as Body, null as never, id, this.ctx(false));
    this.asApi(() => this.store(kind, rec));
    return this.out(kind, rec);
  }

  update(kind: Kind, id: number, body: unknown): Record<string, unknown> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'Validation failed: body: expected a JSON object');
    const existing = this.tables[kind].get(id);
    if (!existing || existing.isDeleted) throw new HttpError(404, `${ENTITY_LABEL[kind]} not found`);
    const rec = WRITERS[kind](body as Body, existing as never, id, this.ctx(false));
    this.asApi(() => this.store(kind, rec));
    return this.out(kind, rec);
  }

  /** Soft delete: is_deleted true, update_time = delete time. */
  delete(kind: Kind, id: number): { id: number } {
    const existing = this.tables[kind].get(id);
    if (!existing || existing.isDeleted) throw new HttpError(404, `${ENTITY_LABEL[kind]} not found`);
    this.asApi(() => this.store(kind, { ...existing, isDeleted: true, updateTime: this.now() }));
    return { id };
  }

  // ---- Fields ----------------------------------------------------------------------------------

  listFieldsV2(kind: Kind, q: URLSearchParams): ListResult {
    const limit = intParam(q, 'limit') ?? 100;
    if (limit < 1 || limit > 500) throw new HttpError(400, 'Validation failed: limit: must be between 1 and 500');
    let offset = 0;
    const cursor = q.get('cursor');
    if (cursor) {
      try {
        const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { offset?: unknown };
        if (typeof c.offset !== 'number' || !Number.isInteger(c.offset) || c.offset < 0) throw new Error('bad');
        offset = c.offset;
      } catch {
        throw new HttpError(400, 'Validation failed: cursor: invalid cursor');
      }
    }
    const all = this.fieldDefs(kind);
    const page = all.slice(offset, offset + limit);
    return { data: page.map(v2Field), nextCursor: offset + limit < all.length ? b64({ offset: offset + limit }) : null };
  }

  getFieldV2(kind: Kind, code: string): Record<string, unknown> {
    const f = this.fields.find((x) => x.entity === kind && x.key === code);
    if (!f) throw new HttpError(404, 'Field not found');
    return v2Field(f);
  }

  listFieldsV1(kind: Kind, q: URLSearchParams): { data: Record<string, unknown>[]; pagination: Record<string, unknown> } {
    const start = intParam(q, 'start') ?? 0;
    const limit = Math.min(intParam(q, 'limit') ?? 100, 500);
    const all = this.fieldDefs(kind);
    const page = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return {
      data: page.map(v1Field),
      pagination: { start, limit, more_items_in_collection: more, ...(more ? { next_start: start + limit } : {}) },
    };
  }

  /** POST /api/v2/{entity}Fields: creates a custom field with a generated 40-hex field_code. */
  addField(kind: Kind, body: unknown): Record<string, unknown> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'Validation failed: body: expected a JSON object');
    const b = body as Body;
    const allowed = new Set(['field_name', 'field_type', 'options', 'description', 'ui_visibility', 'important_fields', 'required_fields']);
    for (const k of Object.keys(b)) if (!allowed.has(k)) throw new HttpError(400, `Validation failed: ${k}: not a field property`);
    if (typeof b.field_name !== 'string' || b.field_name.trim() === '') throw new HttpError(400, 'Validation failed: field_name: is required');
    if (typeof b.field_type !== 'string' || !CREATABLE_FIELD_TYPES.has(b.field_type)) {
      throw new HttpError(400, `Validation failed: field_type: must be one of ${[...CREATABLE_FIELD_TYPES].join(', ')}`);
    }
    let options: FieldOptionRec[] | null = null;
    if (b.field_type === 'enum' || b.field_type === 'set') {
      if (!Array.isArray(b.options) || b.options.length === 0) throw new HttpError(400, 'Validation failed: options: required for enum and set fields');
      options = b.options.map((o: unknown, i) => {
        if (typeof o !== 'object' || o === null || typeof (o as Body).label !== 'string' || (o as Body).label === '') {
          throw new HttpError(400, `Validation failed: options[${i}].label: expected a non-empty string`);
        }
        return { id: this.nextOptionId++, label: (o as Body).label as string };
      });
    } else if (b.options !== undefined && b.options !== null) {
      throw new HttpError(400, 'Validation failed: options: only enum and set fields have options');
    }
    if (b.description !== undefined && b.description !== null && typeof b.description !== 'string') {
      throw new HttpError(400, 'Validation failed: description: expected a string');
    }
    const id = this.nextFieldId++;
    const now = this.now();
    const key = createHash('sha1').update(`${this.companyId}|${kind}|${b.field_name}|${id}`).digest('hex');
    const f: FieldRec = {
      id, entity: kind, key, name: b.field_name, fieldType: b.field_type, options, subfields: null, isCustom: true,
      description: (b.description as string | undefined) ?? null, orderNr: this.fieldDefs(kind).length, addTime: now, updateTime: now,
    };
    this.fields.push(f);
    this.cfKeyCache.delete(kind);
    return v2Field(f);
  }

  // ---- v1 users and activity types --------------------------------------------------------------

  usersV1(): Record<string, unknown>[] {
    return [...this.users.values()].map((u) => v1UserOut(u, this.meUserId));
  }

  meV1(companyDomain: string): Record<string, unknown> {
    const me = this.users.get(this.meUserId);
    if (!me) throw new HttpError(404, 'User not found');
    return {
      ...v1UserOut(me, this.meUserId),
      company_id: this.companyId,
      company_name: this.companyName,
      company_domain: companyDomain,
      company_country: 'BR',
      company_industry: 'Professional services',
      language: { language_code: 'pt', country_code: 'BR' },
    };
  }

  activityTypesV1(): Record<string, unknown>[] {
    return this.activityTypes.map(v1ActivityTypeOut);
  }

  /** POST /v1/activityTypes: key_string is generated from the name. */
  addActivityType(body: unknown): Record<string, unknown> {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Body;
    if (typeof b.name !== 'string' || b.name.trim() === '') throw new HttpError(400, 'Validation failed: name: is required');
    const base = b.name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'type';
    let key = base;
    for (let i = 1; this.activityTypes.some((t) => t.keyString === key); i++) key = `${base}${i}`;
    const now = this.now();
    const t: ActivityTypeRec = {
      id: 1 + Math.max(0, ...this.activityTypes.map((x) => x.id)), name: b.name, keyString: key,
      iconKey: typeof b.icon_key === 'string' ? b.icon_key : 'task', color: typeof b.color === 'string' ? b.color : null,
      orderNr: this.activityTypes.length + 1, active: true, isCustom: true, addTime: now, updateTime: now,
    };
    this.activityTypes.push(t);
    return v1ActivityTypeOut(t);
  }

  // ---- admin operations (tests; no HTTP cost) ----------------------------------------------------

  /** The record in its REST v2 shape, deleted or not; undefined when it never existed. */
  get(kind: Kind, id: number): Record<string, unknown> | undefined {
    const r = this.tables[kind].get(id);
    return r ? this.out(kind, r) : undefined;
  }

  list(kind: Kind, opts: { includeDeleted?: boolean } = {}): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    const t = this.tables[kind] as unknown as Table<AnyRec>;
    t.forEachId((id) => {
      const r = t.get(id)!;
      if (opts.includeDeleted || !r.isDeleted) out.push(this.out(kind, r));
    });
    return out;
  }

  /**
   * Creates or updates a record from a (partial) REST v2 shape. Validation is the API's, relaxed for
   * admin needs: `id`, `add_time`, `update_time`, `is_deleted`, `marked_as_done_time`, activity
   * `person_id`, null or deactivated owners are accepted.
   */
  upsert(kind: Kind, record: Body, opts: AdminWriteOptions = {}): Record<string, unknown> {
    const id = typeof record.id === 'number' ? record.id : this.tables[kind].maxId + 1;
    const existing = this.tables[kind].get(id) ?? null;
    const { id: _omit, ...body } = record;
    const rec = WRITERS[kind](body, existing as never, id, this.ctx(true));
    if (opts.bumpUpdateTime === false && existing && body.update_time === undefined) rec.updateTime = existing.updateTime;
    this.store(kind, rec);
    return this.out(kind, rec);
  }

  /** Soft-deletes a record; with bumpUpdateTime false it models a delete Pipedrive did not timestamp. */
  remove(kind: Kind, id: number, opts: AdminWriteOptions = {}): void {
    const r = this.tables[kind].get(id);
    if (!r) throw new Error(`remove: ${kind} ${id} does not exist`);
    this.store(kind, { ...r, isDeleted: true, updateTime: opts.bumpUpdateTime === false ? r.updateTime : this.now() });
  }

  /** Moves persons, deals and activities of `fromId` to `toId`, then deletes `fromId` without bumping its update_time. */
  mergeOrganizations(fromId: number, toId: number): void {
    const from = this.tables.organization.get(fromId);
    if (!from || !this.tables.organization.get(toId)) throw new Error(`mergeOrganizations: organization ${fromId} or ${toId} does not exist`);
    const now = this.now();
    for (const kind of ['person', 'deal', 'activity'] as const) {
      const t = this.tables[kind] as unknown as Table<AnyRec & { orgId: number | null }>;
      const moved: number[] = [];
      t.forEachId((id) => {
        if (t.get(id)!.orgId === fromId) moved.push(id);
      });
      for (const id of moved) this.store(kind, { ...t.get(id)!, orgId: toId, updateTime: now });
    }
    this.store('organization', { ...from, isDeleted: true });
    const to = this.tables.organization.get(toId)!;
    this.store('organization', { ...to, updateTime: now });
  }

  markActivityDone(id: number): void {
    const a = this.tables.activity.get(id);
    if (!a) throw new Error(`markActivityDone: activity ${id} does not exist`);
    const now = this.now();
    this.store('activity', { ...a, done: true, markedAsDoneTime: a.done ? a.markedAsDoneTime : now, updateTime: now });
  }

  deactivateUser(id: number): void {
    const u = this.users.get(id);
    if (!u) throw new Error(`deactivateUser: user ${id} does not exist`);
    this.users.set(id, { ...u, active: false, modified: this.now() });
  }

  counts(): StateCounts {
    const c = { organizations: 0, persons: 0, deals: 0, activities: 0 };
    const d = { organizations: 0, persons: 0, deals: 0, activities: 0 };
    for (const kind of KINDS) {
      const t = this.tables[kind] as unknown as Table<AnyRec>;
      const plural = ENTITY_PLURAL[kind] as keyof typeof c;
      t.forEachId((id) => {
        if (t.get(id)!.isDeleted) d[plural]++;
        else c[plural]++;
      });
    }
    return {
      ...c,
      deleted: d,
      users: this.users.size,
      activityTypes: this.activityTypes.length,
      customFields: {
        organization: this.customFieldDefs('organization').length,
        person: this.customFieldDefs('person').length,
        deal: this.customFieldDefs('deal').length,
        activity: this.customFieldDefs('activity').length,
      },
    };
  }
}
