/**
 * Periodic reconciliation of ids (PIPEDRIVE.md §11.4): Pipedrive does not always bump `update_time` when
 * a record is deleted or merged away, and v2 lists of persons, organizations and activities never show
 * deleted records, so an incremental pull cannot see those deletions.
 *
 * 1. Walk every id upstream (the cheapest list walk, listIds; deals: the open and the archived list) and
 *    compare with the mirror's ids.
 * 2. Remove what vanished; fetch by id what exists upstream but is missing from the mirror.
 * 3. Re-home: records that point at a vanished organization, person or deal are fetched again by id (≤100
 *    per request), so a merge that moved them without bumping update_time is picked up. Those that still
 *    point at a vanished record are counted as orphans: the mirror keeps Pipedrive's value, and since the
 *    vanished record is gone from the mirror they count for nobody.
 */
import { SYNCED_ENTITIES, type EntityKind } from '../domain/entities.js';
import type { Logger } from '../log/logger.js';
import type { PipedriveClient } from '../pipedrive/client.js';
import type { MalformedRecord } from '../pipedrive/records.js';
import type { CompanyState } from '../store/company-state.js';

export interface ReconcileResult {
  removed: Record<EntityKind, number>;
  /** Upstream records missing from the mirror, fetched by id. */
  fetchedMissing: Record<EntityKind, number>;
  /** Records re-fetched because they pointed at a vanished record, whose reference changed. */
  rehomed: number;
  /** Records still pointing at a vanished organization / person / deal after the re-fetch. */
  orphans: number;
  malformed: MalformedRecord[];
}

/** The references of each entity that a merge or a delete can leave dangling. */
const REFERENCES: { [E in EntityKind]: readonly ('orgId' | 'personId' | 'dealId')[] } = {
  organization: [],
  person: ['orgId'],
  deal: ['orgId', 'personId'],
  activity: ['orgId', 'personId', 'dealId'],
};
const TARGET: Record<'orgId' | 'personId' | 'dealId', EntityKind> = { orgId: 'organization', personId: 'person', dealId: 'deal' };

const zero = (): Record<EntityKind, number> => ({ organization: 0, person: 0, deal: 0, activity: 0 });

export interface ReconcileOptions {
  client: PipedriveClient;
  companyState: CompanyState;
  logger: Logger;
  onEntity?: (entity: EntityKind, upstreamIds: number) => void;
  shouldStop?: () => boolean;
}

export async function reconcile({ client, companyState, logger, onEntity, shouldStop }: ReconcileOptions): Promise<ReconcileResult> {
  const result: ReconcileResult = { removed: zero(), fetchedMissing: zero(), rehomed: 0, orphans: 0, malformed: [] };
  const upstream = {} as Record<EntityKind, Set<number>>;

  for (const entity of SYNCED_ENTITIES) {
    if (shouldStop?.()) return result;
    const ids = new Set(await client.listIds(entity));
    // Archived deals are not in the deal list: walk their own list too, or they would read as vanished.
    if (entity === 'deal') for (const id of await client.listIds('deal', undefined, { archived: true })) ids.add(id);
    upstream[entity] = ids;
    onEntity?.(entity, ids.size);
    const local = await companyState.mirror.loadColumns(entity, ['id']);
    const gone = [...local.keys()].filter((id) => !ids.has(id));
    const missing = [...ids].filter((id) => !local.has(id));
    if (gone.length > 0) {
      await companyState.mirror.remove(entity, gone);
      result.removed[entity] = gone.length;
    }
    if (missing.length > 0) {
      const got = await client.getByIds(entity, missing);
      result.malformed.push(...got.malformed);
      if (got.records.length > 0) await companyState.mirror.writePage(entity, { upserts: got.records });
      result.fetchedMissing[entity] = got.records.length;
    }
    logger.info({ entity, upstream: ids.size, removed: gone.length, fetchedMissing: missing.length }, 'reconciled ids');
  }

  // Re-home: fetch again whatever points at something that no longer exists upstream.
  for (const entity of SYNCED_ENTITIES) {
    const refs = REFERENCES[entity];
    if (refs.length === 0 || shouldStop?.()) continue;
    const before = await companyState.mirror.loadColumns(entity, ['id', ...refs] as never);
    const dangling: number[] = [];
    for (const [id, values] of before) {
      const points = refs.some((ref, i) => {
        const target = values[i + 1];
        return typeof target === 'number' && !upstream[TARGET[ref]].has(target);
      });
      if (points) dangling.push(id);
    }
    if (dangling.length === 0) continue;
    const got = await client.getByIds(entity, dangling);
    result.malformed.push(...got.malformed);
    for (const rec of got.records) {
      const r = rec as unknown as Record<string, unknown>;
      const old = before.get(rec.id);
      const changed = refs.some((ref, i) => old?.[i + 1] !== r[ref]);
      if (changed) result.rehomed += 1;
      if (refs.some((ref) => typeof r[ref] === 'number' && !upstream[TARGET[ref]].has(r[ref] as number))) result.orphans += 1;
    }
    if (got.records.length > 0) await companyState.mirror.writePage(entity, { upserts: got.records as never });
    if (got.missing.length > 0) {
      await companyState.mirror.remove(entity, got.missing);
      result.removed[entity] += got.missing.length;
    }
  }
  return result;
}
