/**
 * Cadence per rule (docs/policy.md §3): last qualifying touchpoint, next due date, gap and status.
 *
 * A touchpoint qualifies for a rule when it is in the rule's category and, if the rule has a
 * `subjectPattern`, its subject matches (annual planning within executive touchpoints).
 *
 * Status, with `daysUntilDue = nextDue − today`:
 *   never     no qualifying touchpoint on record;
 *   overdue   daysUntilDue < 0 (due yesterday or earlier; due *today* is not yet late);
 *   due_soon  0 ≤ daysUntilDue ≤ lead time;
 *   on_track  otherwise.
 * The lead time is `status.dueSoonDays`, capped at `cadenceDays − 1`: a rule touched today must be
 * on_track, otherwise a weekly rule with a 7-day lead would be "due soon" the moment it is satisfied.
 */
import type { CadenceRulePolicy, Policy, TierPolicy } from '../config/policy-schema.js';
import { followUpKeyRuleIds } from '../domain/provenance.js';
import type { EpochDay } from './calendar.js';
import { formatEpochDay } from './calendar.js';
import type { ActivityEntry, OrgMirror } from './mirror-index.js';
import { CATEGORY_BIT } from './touchpoints.js';
import type { CadenceResult, CadenceStatus, OverallStatus } from './types.js';

export interface CompiledRule {
  id: string;
  rule: CadenceRulePolicy;
  bit: number;
  subject: RegExp | null;
}

export function compileCadenceRules(rules: Policy['cadenceRules']): Map<string, CompiledRule> {
  const out = new Map<string, CompiledRule>();
  for (const [id, rule] of Object.entries(rules)) {
    out.set(id, { id, rule, bit: CATEGORY_BIT[rule.category], subject: rule.subjectPattern ? new RegExp(rule.subjectPattern, 'iu') : null });
  }
  return out;
}

/**
 * An open activity whose due date (plus the grace days) has passed: the call that never happened. The
 * worker's own follow-ups are not counted (they are escalated instead; their key keeps them unique).
 */
export function isMissed(entry: ActivityEntry, today: number, graceDays: number): boolean {
  return entry.day !== null && entry.day + graceDays < today && !entry.activity.cadenceKey;
}

/**
 * A touchpoint qualifies for a rule when it is of the rule's category and matches the rule's subject pattern,
 * or when it is the worker's own follow-up created for that rule (its key names the rule).
 */
export function qualifies(rule: CompiledRule, entry: ActivityEntry): boolean {
  if ((entry.mask & rule.bit) !== 0 && (rule.subject === null || rule.subject.test(entry.activity.subject))) return true;
  const key = entry.activity.cadenceKey;
  return key !== null && key.startsWith('fu:') && followUpKeyRuleIds(key).includes(rule.id);
}

/** Worse statuses rank higher. `never` is worse than `overdue`: nobody has ever been in touch. */
export const STATUS_RANK: Readonly<Record<OverallStatus, number>> = { not_applicable: -1, on_track: 0, due_soon: 1, overdue: 2, never: 3 };

export interface StatusOutcome {
  nextDueDay: EpochDay | null;
  gapDays: number | null;
  daysSinceLast: number | null;
  status: CadenceStatus;
}

/** Status of one rule from the day of its last touchpoint (see the module comment for the boundaries). */
export function cadenceStatus(lastDay: EpochDay | null, cadenceDays: number, today: EpochDay, dueSoonDays: number): StatusOutcome {
  if (lastDay === null) return { nextDueDay: null, gapDays: null, daysSinceLast: null, status: 'never' };
  const nextDueDay = lastDay + cadenceDays;
  const gapDays = today - nextDueDay;
  const lead = Math.min(dueSoonDays, cadenceDays - 1);
  const status: CadenceStatus = gapDays > 0 ? 'overdue' : -gapDays <= lead ? 'due_soon' : 'on_track';
  return { nextDueDay, gapDays, daysSinceLast: today - lastDay, status };
}

/** Running sums of the gaps between distinct touchpoint days (fed oldest first). */
class GapStats {
  private last: EpochDay | null = null;
  private n = 0;
  private sum = 0;
  private sumSq = 0;

  add(day: EpochDay): void {
    if (this.last !== null && day !== this.last) {
      const gap = day - this.last;
      this.n += 1;
      this.sum += gap;
      this.sumSq += gap * gap;
    }
    this.last = day;
  }

