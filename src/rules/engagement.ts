/**
 * Engagement volume (docs/policy.md §4): touchpoints per ISO week in the firm's time zone, the last 4 weeks
 * against the 4 before them, and breadth (distinct persons of the client touched recently).
 *
 * The trend compares two windows of equal length, so a partial week never reads as a fall: `last4` is the
 * touchpoints of the last 28 days (today included), `previous4` those of the 28 days before. A change is
 * `rising` or `falling` only when it is large both relatively (`risingThreshold` / `fallingThreshold`: 25 %
 * up or down, reached exactly counts; 0 means any change) and absolutely (`minChange`, default 2
 * touchpoints): 1 against 1, 1 against 0 or 0 against 1 is `stable`. Nothing before and at least
 * `minChange` now is `rising`.
 */
import type { Policy } from '../config/policy-schema.js';
import type { EpochDay } from './calendar.js';
import { isoWeekKey, isoWeekStart } from './calendar.js';
import type { ActivityEntry } from './mirror-index.js';
import type { Engagement, Trend, WeekCount } from './types.js';

export interface EngagementWindow {
  today: EpochDay;
  /** Monday of the current ISO week. */
  currentWeekStart: EpochDay;
  /** Weeks counted: max(policy weeks, 8) so last4/previous4 exist whatever the displayed span. */
  span: number;
  /** Weeks shown (`engagement.weeks`). */
  shown: number;
  /** Labels of the counted weeks, oldest first. */
  labels: string[];
  /**
   * The week counts already built, by counted week and count: a `{ week, count }` is read only, so every
   * client with the same count in a week shares one (most weeks of most clients hold 0–3 touchpoints).
   */
  weekCounts?: WeekCount[][];
}

export function engagementWindow(today: EpochDay, weeks: number): EngagementWindow {
  const currentWeekStart = isoWeekStart(today);
  const span = Math.max(weeks, 8);
  const labels: string[] = [];
  for (let i = span - 1; i >= 0; i -= 1) labels.push(isoWeekKey(currentWeekStart - 7 * i));
  return { today, currentWeekStart, span, shown: weeks, labels, weekCounts: labels.map(() => []) };
}

/** Index (0 = oldest) of the counted week a day falls in, or -1 outside the window. */
export function weekIndex(window: EngagementWindow, day: EpochDay): number {
  const back = (window.currentWeekStart - isoWeekStart(day)) / 7;
  return back < 0 || back >= window.span ? -1 : window.span - 1 - back;
}

/** Touchpoints per counted week, oldest first. */
export function weeklyCounts(touchpoints: readonly ActivityEntry[], window: EngagementWindow): number[] {
  const counts = new Array<number>(window.span).fill(0);
  for (const e of touchpoints) {
    const i = weekIndex(window, e.day!);
    if (i >= 0) counts[i]! += 1;
  }
  return counts;
}

export interface TrendThresholds {
  risingThreshold: number;
  fallingThreshold: number;
  /** The smallest absolute change (touchpoints) that can be a trend. */
  minChange: number;
}

/** The `{ week, count }` of counted week `i`, shared with every client of the same count that week. */
function weekCount(window: EngagementWindow, i: number, count: number): WeekCount {
  const shared = window.weekCounts?.[i];
  if (shared === undefined) return { week: window.labels[i]!, count };
  let wc = shared[count];
  if (wc === undefined) shared[count] = wc = Object.freeze({ week: window.labels[i]!, count });
  return wc;
}

/** Trend of the last 28 days (`last4`) against the 28 before (`previous4`). */
export function engagementTrend(last4: number, previous4: number, t: TrendThresholds): Trend {
  const diff = last4 - previous4;
  if (diff === 0 || Math.abs(diff) < Math.max(t.minChange, 1)) return 'stable';
  if (previous4 === 0) return 'rising';
  const change = diff / previous4;
  const eps = 1e-9;
  if (change > 0 && change >= t.risingThreshold - eps) return 'rising';
  if (change < 0 && -change >= t.fallingThreshold - eps) return 'falling';
  return 'stable';
}

/** The two equal windows the trend compares, in days (inclusive): the last 28 days and the 28 before. */
export const TREND_WINDOW_DAYS = 28;

export function assessEngagement(
  touchpoints: readonly ActivityEntry[],
  clientPersonIds: ReadonlySet<number>,
  window: EngagementWindow,
  policy: Policy['engagement'],
): Engagement {
  const counts = weeklyCounts(touchpoints, window);
  let last4 = 0;
  let previous4 = 0;
  const lastFrom = window.today - (TREND_WINDOW_DAYS - 1);
  const previousFrom = lastFrom - TREND_WINDOW_DAYS;
  for (const e of touchpoints) {
    if (e.day! > window.today) continue;
    if (e.day! >= lastFrom) last4 += 1;
    else if (e.day! >= previousFrom) previous4 += 1;
  }
  const weeks: WeekCount[] = [];
  for (let i = window.span - window.shown; i < window.span; i += 1) weeks.push(weekCount(window, i, counts[i]!));

  const since = window.today - policy.breadthDays;
  const touched = new Set<number>();
  for (let i = touchpoints.length - 1; i >= 0; i -= 1) {
    const e = touchpoints[i]!;
    if (e.day! < since) break; // sorted oldest first
    for (const p of e.personIds) if (clientPersonIds.has(p)) touched.add(p);
  }
  return {
    weeks,
    last4,
    previous4,
    trend: engagementTrend(last4, previous4, policy),
    breadth: touched.size,
  };
}
