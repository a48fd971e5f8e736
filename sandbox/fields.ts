/**
 * Field catalogue: the system fields each entity exposes through the Fields APIs (v2 and v1 shapes,
 * PIPEDRIVE.md §3.3) and strict REST v2 validation of custom-field values per field type (§3.2, §11.7).
 */
import type { FieldOptionRec, FieldRec, Kind, SubfieldRec } from './model.js';
import { isValidDate, rfc3339, v1Time } from './model.js';

interface SystemFieldSpec {
  key: string;
  name: string;
  type: string;
  v1Key?: string;
  subfields?: SubfieldRec[];
  /** Built-in option fields carry **string** option ids (SDK 33 v2 model: "integer for custom fields, string for built-in fields"). */
  options?: FieldOptionRec[];
}

const DEAL_STATUS_OPTIONS: FieldOptionRec[] = [
  { id: 'open', label: 'Open' },
  { id: 'won', label: 'Won' },
  { id: 'lost', label: 'Lost' },
  { id: 'deleted', label: 'Deleted' },
];
const VISIBLE_TO_OPTIONS: FieldOptionRec[] = [
  { id: '1', label: 'Owner & followers' },
  { id: '3', label: 'Entire company' },
];

const ADDRESS_PARTS = [
  'subpremise', 'street_number', 'route', 'sublocality', 'locality', 'admin_area_level_1', 'admin_area_level_2',
  'country', 'postal_code', 'formatted_address',
] as const;
export const ADDRESS_SUBFIELD_KEYS: readonly string[] = ADDRESS_PARTS;

function addressSubfields(key: string, name: string): SubfieldRec[] {
  return ADDRESS_PARTS.map((part) => ({ field_code: `${key}.${part}`, field_name: `${part} of ${name}`, field_type: 'varchar' }));
}

const SYSTEM_FIELDS: Record<Kind, SystemFieldSpec[]> = {
  organization: [
    { key: 'name', name: 'Name', type: 'varchar' },
    { key: 'owner_id', name: 'Owner', type: 'user' },
    { key: 'address', name: 'Address', type: 'address', subfields: addressSubfields('address', 'Address') },
    { key: 'label_ids', name: 'Labels', type: 'set', v1Key: 'label' },
    { key: 'visible_to', name: 'Visible to', type: 'visible_to', options: VISIBLE_TO_OPTIONS },
    { key: 'add_time', name: 'Organization created', type: 'date' },
    { key: 'update_time', name: 'Update time', type: 'date' },
  ],
  person: [
    { key: 'name', name: 'Name', type: 'varchar' },
    { key: 'first_name', name: 'First name', type: 'varchar' },
    { key: 'last_name', name: 'Last name', type: 'varchar' },
    { key: 'emails', name: 'Email', type: 'varchar', v1Key: 'email' },
    { key: 'phones', name: 'Phone', type: 'phone', v1Key: 'phone' },
    { key: 'org_id', name: 'Organization', type: 'org' },
    { key: 'owner_id', name: 'Owner', type: 'user' },
    { key: 'label_ids', name: 'Labels', type: 'set', v1Key: 'label' },
    { key: 'visible_to', name: 'Visible to', type: 'visible_to', options: VISIBLE_TO_OPTIONS },
    { key: 'add_time', name: 'Person created', type: 'date' },
    { key: 'update_time', name: 'Update time', type: 'date' },
  ],
  deal: [
    { key: 'title', name: 'Title', type: 'varchar' },
    {
      key: 'value', name: 'Value', type: 'monetary',
      subfields: [
        { field_code: 'value', field_name: 'Amount of Value', field_type: 'double' },
        { field_code: 'currency', field_name: 'Currency of Value', field_type: 'varchar' },
      ],
    },
    { key: 'currency', name: 'Currency', type: 'varchar' },
    { key: 'expected_close_date', name: 'Expected close date', type: 'date' },
    { key: 'org_id', name: 'Organization', type: 'org' },
    { key: 'person_id', name: 'Contact person', type: 'people' },
    { key: 'owner_id', name: 'Owner', type: 'user', v1Key: 'user_id' },
    { key: 'status', name: 'Status', type: 'status', options: DEAL_STATUS_OPTIONS },
    { key: 'pipeline_id', name: 'Pipeline', type: 'double' },
    { key: 'stage_id', name: 'Stage', type: 'stage' },
    { key: 'probability', name: 'Probability', type: 'double' },
    { key: 'lost_reason', name: 'Lost reason', type: 'varchar' },
    { key: 'won_time', name: 'Won time', type: 'date' },
    { key: 'lost_time', name: 'Lost time', type: 'date' },
    { key: 'close_time', name: 'Deal closed on', type: 'date' },
    { key: 'label_ids', name: 'Label', type: 'set', v1Key: 'label' },
    { key: 'visible_to', name: 'Visible to', type: 'visible_to', options: VISIBLE_TO_OPTIONS },
    { key: 'add_time', name: 'Deal created', type: 'date' },
    { key: 'update_time', name: 'Update time', type: 'date' },
  ],
  activity: [
    { key: 'subject', name: 'Subject', type: 'varchar' },
    { key: 'type', name: 'Type', type: 'varchar' },
    { key: 'due_date', name: 'Due date', type: 'date' },
    { key: 'due_time', name: 'Due time', type: 'time' },
    { key: 'duration', name: 'Duration', type: 'time' },
    { key: 'owner_id', name: 'Assigned to user', type: 'user', v1Key: 'user_id' },
    { key: 'deal_id', name: 'Deal', type: 'deal' },
    { key: 'person_id', name: 'Contact person', type: 'people' },
    { key: 'org_id', name: 'Organization', type: 'org' },
    { key: 'note', name: 'Note', type: 'text' },
    { key: 'done', name: 'Done', type: 'boolean' },
    { key: 'busy', name: 'Free/busy', type: 'boolean', v1Key: 'busy_flag' },
    { key: 'marked_as_done_time', name: 'Marked as done time', type: 'date' },
    { key: 'add_time', name: 'Add time', type: 'date' },
    { key: 'update_time', name: 'Update time', type: 'date' },
  ],
};

