/**
 * Resolves the field *names* of the policy (as an admin sees them in Pipedrive) to the company's field
 * definitions, and reads a field's value from a domain record.
 *
 * Custom fields live in `customFields[<40-char key>]` (PIPEDRIVE.md §3.1). Built-in fields (Address,
 * Email, Phone, Expected close date, …) are properties of the domain record instead; the v2 Fields API
 * lists them with `is_custom_field: false`, v1 did not list them at all, so they resolve by name even
 * when the catalogue omits them.
 */
import type { Deal, EntityKind, FieldDefinition, Organization, Person } from '../domain/entities.js';

export type FieldRecord = Organization | Person | Deal;

/** Field types the mirror's built-in properties carry, beyond Pipedrive's `field_type` values. */
export type BuiltinFieldType = 'emails' | 'phones';

export interface BuiltinField {
  /** Canonical name, as Pipedrive labels it. */
  name: string;
  /** Pipedrive `field_type` of the value `read` returns (or `emails` / `phones` lists). */
  fieldType: string;
  read(record: FieldRecord): unknown;
}

export interface ResolvedField {
  entity: EntityKind;
  /** The name the policy used. */
  policyName: string;
  /** The name as the company spells it. */
  name: string;
  /** Custom-field hash key, or the built-in property's field code. */
  key: string;
  fieldType: string;
  options: FieldDefinition['options'];
  isCustom: boolean;
  /** Value of this field on a record (undefined when the record does not carry it). */
  read(record: FieldRecord): unknown;
}

/** Normalised field name: trimmed, case-insensitive, inner whitespace collapsed. */
export function normalizeFieldName(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

const org = (r: FieldRecord) => r as Organization;
const person = (r: FieldRecord) => r as Person;
const deal = (r: FieldRecord) => r as Deal;

/** Built-in fields the mirror keeps, by entity; looked up by normalised name and by v2 field code. */
const BUILTINS: Record<'organization' | 'person' | 'deal', { names: string[]; codes: string[]; field: BuiltinField }[]> = {
  organization: [
    { names: ['name'], codes: ['name'], field: { name: 'Name', fieldType: 'varchar', read: (r) => org(r).name } },
    { names: ['owner'], codes: ['owner_id'], field: { name: 'Owner', fieldType: 'user', read: (r) => org(r).ownerId } },
    { names: ['address'], codes: ['address'], field: { name: 'Address', fieldType: 'varchar', read: (r) => org(r).address } },
  ],
  person: [
    { names: ['name'], codes: ['name'], field: { name: 'Name', fieldType: 'varchar', read: (r) => person(r).name } },
    { names: ['owner'], codes: ['owner_id'], field: { name: 'Owner', fieldType: 'user', read: (r) => person(r).ownerId } },
    { names: ['organization'], codes: ['org_id'], field: { name: 'Organization', fieldType: 'org', read: (r) => person(r).orgId } },
    { names: ['email'], codes: ['emails', 'email'], field: { name: 'Email', fieldType: 'emails', read: (r) => person(r).emails } },
    { names: ['phone'], codes: ['phones', 'phone'], field: { name: 'Phone', fieldType: 'phones', read: (r) => person(r).phones } },
  ],
  deal: [
    { names: ['title'], codes: ['title'], field: { name: 'Title', fieldType: 'varchar', read: (r) => deal(r).title } },
    { names: ['owner'], codes: ['owner_id'], field: { name: 'Owner', fieldType: 'user', read: (r) => deal(r).ownerId } },
    {
      names: ['value'],
      codes: ['value'],
      field: {
        name: 'Value',
        fieldType: 'monetary',
        read: (r) => (deal(r).value === null ? null : { value: deal(r).value, currency: deal(r).currency }),
      },
    },
    // A built-in option field: string option ids ("open", "won", …), resolved to labels like custom options.
    { names: ['status'], codes: ['status'], field: { name: 'Status', fieldType: 'status', read: (r) => deal(r).status } },
    { names: ['currency'], codes: ['currency'], field: { name: 'Currency', fieldType: 'varchar', read: (r) => deal(r).currency } },
    { names: ['organization'], codes: ['org_id'], field: { name: 'Organization', fieldType: 'org', read: (r) => deal(r).orgId } },
    { names: ['contact person', 'person'], codes: ['person_id'], field: { name: 'Contact person', fieldType: 'people', read: (r) => deal(r).personId } },
    {
      names: ['expected close date'],
      codes: ['expected_close_date'],
      field: { name: 'Expected close date', fieldType: 'date', read: (r) => deal(r).expectedCloseDate },
    },
    {
      names: ['label', 'labels'],
      codes: ['label_ids', 'label'],
      field: { name: 'Label', fieldType: 'set', read: (r) => (deal(r).labelIds.length > 0 ? deal(r).labelIds : null) },
    },
  ],
};

function builtinFor(entity: EntityKind, name: string | null, code: string | null): { codes: string[]; field: BuiltinField } | null {
  if (entity === 'activity') return null;
  for (const b of BUILTINS[entity]) {
    if ((name !== null && b.names.includes(name)) || (code !== null && b.codes.includes(code))) return b;
  }
  return null;
}

export interface FieldCatalogue {
  /** The field an admin calls `name` on `entity`, or null when the company has none the rules can read. */
  resolve(entity: EntityKind, name: string): ResolvedField | null;
}

export function createFieldCatalogue(fields: readonly FieldDefinition[]): FieldCatalogue {
  const byName = new Map<string, FieldDefinition[]>();
  const systemByCode = new Map<string, FieldDefinition>();
  for (const f of fields) {
    const k = `${f.entity}\u0000${normalizeFieldName(f.name)}`;
    const list = byName.get(k);
    if (list) list.push(f);
    else byName.set(k, [f]);
    if (!f.isCustom) systemByCode.set(`${f.entity}\u0000${f.key}`, f);
  }
  const cache = new Map<string, ResolvedField | null>();

  const resolveUncached = (entity: EntityKind, policyName: string): ResolvedField | null => {
    const norm = normalizeFieldName(policyName);
    const defs = byName.get(`${entity}\u0000${norm}`) ?? [];
    // A custom field wins over a system field of the same name: the policy is mostly about "special fields" [003].
    const custom = defs.find((d) => d.isCustom);
    if (custom) {
      const key = custom.key;
      return {
        entity,
        policyName,
        name: custom.name,
        key,
        fieldType: custom.fieldType,
        options: custom.options,
        isCustom: true,
        read: (r) => r.customFields[key],
      };
    }
    const named = defs[0];
    const builtin = builtinFor(entity, norm, named?.key ?? null) ?? (named ? builtinFor(entity, null, named.key) : null);
    if (!builtin) return null;
    // A built-in named by its canonical English name ("Owner") in an account that spells it otherwise
    // ("Proprietário"): the catalogue's entry for the field code gives the company's name to show.
    const system = named ?? builtin.codes.map((code) => systemByCode.get(`${entity}\u0000${code}`)).find((d) => d !== undefined);
    return {
      entity,
      policyName,
      name: system?.name ?? builtin.field.name,
      key: system?.key ?? builtin.field.name,
      fieldType: builtin.field.fieldType,
      options: system?.options ?? null,
      isCustom: false,
      read: builtin.field.read,
    };
  };

  return {
    resolve(entity, name) {
      const k = `${entity}\u0000${name}`;
      if (cache.has(k)) return cache.get(k) ?? null;
      const r = resolveUncached(entity, name);
      cache.set(k, r);
      return r;
    },
  };
}
