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

const pluralRules = new Map<string, { rules: Intl.PluralRules; byCount: Map<number, string> }>();
/** The language's plural category of n; remembered for counts (whole numbers below 10,000), which is what templates count. */
function pluralCategory(locale: Locale, n: number): string {
  let entry = pluralRules.get(locale);
  if (!entry) pluralRules.set(locale, (entry = { rules: new Intl.PluralRules(locale), byCount: new Map() }));
  if (!Number.isInteger(n) || n < 0 || n >= 10_000) return entry.rules.select(n);
  let category = entry.byCount.get(n);
  if (category === undefined) entry.byCount.set(n, (category = entry.rules.select(n)));
  return category;
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
 *
 * A template is parsed once and kept (the policy's templates are few and filled for every activity the
 * planner writes); the rendering is the same as `fillTemplateUncached`, which parses on every call.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string | number>>, options: FillOptions = {}): string {
  const parts = compiledTemplate(template);
  if (parts === null) return fillTemplateUncached(template, values, options);
  if (parts.length === 1 && typeof parts[0] === 'string') return parts[0];
  return renderParts(parts, values, options.locale ?? 'en', options.formatNumber, null);
}

/** A parsed template: literal text, a `{name}` placeholder, or a plural block with its parsed branches. */
type Part = string | { name: string; raw: string } | { plural: string; raw: string; branches: Map<string, Part[]> };

const compiled = new Map<string, Part[] | null>();
/** Templates come from the policy; the cap only guards against a caller filling ever-new texts. */
const COMPILED_MAX = 2_000;

/** The template's parts, or null when it must be filled by `fillTemplateUncached` (see `parseParts`). */
function compiledTemplate(template: string): Part[] | null {
  let parts = compiled.get(template);
  if (parts === undefined) {
    const parse = { unsafe: false };
    parts = parseParts(template, parse);
    // A `{` that is not a placeholder, in a template with a `#`: once a branch's `#` is replaced by the
    // number, that brace may read differently ("{#}" → "{5}"), so such a template is filled as before.
    if (parse.unsafe && template.includes('#')) parts = null;
    if (compiled.size >= COMPILED_MAX) compiled.clear();
    compiled.set(template, parts);
  }
  return parts;
}

/** The same walk as `fillTemplateUncached`, producing parts instead of text. */
function parseParts(template: string, parse: { unsafe: boolean }): Part[] {
  const parts: Part[] = [];
  let text = '';
  const flush = (): void => {
    if (text) parts.push(text);
    text = '';
  };
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) break;
    text += template.slice(i, open);
    const plural = parsePlural(template, open);
    if (plural) {
      flush();
      const branches = new Map<string, Part[]>();
      for (const [selector, branch] of plural.branches) branches.set(selector, parseParts(branch, parse));
      parts.push({ plural: plural.name, raw: template.slice(open, plural.end), branches });
      i = plural.end;
      continue;
    }
    const simple = /^\{([A-Za-z0-9_]+)\}/.exec(template.slice(open));
    if (simple) {
      flush();
      parts.push({ name: simple[1]!, raw: simple[0] });
      i = open + simple[0].length;
    } else {
      parse.unsafe = true;
      text += '{';
      i = open + 1;
    }
  }
  text += template.slice(i);
  flush();
  return parts;
}

/**
 * Fills parsed parts. `hash` is the number a `#` stands for inside a plural branch (null outside one): as in
 * `fillTemplateUncached`, which replaces every `#` of the branch text, nested blocks included, by the
 * outermost block's number.
 */
function renderParts(parts: readonly Part[], values: Readonly<Record<string, string | number>>, locale: Locale, formatNum: FillOptions['formatNumber'], hash: string | null): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') out += hash === null ? part : part.replaceAll('#', hash);
    else if ('name' in part) {
      const v = values[part.name];
      out += v === undefined ? part.raw : showValue(v, locale, formatNum);
    } else {
      const v = values[part.plural];
      const n = typeof v === 'number' ? v : Number(v);
      if (v === undefined || Number.isNaN(n)) {
        out += hash === null ? part.raw : part.raw.replaceAll('#', hash);
        continue;
      }
      const branch = part.branches.get(`=${n}`) ?? part.branches.get(pluralCategory(locale, n)) ?? part.branches.get('other')!;
      out += renderParts(branch, values, locale, formatNum, hash ?? showValue(v, locale, formatNum));
    }
  }
  return out;
}

/** A value as the template shows it: a number in the locale's (or the caller's) format, text as it is. */
function showValue(v: string | number, locale: Locale, formatNum: FillOptions['formatNumber']): string {
  if (typeof v !== 'number') return v;
  return formatNum ? formatNum(v) : formatNumber(locale, v);
}

/** `fillTemplate` without the parsed-template cache: the reference it is tested against, and its fallback. */
export function fillTemplateUncached(template: string, values: Readonly<Record<string, string | number>>, options: FillOptions = {}): string {
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
        out += fillTemplateUncached(branch.replace(/#/g, show(v)), values, options);
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

const NEEDS_ESCAPE = /[&<>"']/;
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The one HTML escaper: the notes the worker writes into Pipedrive and the reports' auto-escaping builder (src/report/safe-html.ts). */
export function escapeHtml(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * One date format per locale, wherever a person reads a date (activity notes, subjects and the reports):
 * "14 de mar. de 2026", "Mar 14, 2026" — the month spelled out avoids the day-month ambiguity.
 */
export const DATE_OPTIONS: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' };
const DATE_STYLE: Record<Locale, Intl.DateTimeFormatOptions> = { 'pt-BR': DATE_OPTIONS, en: DATE_OPTIONS };

export function formatDate(locale: Locale, isoDate: string): string {
  let byDay = formattedDates.get(locale);
  if (!byDay) formattedDates.set(locale, (byDay = new Map()));
  let text = byDay.get(isoDate);
  if (text === undefined) {
    text = createDateFormatter(locale)(isoDate);
    // A night's notes name a few hundred distinct days; the cap only bounds a long-lived process.
    if (byDay.size >= FORMATTED_DATES_MAX) byDay.clear();
    byDay.set(isoDate, text);
  }
  return text;
}

/** Dates already formatted, per locale: Intl formatting costs microseconds, and notes repeat the same days. */
const formattedDates = new Map<Locale, Map<string, string>>();
const FORMATTED_DATES_MAX = 20_000;

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
  if (!Number.isInteger(n) || n < 0 || n >= 10_000) return numberFormat(locale).format(n);
  let byCount = formattedCounts.get(locale);
  if (!byCount) formattedCounts.set(locale, (byCount = new Map()));
  let text = byCount.get(n);
  if (text === undefined) byCount.set(n, (text = numberFormat(locale).format(n)));
  return text;
}

/** Counts (whole numbers below 10,000) already formatted, per locale: notes repeat the same few. */
const formattedCounts = new Map<Locale, Map<number, string>>();
