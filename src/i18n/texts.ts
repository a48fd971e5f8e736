/**
 * Text helpers for what the worker writes into Pipedrive: template filling, HTML escaping, and dates and
 * numbers formatted for the policy's locale (docs/policy.md §8). Calendar dates (`YYYY-MM-DD`) are already
 * dates in the firm's time zone, so they are formatted as UTC to never shift by a day.
 */
import type { Locale } from './locales.js';

export interface FillOptions {
  /** The language whose plural rules pick a `{n, plural, …}` branch (default en). */
  locale?: Locale;
  /** How a number value is shown (default: the locale's number format). */
  formatNumber?: (n: number) => string;
}

const pluralRules = new Map<string, Intl.PluralRules>();
function pluralCategory(locale: Locale, n: number): string {
  let rules = pluralRules.get(locale);
  if (!rules) pluralRules.set(locale, (rules = new Intl.PluralRules(locale)));
  return rules.select(n);
}

/** `{name, plural, =0 {…} one {…} other {…}}` starting at `start` (a `{`): its branches and where it ends, or null. */
function parsePlural(template: string, start: number): { name: string; branches: Map<string, string>; end: number } | null {
  const head = /^\{([A-Za-z0-9_]+),\s*plural,\s*/.exec(template.slice(start));
  if (!head) return null;
  const branches = new Map<string, string>();
  let i = start + head[0].length;
  for (;;) {
    while (/\s/.test(template[i] ?? '')) i += 1;
    if (template[i] === '}') return branches.has('other') ? { name: head[1]!, branches, end: i + 1 } : null;
    const selector = /^(=\d+|zero|one|two|few|many|other)\s*\{/.exec(template.slice(i));
    if (!selector) return null;
    i += selector[0].length;
    let depth = 1;
    const from = i;
    for (; i < template.length && depth > 0; i += 1) {
      if (template[i] === '{') depth += 1;
      else if (template[i] === '}') depth -= 1;
    }
    if (depth !== 0) return null;
    branches.set(selector[1]!, template.slice(from, i - 1));
  }
}

/**
 * Replaces `{name}` placeholders, and `{name, plural, one {# contato} other {# contatos}}` blocks: the branch
 * is chosen by the language's plural rules (Intl.PluralRules; `=N` matches exactly first) and `#` in it
 * stands for the number. Unknown placeholders stay visible so a template typo is noticed.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string | number>>, options: FillOptions = {}): string {
  const locale = options.locale ?? 'en';
  const show = (v: string | number): string => (typeof v === 'number' ? (options.formatNumber ?? ((n: number) => formatNumber(locale, n)))(v) : v);
  let out = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) break;
    out += template.slice(i, open);
    const plural = parsePlural(template, open);
    if (plural) {
      const v = values[plural.name];
      const n = typeof v === 'number' ? v : Number(v);
      if (v === undefined || Number.isNaN(n)) out += template.slice(open, plural.end);
      else {
        const branch = plural.branches.get(`=${n}`) ?? plural.branches.get(pluralCategory(locale, n)) ?? plural.branches.get('other')!;
        out += fillTemplate(branch.replace(/#/g, show(v)), values, options);
      }
      i = plural.end;
      continue;
    }
    const simple = /^\{([A-Za-z0-9_]+)\}/.exec(template.slice(open));
    if (simple) {
      const v = values[simple[1]!];
      out += v === undefined ? simple[0] : show(v);
      i = open + simple[0].length;
    } else {
      out += '{';
      i = open + 1;
    }
  }
  return out + template.slice(i);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The one HTML escaper: the notes the worker writes into Pipedrive and the reports' auto-escaping builder (src/report/safe-html.ts). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
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
