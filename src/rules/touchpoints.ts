/**
 * Touchpoints (docs/policy.md §3, §10.3): done activities, classified into the policy's categories. An
 * activity counts for ONE category, the first in `categories.order` (default executive, strategic,
 * operational, maintenance) whose match it meets: an activity type, optionally a subject pattern, optionally
 * a link to an open deal; the FUP activity type (`categories.strategic.fupActivityType`) is strategic
 * whatever its subject. With `categories.overlap: true` it counts for every category it matches (the first
 * version's behaviour). The worker's own follow-ups are recognised by their provenance key
 * (`Activity.cadenceKey`, `fu:<org>:<rule>:…`) and count for the category of the rule they were created for,
 * before any other match. An activity that matches none (an internal task, a deadline) is no touchpoint.
 *
 * Which date a done activity counts on — the *due date*, not the marked-as-done time:
 * people log a meeting as done hours or days after it happened (often at the end of the week), while the
 * due date (and due time) is when it took place. So:
 *   1. due date + due time (Pipedrive stores due_time in UTC) → that instant's date in the firm's zone;
 *   2. due date without a time (all-day) → that calendar date as is;
 *   3. no due date → the date of marked_as_done_time (then update/add time, for records without it);
 *   4. never after today: a done activity due in the future was done early, so it counts on the date it
 *      was marked done (or today, if even that lies ahead because of clock skew).
 */
import type { Category, Policy } from '../config/policy-schema.js';
import { CATEGORIES, DEFAULT_CATEGORY_ORDER } from '../config/policy-schema.js';
import type { Activity } from '../domain/entities.js';
import { followUpKeyRuleIds } from '../domain/provenance.js';
import type { EpochDay, ZoneCalendar } from './calendar.js';
import { parseInstant, parseIsoDate } from './calendar.js';

/** Bit of each category in a category mask. */
export const CATEGORY_BIT: Readonly<Record<Category, number>> = { operational: 1, strategic: 2, executive: 4, maintenance: 8 };

export function categoriesOfMask(mask: number): Category[] {
  return CATEGORIES.filter((c) => (mask & CATEGORY_BIT[c]) !== 0);
}

/** What, besides type and subject, decides an activity's category. */
export interface ClassifyContext {
  /** The activity is linked to an open (not archived, not deleted) deal. */
  openDeal?: boolean;
  /** The worker's provenance key of the activity (Activity.cadenceKey), if any. */
  cadenceKey?: string | null;
}

export interface CategoryClassifier {
  /** Category mask of an activity (0 = not a touchpoint category; one bit unless the policy allows overlap). */
  classify(type: string, subject: string, context?: ClassifyContext): number;
}

interface MatchEntry {
  bit: number;
  subject: RegExp | null;
  openDeal: boolean;
}

function matchEntriesByType(categories: Policy['categories']): Map<string, MatchEntry[]> {
  const byType = new Map<string, MatchEntry[]>();
  const add = (type: string, entry: MatchEntry): void => {
    const key = type.trim().toLowerCase();
    const list = byType.get(key) ?? [];
    list.push(entry);
    byType.set(key, list);
  };
  for (const cat of CATEGORIES) {
    for (const m of categories[cat].match) {
      const subject = m.subjectPattern ? new RegExp(m.subjectPattern, 'iu') : null;
      for (const t of m.activityTypes) add(t, { bit: CATEGORY_BIT[cat], subject, openDeal: m.openDeal === true });
    }
  }
  const fup = categories.strategic.fupActivityType;
  if (fup) add(fup.keyString, { bit: CATEGORY_BIT.strategic, subject: null, openDeal: false });
  return byType;
}

/**
 * Compiles the policy's category matchers once (regexes built once per run, types looked up per key).
 * `cadenceRules` gives the category of the rules the worker's own follow-ups name in their keys.
 */
