/**
 * One pass of the nightly job over every company: what `run-once` does and what each scheduler tick
 * does. Several replicas may run it at the same moment against the same store:
 *
 * - each company runs under its lock (`company:<id>`, lease renewed while the job works), so one
 *   process at a time works on it;
 * - a company whose lock another process holds is set aside and tried again until `takeoverWaitMs`
 *   has passed: if its holder dies, the lease runs out and this process takes over;
 * - after getting the lock, the run record decides whether there is anything left to do: the same
 *   tick already attempted (succeeded or failed), or another process finished it while we waited;
 * - one company's failure (revoked token, outage) is recorded and reported; the others go on.
 *
 * The job itself is injected: `(companyId, signal) => Promise<outcome>`. Its signal aborts on
 * shutdown or when the lock is lost; the job checks it between writes/pages and returns or throws.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import { LockLostError, newOwnerId, withLock, type Lease } from '../store/lock.js';
import { describeFailure, type Failure, type FailureKind } from './describe-failure.js';
import { onFatal } from './last-defence.js';
import { nextRunRecord, readRunRecord, runRecordKey, type CompanyRunRecord, type RecordStore } from './run-record.js';
import { sleep, systemClock, type Clock } from '../domain/clock.js';
import type { LockBackend } from '../store/lock-backend.js';

export type RunCompany<O> = (companyId: string, signal: AbortSignal) => Promise<O>;

/** Where locks and run records live: the state store's lock backend and its key-value side. */
export interface OpsStore {
  locks: LockBackend;
  records: RecordStore;
}

export type CompanyStatus =
  /** The job ran and returned an outcome the classifier accepts. */
  | 'succeeded'
  /**
   * The job stopped early on the company's daily API budget, its checkpoint kept: not a failure (nothing
   * to fix, the next run resumes), not a complete night either (`run-once` exits 4).
   */
  | 'stopped-budget'
  /** The job threw, or returned an outcome the classifier rejects. */
  | 'failed'
  /** Shutdown stopped the job; the next tick (or another replica in this tick) continues. */
  | 'aborted'
  /** The lease was lost mid-run; the job was told to stop and another process may have taken over. */
  | 'lock-lost'
  /** This tick was already attempted, or another process finished the company while we waited. */
  | 'done-elsewhere'
  /** Another process still held the lock when the takeover wait ended. */
  | 'locked-elsewhere'
  /** Shutdown came before this company was started. */
  | 'not-started';

export interface CompanyResult<O> {
  companyId: string;
  status: CompanyStatus;
  outcome?: O;
  failure?: Failure;
  /** Why the job stopped on the daily budget (status `stopped-budget`). */
  stopReason?: string;
  /** After this run (from the store; 0 when unknown). */
  consecutiveFailures: number;
  durationMs?: number;
}

export interface RunSummary<O> {
  slot: string | null;
  owner: string;
  startedAt: string;
  finishedAt: string;
  aborted: boolean;
  results: CompanyResult<O>[];
  /** Number of companies per status, for logs and metrics. */
  counts: Record<CompanyStatus, number>;
}

export type Verdict =
  /** `budgetStop`: the job stopped early on the daily API budget, with this reason (status `stopped-budget`). */
  | { ok: true; budgetStop?: string }
  | { ok: false; kind?: FailureKind; reason: string };

export interface RunAllOptions<O> {
  companies: readonly string[];
  runCompany: RunCompany<O>;
  store: OpsStore;
  logger: Logger;
  /** The scheduled tick this pass belongs to, identical on every replica; null: no per-tick dedupe. */
  slot: Date | null;
  signal?: AbortSignal;
  clock?: Clock;
  /** Lease length; renewed every third of it while a job runs. Default 60 s. */
  lockTtlMs?: number;
  owner?: string;
  /** How long to keep retrying companies another process holds (default 2 × lockTtlMs). */
  takeoverWaitMs?: number;
  /** Companies worked on at once by this process (default 1). */
  concurrency?: number;
  /** Decides whether a returned outcome is a success (default: any returned outcome is). */
  classify?: (outcome: O) => Verdict;
  onCompanyFinished?: (result: CompanyResult<O>) => void;
  /** Said once per holder while this process waits for a company another process holds (the CLI prints it). */
  onLockWait?: (wait: LockWait) => void;
}

/** Who holds a company this process is waiting for, until when, and how long this process waits. */
export interface LockWait {
  companyId: string;
  /** The holder's owner id (host:pid:…), or null when the lease vanished meanwhile. */
  holder: string | null;
  /** When the holder's lease runs out unless renewed (ISO), when the store says. */
  leaseUntil: string | null;
  /** When this process stops waiting (ISO). */
  waitUntil: string;
  /** The sentence, in English, for the terminal and the log. */
  message: string;
}

