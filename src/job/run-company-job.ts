/**
 * The nightly job for one company: sync → rules → plan → apply → report, with run history.
 * The steps are the pure core (rules, plan) between imperative edges (sync, apply, report); this module
 * only sequences them, so every step stays testable on its own.
 */
import { randomBytes } from 'node:crypto';
import { assessCompany } from '../rules/assess-company.js';
import { nextMemory, parseMemory, type ChangeEvent } from '../rules/changes.js';
import { resolveUserRef } from '../rules/resolve-user-ref.js';
import type { RulesResult } from '../rules/types.js';
import { buildPlan } from '../plan/build-plan.js';
import type { Plan } from '../plan/types.js';
import { applyPlan, applyStopNotices, type ApplyProgress, type ApplySummary } from '../apply/apply-plan.js';
import { mirrorOwnWrites } from '../apply/own-writes.js';
import { createDescriber } from '../i18n/describe.js';
import { checkPolicyAgainstAccount } from '../setup/check-policy.js';
import type { NoticeCode } from '../i18n/message-keys.js';
import { notice, type Notice } from '../i18n/notice.js';
import { runSync, type ReconcileMode, type SyncProgress, type SyncSummary } from '../sync/run-sync.js';
import { writeReports, type WrittenReports } from '../report/write-reports.js';
import { recentIsoWeeks } from '../report/health-trend.js';
import type { RunInfo, WebhookStatus } from '../report/report-schema.js';
import { classifyWebhooks, countByState, subscriptionNotice } from '../setup/webhook-health.js';
import { receiverUrlFor } from '../setup/webhooks.js';
import type { MirrorSnapshot } from '../domain/entities.js';
import type { MessageParams } from '../domain/vocabulary.js';
import type { CompanyParts } from './company-parts.js';
import { dateNow, systemClock, type Clock } from '../domain/clock.js';
import { errorKind, type ErrorKind } from '../domain/errors.js';

export interface JobSteps {
  sync: boolean;
  apply: boolean;
  report: boolean;
}

export interface JobOptions {
  steps?: Partial<JobSteps>;
  /** Where the run reads the time (default: the system clock). */
  clock?: Pick<Clock, 'now'>;
  signal?: AbortSignal;
  reconcile?: ReconcileMode;
  /** Apply even when the plan exceeds the write cap. */
  force?: boolean;
  /** Called before the first apply against a company; returning false stops the apply. */
  onFirstApply?: (summary: string, plan: Plan) => boolean | void | Promise<boolean | void>;
  onSyncProgress?: (p: SyncProgress) => void;
  onApplyProgress?: (p: ApplyProgress) => void;
  runId?: string;
}

export interface JobOutcome {
  runId: string;
  companyId: string;
  status: 'ok' | 'partial' | 'failed';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  sync?: SyncSummary;
  result?: RulesResult;
  plan?: Plan;
  apply?: ApplySummary;
  reports?: WrittenReports;
  /** Requests this run sent to Pipedrive, by HTTP status (or network error code), with retries and 429s. */
  http: { requests: number; byStatus: Record<string, number>; retries: number; rateLimited: number };
  /** What the run says about itself, in English (logs, CLI, run history); `notices` has the same with codes. */
  warnings: string[];
  notices: Notice[];
  /** The failure, as data: its kind (src/domain/errors.ts) decides exit codes and run records. */
  error?: { name: string; message: string; kind: ErrorKind };
  /** Why the reports of a run that asked for them could not be written (the folder and what to change). */
  reportError?: string;
  /** The webhook subscriptions, when near-real-time is configured (CADENCE_WEBHOOK_URL) and the run talked to Pipedrive. */
  webhooks?: WebhookStatus;
}

type HttpCounters = Pick<ReturnType<CompanyParts['client']['stats']>, 'requests' | 'byStatus' | 'retries' | 'rateLimited'>;

/** Counters of one run: the client's totals now minus its totals when the run began. */
export function httpDelta(before: HttpCounters, after: HttpCounters): JobOutcome['http'] {
  const byStatus: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.byStatus)) {
    const d = v - (before.byStatus[k] ?? 0);
    if (d > 0) byStatus[k] = d;
  }
  return { requests: after.requests - before.requests, byStatus, retries: after.retries - before.retries, rateLimited: after.rateLimited - before.rateLimited };
}

/** Sortable, unique, safe as a folder name: `20261125T020000Z-1a2b3c`. */
export function newRunId(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')}-${randomBytes(3).toString('hex')}`;
}

/** What every step of one job reads: the company's parts, the options, the run's identity and its clock. */
interface JobRun {
  parts: CompanyParts;
  options: JobOptions;
  steps: JobSteps;
  clock: Pick<Clock, 'now'>;
  now: () => Date;
  started: Date;
  runId: string;
  logger: CompanyParts['logger'];
}

