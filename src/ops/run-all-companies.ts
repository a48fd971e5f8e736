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

export async function runAllCompanies<O>(opts: RunAllOptions<O>): Promise<RunSummary<O>> {
  const clock = opts.clock ?? systemClock();
  const ttlMs = opts.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
  const owner = opts.owner ?? newOwnerId();
  const slot = opts.slot ? opts.slot.toISOString() : null;
  const signal = opts.signal ?? new AbortController().signal;
  const { store, logger } = opts;
  const iso = () => new Date(clock.now()).toISOString();
  const startedAt = iso();
  const deadline = clock.now() + (opts.takeoverWaitMs ?? 2 * ttlMs);
  const results = new Map<string, CompanyResult<O>>();
  /** runId seen when a company was first found locked (null: no record yet). */
  const baseline = new Map<string, string | null>();

  logger.info({ slot, owner, companies: opts.companies.length }, 'run started');

  const finish = (result: CompanyResult<O>) => {
    results.set(result.companyId, result);
    opts.onCompanyFinished?.(result);
  };

  // A run waiting for a lock says who holds it and until when (once per holder), instead of waiting in silence.
  const reported = new Map<string, string | null>();
  const reportLockWait = async (companyId: string, log: Logger): Promise<void> => {
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
    const waitUntil = new Date(deadline).toISOString();
    const message =
      `company ${companyId} is locked by ${holder ?? 'another worker'}` +
      `${leaseUntil ? ` (lease until ${leaseUntil}, renewed while it works)` : ''}; waiting until ${waitUntil} for it to finish or its lease to run out`;
    log.warn({ holder, leaseUntil, waitUntil }, message);
    opts.onLockWait?.({ companyId, holder, leaseUntil, waitUntil, message });
  };

  /** Returns 'locked' when another process holds the company. */
  const attempt = async (companyId: string): Promise<'locked' | void> => {
    const log = logger.child({ companyId });
    let before: CompanyRunRecord | undefined;
    try {
      before = await readRunRecord(store.records, companyId, log);
      const outcome = await withLock(store.locks, companyLockName(companyId), { ttlMs: ttlMs, owner, clock, signal, logger: log }, (jobSignal, lease) =>
        runLocked(companyId, jobSignal, log, lease),
      );
      if (!outcome.acquired) {
        if (!baseline.has(companyId)) baseline.set(companyId, before?.runId ?? null);
        await reportLockWait(companyId, log);
        return 'locked';
      }
      finish(outcome.value);
    } catch (err) {
      // The store itself failed (lock or record): this company is reported, the others go on.
      const failure: Failure = { ...describeFailure(err), kind: 'store' };
      log.error({ kind: failure.kind, reason: failure.reason }, `company ${companyId}: state store error: ${failure.reason}`);
      finish({ companyId, status: 'failed', failure, consecutiveFailures: before?.consecutiveFailures ?? 0 });
    }
  };

  const runLocked = async (companyId: string, jobSignal: AbortSignal, log: Logger, lease: Lease): Promise<CompanyResult<O>> => {
    const previous = await readRunRecord(store.records, companyId, log);
    const failuresSoFar = previous?.consecutiveFailures ?? 0;
    if (slot !== null && previous?.slot === slot && previous.status !== 'aborted') {
      log.info({ slot, by: previous.owner, status: previous.status }, 'company already attempted for this tick');
      return { companyId, status: 'done-elsewhere', consecutiveFailures: failuresSoFar };
    }
    if (baseline.has(companyId) && (previous?.runId ?? null) !== baseline.get(companyId) && previous?.status !== 'aborted') {
      log.info({ by: previous?.owner, status: previous?.status }, 'another worker finished this company while we waited');
      return { companyId, status: 'done-elsewhere', consecutiveFailures: failuresSoFar };
    }

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
      let outcome: O | undefined;
      let failure: Failure | undefined;
      let budgetStop: string | undefined;
      try {
        outcome = await opts.runCompany(companyId, jobSignal);
        const verdict: Verdict = opts.classify?.(outcome) ?? { ok: true };
        if (!verdict.ok) failure = { kind: verdict.kind ?? 'error', reason: verdict.reason };
        else budgetStop = verdict.budgetStop;
      } catch (err) {
        failure = describeFailure(err);
      }
      const durationMs = clock.now() - started;

      if (jobSignal.reason instanceof LockLostError) {
        // Someone else may own the company now: leave the record to them.
        const lost = describeFailure(jobSignal.reason);
        log.error({ reason: lost.reason, durationMs }, `company ${companyId}: ${lost.reason}`);
        return { companyId, status: 'lock-lost', failure: lost, consecutiveFailures: failuresSoFar, durationMs, ...(outcome !== undefined ? { outcome } : {}) };
      }
      const aborted = signal.aborted;
      const record = nextRunRecord(previous, {
        companyId,
        runId: randomUUID(),
        slot,
        owner,
        startedAt: new Date(started).toISOString(),
        finishedAt: iso(),
        ...(aborted ? { failure: 'aborted' as const } : failure ? { failure } : budgetStop !== undefined ? { budgetStop } : {}),
      });
      try {
        await store.records.set(runRecordKey(companyId), record);
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
    } finally {
      offFatal();
    }
  };

  let pending = [...new Set(opts.companies)];
  while (pending.length > 0 && !signal.aborted) {
    const deferred: string[] = [];
    const queue = [...pending];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined && !signal.aborted; id = queue.shift()) {
        if ((await attempt(id)) === 'locked') deferred.push(id);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 1, pending.length)) }, worker));
    pending = pending.filter((id) => !results.has(id));
    const waitMs = deadline - clock.now();
    if (pending.length === 0 || waitMs <= 0 || signal.aborted) break;
    await sleep(clock, Math.min(Math.max(1, Math.floor(ttlMs / 3)), waitMs), signal);
  }

  for (const companyId of opts.companies) {
    if (results.has(companyId)) continue;
    // Unfinished without shutdown means the takeover wait ended while another process held the lock.
    const status: CompanyStatus = signal.aborted && !baseline.has(companyId) ? 'not-started' : 'locked-elsewhere';
    const record = await readRunRecord(store.records, companyId).catch(() => undefined);
    if (status === 'locked-elsewhere') logger.warn({ companyId }, 'company still locked by another worker when the takeover wait ended; it runs there');
    finish({ companyId, status, consecutiveFailures: record?.consecutiveFailures ?? 0 });
  }

  const ordered = opts.companies.filter((id, i, all) => all.indexOf(id) === i).map((id) => results.get(id)!);
  const counts = emptyCounts();
  for (const r of ordered) counts[r.status]++;
  const summary: RunSummary<O> = { slot, owner, startedAt, finishedAt: iso(), aborted: signal.aborted, results: ordered, counts };
  const level = counts.failed + counts['lock-lost'] > 0 ? 'warn' : 'info';
  logger[level]({ slot, counts, failed: ordered.filter((r) => r.status === 'failed').map((r) => ({ companyId: r.companyId, kind: r.failure?.kind, consecutiveFailures: r.consecutiveFailures })) }, 'run finished');
  return summary;
}