/**
 * Lease length. The lease is renewed every third of it from a timer, and a timer cannot fire while the
 * job computes synchronously (loading a 1M-activity mirror, the rules pass, building the report take
 * tens of seconds at 50k clients): 5 minutes leaves room for that. A dead holder's company is taken over
 * when its lease ends, at most 5 minutes late, which a nightly job can afford. CADENCE_LOCK_TTL_MS.
 */
export const DEFAULT_LOCK_TTL_MS = 300_000;

const emptyCounts = (): Record<CompanyStatus, number> => ({
  succeeded: 0,
  'stopped-budget': 0,
  failed: 0,
  aborted: 0,
  'lock-lost': 0,
  'done-elsewhere': 0,
  'locked-elsewhere': 0,
  'not-started': 0,
});

export const companyLockName = (companyId: string) => `company:${companyId}`;

/** One pass over the companies: its settings, and what it has found so far (results, lock baselines, holders said). */
interface Pass<O> {
  opts: RunAllOptions<O>;
  clock: Clock;
  ttlMs: number;
  owner: string;
  slot: string | null;
  signal: AbortSignal;
  store: OpsStore;
  logger: Logger;
  iso: () => string;
  /** When this process stops waiting for companies another process holds (ms). */
  deadline: number;
  results: Map<string, CompanyResult<O>>;
  /** runId seen when a company was first found locked (null: no record yet). */
  baseline: Map<string, string | null>;
  /** The holder last said for each company waited for. */
  reported: Map<string, string | null>;
}

export async function runAllCompanies<O>(opts: RunAllOptions<O>): Promise<RunSummary<O>> {
  const clock = opts.clock ?? systemClock();
  const ttlMs = opts.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
  const iso = () => new Date(clock.now()).toISOString();
  const pass: Pass<O> = {
    opts,
    clock,
    ttlMs,
    owner: opts.owner ?? newOwnerId(),
    slot: opts.slot ? opts.slot.toISOString() : null,
    signal: opts.signal ?? new AbortController().signal,
    store: opts.store,
    logger: opts.logger,
    iso,
    deadline: 0,
    results: new Map(),
    baseline: new Map(),
    reported: new Map(),
  };
  const startedAt = iso();
  pass.deadline = clock.now() + (opts.takeoverWaitMs ?? 2 * ttlMs);
  pass.logger.info({ slot: pass.slot, owner: pass.owner, companies: opts.companies.length }, 'run started');
  await workThrough(pass);
  await settleUnfinished(pass);
  return summarize(pass, startedAt);
}

function finishCompany<O>(pass: Pass<O>, result: CompanyResult<O>): void {
  pass.results.set(result.companyId, result);
  pass.opts.onCompanyFinished?.(result);
}

/** Attempts every company, `concurrency` at a time, retrying the locked ones until the takeover wait ends. */
async function workThrough<O>(pass: Pass<O>): Promise<void> {
  const { opts, signal, clock, results } = pass;
  let pending = [...new Set(opts.companies)];
  while (pending.length > 0 && !signal.aborted) {
    const queue = [...pending];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined && !signal.aborted; id = queue.shift()) await attemptCompany(pass, id);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 1, pending.length)) }, worker));
    pending = pending.filter((id) => !results.has(id));
    const waitMs = pass.deadline - clock.now();
    if (pending.length === 0 || waitMs <= 0 || signal.aborted) break;
    await sleep(clock, Math.min(Math.max(1, Math.floor(pass.ttlMs / 3)), waitMs), signal);
  }
}

/** Companies left without a result: not started (shutdown) or still locked elsewhere when the wait ended. */
async function settleUnfinished<O>(pass: Pass<O>): Promise<void> {
  const { opts, signal, results, baseline, store, logger } = pass;
  for (const companyId of opts.companies) {
    if (results.has(companyId)) continue;
    // Unfinished without shutdown means the takeover wait ended while another process held the lock.
    const status: CompanyStatus = signal.aborted && !baseline.has(companyId) ? 'not-started' : 'locked-elsewhere';
    const record = await readRunRecord(store.records, companyId).catch(() => undefined);
    if (status === 'locked-elsewhere') logger.warn({ companyId }, 'company still locked by another worker when the takeover wait ended; it runs there');
    finishCompany(pass, { companyId, status, consecutiveFailures: record?.consecutiveFailures ?? 0 });
  }
}

