/**
 * The pull half of the nightly job: refresh the reference data (users, activity types, field catalogues),
 * pull each entity incrementally (the first run pulls everything), reconcile ids when due and the budget
 * allows, compact the mirror when it has grown. Every page is committed with its checkpoint, so a run
 * killed at any moment resumes where it stopped and ends with the same mirror.
 *
 * Budget (PIPEDRIVE.md §6): the daily token budget is estimated before the pull and, when short, the run
 * degrades in a stated order: reconciliation first, then (only if even the pull does not fit) the pull.
 * A daily-budget 429 mid-run stops the run with status `stopped-budget` and every checkpoint kept.
 */
import { randomUUID } from 'node:crypto';
import { SYNCED_ENTITIES, type EntityKind } from '../domain/entities.js';
import type { Logger } from '../log/logger.js';
import type { PipedriveClient } from '../pipedrive/client.js';
import { DailyBudgetExhaustedError, PipedriveRequestError } from '../pipedrive/errors.js';
import type { BudgetSnapshot } from '../pipedrive/http.js';
import type { MalformedRecord } from '../pipedrive/records.js';
import { decideBudget, estimateSyncCost, type SyncCostEstimate } from '../pipedrive/token-costs.js';
import type { CompanyState } from '../store/company-state.js';
import type { SyncCheckpoint, SyncStream } from '../store/schemas.js';
import { markReconciled, nextCheckpoint, reconcileDue, restartPassFromBoundary, startPass, DEFAULT_OVERLAP_MS } from './next-checkpoint.js';
import { readAhead } from './read-ahead.js';
import { reconcile, type ReconcileResult } from './reconcile.js';
import { dateNow, type Clock } from '../domain/clock.js';

export type ReconcileMode = 'auto' | 'force' | 'skip';

export interface SyncProgress {
  phase: 'reference' | 'pull' | 'reconcile' | 'compact' | 'done';
  entity?: EntityKind;
  /** Records received for `entity` in this run so far. */
  records: number;
  pages: number;
  /** Requests sent by the client so far (every attempt). */
  requests: number;
  retries: number;
  /** Requests left in the current 2-s window and daily tokens left, as last seen. */
  headroom: { burstRemaining?: number; burstLimit?: number; dailyRemaining?: number; dailyLimit?: number };
}

export interface EntitySummary {
  mode: 'full' | 'incremental';
  /** True when this run continued a pass an earlier run had started. */
  resumed: boolean;
  pages: number;
  /** Records received (parsed + malformed). */
  records: number;
  upserted: number;
  deleted: number;
  /** Bookmark after the run (max update_time seen). */
  bookmark: string | null;
  completed: boolean;
}

export interface SyncSummary {
  runId: string;
  companyId: string;
  status: 'ok' | 'stopped-budget' | 'skipped-budget';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  entities: Record<EntityKind, EntitySummary>;
  /** The archived-deals walk (GET /api/v2/deals/archived), beside `entities.deal` (the open list). */
  archivedDeals: EntitySummary;
  reference: { users: number; activityTypes: number; fields: number };
  reconcile: { ran: boolean; reason: string; result?: ReconcileResult };
  /** Malformed records (entity, id, field), at most 200 listed; `malformedCount` has the total. */
  malformed: MalformedRecord[];
  malformedCount: number;
  requests: number;
  retries: number;
  rateLimited: number;
  tokensSpent: number;
  budget: BudgetSnapshot;
  budgetDecision: { reason: string; estimate: SyncCostEstimate };
  /** Why the run stopped early, in words that say what happens next. */
  stopReason?: string;
}

export interface RunSyncOptions {
  client: PipedriveClient;
  companyState: CompanyState;
  logger: Logger;
  /** The run's clock (checkpoint and history times). */
  clock: Pick<Clock, 'now'>;
  reconcile: ReconcileMode;
  onProgress?: (p: SyncProgress) => void;
  /** Days between automatic reconciliations (CADENCE_RECONCILE_EVERY_DAYS, default 7). */
  reconcileEveryDays?: number;
  /** Overlap subtracted from the bookmark against clock skew (default 60 s). */
  overlapMs?: number;
  /** Tokens to leave for the write-back when deciding what fits the daily budget. */
  reserveTokens?: number;
  /** Pull every entity whole (rebuild), ignoring bookmarks. */
  full?: boolean;
  runId?: string;
  /** Aborted on shutdown (or a lost lock): the pull stops after the page in hand is committed. */
  signal?: AbortSignal;
}