export async function runCompanyJob(parts: CompanyParts, options: JobOptions = {}): Promise<JobOutcome> {
  const { config, client, state } = parts;
  const clock = options.clock ?? systemClock();
  const now = (): Date => dateNow(clock);
  const started = now();
  const runId = options.runId ?? newRunId(started);
  const job: JobRun = {
    parts,
    options,
    steps: { sync: true, apply: true, report: true, ...options.steps },
    clock,
    now,
    started,
    runId,
    logger: parts.logger.child({ company: config.companyId, runId }),
  };
  const outcome: JobOutcome = {
    runId,
    companyId: config.companyId,
    status: 'ok',
    startedAt: started.toISOString(),
    finishedAt: started.toISOString(),
    durationMs: 0,
    http: { requests: 0, byStatus: {}, retries: 0, rateLimited: 0 },
    warnings: [],
    notices: [],
  };
  await state.runs.append({ runId, kind: 'nightly', startedAt: outcome.startedAt, finishedAt: null, status: 'running' });
  const statsBefore = client.stats();
  let snapshot: MirrorSnapshot | undefined;
  try {
    if (job.steps.sync) await syncStep(job, outcome);
    options.signal?.throwIfAborted();
    snapshot = await state.mirror.load();
    await assessAndPlan(job, outcome, snapshot);
    await applyStep(job, outcome, snapshot);
  } catch (err) {
    outcome.status = 'failed';
    outcome.error = { name: (err as Error).name ?? 'Error', message: (err as Error).message ?? String(err), kind: errorKind(err) };
    job.logger.error({ err: outcome.error }, 'nightly job failed');
  }
  await webhookStep(job, outcome);

  const finished = now();
  outcome.finishedAt = finished.toISOString();
  outcome.http = httpDelta(statsBefore, client.stats());
  outcome.durationMs = finished.getTime() - started.getTime();

  if (job.steps.report && outcome.result && snapshot) {
    await reportStep(job, outcome, outcome.result, snapshot);
    // The report states the run up to its own writing; the outcome and the run history include it (on a
    // large company the reports are a good part of the night).
    const ended = now();
    outcome.finishedAt = ended.toISOString();
    outcome.durationMs = ended.getTime() - started.getTime();
  }

  await state.runs.append({
    runId,
    kind: 'nightly',
    startedAt: outcome.startedAt,
    finishedAt: outcome.finishedAt,
    status: outcome.status,
    durationMs: outcome.durationMs,
    warnings: outcome.warnings.slice(0, 50),
    ...(outcome.error ? { error: outcome.error } : {}),
    ...(outcome.apply ? { writes: outcome.apply.counts } : {}),
  });
  return outcome;
}

/** Adds a notice to the outcome, with its English sentence in `warnings`. */
function note(outcome: JobOutcome, n: Notice): void {
  outcome.notices.push(n);
  outcome.warnings.push(n.message);
}

function warn(job: JobRun, outcome: JobOutcome, code: NoticeCode, params: MessageParams = {}): void {
  note(outcome, notice(job.parts.config.policy, code, params));
}

/** Pull from Pipedrive; a sync that stopped early makes the run partial. */
async function syncStep(job: JobRun, outcome: JobOutcome): Promise<void> {
  const { parts, options, logger, clock, runId } = job;
  const { config, client, state } = parts;
  const sync = await runSync({
    client,
    companyState: state,
    logger,
    clock,
    runId,
    reconcile: options.reconcile ?? 'auto',
    reconcileEveryDays: config.reconcileEveryDays,
    chains: config.syncChains,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onSyncProgress ? { onProgress: options.onSyncProgress } : {}),
  });
  outcome.sync = sync;
  if (sync.stopReason) warn(job, outcome, 'sync_stopped', { detail: sync.stopReason });
  if (sync.malformedCount > 0) warn(job, outcome, 'malformed_skipped', { count: sync.malformedCount });
  if (sync.status !== 'ok') outcome.status = 'partial';
}

