/**
 * Engagement volume (docs/policy.md §4): touchpoints per ISO week in the firm's time zone, the last 4 weeks
 * against the 4 before them, and breadth (distinct persons of the client touched recently).
 *
 * `last4` is the sum of the last four ISO weeks *including the current one*, `previous4` the four before.
 * The current week is still running, so comparing raw sums would call every client "falling" on a
 * Monday; the trend therefore compares daily rates — last4 over the days elapsed in its window
 * (21 + ISO weekday of today) against previous4 over 28 days. Zero cases: nothing in either window is
 * `stable`; something now after nothing before is `rising`; nothing now after something before is
 * `falling`. A change counts when it reaches the threshold (25 % down with fallingThreshold 0.25 is falling);
 * a threshold of 0 means any change.
 */
import type { Policy } from '../config/policy-schema.js';
import type { EpochDay } from './calendar.js';
import { isoWeekday, isoWeekKey, isoWeekStart } from './calendar.js';
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
}

export function engagementWindow(today: EpochDay, weeks: number): EngagementWindow {
  const currentWeekStart = isoWeekStart(today);
  const span = Math.max(weeks, 8);
  const labels: string[] = [];
  for (let i = span - 1; i >= 0; i -= 1) labels.push(isoWeekKey(currentWeekStart - 7 * i));
  return { today, currentWeekStart, span, shown: weeks, labels };
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
}

/** Trend of last4 vs previous4, the current week pro-rated by the days elapsed in it (1–7). */
export function engagementTrend(last4: number, previous4: number, elapsedDaysThisWeek: number, t: TrendThresholds): Trend {
  if (previous4 === 0) return last4 === 0 ? 'stable' : 'rising';
  if (last4 === 0) return 'falling';
  const change = last4 / (21 + elapsedDaysThisWeek) / (previous4 / 28) - 1;
  const eps = 1e-9;
  if (change > 0 && change >= t.risingThreshold - eps) return 'rising';
  if (change < 0 && -change >= t.fallingThreshold - eps) return 'falling';
  return 'stable';
}

export function assessEngagement(
  touchpoints: readonly ActivityEntry[],
  clientPersonIds: ReadonlySet<number>,
  window: EngagementWindow,
  policy: Policy['engagement'],
): Engagement {
  const counts = weeklyCounts(touchpoints, window);
  let last4 = 0;
  let previous4 = 0;
  for (let i = window.span - 8; i < window.span; i += 1) {
    if (i >= window.span - 4) last4 += counts[i]!;
    else previous4 += counts[i]!;
  }
  const weeks: WeekCount[] = [];
  for (let i = window.span - window.shown; i < window.span; i += 1) weeks.push({ week: window.labels[i]!, count: counts[i]! });

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
    trend: engagementTrend(last4, previous4, isoWeekday(window.today), policy),
    breadth: touched.size,
  };
}