function summarize<O>(pass: Pass<O>, startedAt: string): RunSummary<O> {
  const { opts, slot, owner, signal, logger } = pass;
  const ordered = opts.companies.filter((id, i, all) => all.indexOf(id) === i).map((id) => pass.results.get(id)!);
  const counts = emptyCounts();
  for (const r of ordered) counts[r.status]++;
  const summary: RunSummary<O> = { slot, owner, startedAt, finishedAt: pass.iso(), aborted: signal.aborted, results: ordered, counts };
  const level = counts.failed + counts['lock-lost'] > 0 ? 'warn' : 'info';
  logger[level]({ slot, counts, failed: ordered.filter((r) => r.status === 'failed').map((r) => ({ companyId: r.companyId, kind: r.failure?.kind, consecutiveFailures: r.consecutiveFailures })) }, 'run finished');
  return summary;
}

/** A run waiting for a lock says who holds it and until when (once per holder), instead of waiting in silence. */
async function reportLockWait<O>(pass: Pass<O>, companyId: string, log: Logger): Promise<void> {
  const { store, reported } = pass;
  const name = companyLockName(companyId);
  const lease = store.locks.lease
    ? await store.locks.lease(name).catch(() => null)
    : await store.locks
        .holder(name)
        .then((owner) => (owner ? { owner, expiresAt: NaN } : null))
        .catch(() => null);
  const holder = lease?.owner ?? null;
  if (reported.has(companyId) && reported.get(companyId) === holder) {
    log.debug({ holder }, 'company still locked by another worker; will retry');
    return;
  }
  reported.set(companyId, holder);
  const leaseUntil = lease && Number.isFinite(lease.expiresAt) ? new Date(lease.expiresAt).toISOString() : null;
  const waitUntil = new Date(pass.deadline).toISOString();
  const message =
    `company ${companyId} is locked by ${holder ?? 'another worker'}` +
    `${leaseUntil ? ` (lease until ${leaseUntil}, renewed while it works)` : ''}; waiting until ${waitUntil} for it to finish or its lease to run out`;
  log.warn({ holder, leaseUntil, waitUntil }, message);
  pass.opts.onLockWait?.({ companyId, holder, leaseUntil, waitUntil, message });
}

/** One company under its lock; a company another process holds is left for a later round. */
async function attemptCompany<O>(pass: Pass<O>, companyId: string): Promise<void> {
  const { store, ttlMs, owner, clock, signal, baseline } = pass;
  const log = pass.logger.child({ companyId });
  let before: CompanyRunRecord | undefined;
  try {
    before = await readRunRecord(store.records, companyId, log);
    const outcome = await withLock(store.locks, companyLockName(companyId), { ttlMs: ttlMs, owner, clock, signal, logger: log }, (jobSignal, lease) =>
      runLocked(pass, companyId, jobSignal, log, lease),
    );
    if (!outcome.acquired) {
      if (!baseline.has(companyId)) baseline.set(companyId, before?.runId ?? null);
      await reportLockWait(pass, companyId, log);
      return;
    }
    finishCompany(pass, outcome.value);
  } catch (err) {
    // The store itself failed (lock or record): this company is reported, the others go on.
    const failure: Failure = { ...describeFailure(err), kind: 'store' };
    log.error({ kind: failure.kind, reason: failure.reason }, `company ${companyId}: state store error: ${failure.reason}`);
    finishCompany(pass, { companyId, status: 'failed', failure, consecutiveFailures: before?.consecutiveFailures ?? 0 });
  }
}

/** Whether there is nothing left to do: this tick already attempted, or finished elsewhere while we waited. */
function doneElsewhere<O>(pass: Pass<O>, companyId: string, previous: CompanyRunRecord | undefined, log: Logger): CompanyResult<O> | undefined {
  const { slot, baseline } = pass;
  const failuresSoFar = previous?.consecutiveFailures ?? 0;
  if (slot !== null && previous?.slot === slot && previous.status !== 'aborted') {
    log.info({ slot, by: previous.owner, status: previous.status }, 'company already attempted for this tick');
    return { companyId, status: 'done-elsewhere', consecutiveFailures: failuresSoFar };
  }
  if (baseline.has(companyId) && (previous?.runId ?? null) !== baseline.get(companyId) && previous?.status !== 'aborted') {
    log.info({ by: previous?.owner, status: previous?.status }, 'another worker finished this company while we waited');
    return { companyId, status: 'done-elsewhere', consecutiveFailures: failuresSoFar };
  }
  return undefined;
}

/** The job's own result: its outcome, and the failure or budget stop the classifier sees in it. */
interface JobResult<O> {
  outcome?: O;
  failure?: Failure;
  budgetStop?: string;
}

