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
import { advanceChain, chainView, DEFAULT_CHAIN_TUNING, estimatePages, NewerGuard, restartChainFromBoundary, splitAfterFirstPage, type ChainTuning } from './chains.js';
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
  /** Cursor chains the pass was read with (1 unless it was split, chains.ts). */
  chains: number;
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
  /** How large lists are split into parallel cursor chains (CADENCE_SYNC_CHAINS, CADENCE_SYNC_CHAIN_MIN_PAGES). */
  chains?: ChainTuning;
  /** Aborted on shutdown (or a lost lock): the pull stops after the page in hand is committed. */
  signal?: AbortSignal;
}

const MALFORMED_LIST = 200;
/** Entities whose field catalogue the sync refreshes: those the rules resolve fields of. */
export const FIELD_CATALOGUE_ENTITIES = ['organization', 'person', 'deal'] as const satisfies readonly EntityKind[];

/** What every step of one run reads: the options, the run's identity and the client's counters at its start. */
interface SyncRun {
  options: RunSyncOptions;
  client: PipedriveClient;
  companyState: CompanyState;
  log: Logger;
  runId: string;
  startedAt: string;
  /** The clock's time at the start (ms), for the duration. */
  t0: number;
  statsAtStart: ReturnType<PipedriveClient['stats']>;
  nowIso: () => string;
}

/** What the steps count as they go: per-entity summaries and the malformed records seen. */
interface SyncTallies {
  entities: Record<EntityKind, EntitySummary>;
  archivedDeals: EntitySummary;
  malformed: MalformedRecord[];
  malformedCount: number;
}

/** How the run ended, filled in by the steps that got that far. */
interface SyncOutcome {
  status: SyncSummary['status'];
  stopReason?: string;
  reference: SyncSummary['reference'];
  reconcile: SyncSummary['reconcile'];
  budgetDecision?: SyncSummary['budgetDecision'];
}

/** The pull planned against the budget: the checkpoints it starts from and what fits. */
interface PullPlan {
  checkpoints: SyncCheckpoint[];
  archivedCheckpoint: SyncCheckpoint;
  firstRun: boolean;
  wantReconcile: boolean;
  decision: ReturnType<typeof decideBudget>;
  budgetDecision: SyncSummary['budgetDecision'];
}

export async function runSync(options: RunSyncOptions): Promise<SyncSummary> {
  const run = startRun(options);
  const tallies = emptyTallies();
  await run.companyState.runs.append({ runId: run.runId, kind: 'sync', startedAt: run.startedAt, finishedAt: null, status: 'running' });
  const outcome: SyncOutcome = { status: 'ok', reference: { users: 0, activityTypes: 0, fields: 0 }, reconcile: { ran: false, reason: 'not reached' } };
  try {
    // 1. Reference data, refreshed whole every run (small, and it tells us the budget headers).
    outcome.reference = await pullReference(run, tallies);
    // 2. Plan against the budget.
    const plan = await planPull(run);
    outcome.budgetDecision = plan.budgetDecision;
    if (!plan.decision.runPull) {
      outcome.status = 'skipped-budget';
      outcome.stopReason = plan.decision.reason;
      return await finishSync(run, tallies, outcome);
    }
    // 3. Pull the four entities side by side; the client bounds the concurrency of requests.
    await pullEntities(run, tallies, plan);
    // 4. Reconcile ids when due and affordable.
    outcome.reconcile = await reconcileIfDue(run, tallies, plan);
    // 5. Compact entities whose appended rows outgrew the live set (keeps loads fast).
    reportProgress(run, tallies, 'compact');
    for (const e of SYNCED_ENTITIES) await run.companyState.mirror.compactIfNeeded(e);
  } catch (err) {
    if (err instanceof DailyBudgetExhaustedError) {
      outcome.status = 'stopped-budget';
      outcome.stopReason = err.message;
      run.log.warn({ reason: err.message }, 'sync stopped: daily API budget spent; checkpoints kept');
      return await finishSync(run, tallies, outcome);
    }
    const finishedAt = run.nowIso();
    await run.companyState.runs
      .append({ runId: run.runId, kind: 'sync', startedAt: run.startedAt, finishedAt, status: 'failed', error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })
      .catch(() => undefined);
    throw err;
  }
  return await finishSync(run, tallies, outcome);
}

