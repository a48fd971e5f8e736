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
  /** Name of the error that stopped it (e.g. PipedriveAuthError), so the CLI can exit with its code. */
  stoppedBy?: string;
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

export async function applyPlan(input: ApplyPlanInput): Promise<ApplySummary> {
  const { plan, client, companyState: state, logger, maxWrites, force = false, dryRun = false } = input;
  const clock = input.clock ?? systemClock();
  const now = (): Date => dateNow(clock);
  const actor = input.actor ?? 'pipedrive-cadence';
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
  const total = plan.writes.length;
  let consecutiveFailures = 0;
  const record = (r: WriteResult): void => {
    results.push(r);
    summary.counts[r.outcome] += 1;
    consecutiveFailures = r.outcome === 'failed' ? consecutiveFailures + 1 : 0;
    const level = r.outcome === 'failed' ? 'warn' : 'info';
    logger[level]({ key: r.key, orgId: r.orgId, outcome: r.outcome, pipedriveId: r.pipedriveId, detail: r.detail }, `apply ${r.kind}: ${r.outcome}`);
    input.onProgress?.({ done: results.length, total, result: r });
  };
  const finish = (): ApplySummary => {
    const seen = new Set(results.map((r) => r.key));
    for (const w of plan.writes) if (!seen.has(w.key)) record({ key: w.key, kind: w.kind, orgId: w.orgId, outcome: 'not_attempted' });
    return summary;
  };

  if (total > maxWrites && !force) {
    summary.refused = `the plan has ${total} writes, more than the cap of ${maxWrites}: review it with \`cadence plan\`, then rerun with --force or raise --max-writes (CADENCE_MAX_WRITES, policy writes.maxWrites)`;
    logger.warn({ planned: total, maxWrites }, summary.refused);
    return summary;
  }
  if (dryRun) {
    for (const w of plan.writes) record({ key: w.key, kind: w.kind, orgId: w.orgId, outcome: 'planned' });
    return summary;
  }
  if (total === 0) return summary;

  summary.firstApply = (await state.audit.count()) === 0;
  if (summary.firstApply && input.onFirstApply) {
    const go = await input.onFirstApply(formatPlanSummary(plan), plan);
    if (go === false) {
      summary.aborted = APPLY_NOT_CONFIRMED;
      return finish();
    }
  }

  // Clients are worked on concurrently; the audit log is append-only with a counter, so appends are queued.
  let auditQueue: Promise<unknown> = Promise.resolve();
  const audit = (e: Omit<AuditEntry, 'at' | 'runId' | 'companyId' | 'actor'>): Promise<void> => {
    const entry = { at: now().toISOString(), runId: plan.runId, companyId: plan.companyId, actor, ...e };
    const appended = auditQueue.then(() => state.audit.append(entry));
    auditQueue = appended.catch(() => undefined);
    return appended.then(() => undefined);
  };
  const ledgerGet = async (key: string): Promise<LedgerEntry | null> => {
    const raw = await state.ledger.get(key);
    if (raw === undefined || raw === null) return null;
    const parsed = LedgerEntry.safeParse(raw);
    if (parsed.success) return parsed.data;
    // Unreadable: act as if absent — the Pipedrive check before creating still prevents a duplicate.
    logger.warn({ key, problem: parsed.error.issues[0]?.message }, 'unreadable ledger entry ignored');
    return null;
  };
  const ledgerPut = async (w: PlannedWrite, status: LedgerEntry['status'], activityId?: number): Promise<void> => {
    const entry: LedgerEntry = {
      key: w.key,
      status,
      kind: w.kind,
      orgId: w.orgId,
      runId: plan.runId,
      at: now().toISOString(),
      ...(activityId !== undefined ? { activityId } : {}),
    };
    await state.ledger.put(w.key, entry);
  };
  /** The first fatal error of any client: the clients in flight stop before their next write, with this reason. */
  let fatalStop: StopRun | undefined;
  const checkStop = (): void => {
    if (fatalStop) throw fatalStop;
    if (input.signal?.aborted) {
      const reason = input.signal.reason as unknown;
      throw new StopRun(reason instanceof Error ? reason.message : 'stopped');
    }
    if (consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) throw new StopRun(`${consecutiveFailures} writes failed in a row; stopping (see the log for the errors)`);
  };
  /** Errors that end the run: retrying other writes cannot succeed. */
  const fatal = (err: unknown): boolean =>
    err instanceof PipedriveAuthError || err instanceof DailyBudgetExhaustedError || (err instanceof PipedriveForbiddenError && err.cloudflare);
  const fail = (w: PlannedWrite, err: unknown, extra = ''): void => {
    if (fatal(err)) throw (fatalStop ??= new StopRun((err as Error).message, err as Error));
    record({ key: w.key, kind: w.kind, orgId: w.orgId, outcome: 'failed', detail: `${(err as Error).message}${extra}` });
  };

  /** Deletes extra copies of a key (all but the lowest id) that nobody has worked on yet. */
  const dedupe = async (w: CreateActivity, copies: Activity[], createdId: number | null): Promise<number> => {
    const keeper = copies[0]!;
    for (const extra of copies.slice(1)) {
      if (extra.id !== createdId && !isUntouched(extra)) {
        logger.warn({ key: w.key, activityId: extra.id, keeper: keeper.id }, 'duplicate auto-created activity was edited by someone; left in place');
        continue;
      }
      const res = await client.deleteActivity(extra.id);
      // Another replica may have removed the same copy a moment earlier: only our own deletion counts.
      if (res.alreadyGone) continue;
      summary.duplicatesRemoved += 1;
      await audit({
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
  };

  const byKeyIn = (list: readonly Activity[]): Map<string, Activity[]> => {
    const m = new Map<string, Activity[]>();
    for (const a of list) {
      if (!a.cadenceKey || a.isDeleted) continue;
      m.set(a.cadenceKey, [...(m.get(a.cadenceKey) ?? []), a]);
    }
    for (const l of m.values()) l.sort((a, b) => a.id - b.id);
    return m;
  };

  const createsFor = async (orgId: number, group: CreateActivity[]): Promise<void> => {
    const todo: CreateActivity[] = [];
    for (const w of group) {
      const entry = await ledgerGet(w.key);
      if (entry?.status === 'done') {
        record({ key: w.key, kind: w.kind, orgId, outcome: 'already_done', ...(entry.activityId !== undefined ? { pipedriveId: entry.activityId } : {}) });
      } else todo.push(w);
    }
    if (todo.length === 0) return;
    for (const w of todo) await ledgerPut(w, 'pending'); // the intent, before any request
    const before = byKeyIn(await client.listOpenActivitiesForOrg(orgId));
    const created = new Map<string, number>();
    const ambiguous: CreateActivity[] = [];
    for (const w of todo) {
      checkStop();
      const found = before.get(w.key);
      if (found && found.length > 0) {
        const id = await dedupe(w, found, null);
        await ledgerPut(w, 'done', id);
        await audit({ action: 'adopt_activity', key: w.key, orgId, ruleId: w.ruleId, reason: `already in Pipedrive under its key: ${w.reason}`, pipedriveId: id, details: {} });
        record({ key: w.key, kind: w.kind, orgId, outcome: 'adopted', pipedriveId: id, detail: 'found in Pipedrive under its key' });
        continue;
      }
      try {
        const a = await client.createActivity(w.activity);
        created.set(w.key, a.id);
        await ledgerPut(w, 'done', a.id);
        await audit({
          action: 'create_activity',
          key: w.key,
          orgId,
          ruleId: w.ruleId,
          reason: w.reason,
          pipedriveId: a.id,
          details: { purpose: w.purpose, subject: w.activity.subject, type: w.activity.type, ownerId: w.activity.owner_id, dueDate: w.activity.due_date, dealId: w.activity.deal_id ?? null },
        });
        record({ key: w.key, kind: w.kind, orgId, outcome: 'created', pipedriveId: a.id });
      } catch (err) {
        if (err instanceof AmbiguousWriteError) ambiguous.push(w);
        else fail(w, err);
      }
    }
    if (created.size === 0 && ambiguous.length === 0) return;
    // Verification: another replica may have created the same key between our check and our POST.
    const after = byKeyIn(await client.listOpenActivitiesForOrg(orgId));
    for (const w of todo) {
      const mine = created.get(w.key) ?? null;
      const isAmbiguous = ambiguous.includes(w);
      if (mine === null && !isAmbiguous) continue;
      const copies = after.get(w.key) ?? [];
      if (isAmbiguous) {
        if (copies.length === 0) {
          record({ key: w.key, kind: w.kind, orgId, outcome: 'failed', detail: 'the create timed out and the activity is not in Pipedrive; left pending, the next run checks again before creating' });
          continue;
        }
        const id = await dedupe(w, copies, null);
        await ledgerPut(w, 'done', id);
        await audit({ action: 'adopt_activity', key: w.key, orgId, ruleId: w.ruleId, reason: `the create timed out but landed: ${w.reason}`, pipedriveId: id, details: {} });
        record({ key: w.key, kind: w.kind, orgId, outcome: 'adopted', pipedriveId: id, detail: 'create timed out; found in Pipedrive' });
        continue;
      }
      if (copies.length > 1) {
        const keeper = await dedupe(w, copies, mine);
        if (keeper !== mine) {
          await ledgerPut(w, 'done', keeper);
          const r = results.find((x) => x.key === w.key)!;
          summary.counts[r.outcome] -= 1;
          summary.counts.adopted += 1;
          r.outcome = 'adopted';
          r.detail = `another worker created #${keeper} at the same time; ours (#${mine}) was deleted`;
          r.pipedriveId = keeper;
        }
      }
    }
  };

  const updateFlags = async (w: UpdateOrgFlags): Promise<void> => {
    checkStop();
    try {
      await client.updateOrganizationCustomFields(w.orgId, w.customFields);
    } catch (err) {
      fail(w, err);
      return;
    }
    await audit({
      action: 'update_org_flags',
      key: w.key,
      orgId: w.orgId,
      ruleId: null,
      reason: 'flag values changed',
      pipedriveId: w.orgId,
      details: { changes: w.changes },
    });
    record({ key: w.key, kind: w.kind, orgId: w.orgId, outcome: 'updated', pipedriveId: w.orgId });
  };

  const deletesFor = async (orgId: number, group: DeleteActivity[]): Promise<void> => {
    const todo: DeleteActivity[] = [];
    for (const w of group) {
      const entry = await ledgerGet(w.key);
      if (entry?.status === 'done') record({ key: w.key, kind: w.kind, orgId, outcome: 'already_done', pipedriveId: w.activityId });
      else todo.push(w);
    }
    if (todo.length === 0) return;
    for (const w of todo) await ledgerPut(w, 'pending', w.activityId);
    // The plan came from the mirror: re-read so a follow-up someone just worked on is not deleted.
    const open = new Map((await client.listOpenActivitiesForOrg(orgId)).map((a) => [a.id, a]));
    for (const w of todo) {
      checkStop();
      const a = open.get(w.activityId);
      if (!a || !isUntouched(a)) {
        await ledgerPut(w, 'done', w.activityId);
        record({ key: w.key, kind: w.kind, orgId, outcome: 'not_needed', pipedriveId: w.activityId, detail: a ? 'edited since the plan; left in place' : 'no longer open' });
        continue;
      }
      try {
        const res = await client.deleteActivity(w.activityId);
        await ledgerPut(w, 'done', w.activityId);
        await audit({ action: 'delete_activity', key: w.key, orgId, ruleId: null, reason: w.reason, pipedriveId: w.activityId, details: { subject: a.subject, alreadyGone: res.alreadyGone } });
        record({ key: w.key, kind: w.kind, orgId, outcome: 'deleted', pipedriveId: w.activityId });
      } catch (err) {
        fail(w, err);
      }
    }
  };

  /** Everything one client needs, in this order: its creates (with the Pipedrive checks), its flags, its deletions. */
  const forClient = async (orgId: number, writes: readonly PlannedWrite[]): Promise<void> => {
    const guarded = async (group: readonly PlannedWrite[], run: () => Promise<void>): Promise<void> => {
      if (group.length === 0) return;
      checkStop();
      try {
        await run();
      } catch (err) {
        if (err instanceof StopRun) throw err;
        // A failed list or ledger call: the writes of this client are not attempted (the next run retries them).
        for (const w of group) if (!results.some((r) => r.key === w.key)) fail(w, err);
      }
    };
    const creates = writes.filter((w): w is CreateActivity => w.kind === 'create_activity');
    const deletes = writes.filter((w): w is DeleteActivity => w.kind === 'delete_activity');
    await guarded(creates, () => createsFor(orgId, creates));
    for (const w of writes) if (w.kind === 'update_org_flags') await updateFlags(w);
    await guarded(deletes, () => deletesFor(orgId, deletes));
  };

  try {
    await forEachConcurrently([...groupByOrg(plan.writes)], Math.max(1, input.concurrency ?? 1), ([orgId, writes]) => forClient(orgId, writes));
  } catch (err) {
    if (!(err instanceof StopRun)) throw err;
    summary.aborted = err.message;
    if (err.fatal) summary.stoppedBy = err.fatal.name;
    logger.error({ reason: err.message }, 'apply stopped early; the next run resumes where this one stopped');
  }
  return finish();
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
