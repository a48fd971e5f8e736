/**
 * `cadence apply`: executes a plan against Pipedrive, idempotently under every failure (docs/idempotency.md).
 *
 * Per planned activity (deterministic key K, client O):
 *   1. ledger says K is done → nothing to do;
 *   2. record the intent (K pending) before any request;
 *   3. look in Pipedrive itself: O's open activities carrying `cadence-key:K` → adopt the oldest, create nothing;
 *   4. otherwise POST, then record K done with the id, then append the audit line;
 *   5. verify: re-list O's open activities; if K appears more than once (two replicas raced), keep the lowest
 *      id and delete the others — each replica deletes what it created, so the end state has exactly one.
 * A POST that timed out (AmbiguousWriteError) is never re-sent in the same run: step 5 adopts it if it landed,
 * else K stays pending and the next run checks Pipedrive before creating.
 *
 * Order: creates, then flag updates, then deletes of cleared follow-ups.
 */
import type { Logger } from '../log/logger.js';
import {
  AmbiguousWriteError,
  DailyBudgetExhaustedError,
  PipedriveAuthError,
  PipedriveForbiddenError,
} from '../pipedrive/errors.js';
import type { Activity } from '../domain/entities.js';
import type { NoticeRef } from '../i18n/notice.js';
import { formatPlanSummary } from '../plan/format-plan.js';
import type { CreateActivity, DeleteActivity, Plan, PlannedWrite, UpdateOrgFlags } from '../plan/types.js';
import { isUntouched } from '../plan/untouched.js';
import { LedgerEntry, type ApplyClient, type ApplyState, type AuditEntry } from './ports.js';
import type { WriteOutcome } from '../domain/vocabulary.js';
import { dateNow, systemClock, type Clock } from '../domain/clock.js';
import { errorKind, type ErrorKind } from '../domain/errors.js';

export interface WriteResult {
  key: string;
  kind: PlannedWrite['kind'];
  orgId: number;
  outcome: WriteOutcome;
  pipedriveId?: number;
  detail?: string;
}

export interface ApplySummary {
  companyId: string;
  runId: string;
  dryRun: boolean;
  /** True when no apply had written to this company before this one. */
  firstApply: boolean;
  /** Why nothing was applied (max-writes cap), else null. */
  refused: string | null;
  /** Why the run stopped early, else null. */
  aborted: string | null;
  /** The kind of the error that stopped it (src/domain/errors.ts: `auth`, `budget`, …), so the CLI can exit with its code. */
  stoppedBy?: ErrorKind;
  planned: number;
  /** The cap this apply ran under (`refused` when `planned` exceeded it without --force). */
  maxWrites: number;
  counts: Record<WriteOutcome, number>;
  /** Extra copies of a key found in Pipedrive (races) and deleted. */
  duplicatesRemoved: number;
  results: WriteResult[];
}

export interface ApplyProgress {
  done: number;
  total: number;
  result: WriteResult;
}

export interface ApplyPlanInput {
  plan: Plan;
  client: ApplyClient;
  companyState: ApplyState;
  logger: Logger;
  dryRun?: boolean;
  maxWrites: number;
  force?: boolean;
  onProgress?: (p: ApplyProgress) => void;
  /**
   * Called once, before anything is written, when this is the first apply against the company: receives the
   * plan summary (the CLI prints it). Returning false stops the apply (e.g. the operator did not confirm).
   */
  onFirstApply?: (summary: string, plan: Plan) => boolean | void | Promise<boolean | void>;
  /** Who writes, for the audit log (e.g. `pipedrive-cadence as Ana <ana@firm.com> (#12)`). */
  actor?: string;
  /** Stops writing when aborted (lost company lock, shutdown). */
  signal?: AbortSignal;
  /**
   * Clients worked on at once (default 1). Writes of one client stay in order (check, create, verify);
   * the HTTP client's own concurrency bound and pacing keep the total under Pipedrive's rate limit.
   */
  concurrency?: number;
  /** Where apply reads the time for the ledger and the audit log (default: the system clock). */
  clock?: Pick<Clock, 'now'>;
}