async function runJob<O>(pass: Pass<O>, companyId: string, jobSignal: AbortSignal): Promise<JobResult<O>> {
  try {
    const outcome = await pass.opts.runCompany(companyId, jobSignal);
    const verdict: Verdict = pass.opts.classify?.(outcome) ?? { ok: true };
    return verdict.ok ? { outcome, budgetStop: verdict.budgetStop } : { outcome, failure: { kind: verdict.kind ?? 'error', reason: verdict.reason } };
  } catch (err) {
    return { failure: describeFailure(err) };
  }
}

async function runLocked<O>(pass: Pass<O>, companyId: string, jobSignal: AbortSignal, log: Logger, lease: Lease): Promise<CompanyResult<O>> {
  const { store, slot, owner, clock, iso } = pass;
  const previous = await readRunRecord(store.records, companyId, log);
  const done = doneElsewhere(pass, companyId, previous, log);
  if (done) return done;
  const failuresSoFar = previous?.consecutiveFailures ?? 0;
  const started = clock.now();
  log.info({ slot, consecutiveFailures: failuresSoFar }, 'company run started');
  // A bug that escapes the job (unhandled rejection, uncaught exception) ends the process: record this
  // run as failed with that reason and free the company, so the next run starts at once (last-defence.ts).
  const offFatal = onFatal(async (fatal) => {
    const record = nextRunRecord(previous, { companyId, runId: randomUUID(), slot, owner, startedAt: new Date(started).toISOString(), finishedAt: iso(), failure: fatal });
    try {
      await store.records.set(runRecordKey(companyId), record);
    } finally {
      await lease.release();
    }
  });
  // Until the record is written: the lock itself is released by withLock right after.
  try {
    const job = await runJob(pass, companyId, jobSignal);
    const durationMs = clock.now() - started;
    const { outcome } = job;
    if (jobSignal.reason instanceof LockLostError) {
      // Someone else may own the company now: leave the record to them.
      const lost = describeFailure(jobSignal.reason);
      log.error({ reason: lost.reason, durationMs }, `company ${companyId}: ${lost.reason}`);
      return { companyId, status: 'lock-lost', failure: lost, consecutiveFailures: failuresSoFar, durationMs, ...(outcome !== undefined ? { outcome } : {}) };
    }
    return await recordRun(pass, { companyId, previous, started, durationMs, job, log });
  } finally {
    offFatal();
  }
}

/** Writes the company's run record and says how the run ended (aborted, failed, stopped on budget, succeeded). */
async function recordRun<O>(
  pass: Pass<O>,
  run: { companyId: string; previous: CompanyRunRecord | undefined; started: number; durationMs: number; job: JobResult<O>; log: Logger },
): Promise<CompanyResult<O>> {
  const { companyId, previous, started, durationMs, log } = run;
  const { outcome, failure, budgetStop } = run.job;
  const failuresSoFar = previous?.consecutiveFailures ?? 0;
  const aborted = pass.signal.aborted;
  const record = nextRunRecord(previous, {
    companyId,
    runId: randomUUID(),
    slot: pass.slot,
    owner: pass.owner,
    startedAt: new Date(started).toISOString(),
    finishedAt: pass.iso(),
    ...(aborted ? { failure: 'aborted' as const } : failure ? { failure } : budgetStop !== undefined ? { budgetStop } : {}),
  });
  try {
    await pass.store.records.set(runRecordKey(companyId), record);
  } catch (err) {
    log.error({ reason: describeFailure(err).reason }, 'could not write the run record; the failure count may be off by one');
  }
  const base = { companyId, consecutiveFailures: record.consecutiveFailures, durationMs, ...(outcome !== undefined ? { outcome } : {}) };
  if (aborted) {
    log.warn({ durationMs }, 'company run stopped by shutdown; it continues on the next run');
    return { ...base, status: 'aborted', ...(failure ? { failure } : {}) };
  }
  if (failure) {
    const n = record.consecutiveFailures;
    log.error(
      { kind: failure.kind, reason: failure.reason, consecutiveFailures: n, durationMs },
      `company ${companyId} failed (${n} run${n === 1 ? '' : 's'} in a row): ${failure.reason}`,
    );
    return { ...base, status: 'failed', failure };
  }
  if (budgetStop !== undefined) {
    log.warn({ reason: budgetStop, durationMs }, `company ${companyId} stopped on the daily API budget; its checkpoint is kept and the next run resumes: ${budgetStop}`);
    return { ...base, status: 'stopped-budget', stopReason: budgetStop };
  }
  if (failuresSoFar > 0) log.info({ durationMs, after: failuresSoFar }, `company ${companyId} succeeded again after ${failuresSoFar} failed runs`);
  else log.info({ durationMs }, 'company run succeeded');
  return { ...base, status: 'succeeded' };
}
