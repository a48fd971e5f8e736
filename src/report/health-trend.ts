/**
 * Health over time in the report (docs/policy.md §10.5): each strategic client's score over the last
 * `views.healthWeeks` ISO weeks (the current week last), and a flag when the current score is
 * `views.healthDropPoints` or more below the best of the earlier weeks shown. Pure: the weekly scores come
 * from the state store through the job; the current week is the run's own score.
 */
import type { Policy } from '../config/policy-schema.js';
import { isoWeekKey, parseIsoDate } from '../rules/calendar.js';
import type { OrgAssessment } from '../rules/types.js';
import type { HealthTrend } from './views-schema.js';

/** The `count` ISO weeks ending with the week of `today` (YYYY-MM-DD), oldest first. */
export function recentIsoWeeks(today: string, count: number): string[] {
  const day = parseIsoDate(today);
  if (day === null) throw new RangeError(`recentIsoWeeks: "${today}" is not a date`);
  const weeks: string[] = [];
  for (let i = count - 1; i >= 0; i--) weeks.push(isoWeekKey(day - 7 * i));
  return weeks;
}

export interface HealthTrendInput {
  organizations: readonly OrgAssessment[];
  today: string;
  policy: Policy;
  /** Stored scores by ISO week → organization id → score (weeks missing from the store are gaps). */
  history: ReadonlyMap<string, ReadonlyMap<number, number>>;
  orgRef(id: number): { orgId: number; orgName: string; url: string; tier: number };
  userName(id: number | null): string | null;
  collator: Intl.Collator;
}

export function buildHealthTrend(input: HealthTrendInput): HealthTrend {
  const { policy, history } = input;
  const { strategicMinTier, healthWeeks, healthDropPoints } = policy.views;
  const weeks = recentIsoWeeks(input.today, healthWeeks);
  const current = weeks[weeks.length - 1]!;
  const clients = input.organizations
    .filter((o) => o.tier.level >= strategicMinTier)
    .map((o) => {
      const scores = weeks.map((w) => (w === current ? o.health.score : (history.get(w)?.get(o.orgId) ?? null)));
      const earlier = scores.slice(0, -1).filter((s): s is number => s !== null);
      const best = earlier.length === 0 ? null : Math.max(...earlier);
      const drop = best === null ? null : best - o.health.score;
      return {
        ...input.orgRef(o.orgId),
        ownerId: o.ownerId,
        ownerName: input.userName(o.ownerId),
        scores,
        latest: o.health.score,
        best,
        drop,
        flagged: drop !== null && drop >= healthDropPoints,
      };
    })
    .sort((a, b) => Number(b.flagged) - Number(a.flagged) || (b.drop ?? -Infinity) - (a.drop ?? -Infinity) || input.collator.compare(a.orgName, b.orgName));
  return { weeks, minTier: strategicMinTier, dropPoints: healthDropPoints, clients };
}