/** Consecutive failed writes after which the run stops instead of hammering a failing API. */
const MAX_CONSECUTIVE_FAILURES = 5;

class StopRun extends Error {
  override readonly name = 'StopRun';
  constructor(
    message: string,
    readonly fatal?: Error,
  ) {
    super(message);
  }
}

/** `ApplySummary.aborted` when the operator declined the first apply against a company. */
export const APPLY_NOT_CONFIRMED = 'first apply against this company not confirmed: nothing written';

/** Why an apply wrote nothing (`refused`) or stopped early (`aborted`), as notices; null when it did not. */
export function applyStopNotices(s: Pick<ApplySummary, 'refused' | 'aborted' | 'planned' | 'maxWrites'>): { refused: NoticeRef | null; aborted: NoticeRef | null } {
  return {
    refused: s.refused === null ? null : { code: 'apply_refused', params: { writes: s.planned, max: s.maxWrites } },
    aborted:
      s.aborted === null
        ? null
        : s.aborted === APPLY_NOT_CONFIRMED
          ? { code: 'apply_not_confirmed', params: {} }
          : { code: 'apply_aborted', params: { detail: s.aborted } },
  };
}

/**
 * One apply in progress: its inputs and the state its steps share, passed to each step explicitly (no
 * closure over mutable variables). `results`/`summary` grow as writes finish.
 */
interface ApplyRun {
  readonly input: ApplyPlanInput;
  readonly plan: Plan;
  readonly client: ApplyClient;
  readonly state: ApplyState;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly actor: string;
  readonly summary: ApplySummary;
  readonly results: WriteResult[];
  consecutiveFailures: number;
  /** The first fatal error of any client: the clients in flight stop before their next write, with this reason. */
  fatalStop: StopRun | undefined;
  /** Clients are worked on concurrently; the audit log is append-only with a counter, so appends are queued. */
  auditQueue: Promise<unknown>;
}

export async function applyPlan(input: ApplyPlanInput): Promise<ApplySummary> {
  const run = startRun(input);
  const { plan, summary } = run;
  const total = plan.writes.length;
  if (total > input.maxWrites && !input.force) {
    summary.refused = `the plan has ${total} writes, more than the cap of ${input.maxWrites}: review it with \`cadence plan\`, then rerun with --force or raise --max-writes (CADENCE_MAX_WRITES, policy writes.maxWrites)`;
    run.logger.warn({ planned: total, maxWrites: input.maxWrites }, summary.refused);
    return summary;
  }
  if (summary.dryRun) {
    for (const w of plan.writes) record(run, { key: w.key, kind: w.kind, orgId: w.orgId, outcome: 'planned' });
    return summary;
  }
  if (total === 0) return summary;

  summary.firstApply = (await run.state.audit.count()) === 0;
  if (summary.firstApply && input.onFirstApply) {
    const go = await input.onFirstApply(formatPlanSummary(plan), plan);
    if (go === false) {
      summary.aborted = APPLY_NOT_CONFIRMED;
      return finish(run);
    }
  }
  try {
    await forEachConcurrently([...groupByOrg(plan.writes)], Math.max(1, input.concurrency ?? 1), ([orgId, writes]) => forClient(run, orgId, writes));
  } catch (err) {
    if (!(err instanceof StopRun)) throw err;
    summary.aborted = err.message;
    if (err.fatal) summary.stoppedBy = errorKind(err.fatal);
    run.logger.error({ reason: err.message }, 'apply stopped early; the next run resumes where this one stopped');
  }
  return finish(run);
}

function nowOf(clock: Pick<Clock, 'now'>): () => Date {
  return () => dateNow(clock);
}

