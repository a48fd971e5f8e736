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
 *
 * New clients (docs/policy.md §10.4): a client's cadence starts at its first won deal, else at the
 * organization's creation (`cadenceStart`). The next due date counts from the later of the last qualifying
 * touchpoint and that start, so no rule is due before one full period of it has passed since the start (no
 * QBR or annual planning on day one); a client never touched whose first period has passed is `never`, as
 * before. A rule of kind `onboarding` ("establish the communication cadence") applies only while the client
 * is new — its start less than the tier's `days` ago — and is `never` until a qualifying touchpoint on or
 * after the start, then `on_track`.
 */
import type { CadenceRulePolicy, Policy, TierPolicy } from '../config/policy-schema.js';
import { followUpKeyRuleIds } from '../domain/provenance.js';
import type { EpochDay, ZoneCalendar } from './calendar.js';
import { formatEpochDay, parseInstant } from './calendar.js';
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
    return { intervals: this.n, meanGapDays: round1(mean), stdDevGapDays: round1(Math.sqrt(variance)) };
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Mean and (population) standard deviation of the gaps between distinct touchpoint days (sorted). */
export function regularity(days: readonly EpochDay[]): CadenceResult['regularity'] {
  const stats = new GapStats();
  for (const d of days) stats.add(d);
  return stats.result();
}

/** The day a client's cadence starts: its first won deal, else the organization's creation (null when unknown). */
export function cadenceStart(om: OrgMirror, cal: ZoneCalendar): EpochDay | null {
  let first: EpochDay | null = null;
  om.deals.forEach((d, i) => {
    const day = om.closeDays[i] ?? null;
    if (d.status === 'won' && day !== null && (first === null || day < first)) first = day;
  });
  if (first !== null) return first;
  const ms = parseInstant(om.org.addTime);
  return Number.isFinite(ms) ? cal.dayOfInstant(ms) : null;
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
  /** The client's cadence start (`cadenceStart`); null or absent: none (every rule counts from its touchpoints only). */
  startDay?: EpochDay | null;
  /** Date formatter (a shared-string one from createDayFormatter in a full pass). */
  formatDay?: (day: EpochDay) => string;
  /**
   * The client's last touchpoint of any category, as `lastAnyTouchpoint` (the same for every rule of the
   * client: a full pass builds it once per client and shares it); computed from `org` when absent.
   */
  lastAny?: CadenceResult['lastAnyTouchpoint'];
}

/** `lastAnyTouchpoint` of a client: its latest touchpoint of any category, or null. */
export function lastAnyTouchpoint(org: OrgMirror, formatDay: (day: EpochDay) => string = formatEpochDay): CadenceResult['lastAnyTouchpoint'] {
  const any = org.touchpoints[org.touchpoints.length - 1];
  return any ? { activityId: any.activity.id, date: formatDay(any.day!) } : null;
}

/** Status of a rule from its last qualifying touchpoint and the client's cadence start (see the module comment). */
function ruleOutcome(kind: CadenceRulePolicy['kind'], lastDay: EpochDay | null, startDay: EpochDay | null, days: number, today: EpochDay, dueSoonDays: number): StatusOutcome & { isNew: boolean } {
  const isNew = startDay !== null && today - startDay < days;
  if (kind === 'onboarding') {
    const established = lastDay !== null && (startDay === null || lastDay >= startDay);
    if (!established) return { nextDueDay: null, gapDays: null, daysSinceLast: lastDay === null ? null : today - lastDay, status: 'never', isNew };
    const nextDueDay = (startDay ?? lastDay) + days;
    return { nextDueDay, gapDays: today - nextDueDay, daysSinceLast: today - lastDay, status: 'on_track', isNew };
  }
  const clock = lastDay === null ? (isNew ? startDay : null) : startDay === null ? lastDay : Math.max(lastDay, startDay);
  const outcome = cadenceStatus(clock, days, today, dueSoonDays);
  return { nextDueDay: outcome.nextDueDay, gapDays: outcome.gapDays, daysSinceLast: lastDay === null ? null : today - lastDay, status: outcome.status, isNew };
}

export function evaluateCadenceRule(input: CadenceInput): CadenceResult {
  const { rule, tierCadence, org, active, today, dueSoonDays, missedGraceDays = 0, startDay = null, formatDay = formatEpochDay } = input;
  // Touchpoints are sorted oldest first, so the last qualifying one is the latest (ties: highest id).
  const gaps = new GapStats();
  let last: ActivityEntry | null = null;
  for (const e of org.touchpoints) {
    if (!qualifies(rule, e)) continue;
    gaps.add(e.day!);
    last = e;
  }
  const kind = rule.rule.kind ?? 'cadence';
  const outcome = ruleOutcome(kind, last ? last.day! : null, startDay, tierCadence.days, today, dueSoonDays);
  const { open, missed } = openAndMissed(rule, org, today, missedGraceDays);
  const lastAny = input.lastAny !== undefined ? input.lastAny : lastAnyTouchpoint(org, formatDay);

  return {
    ruleId: rule.id,
    category: rule.rule.category,
    cadenceDays: tierCadence.days,
    onGap: rule.rule.onGap,
    applies: (!tierCadence.activeOnly || active) && (kind !== 'onboarding' || outcome.isNew),
    // The client's latest touchpoint often qualifies: then the rule shares the client's object (read only).
    lastTouchpoint: last ? (lastAny?.activityId === last.activity.id ? lastAny : { activityId: last.activity.id, date: formatDay(last.day!) }) : null,
    lastAnyTouchpoint: lastAny,
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

/**
 * An open qualifying activity, by anyone: the earliest due one (undated ones last, then lowest id). One
 * whose due date (plus the grace days) has passed is *missed* — the call that never happened — and no
 * longer holds the gap closed; the latest missed one is reported. The worker's own follow-ups are left
 * to escalation (their key keeps them from being created twice).
 */
function openAndMissed(rule: CompiledRule, org: OrgMirror, today: EpochDay, missedGraceDays: number): { open: ActivityEntry | null; missed: ActivityEntry | null } {
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
  return { open, missed };
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
