/**
 * Reading and checking custom-field values by Pipedrive field type (PIPEDRIVE.md §3.2).
 *
 * The mirror stores REST v2 shapes (enum → option id, set → option ids, monetary → {value, currency},
 * daterange → {value, until}). The readers also accept the v1 string forms (`"123"`, `"1,2"`) and the
 * `{id, label}` objects of `include_option_labels`, so a value is never misjudged because of its shape.
 */
import type { FieldOption, FieldOptionId } from '../domain/entities.js';
import type { FindingTextKey } from './types.js';
import { isRealIsoDate } from './calendar.js';
import type { FindingProblem } from '../domain/vocabulary.js';

function isBlank(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0);
}

function toOptionId(v: unknown): FieldOptionId | null {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) return Number(v);
  // Built-in fields carry string option ids (deal `status`: "won"); custom fields never do.
  if (typeof v === 'string' && /^\s*[A-Za-z][\w-]*\s*$/.test(v)) return v.trim();
  if (typeof v === 'object' && v !== null && 'id' in v) return toOptionId((v as { id: unknown }).id);
  return null;
}

/** Whether two option ids name the same option (`5` and `"5"` do: v1 sends numeric ids as strings). */
export function sameOptionId(a: FieldOptionId, b: FieldOptionId): boolean {
  return a === b || String(a) === String(b);
}

/** The option `id` stands for, when the field's option list has it. */
export function findOptionById<O extends FieldOption>(options: readonly O[] | null | undefined, id: FieldOptionId): O | undefined {
  return options?.find((o) => sameOptionId(o.id, id));
}

/**
 * Option ids of an enum/set value (empty when unset); `invalid` lists parts that are not ids at all.
 * A word (`"won"`) is an id only for a field whose options have string ids (built-in fields); for a custom
 * field, whose ids are integers, it is invalid.
 */
export function optionIds(value: unknown, options?: readonly FieldOption[] | null): { ids: FieldOptionId[]; invalid: unknown[] } {
  if (isBlank(value)) return { ids: [], invalid: [] };
  const stringIds = options?.some((o) => typeof o.id === 'string') ?? false;
  const parts: unknown[] = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
  const ids: FieldOptionId[] = [];
  const invalid: unknown[] = [];
  for (const p of parts) {
    const id = toOptionId(p);
    if (id === null || (typeof id === 'string' && !stringIds)) invalid.push(p);
    else ids.push(id);
  }
  return { ids, invalid };
}

/** Field types whose values are option ids (enum/set custom fields; built-in `status`, `visible_to`). */
export function isOptionType(fieldType: string): boolean {
  return fieldType === 'enum' || fieldType === 'set' || fieldType === 'status' || fieldType === 'visible_to';
}

/**
 * The labels a value stands for: option labels for option fields, the text itself for text fields.
 * Unknown option ids yield nothing (they are a data-quality finding, not a label).
 */
export function valueLabels(value: unknown, fieldType: string, options: readonly FieldOption[] | null): string[] {
  if (isBlank(value)) return [];
  if (isOptionType(fieldType)) {
    const out: string[] = [];
    for (const id of optionIds(value, options).ids) {
      const opt = findOptionById(options, id);
      if (opt) out.push(opt.label);
    }
    return out;
  }
  if (typeof value === 'string') return [value];
  if (typeof value === 'object' && value !== null && 'label' in value && typeof (value as { label: unknown }).label === 'string') {
    return [(value as { label: string }).label];
  }
  return [];
}

/** A calendar date held by a date (`"2026-01-31"`) or daterange (`{value, until}` → the end) field. */
export function dateValue(value: unknown): string | null {
  if (isRealIsoDate(value)) return value;
  if (typeof value === 'object' && value !== null) {
    const v = value as { value?: unknown; until?: unknown };
    if (isRealIsoDate(v.until)) return v.until;
    if (isRealIsoDate(v.value)) return v.value;
  }
  return null;
}

// Pragmatic e-mail shape: one @, a dot in the domain, no spaces (RFC 5322 accepts more, Pipedrive fewer).
const EMAIL_RE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const PHONE_CHARS_RE = /^\+?[\d\s().\-/]+(\s*(x|ext\.?|ramal)\s*\d+)?$/i;

export function isValidEmail(text: string): boolean {
  return EMAIL_RE.test(text.trim());
}