function startRun(input: ApplyPlanInput): ApplyRun {
  const { plan, maxWrites, dryRun = false } = input;
  const results: WriteResult[] = [];
  const summary: ApplySummary = {
    companyId: plan.companyId,
    runId: plan.runId,
    dryRun,
    firstApply: false,
    refused: null,
    aborted: null,
    planned: plan.writes.length,
    maxWrites,
    counts: { planned: 0, created: 0, adopted: 0, updated: 0, deleted: 0, already_done: 0, not_needed: 0, failed: 0, not_attempted: 0 },
    duplicatesRemoved: 0,
    results,
  };
  return {
    input,
    plan,
    client: input.client,
    state: input.companyState,
    logger: input.logger,
    now: nowOf(input.clock ?? systemClock()),
    actor: input.actor ?? 'pipedrive-cadence',
    summary,
    results,
    consecutiveFailures: 0,
    fatalStop: undefined,
    auditQueue: Promise.resolve(),
  };
}

function record(run: ApplyRun, r: WriteResult): void {
  run.results.push(r);
  run.summary.counts[r.outcome] += 1;
  run.consecutiveFailures = r.outcome === 'failed' ? run.consecutiveFailures + 1 : 0;
  const level = r.outcome === 'failed' ? 'warn' : 'info';
  run.logger[level]({ key: r.key, orgId: r.orgId, outcome: r.outcome, pipedriveId: r.pipedriveId, detail: r.detail }, `apply ${r.kind}: ${r.outcome}`);
  run.input.onProgress?.({ done: run.results.length, total: run.plan.writes.length, result: r });
}

/** Every write without a result is `not_attempted`; returns the summary. */
function finish(run: ApplyRun): ApplySummary {
  const seen = new Set(run.results.map((r) => r.key));
  for (const w of run.plan.writes) if (!seen.has(w.key)) record(run, { key: w.key, kind: w.kind, orgId: w.orgId, outcome: 'not_attempted' });
  return run.summary;
}

function audit(run: ApplyRun, e: Omit<AuditEntry, 'at' | 'runId' | 'companyId' | 'actor'>): Promise<void> {
  const entry = { at: run.now().toISOString(), runId: run.plan.runId, companyId: run.plan.companyId, actor: run.actor, ...e };
  const appended = run.auditQueue.then(() => run.state.audit.append(entry));
  run.auditQueue = appended.catch(() => undefined);
  return appended.then(() => undefined);
}

async function ledgerGet(run: ApplyRun, key: string): Promise<LedgerEntry | null> {
  const raw = await run.state.ledger.get(key);
  if (raw === undefined || raw === null) return null;
  const parsed = LedgerEntry.safeParse(raw);
  if (parsed.success) return parsed.data;
  // Unreadable: act as if absent — the Pipedrive check before creating still prevents a duplicate.
  run.logger.warn({ key, problem: parsed.error.issues[0]?.message }, 'unreadable ledger entry ignored');
  return null;
}

async function ledgerPut(run: ApplyRun, w: PlannedWrite, status: LedgerEntry['status'], activityId?: number): Promise<void> {
  const entry: LedgerEntry = {
    key: w.key,
    status,
    kind: w.kind,
    orgId: w.orgId,
    runId: run.plan.runId,
    at: run.now().toISOString(),
    ...(activityId !== undefined ? { activityId } : {}),
  };
  await run.state.ledger.put(w.key, entry);
}

function checkStop(run: ApplyRun): void {
  if (run.fatalStop) throw run.fatalStop;
  const signal = run.input.signal;
  if (signal?.aborted) {
    const reason = signal.reason as unknown;
    throw new StopRun(reason instanceof Error ? reason.message : 'stopped');
  }
  if (run.consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) throw new StopRun(`${run.consecutiveFailures} writes failed in a row; stopping (see the log for the errors)`);
}

/** Errors that end the run: retrying other writes cannot succeed. */
function isFatal(err: unknown): boolean {
  return err instanceof PipedriveAuthError || err instanceof DailyBudgetExhaustedError || (err instanceof PipedriveForbiddenError && err.cloudflare);
}

function fail(run: ApplyRun, w: PlannedWrite, err: unknown, extra = ''): void {
  if (isFatal(err)) throw (run.fatalStop ??= new StopRun((err as Error).message, err as Error));
  record(run, { key: w.key, kind: w.kind, orgId: w.orgId, outcome: 'failed', detail: `${(err as Error).message}${extra}` });
}