const MALFORMED_LIST = 200;
/** Entities whose field catalogue the sync refreshes: those the rules resolve fields of. */
export const FIELD_CATALOGUE_ENTITIES = ['organization', 'person', 'deal'] as const satisfies readonly EntityKind[];

export async function runSync(options: RunSyncOptions): Promise<SyncSummary> {
  const { client, companyState, logger } = options;
  const nowIso = () => dateNow(options.clock).toISOString();
  const runId = options.runId ?? randomUUID();
  const startedAt = nowIso();
  const t0 = options.clock.now();
  // Bind the run and the company unless the caller's logger already carries them (one runId per line).
  const bound = (logger as { bindings?: () => Record<string, unknown> }).bindings?.() ?? {};
  const log = logger.child({
    ...(bound.runId === undefined ? { runId } : {}),
    ...(bound.companyId === undefined && bound.company === undefined ? { companyId: companyState.companyId } : {}),
  });
  const statsAtStart = client.stats();
  const malformed: MalformedRecord[] = [];
  let malformedCount = 0;
  const noteMalformed = (list: readonly MalformedRecord[]) => {
    malformedCount += list.length;
    for (const m of list) if (malformed.length < MALFORMED_LIST) malformed.push(m);
  };
  const emptySummary = (): EntitySummary => ({ mode: 'incremental', resumed: false, pages: 0, records: 0, upserted: 0, deleted: 0, bookmark: null, completed: false });
  const entities = Object.fromEntries(SYNCED_ENTITIES.map((e) => [e, emptySummary()])) as Record<EntityKind, EntitySummary>;
  const archivedDeals = emptySummary();
  const progress = (phase: SyncProgress['phase'], entity?: EntityKind) => {
    if (!options.onProgress) return;
    const s = client.stats();
    const b = client.budget();
    options.onProgress({
      phase,
      ...(entity ? { entity } : {}),
      records: entity ? entities[entity].records : 0,
      pages: entity ? entities[entity].pages : 0,
      requests: s.requests - statsAtStart.requests,
      retries: s.retries - statsAtStart.retries,
      headroom: {
        ...(b.burstRemaining !== undefined ? { burstRemaining: b.burstRemaining } : {}),
        ...(b.burstLimit !== undefined ? { burstLimit: b.burstLimit } : {}),
        ...(b.dailyRemaining !== undefined ? { dailyRemaining: b.dailyRemaining } : {}),
        ...(b.dailyLimit !== undefined ? { dailyLimit: b.dailyLimit } : {}),
      },
    });
  };

  await companyState.runs.append({ runId, kind: 'sync', startedAt, finishedAt: null, status: 'running' });

  let status: SyncSummary['status'] = 'ok';
  let stopReason: string | undefined;
  const reference = { users: 0, activityTypes: 0, fields: 0 };
  let reconcileInfo: SyncSummary['reconcile'] = { ran: false, reason: 'not reached' };
  let budgetDecision: SyncSummary['budgetDecision'] | undefined;

  const finish = async (): Promise<SyncSummary> => {
    const s = client.stats();
    const finishedAt = nowIso();
    const summary: SyncSummary = {
      runId,
      companyId: companyState.companyId,
      status,
      startedAt,
      finishedAt,
      durationMs: options.clock.now() - t0,
      entities,
      archivedDeals,
      reference,
      reconcile: reconcileInfo,
      malformed,
      malformedCount,
      requests: s.requests - statsAtStart.requests,
      retries: s.retries - statsAtStart.retries,
      rateLimited: s.rateLimited - statsAtStart.rateLimited,
      tokensSpent: s.tokensSpent - statsAtStart.tokensSpent,
      budget: client.budget(),
      budgetDecision: budgetDecision ?? { reason: 'not reached', estimate: estimateSyncCost({ mirrorCounts: {}, firstRun: true }) },
      ...(stopReason ? { stopReason } : {}),
    };
    await companyState.runs.append({
      runId,
      kind: 'sync',
      startedAt,
      finishedAt,
      status: status === 'ok' ? 'ok' : 'partial',
      requests: summary.requests,
      tokensSpent: summary.tokensSpent,
      pages: Object.fromEntries(SYNCED_ENTITIES.map((e) => [e, entities[e].pages])),
      ...(stopReason ? { stopReason } : {}),
    });
    progress('done');
    log.info(
      { status, durationMs: summary.durationMs, requests: summary.requests, retries: summary.retries, malformed: malformedCount, records: Object.fromEntries(SYNCED_ENTITIES.map((e) => [e, entities[e].records])) },
      'sync finished',
    );
    return summary;
  };

  const stopForBudget = (err: DailyBudgetExhaustedError) => {
    status = 'stopped-budget';
    stopReason = err.message;
    log.warn({ reason: err.message }, 'sync stopped: daily API budget spent; checkpoints kept');
  };

  try {
    // 1. Reference data, refreshed whole every run (small, and it tells us the budget headers).
    progress('reference');
    const users = await client.listUsers();
    await companyState.users.put(users);
    const types = await client.listActivityTypes();
    await companyState.activityTypes.put(types);
    // Only the catalogues the rules read (organization, person and deal fields): no rule reads an activity
    // field, and under OAuth the activity Fields API needs the `admin` scope (OpenAPI v2 getActivityFields).
    const fields = [];
    for (const e of FIELD_CATALOGUE_ENTITIES) fields.push(...(await client.getFields(e)));
    await companyState.fields.put(fields);
    Object.assign(reference, { users: users.length, activityTypes: types.length, fields: fields.length });
    noteMalformed(client.stats().malformed.filter((m) => !statsAtStart.malformed.includes(m)).slice(0, MALFORMED_LIST));

    // 2. Plan against the budget.
    const checkpoints = await Promise.all(SYNCED_ENTITIES.map((e) => companyState.checkpoints.get(e)));
    // Archived deals: their own walk and checkpoint, beside the open list (not part of "first run": an
    // installation that predates it pulls them whole on its next night, at ⌈archived / 500⌉ pages).
    const archivedCheckpoint = await companyState.checkpoints.get('deal', 'archived');
    const firstRun = options.full === true || checkpoints.some((cp) => cp.bookmark === null && cp.lastFullAt === null);
    const estimate = estimateSyncCost({
      mirrorCounts: await companyState.mirror.estimatedCounts(),
      lastIncrementalPages: Object.fromEntries(checkpoints.map((cp) => [cp.entity, cp.lastPassPages])),
      firstRun,
      fieldEntities: FIELD_CATALOGUE_ENTITIES.length,
      archivedDeals: { lastPassPages: archivedCheckpoint.lastPassPages, allPages: archivedCheckpoint.lastFullAt === null ? 1 : Math.max(1, archivedCheckpoint.lastPassPages) },
    });
    const wantReconcile =
      options.reconcile === 'force' || (options.reconcile === 'auto' && !firstRun && reconcileDue(checkpoints, startedAt, options.reconcileEveryDays ?? 7));
    const decision = decideBudget(estimate, client.budget().dailyRemaining, wantReconcile, options.reserveTokens ?? 0);
    budgetDecision = { reason: decision.reason, estimate };
    log.info({ estimate: estimate.totalTokens, minimum: estimate.minimumTokens, daily: client.budget().dailyRemaining, decision: decision.reason }, 'sync plan');
    if (!decision.runPull) {
      status = 'skipped-budget';
      stopReason = decision.reason;
      return await finish();
    }

    // 3. Pull the four entities side by side; the client bounds the concurrency of requests.
    let stop = false;
    const pullOne = async (entity: EntityKind, initial: SyncCheckpoint, stream?: SyncStream) => {
      let cp = startPass(initial, { now: startedAt, overlapMs: options.overlapMs ?? DEFAULT_OVERLAP_MS, full: options.full === true });
      const summary = stream === 'archived' ? archivedDeals : entities[entity];
      summary.resumed = initial.pass !== null && cp.pass === initial.pass;
      summary.mode = cp.pass?.kind ?? 'incremental';
      if (cp !== initial) await companyState.checkpoints.put(entity, cp, stream);
      let retriedCursor = false;
      // `updated_since` is inclusive and starts an overlap below the bookmark, so an incremental pass re-reads
      // records the last pass already committed: they are written again (idempotent) but not counted as
      // changed. Only a record updated after the bookmark the pass started from is a change.
      const seenUpTo = cp.pass?.kind === 'incremental' && initial.bookmark !== null ? Date.parse(initial.bookmark) : null;
      const changed = (r: { updateTime: string }): boolean => seenUpTo === null || Date.parse(r.updateTime) > seenUpTo;
      for (;;) {
        const pass = cp.pass;
        if (pass === null) break;
        try {
          const pages = readAhead(
            client.iterate(entity, {
              sortBy: 'update_time',
              sortDirection: 'asc',
              ...(pass.since ? { updatedSince: pass.since } : {}),
              ...(pass.cursor ? { cursor: pass.cursor } : {}),
              includeDeleted: true,
              ...(stream === 'archived' ? { archived: true } : {}),
            }),
          );
          for await (const page of pages) {
            noteMalformed(page.malformed);
            const upserts = page.records.filter((r) => !r.isDeleted);
            const deletes = page.records.filter((r) => r.isDeleted).map((r) => r.id);
            cp = nextCheckpoint(cp, { updateTimes: page.records.map((r) => r.updateTime), rawCount: page.rawCount, nextCursor: page.cursor, at: nowIso() });
            await companyState.mirror.writePage(entity, { upserts, deletes }, cp, stream);
            summary.pages += 1;
            summary.records += page.rawCount;
            summary.upserted += upserts.filter(changed).length;
            summary.deleted += page.records.filter((r) => r.isDeleted && changed(r)).length;
            progress('pull', entity);
            if (stop) return;
            // Shutdown: the page just written is committed with its checkpoint; stop here, resume next run.
            options.signal?.throwIfAborted();
          }
          break;
        } catch (err) {
          // A saved cursor the API no longer accepts: restart from the committed boundary, once.
          if (err instanceof PipedriveRequestError && err.status === 400 && pass.cursor && !retriedCursor) {
            retriedCursor = true;
            log.warn({ entity, reason: err.message }, 'saved cursor refused: restarting the pass from the last committed update_time');
            cp = restartPassFromBoundary(cp);
            await companyState.checkpoints.put(entity, cp, stream);
            continue;
          }
          throw err;
        }
      }
      summary.bookmark = cp.bookmark;
      summary.completed = cp.pass === null;
    };
    // Every pull is awaited to its end (each stops after its page in hand once `stop` is set, and its
    // request ahead is observed by readAhead), so no request is left running or unhandled; the run stops
    // for the first error in time, not for whichever entity comes first in the list.
    let firstFailure: { error: unknown } | undefined;
    await Promise.all(
      SYNCED_ENTITIES.map((e, i) =>
        pullOne(e, checkpoints[i] as SyncCheckpoint)
          // Archived deals after the open list: a deal archived during the run is written last in its
          // archived state (the open list no longer has it).
          .then(() => (e === 'deal' && !stop ? pullOne('deal', archivedCheckpoint, 'archived') : undefined))
          .catch((err: unknown) => {
            stop = true;
            firstFailure ??= { error: err };
          }),
      ),
    );
    if (firstFailure) throw firstFailure.error;

    // 4. Reconcile ids when due and affordable.
    if (decision.runReconcile) {
      progress('reconcile');
      const result = await reconcile({
        client,
        companyState,
        logger: log,
        onEntity: (entity) => progress('reconcile', entity),
      });
      noteMalformed(result.malformed);
      const at = nowIso();
      for (const e of SYNCED_ENTITIES) await companyState.checkpoints.put(e, markReconciled(await companyState.checkpoints.get(e), at));
      reconcileInfo = { ran: true, reason: options.reconcile === 'force' ? 'forced' : 'due', result };
    } else {
      reconcileInfo = {
        ran: false,
        reason: options.reconcile === 'skip' ? 'skipped by request' : wantReconcile ? decision.reason : firstRun ? 'first full pull (nothing to reconcile)' : 'not due',
      };
    }

    // 5. Compact entities whose appended rows outgrew the live set (keeps loads fast).
    progress('compact');
    for (const e of SYNCED_ENTITIES) await companyState.mirror.compactIfNeeded(e);
  } catch (err) {
    if (err instanceof DailyBudgetExhaustedError) {
      stopForBudget(err);
      return await finish();
    }
    const finishedAt = nowIso();
    await companyState.runs
      .append({ runId, kind: 'sync', startedAt, finishedAt, status: 'failed', error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })
      .catch(() => undefined);
    throw err;
  }
  return await finish();
}