/** A phone number: digits with the usual separators, 7–15 digits (ITU E.164 allows at most 15). */
export function isValidPhone(text: string): boolean {
  const t = text.trim();
  if (!PHONE_CHARS_RE.test(t)) return false;
  const main = t.replace(/(x|ext\.?|ramal)\s*\d+$/i, '');
  const digits = main.replace(/\D/g, '').length;
  return digits >= 7 && digits <= 15;
}

/** Ids that exist in the company, for reference-typed fields. */
export interface ReferenceLookup {
  hasUser(id: number): boolean;
  hasPerson(id: number): boolean;
  hasOrganization(id: number): boolean;
  hasDeal(id: number): boolean;
}

export interface ValueProblem {
  problem: FindingProblem;
  /** Technical English sentence (Finding.detail). */
  detail: string;
  /** The offending value (`value`) or count for the template; the caller adds the field's name. */
  params: { value?: string; count?: number };
  /** A narrower template than the problem's own. */
  textKey?: FindingTextKey;
}

function show(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'value' in value && typeof (value as { value: unknown }).value === 'string') {
    return (value as { value: string }).value;
  }
  return null;
}

// Shared: a blank value is by far the most common problem in a large company.
const MISSING: ValueProblem = Object.freeze({ problem: 'missing', detail: 'no value', params: Object.freeze({}) });

/**
 * What is wrong with a required field's value, judged by its Pipedrive field type; null when it is fine.
 * Missing values (null, absent, blank text, empty list) are `missing` for every type.
 */
export function checkFieldValue(
  fieldType: string,
  value: unknown,
  options: readonly FieldOption[] | null,
  refs: ReferenceLookup,
): ValueProblem | null {
  if (isBlank(value)) return MISSING;
  switch (fieldType) {
    case 'varchar':
    case 'text':
    case 'varchar_auto':
    case 'varchar_options': {
      if (typeof value === 'string' || typeof value === 'number') return null;
      const t = textOf(value);
      if (t !== null) return t.trim() === '' ? MISSING : null;
      return { problem: 'missing', detail: `not text: ${show(value)}`, params: { value: show(value) } };
    }
    case 'address': {
      const t = textOf(value);
      if (t === null || t.trim() === '') return { problem: 'missing', detail: 'no address', params: {} };
      return null;
    }
    case 'double':
    case 'int': {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return { problem: 'not_a_number', detail: `expected a number, got ${show(value)}`, params: { value: show(value) } };
      }
      if (fieldType === 'int' && !Number.isInteger(value)) {
        return { problem: 'not_a_number', detail: `expected a whole number, got ${show(value)}`, params: { value: show(value) }, textKey: 'not_a_whole_number' };
      }
      return null;
    }
    case 'monetary':
      return monetaryProblem(value);
    case 'enum':
    case 'set':
    case 'status':
    case 'visible_to':
      return optionProblem(fieldType, value, options);
    case 'date':
      return isRealIsoDate(value) ? null : { problem: 'invalid_date', detail: `not a real date YYYY-MM-DD: ${show(value)}`, params: { value: show(value) } };
    case 'daterange':
      return dateRangeProblem(value);
    // E-mails and phones are personal data (LGPD): a finding says which field of which record is invalid,
    // never the value itself (the admin opens the record through its link to correct it).
    case 'phone': {
      const t = textOf(value);
      return t !== null && isValidPhone(t) ? null : { problem: 'invalid_phone', detail: 'not a valid phone number', params: {} };
    }
    case 'emails':
    case 'phones':
      return contactListProblem(fieldType, value);
    case 'user':
    case 'people':
    case 'org':
    case 'deal':
      return referenceProblem(fieldType, value, refs);
    case 'boolean':
      return typeof value === 'boolean' ? null : { problem: 'missing', detail: `not true/false: ${show(value)}`, params: { value: show(value) } };
    default:
      // time, timerange, json, … : presence is all the policy asks for.
      return null;
  }
}

