/**
 * `cadence schedule`: runs every company on the configured schedule in the firm's time zone
 * (default `0 2 * * *`, policy.timeZone). The next tick comes from the pure nextRunAfter (node-cron's
 * expression language, our DST rules); the timer is the injected clock, so tests advance time instead
 * of sleeping. The timer wakes at least every few minutes and re-reads the clock, so a suspended host
 * or a clock step makes a tick late, never lost; ticks missed while suspended run once, not N times.
 *
 * A run never overlaps the previous one: a tick that comes while this process is still running is
 * skipped (and counted), and across processes each company's lock and run record decide who works.
 * A run that fails is simply retried on the next tick; the run record keeps the consecutive count.
 */
import { checkTimeZone, nextRunAfter, parseSchedule } from './next-run.js';
import { DEFAULT_LOCK_TTL_MS, runAllCompanies, type CompanyStatus, type RunAllOptions, type RunSummary } from './run-all-companies.js';
import { systemClock, type Clock } from '../domain/clock.js';

export interface SchedulerOptions<O> extends Omit<RunAllOptions<O>, 'slot' | 'clock'> {
  /** node-cron expression (5 fields, or 6 with seconds). */
  schedule: string;
  /** IANA zone the schedule is read in (the firm's, policy.timeZone). */
  timeZone: string;
  clock?: Clock;
  onRunFinished?: (summary: RunSummary<O>) => void;
}

export interface SchedulerStats {
  /** Ticks that came due since start. */
  ticks: number;
  /** Runs started (ticks minus skipped overlaps). */
  runs: number;
  /** Ticks skipped because the previous run was still going. */
  skippedOverlaps: number;
  running: boolean;
  /** Per company: consecutive failed runs as of the last run (from the store). */
  consecutiveFailures: Record<string, number>;
  /** Per company and status: how many runs ended so, since start (for metrics). */
  statusTotals: Record<string, Partial<Record<CompanyStatus, number>>>;
  lastRun?: { slot: string | null; startedAt: string; finishedAt: string; counts: Record<CompanyStatus, number> };
}

export interface Scheduler {
  /** No new ticks; resolves when the run in flight (aborted through your signal, or not) has ended. */
  stop(): Promise<void>;
  /** The next tick, or null once stopped. */
  nextRun(): Date | null;
  stats(): SchedulerStats;
}

/** Re-read the clock at least this often, so a clock step or a suspend is noticed. */
const MAX_TIMER_MS = 5 * 60_000;
/** A tick this late is reported (the host slept or the clock jumped). */
const LATE_WARNING_MS = 60_000;
/** A waiting replica gives up on a locked company this long before the next tick at the latest. */
const MAX_TAKEOVER_WAIT_MS = 6 * 3_600_000;