  /** Mean and (population) standard deviation of the gaps; null with fewer than two distinct days. */
  result(): CadenceResult['regularity'] {
    if (this.n === 0) return null;
    const mean = this.sum / this.n;
    const variance = Math.max(0, this.sumSq / this.n - mean * mean);
    const round = (x: number) => Math.round(x * 10) / 10;
    return { intervals: this.n, meanGapDays: round(mean), stdDevGapDays: round(Math.sqrt(variance)) };
  }
}

/** Mean and (population) standard deviation of the gaps between distinct touchpoint days (sorted). */
export function regularity(days: readonly EpochDay[]): CadenceResult['regularity'] {
  const stats = new GapStats();
  for (const d of days) stats.add(d);
  return stats.result();
}

export interface CadenceInput {
  rule: CompiledRule;
  tierCadence: TierPolicy['cadence'][string];
  org: OrgMirror;
  /** Open deal, or a deal won within activeClientWindowDays. */
  active: boolean;
  today: EpochDay;
  dueSoonDays: number;
  /**
   * An open qualifying activity counts as scheduled until its due date plus these days; after that it is
   * *missed* and the gap is open again (status.missedGraceDays, default 0).
   */
  missedGraceDays?: number;
  /** Date formatter (a shared-string one from createDayFormatter in a full pass). */
  formatDay?: (day: EpochDay) => string;
}

export function evaluateCadenceRule({ rule, tierCadence, org, active, today, dueSoonDays, missedGraceDays = 0, formatDay = formatEpochDay }: CadenceInput): CadenceResult {
  // Touchpoints are sorted oldest first, so the last qualifying one is the latest (ties: highest id).
  const gaps = new GapStats();
  let last: ActivityEntry | null = null;
  for (const e of org.touchpoints) {
    if (!qualifies(rule, e)) continue;
    gaps.add(e.day!);
    last = e;
  }
  const outcome = cadenceStatus(last ? last.day! : null, tierCadence.days, today, dueSoonDays);

  // An open qualifying activity, by anyone: the earliest due one (undated ones last, then lowest id). One
  // whose due date (plus the grace days) has passed is *missed* — the call that never happened — and no
  // longer holds the gap closed; the latest missed one is reported. The worker's own follow-ups are left
  // to escalation (their key keeps them from being created twice).
  let open: ActivityEntry | null = null;
  let missed: ActivityEntry | null = null;
  for (const e of org.open) {
    if (!qualifies(rule, e)) continue;
    if (isMissed(e, today, missedGraceDays)) {
      if (missed === null || e.day! > missed.day! || (e.day === missed.day && e.activity.id > missed.activity.id)) missed = e;
      continue;
    }
    if (open === null || earlierDue(e, open)) open = e;
  }

  return {
    ruleId: rule.id,
    category: rule.rule.category,
    cadenceDays: tierCadence.days,
    onGap: rule.rule.onGap,
    applies: !tierCadence.activeOnly || active,
    lastTouchpoint: last ? { activityId: last.activity.id, date: formatDay(last.day!) } : null,
    nextDueDate: outcome.nextDueDay === null ? null : formatDay(outcome.nextDueDay),
    gapDays: outcome.gapDays,
    daysSinceLast: outcome.daysSinceLast,
    status: outcome.status,
    openScheduled: open
      ? {
          activityId: open.activity.id,
          dueDate: open.day === null ? null : formatDay(open.day),
          cadenceKey: open.activity.cadenceKey,
          ownerId: open.activity.ownerId,
        }
      : null,
    regularity: gaps.result(),
    missed: missed
      ? { activityId: missed.activity.id, dueDate: formatDay(missed.day!), ownerId: missed.activity.ownerId, subject: missed.activity.subject }
      : null,
  };
}

function earlierDue(a: ActivityEntry, b: ActivityEntry): boolean {
  if (a.day === null) return b.day === null && a.activity.id < b.activity.id;
  if (b.day === null) return true;
  return a.day < b.day || (a.day === b.day && a.activity.id < b.activity.id);
}

/** The worst status among applicable rules; not_applicable when none applies. */
export function overallStatus(results: readonly CadenceResult[]): OverallStatus {
  let worst: OverallStatus = 'not_applicable';
  for (const r of results) if (r.applies && STATUS_RANK[r.status] > STATUS_RANK[worst]) worst = r.status;
  return worst;
}