function startRun(options: RunSyncOptions): SyncRun {
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
  return { options, client, companyState, log, runId, startedAt, t0, statsAtStart: client.stats(), nowIso };
}

function emptyTallies(): SyncTallies {
  const emptySummary = (): EntitySummary => ({ mode: 'incremental', resumed: false, pages: 0, records: 0, upserted: 0, deleted: 0, bookmark: null, completed: false, chains: 1 });
  const entities = Object.fromEntries(SYNCED_ENTITIES.map((e) => [e, emptySummary()])) as Record<EntityKind, EntitySummary>;
  return { entities, archivedDeals: emptySummary(), malformed: [], malformedCount: 0 };
}

function noteMalformed(tallies: SyncTallies, list: readonly MalformedRecord[]): void {
  tallies.malformedCount += list.length;
  for (const m of list) if (tallies.malformed.length < MALFORMED_LIST) tallies.malformed.push(m);
}

function reportProgress(run: SyncRun, tallies: SyncTallies, phase: SyncProgress['phase'], entity?: EntityKind): void {
  const { options, client, statsAtStart } = run;
  if (!options.onProgress) return;
  const s = client.stats();
  const b = client.budget();
  options.onProgress({
    phase,
    ...(entity ? { entity } : {}),
    records: entity ? tallies.entities[entity].records : 0,
    pages: entity ? tallies.entities[entity].pages : 0,
    requests: s.requests - statsAtStart.requests,
    retries: s.retries - statsAtStart.retries,
    headroom: {
      ...(b.burstRemaining !== undefined ? { burstRemaining: b.burstRemaining } : {}),
      ...(b.burstLimit !== undefined ? { burstLimit: b.burstLimit } : {}),
      ...(b.dailyRemaining !== undefined ? { dailyRemaining: b.dailyRemaining } : {}),
      ...(b.dailyLimit !== undefined ? { dailyLimit: b.dailyLimit } : {}),
    },
  });
}