export function startScheduler<O>(opts: SchedulerOptions<O>): Scheduler {
  const { logger } = opts;
  const fields = parseSchedule(opts.schedule);
  checkTimeZone(opts.timeZone);
  const clock = opts.clock ?? systemClock();

  let next: Date | null = nextRunAfter(fields, opts.timeZone, new Date(clock.now()));
  let cancelTimer: (() => void) | undefined;
  let current: Promise<void> | undefined;
  const stats: SchedulerStats = { ticks: 0, runs: 0, skippedOverlaps: 0, running: false, consecutiveFailures: {}, statusTotals: {} };

  const fire = (slot: Date) => {
    stats.ticks++;
    if (current) {
      stats.skippedOverlaps++;
      logger.warn({ slot: slot.toISOString(), skippedOverlaps: stats.skippedOverlaps }, 'previous run still going; skipping this tick');
      return;
    }
    stats.runs++;
    stats.running = true;
    current = (async () => {
      try {
        const summary = await runAllCompanies({ ...opts, slot, clock, takeoverWaitMs: takeoverWaitFor(opts, fields, clock, slot) });
        recordSummary(stats, summary);
        opts.onRunFinished?.(summary);
      } catch (err) {
        // runAllCompanies reports per company; reaching here is a bug or a broken hook. Keep ticking.
        logger.error({ err: (err as Error).message, slot: slot.toISOString() }, 'scheduled run crashed; the next tick runs again');
      } finally {
        stats.running = false;
        current = undefined;
      }
    })();
  };

  const arm = () => {
    if (!next) return;
    const waitMs = Math.min(Math.max(0, next.getTime() - clock.now()), MAX_TIMER_MS);
    cancelTimer = clock.setTimer(waitMs, wake);
  };

  const wake = () => {
    if (!next) return;
    const now = clock.now();
    if (now < next.getTime()) return arm();
    const slot = next;
    const lateMs = now - slot.getTime();
    // Ticks missed while the host slept collapse into this one.
    next = nextRunAfter(fields, opts.timeZone, new Date(Math.max(now, slot.getTime())));
    if (lateMs > LATE_WARNING_MS) logger.warn({ slot: slot.toISOString(), lateMs }, 'tick is late (host suspended or clock stepped); running it now');
    fire(slot);
    arm();
  };

  logger.info({ schedule: opts.schedule, timeZone: opts.timeZone, nextRun: next.toISOString(), companies: opts.companies.length }, 'scheduler started');
  arm();

  return {
    async stop() {
      if (next) logger.info({ running: stats.running }, 'scheduler stopping: no new runs');
      next = null;
      cancelTimer?.();
      await current;
    },
    nextRun: () => next,
    stats: () => structuredClone(stats),
  };
}

/**
 * How long a tick waits for companies another replica holds: until shortly before the next tick (at most
 * 6 h), and at least long enough for a dead holder's lease to run out unless the next tick comes sooner.
 */
function takeoverWaitFor<O>(opts: SchedulerOptions<O>, fields: ReturnType<typeof parseSchedule>, clock: Clock, slot: Date): number {
  if (opts.takeoverWaitMs !== undefined) return opts.takeoverWaitMs;
  const ttlMs = opts.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
  const untilNext = nextRunAfter(fields, opts.timeZone, slot).getTime() - clock.now();
  return Math.max(Math.min(2 * ttlMs, untilNext), Math.min(untilNext - 60_000, MAX_TAKEOVER_WAIT_MS));
}

/** A finished run into the scheduler's stats: failures in a row and status totals per company, the last run. */
function recordSummary<O>(stats: SchedulerStats, summary: RunSummary<O>): void {
  for (const r of summary.results) {
    stats.consecutiveFailures[r.companyId] = r.consecutiveFailures;
    const totals = (stats.statusTotals[r.companyId] ??= {});
    totals[r.status] = (totals[r.status] ?? 0) + 1;
  }
  stats.lastRun = { slot: summary.slot, startedAt: summary.startedAt, finishedAt: summary.finishedAt, counts: summary.counts };
}

/** Several schedulers (one per time zone) seen as one: stop all, earliest next run, summed stats. */
export function combineSchedulers(schedulers: readonly Scheduler[]): Scheduler {
  return {
    async stop() {
      await Promise.all(schedulers.map((s) => s.stop()));
    },
    nextRun() {
      const runs = schedulers.map((s) => s.nextRun()).filter((d): d is Date => d !== null);
      return runs.length === 0 ? null : new Date(Math.min(...runs.map((d) => d.getTime())));
    },
    stats() {
      const all = schedulers.map((s) => s.stats());
      const latest = all.filter((s) => s.lastRun).sort((a, b) => (a.lastRun!.finishedAt < b.lastRun!.finishedAt ? 1 : -1))[0]?.lastRun;
      return {
        ticks: all.reduce((n, s) => n + s.ticks, 0),
        runs: all.reduce((n, s) => n + s.runs, 0),
        skippedOverlaps: all.reduce((n, s) => n + s.skippedOverlaps, 0),
        running: all.some((s) => s.running),
        consecutiveFailures: Object.assign({}, ...all.map((s) => s.consecutiveFailures)) as Record<string, number>,
        statusTotals: Object.assign({}, ...all.map((s) => s.statusTotals)) as SchedulerStats['statusTotals'],
        ...(latest ? { lastRun: latest } : {}),
      };
    },
  };
}
