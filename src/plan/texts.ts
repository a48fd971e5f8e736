/**
 * Text helpers for what the worker writes into Pipedrive: template filling, HTML escaping, and dates and
 * numbers formatted for the policy's locale (POLICY.md §8). Calendar dates (`YYYY-MM-DD`) are already
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

/** `formatDate` for many dates: the Intl formatter is built once (building one costs far more than using it). */
export function createDateFormatter(locale: Locale): (isoDate: string) => string {
  const fmt = new Intl.DateTimeFormat(locale, DATE_STYLE[locale]);
  return (isoDate) => fmt.format(new Date(`${isoDate}T00:00:00Z`));
}

export function formatNumber(locale: Locale, n: number): string {
  return new Intl.NumberFormat(locale).format(n);
}

/** Whole days from `from` to `to` (calendar dates, `to − from`). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