/** Deletes extra copies of a key (all but the lowest id) that nobody has worked on yet; returns the keeper's id. */
async function dedupe(run: ApplyRun, w: CreateActivity, copies: Activity[], createdId: number | null): Promise<number> {
  const keeper = copies[0]!;
  for (const extra of copies.slice(1)) {
    if (extra.id !== createdId && !isUntouched(extra)) {
      run.logger.warn({ key: w.key, activityId: extra.id, keeper: keeper.id }, 'duplicate auto-created activity was edited by someone; left in place');
      continue;
    }
    const res = await run.client.deleteActivity(extra.id);
    // Another replica may have removed the same copy a moment earlier: only our own deletion counts.
    if (res.alreadyGone) continue;
    run.summary.duplicatesRemoved += 1;
    await audit(run, {
      action: 'delete_duplicate',
      key: w.key,
      orgId: w.orgId,
      ruleId: w.ruleId,
      reason: `a second activity carried key ${w.key}; the lowest id (#${keeper.id}) is kept`,
      pipedriveId: extra.id,
      details: { keeper: keeper.id },
    });
  }
  return keeper.id;
}

function byKeyIn(list: readonly Activity[]): Map<string, Activity[]> {
  const m = new Map<string, Activity[]>();
  for (const a of list) {
    if (!a.cadenceKey || a.isDeleted) continue;
    m.set(a.cadenceKey, [...(m.get(a.cadenceKey) ?? []), a]);
  }
  for (const l of m.values()) l.sort((a, b) => a.id - b.id);
  return m;
}

/** Creates of one client: skip what the ledger has done, record the intent, check Pipedrive, create, verify. */
async function createsFor(run: ApplyRun, orgId: number, group: CreateActivity[]): Promise<void> {
  const todo: CreateActivity[] = [];
  for (const w of group) {
    const entry = await ledgerGet(run, w.key);
    if (entry?.status === 'done') {
      record(run, { key: w.key, kind: w.kind, orgId, outcome: 'already_done', ...(entry.activityId !== undefined ? { pipedriveId: entry.activityId } : {}) });
    } else todo.push(w);
  }
  if (todo.length === 0) return;
  for (const w of todo) await ledgerPut(run, w, 'pending'); // the intent, before any request
  const before = byKeyIn(await run.client.listOpenActivitiesForOrg(orgId));
  const { created, ambiguous } = await createOrAdopt(run, orgId, todo, before);
  if (created.size === 0 && ambiguous.length === 0) return;
  await verifyCreates(run, orgId, todo, created, ambiguous);
}

/** Adopts what Pipedrive already has under its key, creates the rest; returns what was created and what timed out. */
async function createOrAdopt(
  run: ApplyRun,
  orgId: number,
  todo: readonly CreateActivity[],
  before: ReadonlyMap<string, Activity[]>,
): Promise<{ created: Map<string, number>; ambiguous: CreateActivity[] }> {
  const created = new Map<string, number>();
  const ambiguous: CreateActivity[] = [];
  for (const w of todo) {
    checkStop(run);
    const found = before.get(w.key);
    if (found && found.length > 0) {
      const id = await dedupe(run, w, found, null);
      await ledgerPut(run, w, 'done', id);
      await audit(run, { action: 'adopt_activity', key: w.key, orgId, ruleId: w.ruleId, reason: `already in Pipedrive under its key: ${w.reason}`, pipedriveId: id, details: {} });
      record(run, { key: w.key, kind: w.kind, orgId, outcome: 'adopted', pipedriveId: id, detail: 'found in Pipedrive under its key' });
      continue;
    }
    try {
      const a = await run.client.createActivity(w.activity);
      created.set(w.key, a.id);
      await ledgerPut(run, w, 'done', a.id);
      await audit(run, {
        action: 'create_activity',
        key: w.key,
        orgId,
        ruleId: w.ruleId,
        reason: w.reason,
        pipedriveId: a.id,
        details: {
          purpose: w.purpose,
          subject: w.activity.subject,
          type: w.activity.type,
          ownerId: w.activity.owner_id,
          dueDate: w.activity.due_date,
          dealId: w.activity.deal_id ?? null,
          ...(w.carries ? { carries: w.carries } : {}),
        },
      });
      record(run, { key: w.key, kind: w.kind, orgId, outcome: 'created', pipedriveId: a.id });
    } catch (err) {
      if (err instanceof AmbiguousWriteError) ambiguous.push(w);
      else fail(run, w, err);
    }
  }
  return { created, ambiguous };
}

