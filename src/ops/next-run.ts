/**
 * When does the nightly job run next? A pure function of (expression, time zone, now).
 *
 * The expression language is node-cron's (5 fields, or 6 with seconds first; names, ranges, lists,
 * steps), parsed by node-cron itself so `CADENCE_SCHEDULE` means what node-cron documents. The walk
 * through local time is ours because node-cron 4.6 skips a run whose local time does not exist: in
 * America/New_York, `0 2 * * *` does not fire at all on the spring-forward Sunday (test/unit/ops/
 * next-run.test.ts shows it). A nightly job must not lose a night, so the rules here are:
 *
 * - a local time that does not exist (spring forward) runs at the instant the clock jumps
 *   (02:30 on 2026-03-08 in New York runs at 03:00 EDT), like Vixie cron;
 * - a local time that happens twice (fall back) runs once, at its first occurrence;
 * - day-of-month and day-of-week must both match when both are restricted (node-cron's rule,
 *   not Vixie cron's "either").
 */
import cron from 'node-cron';
import { ConfigError } from '../config/config-error.js';
import { wallTimeFormat } from '../rules/calendar.js';

export interface CronFields {
  readonly expression: string;
  readonly second: readonly number[];
  readonly minute: readonly number[];
  readonly hour: readonly number[];
  readonly dayOfMonth: ReadonlySet<number>;
  readonly month: ReadonlySet<number>;
  readonly dayOfWeek: ReadonlySet<number>;
}

const DAY_MS = 86_400_000;
/** Feb 29 on a given weekday can be 28 years away; beyond this the expression never matches. */
const MAX_DAYS_AHEAD = 366 * 30;

const CRON_RANGES: Record<string, string> = {
  second: '0–59',
  minute: '0–59',
  hour: '0–23',
  'day of month': '1–31',
  month: '1–12 or jan–dec',
  'week day': '0–7 or sun–sat',
};

/** node-cron's wording ("61 is a invalid expression for minute") in plain words. */
export function plainCronError(message: string): string {
  const bad = /^(.*) is a invalid expression for (.+)$/.exec(message);
  if (bad) {
    const field = bad[2]!;
    const range = CRON_RANGES[field];
    return `the ${field} "${bad[1]}" is not valid${range ? ` (allowed: ${range})` : ''}`;
  }
  const count = /^expected 5 or 6 fields but got (\d+)$/.exec(message);
  if (count) return `expected 5 fields (minute hour day-of-month month day-of-week, or 6 with seconds first), found ${count[1]}`;
  return message;
}

/**
 * Parses and checks a schedule. `source` names where it came from in the error
 * (`environment: CADENCE_SCHEDULE` by default).
 */
export function parseSchedule(expression: string, source = 'environment: CADENCE_SCHEDULE'): CronFields {
  const detailed = cron.validateDetailed(expression);
  if (!detailed.valid || !detailed.fields) {
    const why = detailed.errors.map((e) => plainCronError(e.message)).join('; ') || 'not a cron expression';
    throw new ConfigError([`${source}: ${why}, got "${expression}" (expected e.g. "0 2 * * *" for 02:00 every night)`]);
  }
  const f = detailed.fields;
  const numeric = (name: string, values: readonly (number | string)[]): number[] => {
    const bad = values.filter((v) => typeof v !== 'number');
    if (bad.length > 0) {
      throw new ConfigError([
        `${source}: ${name} token "${String(bad[0])}" (L, W, #) is not supported, got "${expression}"; use numbers, ranges, lists and steps`,
      ]);
    }
    return [...(values as number[])].sort((a, b) => a - b);
  };
  return {
    expression,
    second: numeric('second', f.second),
    minute: numeric('minute', f.minute),
    hour: numeric('hour', f.hour),
    dayOfMonth: new Set(numeric('day-of-month', f.dayOfMonth)),
    month: new Set(numeric('month', f.month)),
    dayOfWeek: new Set(numeric('day-of-week', f.dayOfWeek)),
  };
}

export function checkTimeZone(timeZone: string, source = 'policy: timeZone'): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new ConfigError([`${source}: expected an IANA time zone like America/Sao_Paulo, got "${timeZone}"`]);
  }
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Local wall time of instants in one zone (one formatter per call of nextRunAfter, no global cache). */
function wallClock(timeZone: string): (epochMs: number) => WallTime {
  const fmt = wallTimeFormat(timeZone);
  return (epochMs) => {
    const out: Record<string, number> = {};
    for (const p of fmt.formatToParts(epochMs)) if (p.type !== 'literal') out[p.type] = Number(p.value);
    return {
      year: out.year ?? 0,
      month: out.month ?? 0,
      day: out.day ?? 0,
      hour: (out.hour ?? 0) % 24,
      minute: out.minute ?? 0,
      second: out.second ?? 0,
    };
  };
}

const asUtc = (w: WallTime) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
const sameWall = (a: WallTime, b: WallTime) => asUtc(a) === asUtc(b);

/**
 * The instant a local wall time names: the earlier one when it happens twice, the moment the clock
 * jumps when it does not exist. Monotone in wall time, which is what lets nextRunAfter stop at the
 * first candidate after `from`.
 */
function toInstant(wall: WallTime, wallOf: (ms: number) => WallTime): number {
  const guess = asUtc(wall);
  const offsetAt = (ms: number) => asUtc(wallOf(ms)) - Math.floor(ms / 1000) * 1000;
  const before = offsetAt(guess - DAY_MS);
  const after = offsetAt(guess + DAY_MS);
  const candidates = [...new Set([guess - before, guess - after])].filter((t) => sameWall(wallOf(t), wall)).sort((a, b) => a - b);
  if (candidates[0] !== undefined) return candidates[0];
  // In a gap: binary-search the transition between guess-after (old offset) and guess-before (new offset).
  let lo = Math.min(guess - after, guess - before);
  let hi = Math.max(guess - after, guess - before);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The first scheduled instant strictly after `from`, evaluated in `timeZone`. */
export function nextRunAfter(schedule: string | CronFields, timeZone: string, from: Date): Date {
  const f = typeof schedule === 'string' ? parseSchedule(schedule) : schedule;
  checkTimeZone(timeZone);
  const fromMs = from.getTime();
  const wallOf = wallClock(timeZone);
  const start = wallOf(fromMs);
  const startSecondOfDay = start.hour * 3600 + start.minute * 60 + start.second;

  for (let d = 0; d < MAX_DAYS_AHEAD; d++) {
    const date = new Date(Date.UTC(start.year, start.month - 1, start.day + d));
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth() + 1;
    const day = date.getUTCDate();
    if (!f.month.has(month) || !f.dayOfMonth.has(day) || !f.dayOfWeek.has(date.getUTCDay())) continue;
    for (const hour of f.hour) {
      if (d === 0 && hour < start.hour) continue;
      for (const minute of f.minute) {
        if (d === 0 && hour * 60 + minute < start.hour * 60 + start.minute) continue;
        for (const second of f.second) {
          // Wall times at or before `from`'s own wall time map to instants at or before `from`.
          if (d === 0 && hour * 3600 + minute * 60 + second <= startSecondOfDay) continue;
          const at = toInstant({ year, month, day, hour, minute, second }, wallOf);
          if (at > fromMs) return new Date(at);
        }
      }
    }
  }
  throw new ConfigError([`environment: CADENCE_SCHEDULE: "${f.expression}" never matches a real date (e.g. 30 February)`]);
}