/** Check the policy against the account, run the rules, keep the week's health scores and plan the writes. */
async function assessAndPlan(job: JobRun, outcome: JobOutcome, snapshot: MirrorSnapshot): Promise<void> {
  const { parts, logger, now, runId } = job;
  const { config, state } = parts;
  const policy = config.policy;
  // The policy against the account, every night: a type, field, option or user it names that does not
  // exist (or is inactive) is said in the CLI, the log and the report, with what it costs.
  for (const problem of checkPolicyAgainstAccount(policy, snapshot)) {
    warn(job, outcome, problem.code, problem.params);
    logger.warn({ code: problem.code }, outcome.warnings[outcome.warnings.length - 1]!);
  }
  const fallbackUserId = resolveUserRef(policy.owners.fallbackUser, snapshot.users)?.id ?? null;
  const escalationUserId = resolveUserRef(policy.owners.escalationUser, snapshot.users)?.id ?? null;
  if (fallbackUserId === null) warn(job, outcome, 'fallback_user_unknown', { user: String(policy.owners.fallbackUser) });
  if (escalationUserId === null) warn(job, outcome, 'escalation_user_unknown', { user: String(policy.owners.escalationUser) });
  const at = now();
  const changes = await trackChanges(state, snapshot, at, policy, logger);
  outcome.result = assessCompany(policy, snapshot, { now: at, timeZone: policy.timeZone }, { fallbackUserId, changes });
  await recordHealth(state, outcome.result, policy, logger);
  outcome.plan = buildPlan({
    policy,
    result: outcome.result,
    snapshot,
    runId,
    companyId: config.companyId,
    now: at,
    escalationUserId,
    fallbackUserId,
  });
  for (const n of outcome.plan.warnings) note(outcome, n);
  logger.info({ writes: outcome.plan.writes.length, skipped: outcome.plan.skipped.length }, 'plan computed');
}

/**
 * Near-real-time configured (CADENCE_WEBHOOK_URL): one GET /v1/webhooks (10 tokens) says whether the
 * subscriptions still deliver here. Whatever it finds, or when it cannot list them, is a notice: the night
 * did everything anyway, so this never fails or degrades the run.
 */
async function webhookStep(job: JobRun, outcome: JobOutcome): Promise<void> {
  const { config, client } = job.parts;
  const base = config.webhookUrl;
  // Not on a run that works from the mirror (--no-sync), failed, or stopped its sync (budget, network):
  // the call would cost time or tokens the night has not got, and that run already says why.
  if (base === undefined || !job.steps.sync || job.options.signal?.aborted) return;
  if (outcome.status === 'failed' || (outcome.sync && outcome.sync.status !== 'ok')) return;
  try {
    const health = classifyWebhooks(await client.listWebhooks(), config.companyId, base);
    outcome.webhooks = { ...health, error: null };
    for (const sub of health.subscriptions) {
      const n = subscriptionNotice(sub, health.receiverUrl, base);
      if (n) warn(job, outcome, n.code, n.params);
    }
    job.logger.info({ webhooks: countByState(health) }, 'webhook subscriptions checked');
  } catch (err) {
    const detail = (err as Error).message ?? String(err);
    outcome.webhooks = { receiverUrl: receiverUrlFor(base, config.companyId), error: detail, subscriptions: [] };
    warn(job, outcome, 'webhook_check_failed', { detail });
    job.logger.warn({ reason: detail }, 'webhook subscriptions not checked (the night goes on)');
  }
}

/** Write the plan back when asked and the mirror is complete; a refused, aborted or failed write makes the run partial. */
async function applyStep(job: JobRun, outcome: JobOutcome, snapshot: MirrorSnapshot): Promise<void> {
  const { parts, options, logger, clock, steps } = job;
  const { config, client, state } = parts;
  // A sync stopped by the daily budget leaves a partial mirror: planning from it is fine for the report,
  // but writing from it could create follow-ups a newer touchpoint would have prevented.
  const mirrorComplete = !outcome.sync || outcome.sync.status === 'ok';
  if (steps.apply && !mirrorComplete) warn(job, outcome, 'apply_skipped_stale');
  if (!steps.apply || !mirrorComplete || !outcome.plan) return;
  options.signal?.throwIfAborted();
  outcome.apply = await applyPlan({
    plan: outcome.plan,
    client,
    companyState: state,
    logger,
    dryRun: config.dryRun,
    maxWrites: config.maxWrites,
    force: options.force ?? false,
    concurrency: config.pipedrive.concurrency,
    clock,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onFirstApply ? { onFirstApply: options.onFirstApply } : {}),
    ...(options.onApplyProgress ? { onProgress: options.onApplyProgress } : {}),
  });
  await mirrorWrites(job, outcome.plan, outcome.apply, snapshot);
  for (const stop of Object.values(applyStopNotices(outcome.apply))) {
    if (!stop) continue;
    warn(job, outcome, stop.code, stop.params);
    outcome.status = 'partial';
  }
  if (outcome.apply.counts.failed > 0) outcome.status = 'partial';
}

/**
 * The night's own writes into the mirror (apply/own-writes.ts): their webhook echoes are not pulled, so a
 * batch later in the day plans from the values just written. A store that refuses costs nothing the next
 * sync does not repair: logged, the night goes on.
 */