/** System field definitions for every entity, with v1 ids starting at `firstId`. */
export function systemFields(at: number, firstId = 1): FieldRec[] {
  let id = firstId;
  const out: FieldRec[] = [];
  for (const entity of ['organization', 'person', 'deal', 'activity'] as const) {
    SYSTEM_FIELDS[entity].forEach((spec, i) => {
      out.push({
        id: id++, entity, key: spec.key, ...(spec.v1Key ? { v1Key: spec.v1Key } : {}), name: spec.name,
        fieldType: spec.type, options: spec.options ? spec.options.map((o) => ({ ...o })) : null, subfields: spec.subfields ?? null, isCustom: false,
        description: null, orderNr: i, addTime: at, updateTime: at,
      });
    });
  }
  return out;
}

/** Field types a client may create through POST /api/v2/{entity}Fields (§3.3). */
export const CREATABLE_FIELD_TYPES = new Set([
  'varchar', 'text', 'double', 'phone', 'date', 'daterange', 'time', 'timerange', 'set', 'enum', 'varchar_auto',
  'address', 'monetary', 'org', 'people', 'user',
]);

export function v2Field(f: FieldRec): Record<string, unknown> {
  return {
    field_name: f.name,
    field_code: f.key,
    // The v2 Fields API declares `description` a required string (OpenAPI v2, getDealFields).
    description: f.description ?? '',
    field_type: f.fieldType,
    options: f.options ? f.options.map((o) => ({ id: o.id, label: o.label, ...(o.color ? { color: o.color } : {}) })) : null,
    subfields: f.subfields,
    is_custom_field: f.isCustom,
    is_optional_response_field: false,
  };
}

export function v1Field(f: FieldRec): Record<string, unknown> {
  return {
    id: f.id,
    key: f.v1Key ?? f.key,
    name: f.name,
    order_nr: f.orderNr,
    field_type: f.fieldType,
    add_time: v1Time(f.addTime),
    update_time: v1Time(f.updateTime),
    last_updated_by_user_id: null,
    created_by_user_id: null,
    active_flag: true,
    edit_flag: f.isCustom,
    index_visible_flag: true,
    details_visible_flag: true,
    add_visible_flag: true,
    important_flag: false,
    bulk_edit_allowed: true,
    searchable_flag: f.isCustom && ['varchar', 'text', 'varchar_auto', 'phone', 'double'].includes(f.fieldType),
    filtering_allowed: true,
    sortable_flag: true,
    mandatory_flag: false,
    options: f.options ? f.options.map((o) => ({ id: o.id, label: o.label })) : null,
    is_subfield: false,
  };
}

export function v2Time(ms: number | null): string | null {
  return ms === null ? null : rfc3339(ms);
}

// ---- custom-field value validation (strict REST v2) ---------------------------------------------

export interface RefCheck {
  userExists(id: number): boolean;
  orgExists(id: number): boolean;
  personExists(id: number): boolean;
}

export type ValueResult = { ok: true; value: unknown } | { ok: false; error: string };

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;

export function normalizeTime(t: string): string {
  return t.length === 5 ? `${t}:00` : t;
}

function bad(field: FieldRec, why: string): ValueResult {
  return { ok: false, error: `custom_fields.${field.key} (${field.name}, ${field.fieldType}): ${why}` };
}