/** A monetary value: {value: number, currency: 3-letter code}. */
function monetaryProblem(value: unknown): ValueProblem | null {
  const m = value as { value?: unknown; currency?: unknown };
  // The template shows the whole value: amount and currency together are what the admin corrects.
  const whole = { value: show(value) };
  if (typeof value !== 'object' || value === null) return { problem: 'invalid_monetary', detail: `expected {value, currency}, got ${show(value)}`, params: whole };
  if (m.value === null || m.value === undefined) return { problem: 'missing', detail: 'no amount', params: {} };
  if (typeof m.value !== 'number' || !Number.isFinite(m.value)) {
    return { problem: 'invalid_monetary', detail: `amount is not a number: ${show(m.value)}`, params: whole };
  }
  if (typeof m.currency !== 'string' || !/^[A-Z]{3}$/.test(m.currency)) {
    return { problem: 'invalid_monetary', detail: `currency is not a 3-letter code: ${show(m.currency)}`, params: whole };
  }
  return null;
}

/** Option fields: ids that exist, one for a single-option field. */
function optionProblem(fieldType: string, value: unknown, options: readonly FieldOption[] | null): ValueProblem | null {
  const { ids, invalid } = optionIds(value, options);
  if (invalid.length > 0) return { problem: 'invalid_option', detail: `not an option id: ${show(invalid[0])}`, params: { value: show(invalid[0]) } };
  if (fieldType !== 'set' && ids.length > 1) {
    return { problem: 'invalid_option', detail: `single-option field holds ${ids.length} options`, params: { count: ids.length }, textKey: 'too_many_options' };
  }
  // Without the option list (a system field the catalogue omits) existence cannot be judged.
  if (options) {
    const unknown = ids.filter((id) => !findOptionById(options, id));
    if (unknown.length > 0) {
      return { problem: 'invalid_option', detail: `option id ${unknown.join(', ')} does not exist (deleted option?)`, params: { value: unknown.join(', ') } };
    }
  }
  return null;
}

/** A date range: real dates, ending no earlier than it starts. */
function dateRangeProblem(value: unknown): ValueProblem | null {
  const r = value as { value?: unknown; until?: unknown };
  if (typeof value !== 'object' || value === null || !isRealIsoDate(r.value) || !isRealIsoDate(r.until)) {
    return { problem: 'invalid_date', detail: `expected {value, until} real dates: ${show(value)}`, params: { value: show(value) } };
  }
  if (r.until < r.value) return { problem: 'invalid_date', detail: `range ends before it starts: ${r.value} → ${r.until}`, params: { value: `${r.value} → ${r.until}` } };
  return null;
}

/** E-mail and phone lists: at least one, every one valid (the values themselves never in the finding). */
function contactListProblem(fieldType: 'emails' | 'phones', value: unknown): ValueProblem | null {
  // Counted in one pass without building lists: every person of a large company has both fields checked.
  const check = fieldType === 'emails' ? isValidEmail : isValidPhone;
  const tally = { given: 0, invalid: 0 };
  if (Array.isArray(value)) for (const v of value) countContact(v, check, tally);
  else countContact(value, check, tally);
  if (tally.given === 0) return MISSING;
  if (tally.invalid === 0) return null;
  return {
    problem: fieldType === 'emails' ? 'invalid_email' : 'invalid_phone',
    detail: `${tally.invalid} of ${tally.given} ${fieldType === 'emails' ? 'e-mail(s)' : 'phone number(s)'} not valid`,
    params: {},
  };
}

/** One e-mail or phone entry: blank ones do not count; the others count, and count as invalid when `check` refuses them. */
function countContact(v: unknown, check: (text: string) => boolean, tally: { given: number; invalid: number }): void {
  const text = textOf(v);
  if (text === null || text.trim() === '') return;
  tally.given += 1;
  if (!check(text)) tally.invalid += 1;
}

/** A reference to a user, person, organization or deal that exists. */
function referenceProblem(fieldType: 'user' | 'people' | 'org' | 'deal', value: unknown, refs: ReferenceLookup): ValueProblem | null {
  const ref = toOptionId(value);
  const id = typeof ref === 'number' ? ref : null;
  if (id === null) return { problem: 'dangling_reference', detail: `not an id: ${show(value)}`, params: { value: show(value) } };
  const exists =
    fieldType === 'user' ? refs.hasUser(id) : fieldType === 'people' ? refs.hasPerson(id) : fieldType === 'org' ? refs.hasOrganization(id) : refs.hasDeal(id);
  const what = fieldType === 'user' ? 'user' : fieldType === 'people' ? 'person' : fieldType === 'org' ? 'organization' : 'deal';
  return exists ? null : { problem: 'dangling_reference', detail: `${what} #${id} does not exist`, params: { value: `#${id}` } };
}