/** Verification: another replica may have created the same key between our check and our POST. */
async function verifyCreates(run: ApplyRun, orgId: number, todo: readonly CreateActivity[], created: ReadonlyMap<string, number>, ambiguous: readonly CreateActivity[]): Promise<void> {
  const after = byKeyIn(await run.client.listOpenActivitiesForOrg(orgId));
  for (const w of todo) {
    const mine = created.get(w.key) ?? null;
    const isAmbiguous = ambiguous.includes(w);
    if (mine === null && !isAmbiguous) continue;
    const copies = after.get(w.key) ?? [];
    if (isAmbiguous) {
      await settleAmbiguous(run, orgId, w, copies);
      continue;
    }
    if (copies.length > 1) {
      const keeper = await dedupe(run, w, copies, mine);
      if (keeper === mine) continue;
      await ledgerPut(run, w, 'done', keeper);
      const r = run.results.find((x) => x.key === w.key)!;
      run.summary.counts[r.outcome] -= 1;
      run.summary.counts.adopted += 1;
      r.outcome = 'adopted';
      r.detail = `another worker created #${keeper} at the same time; ours (#${mine}) was deleted`;
      r.pipedriveId = keeper;
    }
  }
}

/** A create that timed out: adopted when it landed, else left pending for the next run. */
async function settleAmbiguous(run: ApplyRun, orgId: number, w: CreateActivity, copies: Activity[]): Promise<void> {
  if (copies.length === 0) {
    record(run, { key: w.key, kind: w.kind, orgId, outcome: 'failed', detail: 'the create timed out and the activity is not in Pipedrive; left pending, the next run checks again before creating' });
    return;
  }
  const id = await dedupe(run, w, copies, null);
  await ledgerPut(run, w, 'done', id);
  await audit(run, { action: 'adopt_activity', key: w.key, orgId, ruleId: w.ruleId, reason: `the create timed out but landed: ${w.reason}`, pipedriveId: id, details: {} });
  record(run, { key: w.key, kind: w.kind, orgId, outcome: 'adopted', pipedriveId: id, detail: 'create timed out; found in Pipedrive' });
}

async function updateFlags(run: ApplyRun, w: UpdateOrgFlags): Promise<void> {
  checkStop(run);
  try {
    await run.client.updateOrganizationCustomFields(w.orgId, w.customFields);
  } catch (err) {
    fail(run, w, err);
    return;
  }
  await audit(run, {
    action: 'update_org_flags',
    key: w.key,
    orgId: w.orgId,
    ruleId: null,
    reason: 'flag values changed',
    pipedriveId: w.orgId,
    details: { changes: w.changes },
  });
  record(run, { key: w.key, kind: w.kind, orgId: w.orgId, outcome: 'updated', pipedriveId: w.orgId });
}

