/**
 * Pulls the records a batch of webhook events names and merges them into the mirror: by id when few, through
 * the incremental list (`updated_since` the batch's oldest event, minus an overlap) when many — whichever
 * costs fewer tokens (classify.ts `pullRoute`). Events are hints: what Pipedrive answers now is what is
 * merged, so duplicated, replayed or reordered events merge the same state. A record the pull does not return
 * (deleted, or gone since) is removed from the mirror. Nothing here moves a sync checkpoint: the nightly
 * sync still pulls everything changed since its own bookmark.
 */
import { SNAPSHOT_KEY, type Activity, type EntityKind, type MirrorSnapshot } from '../domain/entities.js';
import type { Logger } from '../log/logger.js';
import type { PipedriveClient } from '../pipedrive/client.js';
import type { CompanyState, EntityRecordOf } from '../store/company-state.js';
import type { RecordedEvent } from './envelope.js';
import { pullRoute, type PullRoute } from './classify.js';

/** Overlap below the oldest event's time for the list route (clocks of the event and the record differ a little). */
export const LIST_OVERLAP_MS = 60_000;

const ORDER: readonly EntityKind[] = ['organization', 'person', 'deal', 'activity'];

export interface PullChangesInput {
  client: Pick<PipedriveClient, 'getByIds' | 'iterate'>;
  state: Pick<CompanyState, 'mirror'>;
  /** The mirror as loaded before the pull; the result carries a copy with the pulled records merged. */
  snapshot: MirrorSnapshot;
  /** The events whose records are pulled (the relevant ones). */
  events: readonly RecordedEvent[];
  logger: Logger;
  signal?: AbortSignal;
}

export interface PullChangesResult {
  snapshot: MirrorSnapshot;
  /** Clients whose data changed: the organizations of the records before and after the pull. */
  affectedOrgIds: Set<number>;
  /** Per entity: how the records were pulled, how many requests, upserted and removed. */
  entities: Partial<Record<EntityKind, { route: PullRoute; ids: number; upserted: number; removed: number }>>;
}

type AnyRecord = EntityRecordOf[EntityKind];

/** The client a record belongs to: an organization itself, or the org of a person, deal or activity (through its deal or person when unset). */
export function orgOfRecord(entity: EntityKind, r: AnyRecord | undefined, snap: MirrorSnapshot): number | null {
  if (!r) return null;
  if (entity === 'organization') return r.id;
  const own = (r as { orgId: number | null }).orgId;
  if (own !== null) return own;
  if (entity !== 'activity') return null;
  const a = r as Activity;
  return (a.dealId !== null ? snap.deals.get(a.dealId)?.orgId : null) ?? (a.personId !== null ? snap.persons.get(a.personId)?.orgId : null) ?? null;
}

async function pullByIds<E extends EntityKind>(input: PullChangesInput, entity: E, ids: readonly number[]): Promise<{ upserts: EntityRecordOf[E][]; gone: number[] }> {
  const got = await input.client.getByIds(entity, ids);
  const upserts = (got.records as EntityRecordOf[E][]).filter((r) => !r.isDeleted);
  const kept = new Set(upserts.map((r) => r.id));
  return { upserts, gone: ids.filter((id) => !kept.has(id)) };
}

async function pullByList<E extends EntityKind>(input: PullChangesInput, entity: E, ids: readonly number[], since: string): Promise<{ upserts: EntityRecordOf[E][]; gone: number[] }> {
  const upserts: EntityRecordOf[E][] = [];
  const gone: number[] = [];
  const seen = new Set<number>();
  for await (const page of input.client.iterate(entity, { updatedSince: since, sortBy: 'update_time', sortDirection: 'asc', includeDeleted: true })) {
    for (const r of page.records as EntityRecordOf[E][]) {
      seen.add(r.id);
      if (r.isDeleted) gone.push(r.id);
      else upserts.push(r);
    }
    input.signal?.throwIfAborted();
  }
  // Named records the list did not return (an archived deal, a clock far off): by id, only those.
  const rest = ids.filter((id) => !seen.has(id));
  if (rest.length > 0) {
    const more = await pullByIds(input, entity, rest);
    upserts.push(...more.upserts);
    gone.push(...more.gone);
  }
  return { upserts, gone };
}

function oldestSince(events: readonly RecordedEvent[]): string {
  let min = Infinity;
  for (const e of events) {
    const t = Date.parse(e.timestamp ?? e.receivedAt);
    if (Number.isFinite(t) && t < min) min = t;
  }
  return new Date((Number.isFinite(min) ? min : 0) - LIST_OVERLAP_MS).toISOString();
}

/** Writes pulled records into the mirror and returns the snapshot with them, and the clients they touch (before and after). */
async function merge<E extends EntityKind>(input: Pick<PullChangesInput, 'state'>, snap: MirrorSnapshot, entity: E, upserts: readonly EntityRecordOf[E][], gone: readonly number[]): Promise<{ snapshot: MirrorSnapshot; orgs: number[] }> {
  await input.state.mirror.writePage(entity, { upserts, deletes: gone });
  const key = SNAPSHOT_KEY[entity];
  const map = new Map(snap[key] as ReadonlyMap<number, AnyRecord>);
  for (const id of gone) map.delete(id);
  for (const r of upserts) map.set(r.id, r);
  const next = { ...snap, [key]: map };
  const orgs: number[] = [];
  for (const id of [...gone, ...upserts.map((r) => r.id)]) {
    for (const org of [orgOfRecord(entity, snap[key].get(id), snap), orgOfRecord(entity, map.get(id), next)]) if (org !== null) orgs.push(org);
  }
  return { snapshot: next, orgs };
}

export async function pullChanges(input: PullChangesInput): Promise<PullChangesResult> {
  const affected = new Set<number>();
  const entities: PullChangesResult['entities'] = {};
  let snap = input.snapshot;
  for (const entity of ORDER) {
    const events = input.events.filter((e) => e.entity === entity);
    const ids = [...new Set(events.map((e) => Number(e.entityId)).filter((id) => Number.isSafeInteger(id) && id > 0))];
    if (ids.length === 0) continue;
    const route = pullRoute(ids.length);
    const { upserts, gone } = route === 'ids' ? await pullByIds(input, entity, ids) : await pullByList(input, entity, ids, oldestSince(events));
    input.signal?.throwIfAborted();
    const merged = await merge(input, snap, entity, upserts, gone);
    snap = merged.snapshot;
    for (const org of merged.orgs) affected.add(org);
    entities[entity] = { route, ids: ids.length, upserted: upserts.length, removed: gone.length };
    input.logger.debug({ entity, route, ids: ids.length, upserted: upserts.length, removed: gone.length }, 'webhook batch pulled changes');
  }
  return { snapshot: snap, affectedOrgIds: affected, entities };
}

/**
 * Pulls the organizations themselves by id and merges them: after a batch that died while applying, the
 * flag values it wrote are in Pipedrive but not in the mirror (their echoes are not pulled), and planning
 * from the old values would write them again.
 */
export async function refreshOrganizations(input: Pick<PullChangesInput, 'client' | 'state'>, snapshot: MirrorSnapshot, ids: readonly number[]): Promise<MirrorSnapshot> {
  if (ids.length === 0) return snapshot;
  const { upserts, gone } = await pullByIds(input as PullChangesInput, 'organization', ids);
  return (await merge(input, snapshot, 'organization', upserts, gone)).snapshot;
}
