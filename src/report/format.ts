/**
 * Locale-aware formatting for the reports (Intl): dates in the firm's time zone, numbers, currency,
 * durations and ISO-week labels. Pure: the locale, time zone and currency are parameters.
 */
import { DATE_OPTIONS } from '../i18n/texts.js';

export interface Formatters {
  /** A calendar date `YYYY-MM-DD` (already in the firm's zone: formatted without shifting). */
  date(isoDate: string | null): string;
  /** An instant, shown in the firm's time zone with the zone's short name. */
  instant(iso: string): string;
  number(n: number): string;
  /** 0–100 → "87,5 %" */
  percent(n: number | null): string;
  currency(n: number): string;
  durationMs(ms: number): string;
  /** `2026-W47` → the Monday of that week, e.g. "17 de nov." */
  week(isoWeek: string): string;
}

const DASH = '—';

export function createFormatters(locale: string, timeZone: string, currency: string): Formatters {
  // The same date format as the activity notes (src/plan/texts.ts): one per locale.
  const dateFmt = new Intl.DateTimeFormat(locale, DATE_OPTIONS);
  const instantFmt = new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
    timeZoneName: 'short',
  });
  const numberFmt = new Intl.NumberFormat(locale);
  const percentFmt = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
  const currencyFmt = new Intl.NumberFormat(locale, { style: 'currency', currency, maximumFractionDigits: 0 });
  const secondsFmt = new Intl.NumberFormat(locale, { style: 'unit', unit: 'second', unitDisplay: 'short', maximumFractionDigits: 1 });
  const minutesFmt = new Intl.NumberFormat(locale, { style: 'unit', unit: 'minute', unitDisplay: 'short' });
  const weekFmt = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' });

  return {
    date: (d) => (d ? dateFmt.format(new Date(`${d}T12:00:00Z`)) : DASH),
    instant: (iso) => {
      const t = new Date(iso);
      return Number.isNaN(t.getTime()) ? iso : instantFmt.format(t);
    },
    number: (n) => numberFmt.format(n),
    percent: (n) => (n === null ? DASH : percentFmt.format(n / 100)),
    currency: (n) => currencyFmt.format(n),
    durationMs: (ms) => {
      const seconds = ms / 1000;
      if (seconds < 60) return secondsFmt.format(seconds);
      const minutes = Math.floor(seconds / 60);
      return `${minutesFmt.format(minutes)} ${secondsFmt.format(Math.round(seconds - minutes * 60))}`;
    },
    week: (w) => {
      const monday = isoWeekMonday(w);
      return monday ? weekFmt.format(monday) : w;
    },
  };
}

/** Monday (UTC midnight) of an ISO week `YYYY-Www`; null when the label is not an ISO week. */
export function isoWeekMonday(isoWeek: string): Date | null {
  const m = /^(\d{4})-W(\d{2})$/.exec(isoWeek);
  if (!m) return null;
  const year = Number(m[1]);
  const week = Number(m[2]);
  if (week < 1 || week > 53) return null;
  // 4 January is always in week 1; step back to its Monday.
  const jan4 = Date.UTC(year, 0, 4);
  const jan4Weekday = (new Date(jan4).getUTCDay() + 6) % 7; // Monday = 0
  return new Date(jan4 - jan4Weekday * 86_400_000 + (week - 1) * 7 * 86_400_000);
}