async function deletesFor(run: ApplyRun, orgId: number, group: DeleteActivity[]): Promise<void> {
  const todo: DeleteActivity[] = [];
  for (const w of group) {
    const entry = await ledgerGet(run, w.key);
    if (entry?.status === 'done') record(run, { key: w.key, kind: w.kind, orgId, outcome: 'already_done', pipedriveId: w.activityId });
    else todo.push(w);
  }
  if (todo.length === 0) return;
  for (const w of todo) await ledgerPut(run, w, 'pending', w.activityId);
  // The plan came from the mirror: re-read so a follow-up someone just worked on is not deleted.
  const open = new Map((await run.client.listOpenActivitiesForOrg(orgId)).map((a) => [a.id, a]));
  for (const w of todo) {
    checkStop(run);
    const a = open.get(w.activityId);
    if (!a || !isUntouched(a)) {
      await ledgerPut(run, w, 'done', w.activityId);
      record(run, { key: w.key, kind: w.kind, orgId, outcome: 'not_needed', pipedriveId: w.activityId, detail: a ? 'edited since the plan; left in place' : 'no longer open' });
      continue;
    }
    try {
      const res = await run.client.deleteActivity(w.activityId);
      await ledgerPut(run, w, 'done', w.activityId);
      await audit(run, { action: 'delete_activity', key: w.key, orgId, ruleId: null, reason: w.reason, pipedriveId: w.activityId, details: { subject: a.subject, alreadyGone: res.alreadyGone } });
      record(run, { key: w.key, kind: w.kind, orgId, outcome: 'deleted', pipedriveId: w.activityId });
    } catch (err) {
      fail(run, w, err);
    }
  }
}

/** Runs one group of a client's writes; a failed list or ledger call fails the group's writes without a result. */
async function guarded(run: ApplyRun, group: readonly PlannedWrite[], step: () => Promise<void>): Promise<void> {
  if (group.length === 0) return;
  checkStop(run);
  try {
    await step();
  } catch (err) {
    if (err instanceof StopRun) throw err;
    // The writes of this client are not attempted (the next run retries them).
    for (const w of group) if (!run.results.some((r) => r.key === w.key)) fail(run, w, err);
  }
}

/** Everything one client needs, in this order: its creates (with the Pipedrive checks), its flags, its deletions. */
async function forClient(run: ApplyRun, orgId: number, writes: readonly PlannedWrite[]): Promise<void> {
  const creates = writes.filter((w): w is CreateActivity => w.kind === 'create_activity');
  const deletes = writes.filter((w): w is DeleteActivity => w.kind === 'delete_activity');
  await guarded(run, creates, () => createsFor(run, orgId, creates));
  for (const w of writes) if (w.kind === 'update_org_flags') await updateFlags(run, w);
  await guarded(run, deletes, () => deletesFor(run, orgId, deletes));
}

/**
 * Runs `fn` over the items with at most `limit` at once. After the first failure no new item starts; the
 * ones in flight finish (each ends its current write), then the first error is thrown.
 */
async function forEachConcurrently<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const lane = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== null) throw (failure as { error: unknown }).error;
}

function groupByOrg<W extends { orgId: number }>(writes: readonly W[]): Map<number, W[]> {
  const m = new Map<number, W[]>();
  for (const w of writes) m.set(w.orgId, [...(m.get(w.orgId) ?? []), w]);
  return m;
}

/** A few lines for the operator: what was written and what was not, and why. */
export function formatApplySummary(s: ApplySummary): string {
  if (s.refused) return `apply refused: ${s.refused}`;
  const c = s.counts;
  const lines = [
    `${s.dryRun ? 'Dry run' : 'Apply'} ${s.runId} for ${s.companyId}: ${s.planned} planned write${s.planned === 1 ? '' : 's'}`,
  ];
  if (s.dryRun) lines.push(`  would write: ${c.planned} (nothing was changed)`);
  else {
    lines.push(
      `  activities created: ${c.created}`,
      `  found in Pipedrive already (adopted): ${c.adopted}`,
      `  organizations updated (flags): ${c.updated}`,
      `  cleared follow-ups deleted: ${c.deleted}`,
      `  already done in an earlier run: ${c.already_done}`,
    );
    if (c.not_needed) lines.push(`  no longer needed: ${c.not_needed}`);
    if (s.duplicatesRemoved) lines.push(`  duplicates removed: ${s.duplicatesRemoved}`);
    if (c.failed) lines.push(`  failed: ${c.failed}`);
    if (c.not_attempted) lines.push(`  not attempted: ${c.not_attempted}`);
  }
  if (s.aborted) lines.push(`  stopped early: ${s.aborted}`);
  for (const r of s.results.filter((x) => x.outcome === 'failed').slice(0, 10)) lines.push(`  ✗ ${r.key}: ${r.detail ?? ''}`);
  return lines.join('\n');
}
