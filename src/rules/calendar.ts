/**
 * Firm-time-zone calendar arithmetic without a date library (docs/policy.md §8: the firm's time zone decides
 * what "today", "this week" and "next business day" mean).
 *
 * Calendar dates are handled as *epoch days* (integer days since 1970-01-01, the date itself, no time
 * zone attached): adding days, ISO weeks and weekdays are then plain integer arithmetic. Only the step
 * "instant → the firm's calendar date" needs the time-zone database, and Intl is slow to construct and
 * ~1 µs per format call, so `createZoneCalendar` keeps one formatter and caches the UTC offset per UTC
 * day (a day whose offset is the same at both ends has that offset throughout; only the rare day with a
 * DST change is resolved per quarter hour — every offset change in the tz database since 1970 falls on a
 * quarter hour).
 */

export const DAY_MS = 86_400_000;
const QUARTER_HOUR_MS = 900_000;

/** Days since 1970-01-01 of a calendar date. */
export type EpochDay = number;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Epoch day of a `YYYY-MM-DD` date, or null when the text is not a real calendar date (2026-02-30 is not). */
export function parseIsoDate(text: string): EpochDay | null {
  const m = DATE_RE.exec(text);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return null;
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March 2; a real date survives the round trip.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return Math.floor(ms / DAY_MS);
}

/** True for a real `YYYY-MM-DD` calendar date. */
export function isRealIsoDate(value: unknown): value is string {
  return typeof value === 'string' && parseIsoDate(value) !== null;
}

/**
 * `YYYY-MM-DD` of an epoch day, by integer arithmetic (Howard Hinnant's civil-from-days): called for
 * every date in the result, where a Date object and toISOString per call showed up in the profile.
 */
