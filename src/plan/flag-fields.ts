/**
 * The organization flags (POLICY.md §5): which custom fields hold them, what value each should hold for
 * an assessed client, and the v2 value shapes (PIPEDRIVE.md §3.2: enum = option id, date = YYYY-MM-DD,
 * double = JSON number). `cadence setup` creates the fields from `flagFieldSpecs`; the planner writes a
 * value only when it differs from what the mirror holds.
 */
import type { Policy } from '../config/policy-schema.js';
import type { FieldDefinition, FieldOptionId } from '../domain/entities.js';
import { normalizeFieldName } from '../rules/field-catalogue.js';
import { findOptionById } from '../rules/field-values.js';
import type { OrgAssessment } from '../rules/types.js';

export const FLAG_NAMES = [
  'cadenceStatus',
  'lastTouchpoint',
  'nextDue',
  'engagement4w',
  'engagementTrend',
  'dataQuality',
  'dataQualityIssues',
  'healthScore',
] as const satisfies readonly (keyof Policy['flags'])[];
export type FlagName = (typeof FLAG_NAMES)[number];

type FlagKind = 'enum' | 'date' | 'number';
const FLAG_KIND: Record<FlagName, FlagKind> = {
  cadenceStatus: 'enum',
  lastTouchpoint: 'date',
  nextDue: 'date',
  engagement4w: 'number',
  engagementTrend: 'enum',
  dataQuality: 'enum',
  dataQualityIssues: 'number',
  healthScore: 'number',
};
const CREATE_TYPE: Record<FlagKind, 'enum' | 'date' | 'double'> = { enum: 'enum', date: 'date', number: 'double' };

export interface FlagFieldSpec {
  flag: FlagName;
  name: string;
  /** Pipedrive `field_type` to create. */
  fieldType: 'enum' | 'date' | 'double';
  /** Option labels (enum fields), in the policy's locale. */
  options: string[] | null;
}

/** The flag fields the policy needs, with their enum options from the templates of the policy locale. */
export function flagFieldSpecs(policy: Policy): FlagFieldSpec[] {
  const t = policy.texts[policy.locale];
  const options: Partial<Record<FlagName, string[]>> = {
    cadenceStatus: [t.status.on_track, t.status.due_soon, t.status.overdue, t.status.never, t.status.not_applicable],
    engagementTrend: [t.trend.rising, t.trend.stable, t.trend.falling],
    dataQuality: [t.dataQuality.ok, t.dataQuality.issues],
  };
  return FLAG_NAMES.map((flag) => ({
    flag,
    name: policy.flags[flag].name,
    fieldType: CREATE_TYPE[FLAG_KIND[flag]],
    options: options[flag] ?? null,
  }));
}

export type FlagFields = Partial<Record<FlagName, FieldDefinition>>;

/** Same field or option name as the rules compare them (trimmed, case-insensitive, whitespace collapsed). */
export function sameName(a: string, b: string): boolean {
  return normalizeFieldName(a) === normalizeFieldName(b);
}

/** Finds the organization custom fields named by `policy.flags` (names compared as the rules do). */
export function resolveFlagFields(policy: Policy, fields: readonly FieldDefinition[]): { fields: FlagFields; missing: FlagFieldSpec[] } {
  const out: FlagFields = {};
  const missing: FlagFieldSpec[] = [];
  for (const spec of flagFieldSpecs(policy)) {
    // Only a custom field can hold a flag: a system field of the same name is not ours to write.
    const def = fields.find((f) => f.entity === 'organization' && f.isCustom && sameName(f.name, spec.name));
    if (def) out[spec.flag] = def;
    else missing.push(spec);
  }
  return { fields: out, missing };
}

/** What a flag should say, before it is shaped for the field's type. */
export type FlagValue = { kind: 'enum'; label: string } | { kind: 'date'; value: string | null } | { kind: 'number'; value: number };