/** The summary of the run, recorded in the run history and logged. */
async function finishSync(run: SyncRun, tallies: SyncTallies, outcome: SyncOutcome): Promise<SyncSummary> {
  const { client, companyState, statsAtStart, runId, startedAt } = run;
  const { status, stopReason } = outcome;
  const { entities } = tallies;
  const s = client.stats();
  const finishedAt = run.nowIso();
  const summary: SyncSummary = {
    runId,
    companyId: companyState.companyId,
    status,
    startedAt,
    finishedAt,
    durationMs: run.options.clock.now() - run.t0,
    entities,
    archivedDeals: tallies.archivedDeals,
    reference: outcome.reference,
    reconcile: outcome.reconcile,
    malformed: tallies.malformed,
    malformedCount: tallies.malformedCount,
    requests: s.requests - statsAtStart.requests,
    retries: s.retries - statsAtStart.retries,
    rateLimited: s.rateLimited - statsAtStart.rateLimited,
    tokensSpent: s.tokensSpent - statsAtStart.tokensSpent,
    budget: client.budget(),
    budgetDecision: outcome.budgetDecision ?? { reason: 'not reached', estimate: estimateSyncCost({ mirrorCounts: {}, firstRun: true }) },
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
  reportProgress(run, tallies, 'done');
  run.log.info(
    { status, durationMs: summary.durationMs, requests: summary.requests, retries: summary.retries, malformed: tallies.malformedCount, records: Object.fromEntries(SYNCED_ENTITIES.map((e) => [e, entities[e].records])) },
    'sync finished',
  );
  return summary;
}

/** Step 1: users, activity types and the field catalogues, refreshed whole. */
async function pullReference(run: SyncRun, tallies: SyncTallies): Promise<SyncSummary['reference']> {
  const { client, companyState, statsAtStart } = run;
  reportProgress(run, tallies, 'reference');
  const users = await client.listUsers();
  await companyState.users.put(users);
  const types = await client.listActivityTypes();
  await companyState.activityTypes.put(types);
  // Only the catalogues the rules read (organization, person and deal fields): no rule reads an activity
  // field, and under OAuth the activity Fields API needs the `admin` scope (OpenAPI v2 getActivityFields).
  const fields = [];
  for (const e of FIELD_CATALOGUE_ENTITIES) fields.push(...(await client.getFields(e)));
  await companyState.fields.put(fields);
  const reference = { users: users.length, activityTypes: types.length, fields: fields.length };
  noteMalformed(tallies, client.stats().malformed.filter((m) => !statsAtStart.malformed.includes(m)).slice(0, MALFORMED_LIST));
  return reference;
}

/** Step 2: estimate the run's cost and decide what fits the daily budget. */
async function planPull(run: SyncRun): Promise<PullPlan> {
  const { options, client, companyState, log, startedAt } = run;
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
  log.info({ estimate: estimate.totalTokens, minimum: estimate.minimumTokens, daily: client.budget().dailyRemaining, decision: decision.reason }, 'sync plan');
  return { checkpoints, archivedCheckpoint, firstRun, wantReconcile, decision, budgetDecision: { reason: decision.reason, estimate } };
}

/** Set by the first pull that fails: the others stop after the page in hand. */
interface PullControl {
  stop: boolean;
}

/** Step 3: every entity pulled side by side, archived deals after the open list. */
async function pullEntities(run: SyncRun, tallies: SyncTallies, plan: PullPlan): Promise<void> {
  const control: PullControl = { stop: false };
  // Every pull is awaited to its end (each stops after its page in hand once `stop` is set, and its
  // request ahead is observed by readAhead), so no request is left running or unhandled; the run stops
  // for the first error in time, not for whichever entity comes first in the list.
  let firstFailure: { error: unknown } | undefined;
  await Promise.all(
    SYNCED_ENTITIES.map((e, i) =>
      pullStream(run, tallies, control, e, plan.checkpoints[i] as SyncCheckpoint)
        // Archived deals after the open list: a deal archived during the run is written last in its
        // archived state (the open list no longer has it).
        .then(() => (e === 'deal' && !control.stop ? pullStream(run, tallies, control, 'deal', plan.archivedCheckpoint, 'archived') : undefined))
        .catch((err: unknown) => {
          control.stop = true;
          firstFailure ??= { error: err };
        }),
    ),
  );
  if (firstFailure) throw firstFailure.error;
}

/** One list walk's state, shared by its chains: the checkpoint they all commit into, and the stale guard. */
interface StreamState {
  cp: SyncCheckpoint;
  guard: NewerGuard | undefined;
  /** Set for a fresh pass's first page: how to decide the split committed with it. */
  split?: { tuning: ChainTuning; knownRecords: number | undefined };
}

/** How a chain's walk ended: its pages all read, or stopped because another pull failed. */
type ChainEnd = 'done' | 'stopped';

/**
 * One entity's pass (or the archived deals'), from its checkpoint to its end: a fresh full pass reads its
 * first page alone, then the rest on one chain or, when large, on several chains at once (chains.ts); an
 * incremental pass is one chain, as ever; a resumed pass continues every chain where it stopped. A saved
 * cursor refused is restarted once per chain.
 */
async function pullStream(run: SyncRun, tallies: SyncTallies, control: PullControl, entity: EntityKind, initial: SyncCheckpoint, stream?: SyncStream): Promise<void> {
  const { options, companyState, startedAt } = run;
  const overlapMs = options.overlapMs ?? DEFAULT_OVERLAP_MS;
  const cp = startPass(initial, { now: startedAt, overlapMs, full: options.full === true });
  const summary = stream === 'archived' ? tallies.archivedDeals : tallies.entities[entity];
  summary.resumed = initial.pass !== null && cp.pass === initial.pass;
  summary.mode = cp.pass?.kind ?? 'incremental';
  if (cp !== initial) await companyState.checkpoints.put(entity, cp, stream);
  // `updated_since` is inclusive and starts an overlap below the bookmark, so an incremental pass re-reads
  // records the last pass already committed: they are written again (idempotent) but not counted as
  // changed. Only a record updated after the bookmark the pass started from is a change.
  const seenUpTo = cp.pass?.kind === 'incremental' && initial.bookmark !== null ? Date.parse(initial.bookmark) : null;
  const changed = (r: { updateTime: string }): boolean => seenUpTo === null || Date.parse(r.updateTime) > seenUpTo;
  const target: StreamTarget = { entity, stream, summary, changed };
  const state: StreamState = { cp, guard: undefined };
  const tuning = options.chains ?? DEFAULT_CHAIN_TUNING;
  if (cp.pass?.kind === 'full' && cp.pass.chains === undefined && cp.pass.pages === 0 && tuning.maxChains > 1) {
    // The previous night's word on the size: the mirror's count, for a full pass of the main list over a
    // mirror a pass has completed (a first pass that stopped half-way would undercount).
    const known = stream === undefined && cp.lastCompletedAt !== null ? (await companyState.mirror.estimatedCounts())[entity] : undefined;
    state.split = { tuning, knownRecords: known };
    if ((await walkChain(run, tallies, control, target, state, null, 1)) === 'stopped') return;
  }
  const chains = state.cp.pass?.chains;
  let end: ChainEnd = 'done';
  if (chains !== undefined) {
    state.guard = new NewerGuard(Date.parse(startedAt) - overlapMs);
    summary.chains = chains.length;
    end = await walkChains(run, tallies, control, target, state, chains.flatMap((c, i) => (c.done ? [] : [i])));
  } else if (state.cp.pass !== null) {
    end = await walkChain(run, tallies, control, target, state, null);
  }
  if (end === 'stopped') return;
  summary.bookmark = state.cp.bookmark;
  summary.completed = state.cp.pass === null;
}

/** Every chain listed, side by side; the first failure stops the others after their page in hand. */
async function walkChains(run: SyncRun, tallies: SyncTallies, control: PullControl, target: StreamTarget, state: StreamState, chains: number[]): Promise<ChainEnd> {
  let firstFailure: { error: unknown } | undefined;
  const ends = await Promise.all(
    chains.map((i) =>
      walkChain(run, tallies, control, target, state, i).catch((error: unknown): ChainEnd => {
        control.stop = true;
        firstFailure ??= { error };
        return 'stopped';
      }),
    ),
  );
  if (firstFailure) throw firstFailure.error;
  return ends.includes('stopped') ? 'stopped' : 'done';
}

/** One chain (`null`: the pass's own cursor) to its end, or `maxPages` pages; a refused cursor restarted once. */
async function walkChain(run: SyncRun, tallies: SyncTallies, control: PullControl, target: StreamTarget, state: StreamState, chain: number | null, maxPages?: number): Promise<ChainEnd> {
  let retriedCursor = false;
  for (;;) {
    const pass = state.cp.pass;
    if (pass === null || chainView(pass, chain).done) return 'done';
    const pulled = await pullPages(run, tallies, control, target, state, chain, maxPages);
    if (pulled.failure === undefined) return pulled.stopped ? 'stopped' : 'done';
    const err = pulled.failure.error;
    // A saved cursor the API no longer accepts: restart from the committed boundary, once.
    const cursor = state.cp.pass === null ? null : chainView(state.cp.pass, chain).cursor;
    if (err instanceof PipedriveRequestError && err.status === 400 && cursor !== null && !retriedCursor) {
      retriedCursor = true;
      run.log.warn({ entity: target.entity, chain, reason: err.message }, 'saved cursor refused: restarting the pass from the last committed update_time');
      state.cp = chain === null ? restartPassFromBoundary(state.cp) : restartChainFromBoundary(state.cp, chain);
      await run.companyState.checkpoints.put(target.entity, state.cp, target.stream);
      continue;
    }
    throw err;
  }
}

interface StreamTarget {
  entity: EntityKind;
  stream: SyncStream | undefined;
  summary: EntitySummary;
  /** True for a record changed since the pass's starting bookmark. */
  changed: (r: { updateTime: string }) => boolean;
}

/**
 * Pages of one chain until its end (or `maxPages`, read without read-ahead so no page is asked for in
 * vain), each committed with the stream's checkpoint. Says whether it stopped because another pull failed,
 * and the error that ended it, if any.
 */
async function pullPages(
  run: SyncRun,
  tallies: SyncTallies,
  control: PullControl,
  target: StreamTarget,
  state: StreamState,
  chain: number | null,
  maxPages?: number,
): Promise<{ stopped: boolean; failure?: { error: unknown } }> {
  const { options, client, companyState } = run;
  const { entity, stream, summary, changed } = target;
  const view = chainView(state.cp.pass!, chain);
  let read = 0;
  try {
    const source = client.iterate(entity, {
      sortBy: 'update_time',
      sortDirection: 'asc',
      ...(view.since ? { updatedSince: view.since } : {}),
      ...(view.until ? { updatedUntil: view.until } : {}),
      ...(view.cursor ? { cursor: view.cursor } : {}),
      includeDeleted: true,
      ...(stream === 'archived' ? { archived: true } : {}),
    });
    for await (const page of maxPages === undefined ? readAhead(source) : source) {
      noteMalformed(tallies, page.malformed);
      // The checkpoint and the guard are updated in the same tick as the write is queued: the store commits
      // the writes of one entity in that order, so each commit carries every chain's state up to it.
      const records = state.guard ? state.guard.keep(page.records) : page.records;
      const upserts = records.filter((r) => !r.isDeleted);
      const deletes = records.filter((r) => r.isDeleted).map((r) => r.id);
      const event = { updateTimes: page.records.map((r) => r.updateTime), rawCount: page.rawCount, nextCursor: page.cursor, at: run.nowIso() };
      state.cp = chain === null ? nextCheckpoint(state.cp, event) : advanceChain(state.cp, chain, event);
      if (state.split) state.cp = splitFirstPage(run, target, state, page);
      await companyState.mirror.writePage(entity, { upserts, deletes }, state.cp, stream);
      summary.pages += 1;
      summary.records += page.rawCount;
      summary.upserted += upserts.filter(changed).length;
      summary.deleted += records.filter((r) => r.isDeleted && changed(r)).length;
      reportProgress(run, tallies, 'pull', entity);
      if (control.stop) return { stopped: true };
      // Shutdown: the page just written is committed with its checkpoint; stop here, resume next run.
      options.signal?.throwIfAborted();
      read += 1;
      if (maxPages !== undefined && read >= maxPages) return { stopped: false };
    }
    return { stopped: false };
  } catch (error) {
    return { stopped: false, failure: { error } };
  }
}

/** The first page of a fresh pass just read: the pass split into chains when the rest is large (chains.ts). */
function splitFirstPage(run: SyncRun, target: StreamTarget, state: StreamState, page: { records: ReadonlyArray<{ updateTime: string }>; rawCount: number }): SyncCheckpoint {
  const { tuning, knownRecords } = state.split!;
  state.split = undefined;
  const first = page.records[0]?.updateTime;
  const last = page.records[page.records.length - 1]?.updateTime;
  if (first === undefined || last === undefined) return state.cp;
  const facts = { first, last, rawCount: page.rawCount, nowMs: run.options.clock.now(), ...(knownRecords ? { knownRecords } : {}) };
  const cp = splitAfterFirstPage(state.cp, facts, tuning);
  const chains = cp.pass?.chains?.length;
  if (chains !== undefined) run.log.info({ entity: target.entity, stream: target.stream, estimatedPages: estimatePages(facts), chains }, 'sync: reading the rest of the list as parallel chains');
  return cp;
}

/** Step 4: reconcile ids when due and affordable; says why not otherwise. */
async function reconcileIfDue(run: SyncRun, tallies: SyncTallies, plan: PullPlan): Promise<SyncSummary['reconcile']> {
  const { options, client, companyState, log } = run;
  const { decision, wantReconcile, firstRun } = plan;
  if (!decision.runReconcile) {
    return {
      ran: false,
      reason: options.reconcile === 'skip' ? 'skipped by request' : wantReconcile ? decision.reason : firstRun ? 'first full pull (nothing to reconcile)' : 'not due',
    };
  }
  reportProgress(run, tallies, 'reconcile');
  const result = await reconcile({
    client,
    companyState,
    logger: log,
    onEntity: (entity) => reportProgress(run, tallies, 'reconcile', entity),
  });
  noteMalformed(tallies, result.malformed);
  const at = run.nowIso();
  for (const e of SYNCED_ENTITIES) await companyState.checkpoints.put(e, markReconciled(await companyState.checkpoints.get(e), at));
  return { ran: true, reason: options.reconcile === 'force' ? 'forced' : 'due', result };
}