export function formatEpochDay(day: EpochDay): string {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  if (y < 0 || y > 9999) return new Date(day * DAY_MS).toISOString().slice(0, 10);
  return `${y < 1000 ? String(y).padStart(4, '0') : y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/**
 * A per-run `formatEpochDay` that hands out one shared string per date: a pass over 50k clients emits
 * a few hundred thousand dates but only a few thousand distinct ones.
 */
export function createDayFormatter(): (day: EpochDay) => string {
  const cache = new Map<EpochDay, string>();
  return (day) => {
    let text = cache.get(day);
    if (text === undefined) {
      text = formatEpochDay(day);
      cache.set(day, text);
    }
    return text;
  };
}

/** ISO weekday of an epoch day: 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday). */
export function isoWeekday(day: EpochDay): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** Epoch day of the Monday that starts the ISO week containing `day`. */
export function isoWeekStart(day: EpochDay): EpochDay {
  return day - isoWeekday(day) + 1;
}

/** ISO-8601 week label (`2026-W01`) of an epoch day: the week belongs to the year of its Thursday. */
export function isoWeekKey(day: EpochDay): string {
  const thursday = isoWeekStart(day) + 3;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const jan1 = Math.floor(Date.UTC(year, 0, 1) / DAY_MS);
  const week = Math.floor((thursday - jan1) / 7) + 1;
  return `${year}-W${week < 10 ? '0' : ''}${week}`;
}

/** The same calendar date `years` earlier (29 February falls on 1 March in a common year). */
export function addYears(day: EpochDay, years: number): EpochDay {
  const d = new Date(day * DAY_MS);
  return Math.floor(Date.UTC(d.getUTCFullYear() + years, d.getUTCMonth(), d.getUTCDate()) / DAY_MS);
}

/** The number written with `len` decimal digits at `from`, or NaN when one is not a digit. */
function digitsAt(text: string, from: number, len: number): number {
  let v = 0;
  for (let i = from; i < from + len; i += 1) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Milliseconds of an ISO-8601 instant. The mirror stores RFC 3339 UTC strings; the v1 API's
 * `YYYY-MM-DD HH:MM:SS` (UTC, no zone) is accepted too — `Date.parse` would read it as *local* time.
 */
export function parseInstant(text: string): number {
  // Fast path for the mirror's own form `YYYY-MM-DDTHH:MM:SSZ` (hundreds of thousands per run).
  if (text.length === 20 && text.charCodeAt(19) === 90 /* Z */ && text.charCodeAt(10) === 84 /* T */) {
    const mo = digitsAt(text, 5, 2);
    const d = digitsAt(text, 8, 2);
    const h = digitsAt(text, 11, 2);
    const mi = digitsAt(text, 14, 2);
    const s = digitsAt(text, 17, 2);
    if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 59 && text[4] === '-' && text[7] === '-' && text[13] === ':' && text[16] === ':') {
      return Date.UTC(digitsAt(text, 0, 4), mo - 1, d, h, mi, s);
    }
    return Date.parse(text);
  }
  if (text.length === 19 && (text[10] === ' ' || text[10] === 'T')) return Date.parse(`${text.slice(0, 10)}T${text.slice(11)}Z`);
  return Date.parse(text);
}

export interface ZoneCalendar {
  readonly timeZone: string;
  /** UTC offset (local − UTC) in milliseconds at an instant. */
  offsetMs(instantMs: number): number;
  /** The firm's calendar date (epoch day) at an instant. */
  dayOfInstant(instantMs: number): EpochDay;
}

/** One calendar per run; throws a RangeError naming the zone when it is not an IANA time zone. */
export function createZoneCalendar(timeZone: string): ZoneCalendar {
  const fmt = zoneFormatter(timeZone);
  const exactOffset = (instant: number): number => exactZoneOffset(fmt, instant);

  const atUtcMidnight = new Map<number, number>();
  const offsetAtUtcMidnight = (utcDay: number): number => {
    let off = atUtcMidnight.get(utcDay);
    if (off === undefined) {
      off = exactOffset(utcDay * DAY_MS);
      atUtcMidnight.set(utcDay, off);
    }
    return off;
  };
  /** Per UTC day: its offset when constant all day, NaN when it changes during the day. */
  const wholeDay = new Map<number, number>();
  const atQuarter = new Map<number, number>();

  const offsetMs = (ms: number): number => {
    const utcDay = Math.floor(ms / DAY_MS);
    let whole = wholeDay.get(utcDay);
    if (whole === undefined) {
      const start = offsetAtUtcMidnight(utcDay);
      whole = start === offsetAtUtcMidnight(utcDay + 1) ? start : Number.NaN;
      wholeDay.set(utcDay, whole);
    }
    if (!Number.isNaN(whole)) return whole;
    // The offset changes during this UTC day (a DST switch): resolve per quarter hour.
    const q = Math.floor(ms / QUARTER_HOUR_MS);
    let off = atQuarter.get(q);
    if (off === undefined) {
      off = exactOffset(q * QUARTER_HOUR_MS);
      atQuarter.set(q, off);
    }
    return off;
  };

  return {
    timeZone,
    offsetMs,
    dayOfInstant: (ms) => Math.floor((ms + offsetMs(ms)) / DAY_MS),
  };
}

/**
 * The one formatter that reads an instant's wall time in a zone (24-hour clock, numeric parts), for the
 * rules' calendar and the schedule (src/ops/next-run.ts). Throws a RangeError for an unknown zone.
 */
export function wallTimeFormat(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
}

/** The zone's wall-clock formatter; a RangeError naming the zone when it is not an IANA time zone. */
function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  try {
    return wallTimeFormat(timeZone);
  } catch {
    throw new RangeError(`unknown time zone "${timeZone}": expected an IANA time zone like America/Sao_Paulo`);
  }
}

// Intl formats BCE years without a sign and Date.UTC maps years 0–99 to the 1900s: outside years
// 1000–9999 use the offset at the nearest bound (the zone's local mean time back then, anyway).
const MIN_OFFSET_MS = Date.UTC(1000, 0, 1);
const MAX_OFFSET_MS = Date.UTC(9999, 11, 31);

/** The zone's UTC offset at an instant, read from its wall clock (local − UTC, whole seconds). */
function exactZoneOffset(fmt: Intl.DateTimeFormat, instant: number): number {
  const ms = Math.min(Math.max(instant, MIN_OFFSET_MS), MAX_OFFSET_MS);
  const wall = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of fmt.formatToParts(ms)) {
    if (part.type in wall) wall[part.type as keyof typeof wall] = Number(part.value);
  }
  const wholeSecond = ms - (((ms % 1000) + 1000) % 1000);
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second) - wholeSecond;
}

/** The business-day part of the policy (`policy.followUp`). */
export interface BusinessCalendar {
  /** ISO weekdays that are business days (1 = Monday). */
  businessDays: readonly number[];
  /** `YYYY-MM-DD` dates that are not business days. */
  holidays: readonly string[];
}

/**
 * The date `n` business days after `date` (`YYYY-MM-DD`, the firm's calendar). With n = 0 the date
 * itself when it is a business day, else the next business day — a follow-up is never due on a
 * weekend or holiday.
 */
export function addBusinessDays(date: string, n: number, calendar: BusinessCalendar): string {
  const start = parseIsoDate(date);
  if (start === null) throw new RangeError(`addBusinessDays: "${date}" is not a calendar date YYYY-MM-DD`);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`addBusinessDays: expected a whole number of days ≥ 0, got ${n}`);
  const weekdays = new Set(calendar.businessDays);
  const holidays = new Set<number>();
  for (const h of calendar.holidays) {
    const d = parseIsoDate(h);
    if (d !== null) holidays.add(d);
  }
  const isBusiness = (d: EpochDay) => weekdays.has(isoWeekday(d)) && !holidays.has(d);
  // Holidays are finite, so a business day always comes; the bound only guards an empty weekday list.
  const limit = start + 3660 + n * 7;
  let day = start;
  let left = n;
  if (left === 0) {
    while (!isBusiness(day)) {
      day += 1;
      if (day > limit) throw new RangeError('addBusinessDays: followUp.businessDays lists no weekday');
    }
    return formatEpochDay(day);
  }
  while (left > 0) {
    day += 1;
    if (day > limit) throw new RangeError('addBusinessDays: followUp.businessDays lists no weekday');
    if (isBusiness(day)) left -= 1;
  }
  return formatEpochDay(day);
}

/** Whole days from `from` to `to` (calendar dates, `to − from`). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