async function mirrorWrites(job: JobRun, plan: Plan, apply: ApplySummary, snapshot: MirrorSnapshot): Promise<void> {
  try {
    await mirrorOwnWrites(job.parts.state, { plan, apply, snapshot, now: job.now() });
  } catch (err) {
    job.logger.warn({ err }, 'own writes not put into the mirror: the next sync pulls them');
  }
}

/** The run as the report states it, in the policy's language. */
function reportRunInfo(job: JobRun, outcome: JobOutcome): RunInfo {
  const { config } = job.parts;
  const describer = createDescriber(config.policy);
  return {
    startedAt: outcome.startedAt,
    finishedAt: outcome.finishedAt,
    durationMs: outcome.durationMs,
    recordsSynced: outcome.sync ? Object.fromEntries(Object.entries(outcome.sync.entities).map(([k, v]) => [k, v.records])) : {},
    requests: outcome.http.requests,
    retries: outcome.http.retries,
    rate429: outcome.http.rateLimited,
    // The report speaks the policy's language; a detail from Pipedrive or the network stays as it came.
    warnings: [...outcome.notices, ...(outcome.error ? [notice(config.policy, 'run_failed', { detail: outcome.error.message })] : [])].map((n) =>
      describer.notice(n),
    ),
    malformed: outcome.sync?.malformed ?? [],
    dryRun: !job.steps.apply || config.dryRun,
    ...(outcome.webhooks ? { webhooks: outcome.webhooks } : {}),
  };
}

/** Write the reports; a report that cannot be written is said (folder and reason) and makes the run partial. */
async function reportStep(job: JobRun, outcome: JobOutcome, result: RulesResult, snapshot: MirrorSnapshot): Promise<void> {
  const { parts, logger, runId } = job;
  const { config, state } = parts;
  try {
    const run = reportRunInfo(job, outcome);
    const healthHistory = await state.health.read(recentIsoWeeks(result.today, config.policy.views.healthWeeks)).catch((err: unknown) => {
      logger.warn({ err }, 'health history not read: the report shows this week only');
      return new Map<string, Map<number, number>>();
    });
    outcome.reports = await writeReports({
      healthHistory,
      dir: config.reportDir,
      retention: config.reportRetention,
      runId,
      result,
      plan: outcome.plan ?? null,
      applied: outcome.apply ?? null,
      run,
      snapshot,
      policy: config.policy,
      companyDomain: config.companyId.includes(':') ? config.pipedrive.baseUrl : config.companyId,
      logger,
    });
  } catch (err) {
    outcome.reportError = (err as Error).message;
    warn(job, outcome, 'report_not_written', { detail: outcome.reportError });
    logger.error({ reportDir: config.reportDir, reason: outcome.reportError }, 'report not written');
    logger.debug({ err }, 'report not written (stack)');
    if (outcome.status === 'ok') outcome.status = 'partial';
  }
}

/**
 * Keeps this week's health score of every client (docs/policy.md §10.5). The trend is a report, not a write
 * to Pipedrive: a store that refuses it is logged and the night goes on.
 */
async function recordHealth(state: CompanyParts['state'], result: RulesResult, policy: CompanyParts['config']['policy'], logger: CompanyParts['logger']): Promise<void> {
  const [week] = recentIsoWeeks(result.today, 1);
  try {
    await state.health.record(week!, result.organizations.map((o) => [o.orgId, o.health.score] as const), policy.views.healthKeepWeeks);
  } catch (err) {
    logger.warn({ err, week }, 'health history not recorded for this week: check the state store (CADENCE_STATE_URL)');
  }
}

/**
 * Owner handovers and stakeholder changes (docs/policy.md §10.5): tonight's mirror against the relationships
 * kept last night, the picture replaced at once so a change is seen one night only, and the changes still
 * in their windows handed to the rules. A store that cannot be read or written is logged and the night
 * goes on without them (a change not written is seen again, with the same identity, the next night).
 */
export async function trackChanges(state: CompanyParts['state'], snapshot: MirrorSnapshot, at: Date, policy: CompanyParts['config']['policy'], logger: CompanyParts['logger']): Promise<ChangeEvent[]> {
  let previous;
  try {
    previous = parseMemory(await state.changes.read());
  } catch (err) {
    logger.warn({ err }, 'relationship changes not read: handovers and stakeholder changes are not detected tonight');
    return [];
  }
  const memory = nextMemory(previous, snapshot, at, policy);
  try {
    await state.changes.write(memory);
  } catch (err) {
    logger.warn({ err }, 'relationship changes not recorded: check the state store (CADENCE_STATE_URL)');
  }
  return memory.events;
}
