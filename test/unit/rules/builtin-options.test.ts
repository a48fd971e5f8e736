/**
 * Built-in fields carry string option ids in the v2 Fields API (deal `status`: "open", "won", …; SDK 33
 * model: "integer for custom fields, string for built-in fields"). They parse, resolve by name (also a
 * localized one) and are read and checked like custom options.
 */
import { describe, expect, it } from 'vitest';
import type { FieldDefinition } from '../../../src/domain/entities.js';
import { DealRecord, FieldRecord, parseEntityRecords, parseRecords, toFieldDefinition } from '../../../src/pipedrive/records.js';
import { createFieldCatalogue } from '../../../src/rules/field-catalogue.js';
import { checkFieldValue, optionIds, valueLabels } from '../../../src/rules/field-values.js';
import { deal } from './fixtures.js';

const refs = { hasUser: () => true, hasPerson: () => true, hasOrganization: () => true, hasDeal: () => true };

const STATUS_RAW = {
  field_name: 'Situação',
  field_code: 'status',
  description: null,
  field_type: 'status',
  options: [
    { id: 'open', label: 'Aberto' },
    { id: 'won', label: 'Ganho' },
    { id: 'lost', label: 'Perdido' },
    { id: 'deleted', label: 'Excluído' },
  ],
  subfields: null,
  is_custom_field: false,
  is_optional_response_field: false,
};

describe('built-in field options with string ids', () => {
  it('parse as field definitions, not as malformed records', () => {
    const { records, malformed } = parseRecords('dealField', [STATUS_RAW], FieldRecord, (r) => toFieldDefinition('deal', r));
    expect(malformed).toEqual([]);
    expect(records[0]!.options).toEqual(STATUS_RAW.options);
  });

  it('a custom field keeps integer ids and still refuses an option without an id', () => {
    const bad = { ...STATUS_RAW, field_code: 'abc', is_custom_field: true, options: [{ label: 'No id' }] };
    expect(parseRecords('dealField', [bad], FieldRecord, (r) => r).malformed[0]!.field).toBe('options.0.id');
  });

  const statusDef: FieldDefinition = toFieldDefinition('deal', FieldRecord.parse(STATUS_RAW));
  const catalogue = createFieldCatalogue([statusDef]);

  it('resolve by the localized name the company uses, with their options', () => {
    const f = catalogue.resolve('deal', 'situação')!;
    expect(f).not.toBeNull();
    expect(f.key).toBe('status');
    expect(f.name).toBe('Situação');
    expect(f.options?.map((o) => o.id)).toEqual(['open', 'won', 'lost', 'deleted']);
    expect(f.read(deal({ id: 1, status: 'won' }))).toBe('won');
    expect(valueLabels(f.read(deal({ id: 1, status: 'won' })), f.fieldType, f.options)).toEqual(['Ganho']);
    // The canonical English name finds the same field through its code.
    expect(catalogue.resolve('deal', 'Status')?.key).toBe('status');
  });

  it('are checked like custom options: a known id passes, an unknown one is an invalid option', () => {
    expect(checkFieldValue('status', 'won', statusDef.options, refs)).toBeNull();
    expect(checkFieldValue('status', 'archived', statusDef.options, refs)).toMatchObject({ problem: 'invalid_option', params: { value: 'archived' } });
    expect(checkFieldValue('status', null, statusDef.options, refs)).toMatchObject({ problem: 'missing' });
  });

  it('a word is not an option id of a custom (integer-id) field', () => {
    const custom = [{ id: 41, label: 'Squad' }];
    expect(optionIds('Squad', custom)).toEqual({ ids: [], invalid: ['Squad'] });
    expect(checkFieldValue('enum', 'Squad', custom, refs)).toMatchObject({ problem: 'invalid_option' });
    // v1 sends integer ids as strings: "41" is option 41.
    expect(valueLabels('41', 'enum', custom)).toEqual(['Squad']);
  });
});

describe('deals whose status reads deleted', () => {
  const raw = {
    id: 7, title: 'Gone', org_id: 3, person_id: null, owner_id: 5, status: 'deleted', value: 10, currency: 'BRL',
    add_time: '2026-01-01T00:00:00Z', update_time: '2026-02-01T00:00:00Z', is_deleted: false, custom_fields: {},
  };
  it('parse, and come out as deletions', () => {
    expect(DealRecord.safeParse(raw).success).toBe(true);
    const { records, malformed } = parseEntityRecords('deal', [raw]);
    expect(malformed).toEqual([]);
    expect(records[0]).toMatchObject({ id: 7, isDeleted: true });
  });
  it('an unknown status is still malformed', () => {
    expect(parseEntityRecords('deal', [{ ...raw, status: 'frozen' }]).malformed[0]!.field).toBe('status');
  });
});