/** Validates one custom-field value as REST v2 would, returning the stored (normalised) value. */
export function validateCustomValue(field: FieldRec, value: unknown, refs: RefCheck): ValueResult {
  if (value === null) return { ok: true, value: null };
  switch (field.fieldType) {
    case 'varchar':
    case 'varchar_auto':
    case 'phone':
      if (typeof value !== 'string') return bad(field, 'expected a string');
      if (value.length > 255) return bad(field, 'longer than 255 characters');
      return { ok: true, value };
    case 'text':
      if (typeof value !== 'string') return bad(field, 'expected a string');
      if (value.length > 65_535) return bad(field, 'longer than 65535 characters');
      return { ok: true, value };
    case 'double':
      if (typeof value !== 'number' || !Number.isFinite(value)) return bad(field, 'expected a JSON number');
      return { ok: true, value };
    case 'monetary':
      return monetaryValue(field, value);
    case 'enum':
      if (!isInt(value)) return bad(field, 'expected an option id (JSON integer)');
      if (!field.options?.some((o) => o.id === value)) return bad(field, `option id ${value} does not exist`);
      return { ok: true, value };
    case 'set': {
      if (!Array.isArray(value)) return bad(field, 'expected an array of option ids');
      if (value.length === 0) return bad(field, 'an empty array is not supported, send null to clear');
      for (const v of value) {
        if (!isInt(v)) return bad(field, 'option ids must be JSON integers');
        if (!field.options?.some((o) => o.id === v)) return bad(field, `option id ${v} does not exist`);
      }
      return { ok: true, value: [...new Set(value as number[])] };
    }
    case 'user':
      if (!isInt(value) || !refs.userExists(value)) return bad(field, `user ${String(value)} does not exist`);
      return { ok: true, value };
    case 'org':
      if (!isInt(value) || !refs.orgExists(value)) return bad(field, `organization ${String(value)} does not exist`);
      return { ok: true, value };
    case 'people':
      if (!isInt(value) || !refs.personExists(value)) return bad(field, `person ${String(value)} does not exist`);
      return { ok: true, value };
    case 'date':
      if (!isValidDate(value)) return bad(field, 'expected a date YYYY-MM-DD');
      return { ok: true, value };
    case 'daterange': {
      if (!isObj(value) || !isValidDate(value.value) || !isValidDate(value.until)) {
        return bad(field, 'expected {value: YYYY-MM-DD, until: YYYY-MM-DD}');
      }
      return { ok: true, value: { value: value.value, until: value.until } };
    }
    case 'time':
    case 'timerange':
      return timeValue(field, value);
    case 'address': {
      const addr = parseAddress(value);
      if (typeof addr === 'string') return bad(field, addr);
      return { ok: true, value: addr };
    }
    default:
      return bad(field, 'field type not writable in the sandbox');
  }
}

/** A monetary value: exactly {value: number, currency: 3-letter code}. */
function monetaryValue(field: FieldRec, value: unknown): ValueResult {
  if (!isObj(value)) return bad(field, 'expected an object {value, currency}');
  const extra = Object.keys(value).filter((k) => k !== 'value' && k !== 'currency');
  if (extra.length > 0) return bad(field, `unknown key(s) ${extra.join(', ')}`);
  if (typeof value.value !== 'number' || !Number.isFinite(value.value)) return bad(field, 'value must be a JSON number');
  if (typeof value.currency !== 'string' || !/^[A-Z]{3}$/.test(value.currency)) return bad(field, 'currency must be a 3-letter code');
  return { ok: true, value: { value: value.value, currency: value.currency } };
}

/** A time or time range: {value: "HH:MM[:SS]", until? (ranges), timezone_name?}, stored with seconds. */
function timeValue(field: FieldRec, value: unknown): ValueResult {
  if (!isObj(value) || typeof value.value !== 'string' || !TIME_RE.test(value.value)) {
    return bad(field, 'expected {value: "HH:MM:SS", timezone_name?}');
  }
  if (field.fieldType === 'timerange' && (typeof value.until !== 'string' || !TIME_RE.test(value.until))) {
    return bad(field, 'expected until "HH:MM:SS"');
  }
  const tz = typeof value.timezone_name === 'string' ? value.timezone_name : 'America/Sao_Paulo';
  return {
    ok: true,
    value: {
      value: normalizeTime(value.value),
      ...(field.fieldType === 'timerange' ? { until: normalizeTime(value.until as string) } : {}),
      timezone_id: null,
      timezone_name: tz,
    },
  };
}

/** Parses a v2 address write: only `value` is required; omitted subfields become null (§3.2). */
export function parseAddress(value: unknown): Record<string, string | null> | string {
  if (!isObj(value)) return 'expected an address object {value, ...}';
  if (typeof value.value !== 'string' || value.value.trim() === '') return 'address.value must be a non-empty string';
  const out: Record<string, string | null> = { value: value.value };
  for (const [k, v] of Object.entries(value)) {
    if (k === 'value') continue;
    if (!ADDRESS_PARTS.includes(k as (typeof ADDRESS_PARTS)[number])) return `unknown address key ${k}`;
    if (v !== null && typeof v !== 'string') return `address.${k} must be a string or null`;
  }
  for (const part of ADDRESS_PARTS) out[part] = (value[part] as string | null | undefined) ?? null;
  if (out.formatted_address === null) out.formatted_address = value.value;
  return out;
}
