/**
 * Text helpers for what the worker writes into Pipedrive: template filling, HTML escaping, and dates and
 * numbers formatted for the policy's locale (docs/policy.md §8). Calendar dates (`YYYY-MM-DD`) are already
 * dates in the firm's time zone, so they are formatted as UTC to never shift by a day.
 */
import type { Locale } from '../config/policy-schema.js';

/** Replaces `{name}` placeholders; unknown placeholders stay visible so a template typo is noticed. */
export function fillTemplate(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => {
    const v = values[name];
    return v === undefined ? whole : String(v);
  });
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

const DATE_STYLE: Record<Locale, Intl.DateTimeFormatOptions> = {
  // 14/03/2026 is how Brazilian users read dates; "Mar 14, 2026" avoids the US/UK day-month ambiguity.
  'pt-BR': { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' },
  en: { dateStyle: 'medium', timeZone: 'UTC' },
};

export function formatDate(locale: Locale, isoDate: string): string {
  return createDateFormatter(locale)(isoDate);
}

// Intl formatters are immutable and costly to build (tens of µs each, more than formatting with one), and
// the locales are few: one of each per locale for the life of the process.
const dateFormats = new Map<Locale, Intl.DateTimeFormat>();
const numberFormats = new Map<string, Intl.NumberFormat>();

/** `formatDate` for many dates, as one function. */
export function createDateFormatter(locale: Locale): (isoDate: string) => string {
  let fmt = dateFormats.get(locale);
  if (!fmt) dateFormats.set(locale, (fmt = new Intl.DateTimeFormat(locale, DATE_STYLE[locale])));
  const format = fmt;
  return (isoDate) => format.format(new Date(`${isoDate}T00:00:00Z`));
}

/** A shared `Intl.NumberFormat` for the locale (and optionally at most `maxFractionDigits` decimals). */
export function numberFormat(locale: Locale, maxFractionDigits?: number): Intl.NumberFormat {
  const id = `${locale}|${maxFractionDigits ?? ''}`;
  let fmt = numberFormats.get(id);
  if (!fmt) numberFormats.set(id, (fmt = new Intl.NumberFormat(locale, maxFractionDigits === undefined ? {} : { maximumFractionDigits: maxFractionDigits })));
  return fmt;
}

export function formatNumber(locale: Locale, n: number): string {
  return numberFormat(locale).format(n);
}

/** Whole days from `from` to `to` (calendar dates, `to − from`). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