export function desiredFlagValues(policy: Policy, org: OrgAssessment): Record<FlagName, FlagValue> {
  const t = policy.texts[policy.locale];
  const issues = org.findings.length;
  return {
    cadenceStatus: { kind: 'enum', label: t.status[org.overallStatus] },
    lastTouchpoint: { kind: 'date', value: org.lastTouchpointDate },
    nextDue: { kind: 'date', value: org.nextDueDate },
    engagement4w: { kind: 'number', value: org.engagement.last4 },
    engagementTrend: { kind: 'enum', label: t.trend[org.engagement.trend] },
    dataQuality: { kind: 'enum', label: issues === 0 ? t.dataQuality.ok : t.dataQuality.issues },
    dataQualityIssues: { kind: 'number', value: issues },
    healthScore: { kind: 'number', value: org.health.score },
  };
}

export type ShapedValue =
  | { ok: true; value: unknown; display: string | number | null }
  | { ok: false; problem: { code: 'flag_option_missing'; params: { field: string; option: string } } | { code: 'flag_field_wrong_type'; params: { field: string; type: string; want: string } } };

function findOption(def: FieldDefinition, label: string): FieldOptionId | null {
  const opts = def.options ?? [];
  return (opts.find((o) => o.label === label) ?? opts.find((o) => sameName(o.label, label)))?.id ?? null;
}

/** Shapes a flag value for the field as it exists in the company (an admin may have made it a text field). */
export function shapeFlagValue(def: FieldDefinition, v: FlagValue): ShapedValue {
  const type = def.fieldType;
  if (v.kind === 'enum') {
    if (type === 'enum' || type === 'set') {
      const id = findOption(def, v.label);
      if (id === null) {
        return { ok: false, problem: { code: 'flag_option_missing', params: { field: def.name, option: v.label } } };
      }
      return { ok: true, value: type === 'set' ? [id] : id, display: v.label };
    }
    if (isTextType(type)) return { ok: true, value: v.label, display: v.label };
  } else if (v.kind === 'date') {
    if (type === 'date' || isTextType(type)) return { ok: true, value: v.value, display: v.value };
  } else {
    if (type === 'double' || type === 'int') return { ok: true, value: v.value, display: v.value };
    if (isTextType(type)) return { ok: true, value: String(v.value), display: v.value };
  }
  // The Pipedrive field type the flag needs, by its API name (as `type` is).
  const want = v.kind === 'enum' ? 'enum' : v.kind === 'date' ? 'date' : 'double';
  return { ok: false, problem: { code: 'flag_field_wrong_type', params: { field: def.name, type, want } } };
}

function isTextType(type: string): boolean {
  return type === 'varchar' || type === 'text' || type === 'varchar_auto';
}

/** Normalizes a value read from the mirror (REST v2, or option-labelled objects) for comparison. */
export function normalizeCurrent(def: FieldDefinition, raw: unknown): unknown {
  if (raw === undefined || raw === null || raw === '') return null;
  const type = def.fieldType;
  const idOf = (x: unknown): number | null => {
    if (typeof x === 'number') return x;
    if (typeof x === 'string' && /^\d+$/.test(x.trim())) return Number(x);
    if (x && typeof x === 'object' && 'id' in x) return idOf((x as { id: unknown }).id);
    return null;
  };
  if (type === 'enum') return idOf(raw);
  if (type === 'set') {
    const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [raw];
    const ids = items.map(idOf).filter((x): x is number => x !== null);
    return ids.length === 0 ? null : ids.sort((a, b) => a - b);
  }
  if (type === 'double' || type === 'int') {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
    return Number.isFinite(n) ? n : raw;
  }
  if (type === 'date') return typeof raw === 'string' ? raw.slice(0, 10) : raw;
  return raw;
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  return false;
}

/** For display: the label of an enum option id, else the raw value. */
export function displayCurrent(def: FieldDefinition, normalized: unknown): unknown {
  if (def.fieldType === 'enum' && typeof normalized === 'number') {
    return findOptionById(def.options, normalized)?.label ?? normalized;
  }
  return normalized;
}