export function compileCategories(categories: Policy['categories'], cadenceRules: Policy['cadenceRules'] = {}): CategoryClassifier {
  const byType = matchEntriesByType(categories);
  const orderBits = (categories.order ?? DEFAULT_CATEGORY_ORDER).map((c) => CATEGORY_BIT[c]);
  const overlap = categories.overlap === true;
  const ruleBit = new Map(Object.entries(cadenceRules).map(([id, r]) => [id, CATEGORY_BIT[r.category]]));
  // Activity type keys are few; cache their case-folded lookup so 1M activities do not lowercase 1M strings.
  const perType = new Map<string, MatchEntry[]>();
  const keyMasks = new Map<string, number>();
  const workerMask = (key: string): number => {
    let mask = keyMasks.get(key);
    if (mask === undefined) {
      mask = 0;
      for (const id of followUpKeyRuleIds(key)) mask |= ruleBit.get(id) ?? 0;
      keyMasks.set(key, mask);
    }
    return mask;
  };
  return {
    classify(type, subject, context = {}) {
      if (context.cadenceKey) {
        const own = workerMask(context.cadenceKey);
        if (own !== 0) return own;
      }
      let entries = perType.get(type);
      if (entries === undefined) {
        entries = byType.get(type.trim().toLowerCase()) ?? [];
        perType.set(type, entries);
      }
      let mask = 0;
      for (const e of entries) {
        if ((mask & e.bit) === 0 && (!e.openDeal || context.openDeal === true) && (e.subject === null || e.subject.test(subject))) mask |= e.bit;
      }
      if (overlap || mask === 0) return mask;
      for (const bit of orderBits) if ((mask & bit) !== 0) return bit;
      return 0;
    },
  };
}

/** Parses `YYYY-MM-DD` dates with a per-run cache (an account has a few thousand distinct due dates). */
export function createDateCache(): (date: string) => EpochDay | null {
  const cache = new Map<string, EpochDay | null>();
  return (date) => {
    let d = cache.get(date);
    if (d === undefined) {
      d = parseIsoDate(date);
      cache.set(date, d);
    }
    return d;
  };
}

/** Seconds since midnight of `HH:MM[:SS]`, or null; parsed by hand because it runs for every activity. */
function digitAt(text: string, i: number): number {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : Number.NaN;
}

export function parseTimeOfDay(text: string): number | null {
  const n = text.length;
  if (n !== 5 && n !== 8) return null;
  if (text.charCodeAt(2) !== 58 || (n === 8 && text.charCodeAt(5) !== 58)) return null;
  const h = digitAt(text, 0) * 10 + digitAt(text, 1);
  const m = digitAt(text, 3) * 10 + digitAt(text, 4);
  const s = n === 8 ? digitAt(text, 6) * 10 + digitAt(text, 7) : 0;
  if (!(h < 24 && m < 60 && s < 60)) return null; // also false for NaN
  return h * 3600 + m * 60 + s;
}

/**
 * The firm-calendar day an activity is (or was) due: due date + UTC due time converted to the firm's
 * zone, or the bare due date for all-day activities; null without a (valid) due date.
 */
export function dueDay(activity: Activity, cal: ZoneCalendar, parseDate: (d: string) => EpochDay | null): EpochDay | null {
  if (activity.dueDate === null) return null;
  const day = parseDate(activity.dueDate);
  if (day === null) return null;
  if (activity.dueTime === null || activity.dueTime === '') return day;
  const seconds = parseTimeOfDay(activity.dueTime);
  if (seconds === null) return day;
  return cal.dayOfInstant(day * 86_400_000 + seconds * 1000);
}

/** The firm-calendar day a done activity counts on (see the module comment for why). */
export function touchpointDay(activity: Activity, cal: ZoneCalendar, today: EpochDay, parseDate: (d: string) => EpochDay | null): EpochDay {
  const due = dueDay(activity, cal, parseDate);
  if (due !== null && due <= today) return due;
  const stamp = activity.markedAsDoneTime ?? activity.updateTime ?? activity.addTime;
  const ms = stamp ? parseInstant(stamp) : Number.NaN;
  const marked = Number.isFinite(ms) ? cal.dayOfInstant(ms) : today;
  return Math.min(marked, today);
}

/** Persons an activity reached: the primary participant and every other participant, once each. */
export function activityPersonIds(activity: Activity): readonly number[] {
  const parts = activity.participantPersonIds;
  if (activity.personId === null || parts.includes(activity.personId)) return parts;
  return [activity.personId, ...parts];
}
