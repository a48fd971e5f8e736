import { describe, expect, it } from 'vitest';
import { assessCompany } from '../../../src/rules/assess-company.js';
import type { Activity, FieldDefinition, Organization, Person } from '../../../src/domain/entities.js';
import { noteHasText } from '../../../src/domain/provenance.js';
import { createDescriber } from '../../../src/i18n/describe.js';
import type { Policy } from '../../../src/config/policy-schema.js';
import type { Finding } from '../../../src/rules/types.js';
import { FALLBACK, FIELDS, F, OWNER, ROLE, TIER_OPT, clock, deal, org, person, policy, snapshot, touch, user, USERS, wonDeal } from './fixtures.js';

const TODAY = '2026-03-10';

function run(parts: Parameters<typeof snapshot>[0], p: Policy = policy()) {
  return assessCompany(p, snapshot(parts), clock(TODAY));
}
const findingsOf = (parts: Parameters<typeof snapshot>[0], p?: Policy) => run(parts, p).organizations[0]!.findings;
const strip = (fs: Finding[]) => fs.map(({ entity, entityId, field, problem }) => ({ entity, entityId, field, problem }));

describe('required organization fields, checked by Pipedrive field type', () => {
  const typed: FieldDefinition[] = [
    ['Notes', 'text'],
    ['Headcount', 'double'],
    ['Employees', 'int'],
    ['Annual budget', 'monetary'],
    ['Products', 'set'],
    ['Contract period', 'daterange'],
    ['Switchboard', 'phone'],
    ['Sponsor', 'user'],
    ['Main contact', 'people'],
    ['Parent company', 'org'],
    ['HQ', 'address'],
    ['Kickoff time', 'time'],
  ].map(([name, fieldType]) => ({
    entity: 'organization' as const,
    key: `k_${name!.toLowerCase().replace(/ /g, '_')}`,
    name: name!,
    fieldType: fieldType!,
    options: fieldType === 'set' ? [{ id: 1, label: 'Squad' }, { id: 2, label: 'Consulting' }] : null,
    isCustom: true,
  }));
  const fields = [...FIELDS, ...typed];
  const keyOf = (name: string) => fields.find((f) => f.entity === 'organization' && f.name === name)!.key;
  const only = (name: string) =>
    policy((p) => {
      p.requiredFields = { organization: [{ field: name }], person: [], deal: [] };
    });

  it.each([
    ['Segment', 'text present', 'Retail', null],
    ['Segment', 'blank text', '   ', 'missing'],
    ['Segment', 'absent', undefined, 'missing'],
    ['Notes', 'long text', 'Key account since 2019', null],
    ['Headcount', 'a number', 120.5, null],
    ['Headcount', 'a numeric string (v2 sends numbers)', '120', 'not_a_number'],
    ['Employees', 'a whole number', 40, null],
    ['Employees', 'a fraction', 40.5, 'not_a_number'],
    ['Annual budget', 'amount and currency', { value: 500, currency: 'USD' }, null],
    ['Annual budget', 'amount 0 is a value', { value: 0, currency: 'BRL' }, null],
    ['Annual budget', 'no currency', { value: 500, currency: null }, 'invalid_monetary'],
    ['Annual budget', 'currency not 3 letters', { value: 500, currency: 'R$' }, 'invalid_monetary'],
    ['Annual budget', 'amount as text', { value: '500', currency: 'BRL' }, 'invalid_monetary'],
    ['Annual budget', 'a bare number (v1 shape)', 500, 'invalid_monetary'],
    ['Annual budget', 'no amount', { value: null, currency: 'BRL' }, 'missing'],
    ['Tier', 'an existing option', TIER_OPT['Tier 2'], null],
    ['Tier', 'a v1 string option id', String(TIER_OPT['Tier 2']), null],
    ['Tier', 'a deleted option', 999, 'invalid_option'],
    ['Tier', 'not an option id', 'Tier 2', 'invalid_option'],
    ['Products', 'existing options', [1, 2], null],
    ['Products', 'one unknown option', [1, 7], 'invalid_option'],
    ['Products', 'empty selection', [], 'missing'],
    ['Contract end date', 'a real date', '2027-01-31', null],
    ['Contract end date', '30 February', '2026-02-30', 'invalid_date'],
    ['Contract end date', 'a Brazilian-format date', '31/01/2027', 'invalid_date'],
    ['Contract period', 'a real range', { value: '2026-01-01', until: '2026-12-31' }, null],
    ['Contract period', 'a range ending before it starts', { value: '2026-12-31', until: '2026-01-01' }, 'invalid_date'],
    ['Contract period', 'a range with an unreal end', { value: '2026-01-01', until: '2026-06-31' }, 'invalid_date'],
    ['Switchboard', 'a phone number', '+55 (11) 3333-4444', null],
    ['Switchboard', 'a phone with extension', '+55 11 3333-4444 ramal 12', null],
    ['Switchboard', 'letters', 'call reception', 'invalid_phone'],
    ['Switchboard', 'too few digits', '1234', 'invalid_phone'],
    ['Sponsor', 'an existing user', OWNER, null],
    ['Sponsor', 'an unknown user', 4242, 'dangling_reference'],
    ['Main contact', 'an existing person', 10, null],
    ['Main contact', 'a deleted person', 12, 'dangling_reference'],
    ['Parent company', 'an existing organization', 2, null],
    ['Parent company', 'an unknown organization', 3, 'dangling_reference'],
    ['HQ', 'an address object', { value: 'Rua A, 1', locality: 'São Paulo' }, null],
    ['HQ', 'an address without its value', { value: null, locality: 'São Paulo' }, 'missing'],
    ['Kickoff time', 'any time value (presence only)', { value: '09:00:00', timezone_name: 'America/Sao_Paulo' }, null],
  ])('%s: %s → %s', (name, _what, value, problem) => {
    const o = org({ id: 1, customFields: { [keyOf(name)]: value } });
    const fs = findingsOf(
      { orgs: [o, org({ id: 2 })], persons: [person({ id: 10, orgId: 2 }), person({ id: 12, orgId: 2, isDeleted: true })], fields },
      only(name),
    ).filter((f) => f.field === name);
    expect(fs.map((f) => f.problem)).toEqual(problem === null ? [] : [problem]);
    if (problem !== null) expect(fs[0]).toMatchObject({ entity: 'organization', entityId: 1, orgId: 1, ownerId: OWNER });
  });

  it('field names resolve case-insensitively and trimmed; unknown names are listed, not guessed', () => {
    const p = policy((pp) => {
      pp.requiredFields.organization = [{ field: '  segment ' }, { field: 'Segmento' }];
    });
    const r = run({ orgs: [org({ id: 1, customFields: { [F.segment]: '' } })] }, p);
    expect(strip(r.organizations[0]!.findings)).toContainEqual({ entity: 'organization', entityId: 1, field: 'Segment', problem: 'missing' });
    expect(r.unresolvedFields).toContainEqual({ entity: 'organization', name: 'Segmento' });
    expect(r.unresolvedFields).not.toContainEqual(expect.objectContaining({ name: '  segment ' }));
  });

  it('tier-limited requirements apply only to those tiers (Contract end date: Tier 3 and 4)', () => {
    const t1 = findingsOf({ orgs: [org({ id: 1, customFields: { [F.tier]: TIER_OPT['Tier 1'] } })] });
    const t3 = findingsOf({ orgs: [org({ id: 1, customFields: { [F.tier]: TIER_OPT['Tier 3'] } })], persons: [decisionMaker(10)] });
    expect(t1.filter((f) => f.field === 'Contract end date')).toEqual([]);
    expect(strip(t3)).toEqual([{ entity: 'organization', entityId: 1, field: 'Contract end date', problem: 'missing' }]);
  });

  it('the built-in Address is read from the organization record', () => {
    expect(strip(findingsOf({ orgs: [org({ id: 1, address: null, customFields: { [F.tier]: TIER_OPT['Tier 1'] } })] }))).toEqual([
      { entity: 'organization', entityId: 1, field: 'Address', problem: 'missing' },
    ]);
  });

  it('a built-in field the catalogue does not list still resolves by name', () => {
    const r = run({ orgs: [org({ id: 1, address: null, customFields: { [F.tier]: TIER_OPT['Tier 1'] } })], fields: FIELDS.filter((f) => f.key !== 'address') });
    expect(r.organizations[0]!.findings.map((f) => f.field)).toEqual(['Address']);
    expect(r.unresolvedFields).toEqual([]);
  });
});

const decisionMaker = (id: number, over: Partial<Person> = {}) => person({ id, orgId: 1, ...over, customFields: { [F.role]: ROLE['Decision maker'], ...over.customFields } });
const tier = (level: 1 | 2 | 3 | 4): Partial<Organization> => ({ customFields: { [F.tier]: TIER_OPT[`Tier ${level}`] } });

describe('required person fields (built-in Email and Phone)', () => {
  it.each([
    ['Email', 'no e-mail', { emails: [] }, 1, 'missing'],
    ['Email', 'an invalid e-mail', { emails: ['ana(at)cliente.com'] }, 1, 'invalid_email'],
    ['Email', 'one valid, one invalid', { emails: ['ana@cliente.com', 'ana@'] }, 1, 'invalid_email'],
    ['Email', 'a valid e-mail', { emails: ['ana.souza+crm@cliente.com.br'] }, 1, null],
    ['Phone', 'no phone at Tier 3', { phones: [] }, 3, 'missing'],
    ['Phone', 'no phone at Tier 1 (not required there)', { phones: [] }, 1, null],
    ['Phone', 'letters at Tier 3', { phones: ['n/a'] }, 3, 'invalid_phone'],
  ])('%s: %s → %s', (field, _what, over, level, problem) => {
    const fs = findingsOf({ orgs: [org({ id: 1, ...tier(level as 1 | 3) })], persons: [decisionMaker(10, over)] }).filter((f) => f.field === field);
    expect(fs.map((f) => f.problem)).toEqual(problem === null ? [] : [problem]);
    if (problem) expect(fs[0]).toMatchObject({ entity: 'person', entityId: 10, orgId: 1 });
  });

  it('says an e-mail or phone is invalid without carrying the value (personal data)', () => {
    const fs = findingsOf({
      orgs: [org({ id: 1, ...tier(3) })],
      persons: [decisionMaker(10, { emails: ['ana@cliente.com', 'ana.souza(at)cliente'], phones: ['+55 11 9-ABC'] })],
    }).filter((f) => f.field === 'Email' || f.field === 'Phone');
    expect(fs.map((f) => [f.problem, f.detail, f.params])).toEqual([
      ['invalid_email', '1 of 2 e-mail(s) not valid', { field: 'Email' }],
      ['invalid_phone', '1 of 1 phone number(s) not valid', { field: 'Phone' }],
    ]);
    expect(JSON.stringify(fs)).not.toMatch(/ana\.souza|9-ABC|ana@cliente/);
  });
});

describe('required deal fields (open deals only)', () => {
  it.each([
    ['no expected close date', { expectedCloseDate: null }, 'Expected close date', 'missing'],
    ['an unreal expected close date', { expectedCloseDate: '2026-02-30' }, 'Expected close date', 'invalid_date'],
    ['no service line', { customFields: { [F.serviceLine]: null } }, 'Service line', 'missing'],
  ])('%s', (_name, over, field, problem) => {
    const fs = findingsOf({ orgs: [org({ id: 1, ...tier(1) })], deals: [deal({ id: 100, orgId: 1, ...over })] });
    expect(strip(fs)).toEqual([{ entity: 'deal', entityId: 100, field, problem }]);
  });

  it('won, lost and deleted deals are not checked', () => {
    const fs = findingsOf({
      orgs: [org({ id: 1, ...tier(1) })],
      deals: [
        wonDeal({ id: 100, orgId: 1, won: '2025-01-01', expectedCloseDate: null }),
        deal({ id: 101, orgId: 1, status: 'lost', expectedCloseDate: null }),
        deal({ id: 102, orgId: 1, isDeleted: true, expectedCloseDate: null }),
      ],
    });
    expect(fs).toEqual([]);
  });
});

describe('owners (docs/policy.md §1)', () => {
  it.each([
    ['no owner', { ownerId: null }, 'no_owner'],
    ['a deactivated owner', { ownerId: 8 }, 'inactive_owner'],
    ['an owner who is not a user', { ownerId: 4242 }, 'inactive_owner'],
  ])('%s → %s, to be fixed by the fallback user', (_name, over, problem) => {
    const a = run({ orgs: [org({ id: 1, ...tier(1), ...over })] }).organizations[0]!;
    expect(a.findings).toEqual([expect.objectContaining({ entity: 'organization', field: 'Owner', problem, ownerId: FALLBACK })]);
    expect(a.ownerActive).toBe(false);
    expect(a.assigneeId).toBe(FALLBACK);
  });

  it('names the owner field as the company spells it, and the owner by name', () => {
    // A Portuguese account: the Fields API lists the built-in owner field as "Proprietário".
    const fields: FieldDefinition[] = [...FIELDS, { entity: 'organization', key: 'owner_id', name: 'Proprietário', fieldType: 'user', options: null, isCustom: false }];
    const [f] = findingsOf({ orgs: [org({ id: 1, ...tier(1), ownerId: 8 })], fields });
    expect(f).toMatchObject({ field: 'Proprietário', problem: 'inactive_owner', params: { field: 'Proprietário', owner: 'Davi (left)' } });
    expect(f!.textKey).toBeUndefined();
    const [unknown] = findingsOf({ orgs: [org({ id: 1, ...tier(1), ownerId: 4242 })] });
    expect(unknown).toMatchObject({ field: 'Owner', problem: 'inactive_owner', textKey: 'unknown_owner', params: { field: 'Owner', owner: '#4242' } });
  });

  it('a finding goes to the record owner when active, else the org owner, else the fallback user', () => {
    const fs = findingsOf({
      orgs: [org({ id: 1, ...tier(1) })],
      persons: [person({ id: 10, orgId: 1, ownerId: 6, emails: [] }), person({ id: 11, orgId: 1, ownerId: 8, emails: [] })],
    });
    expect(fs.map((f) => [f.entityId, f.ownerId])).toEqual([
      [10, 6],
      [11, OWNER],
    ]);
    const orphanless = findingsOf({ orgs: [org({ id: 1, ...tier(1), ownerId: 8 })], persons: [person({ id: 11, orgId: 1, ownerId: 8, emails: [] })] });
    expect(orphanless.find((f) => f.entityId === 11)!.ownerId).toBe(FALLBACK);
  });
});

describe('stakeholders (docs/policy.md §6, §7)', () => {
  it('Tier 3+ without a decision maker is a finding; Tier 2 is not', () => {
    const p3 = findingsOf({ orgs: [org({ id: 1, ...tier(3), customFields: { [F.tier]: TIER_OPT['Tier 3'], [F.contractEnd]: '2027-01-01' } })], persons: [person({ id: 10, orgId: 1 })] });
    expect(strip(p3)).toEqual([{ entity: 'organization', entityId: 1, field: 'Stakeholder role', problem: 'no_decision_maker' }]);
    expect(findingsOf({ orgs: [org({ id: 1, ...tier(2) })], persons: [person({ id: 10, orgId: 1 })] })).toEqual([]);
  });

  it('risks.decisionMakerMinTier sets that threshold', () => {
    const p = policy((pp) => {
      pp.risks.decisionMakerMinTier = 2;
    });
    expect(findingsOf({ orgs: [org({ id: 1, ...tier(2) })] }, p).map((f) => f.problem)).toEqual(['no_decision_maker']);
  });

  it.each([
    ['no role', { [F.role]: null }, 'Stakeholder role', 'missing_stakeholder_role'],
    ['no strength', { [F.strength]: null }, 'Relationship strength', 'missing_relationship_strength'],
    ['a deleted role option', { [F.role]: 99 }, 'Stakeholder role', 'invalid_option'],
  ])('a person with %s → one %s finding (not also a generic "missing")', (_name, custom, field, problem) => {
    const fs = findingsOf({ orgs: [org({ id: 1, ...tier(1) })], persons: [person({ id: 10, orgId: 1, customFields: custom })] });
    expect(strip(fs)).toEqual([{ entity: 'person', entityId: 10, field, problem }]);
  });

  it('the stakeholder checks run even when the policy does not list the fields as required', () => {
    const p = policy((pp) => {
      pp.requiredFields.person = [];
    });
    const fs = findingsOf({ orgs: [org({ id: 1, ...tier(1) })], persons: [person({ id: 10, orgId: 1, customFields: { [F.strength]: null } })] }, p);
    expect(fs.map((f) => f.problem)).toEqual(['missing_relationship_strength']);
  });

  it('deleted persons are not checked', () => {
    expect(findingsOf({ orgs: [org({ id: 1, ...tier(1) })], persons: [person({ id: 10, orgId: 1, isDeleted: true, emails: [] })] })).toEqual([]);
  });
});

describe('records without a client', () => {
  it('orphan persons and open deals go to otherFindings with orgId null; tier-limited rules skip them', () => {
    const r = run({
      orgs: [org({ id: 1, ...tier(1) })],
      persons: [person({ id: 50, orgId: null, emails: [], phones: [], customFields: { [F.role]: null } }), person({ id: 51, orgId: 777, emails: ['bad'] })],
      deals: [deal({ id: 60, orgId: null, expectedCloseDate: null })],
    });
    expect(strip(r.otherFindings)).toEqual([
      { entity: 'person', entityId: 50, field: 'Email', problem: 'missing' },
      { entity: 'person', entityId: 50, field: 'Stakeholder role', problem: 'missing' },
      { entity: 'person', entityId: 51, field: 'Email', problem: 'invalid_email' },
      { entity: 'deal', entityId: 60, field: 'Expected close date', problem: 'missing' },
    ]);
    expect(r.otherFindings.every((f) => f.orgId === null)).toBe(true);
  });
});

describe('fallback user (owners.fallbackUser)', () => {
  it('resolves the policy e-mail against the users; opts.fallbackUserId overrides it', () => {
    const parts = { orgs: [org({ id: 1, ...tier(1), ownerId: null })] };
    expect(run(parts).organizations[0]!.assigneeId).toBe(FALLBACK);
    expect(assessCompany(policy(), snapshot(parts), clock(TODAY), { fallbackUserId: 7 }).organizations[0]!.assigneeId).toBe(7);
  });

  it('a deactivated or unknown fallback user assigns nobody (the planner reports it)', () => {
    const users = USERS.map((u) => (u.id === FALLBACK ? user({ ...u, active: false }) : u));
    expect(run({ orgs: [org({ id: 1, ...tier(1), ownerId: null })], users }).organizations[0]!.assigneeId).toBeNull();
    const p = policy((pp) => {
      pp.owners.fallbackUser = 'nobody@exemplo.com.br';
    });
    expect(run({ orgs: [org({ id: 1, ...tier(1), ownerId: null })] }, p).organizations[0]!.assigneeId).toBeNull();
  });
});

describe('"FUP sem registro" (docs/policy.md §10.3): a done FUP, QBR or planning session with an empty note', () => {
  const client = org({ id: 1, customFields: { [F.tier]: TIER_OPT['Tier 3'] } });
  const held = (id: number, date: string, over: Partial<Activity>) => touch(id, 1, date, { type: 'meeting', ownerId: 6, hasNote: false, ...over });
  const notesFindings = (acts: Activity[], p?: Policy) =>
    findingsOf({ orgs: [client], persons: [person({ id: 10, orgId: 1, customFields: { [F.role]: ROLE['Decision maker'] } })], deals: [deal({ id: 100, orgId: 1 })], activities: acts }, p).filter(
      (f) => f.problem === 'held_without_notes',
    );

  it('is a finding for the activity\'s owner, named by the rule it counts for, in pt-BR and en', () => {
    const acts = [
      held(1, '2026-03-02', { subject: 'FUP de março' }),
      held(2, '2026-02-20', { subject: 'QBR Q1' }),
      held(3, '2026-01-15', { subject: 'Planejamento estratégico 2026', ownerId: 7 }),
      held(4, '2026-02-01', { type: 'fup', subject: 'Conversa com o patrocinador' }),
    ];
    const found = notesFindings(acts);
    expect(found.map((f) => [f.entity, f.entityId, f.ownerId, f.params.kind])).toEqual([
      ['activity', 3, 7, 'Planejamento estratégico anual'],
      ['activity', 4, 6, 'FUP estratégico'],
      ['activity', 2, 6, 'Revisão trimestral de negócios (QBR)'],
      ['activity', 1, 6, 'FUP estratégico'],
    ]);
    expect(found[3]).toMatchObject({ orgId: 1, field: 'Note', params: { subject: 'FUP de março', heldDate: '2026-03-02' } });
    const pt = createDescriber(policy()).finding(found[3]!);
    expect(pt).toBe('A atividade FUP estratégico "FUP de março" de 2 de mar. de 2026 foi concluída sem registro: anote nela as respostas do check-list');
    const enPolicy = policy((pp) => void (pp.locale = 'en'));
    const en = notesFindings(acts, enPolicy).find((f) => f.entityId === 1)!;
    expect(createDescriber(enPolicy).finding(en)).toBe('The Strategic follow-up activity "FUP de março" of Mar 2, 2026 was marked done without notes: record the checklist\'s answers in it');
  });

  it('is no finding for a note with text, an unknown note (the worker\'s own, or mirrored before), an open activity or another category', () => {
    const acts = [
      held(1, '2026-03-02', { subject: 'FUP', hasNote: true }),
      held(2, '2026-03-02', { subject: 'FUP', hasNote: undefined }),
      held(3, '2026-03-02', { subject: 'FUP', cadenceKey: 'fu:1:strategic:never', hasNote: undefined }),
      held(4, '2026-03-20', { subject: 'FUP', done: false }),
      held(5, '2026-03-02', { type: 'call', subject: 'Ligação' }), // maintenance
      held(6, '2026-03-02', { type: 'call', subject: 'Status', dealId: 100 }), // operational
    ];
    expect(notesFindings(acts)).toEqual([]);
  });

  it('is no finding for a dinner or an event (categories.requireNotes.exceptRules: executive-events), while a QBR held the same day is', () => {
    const acts = [held(1, '2026-03-02', { type: 'lunch', subject: 'Jantar executivo com o patrocinador' }), held(2, '2026-03-02', { subject: 'QBR' })];
    expect(notesFindings(acts).map((f) => f.entityId)).toEqual([2]);
    const strict = policy((pp) => void (pp.categories.requireNotes.exceptRules = []));
    expect(notesFindings(acts, strict).map((f) => f.entityId).sort()).toEqual([1, 2]);
  });

  it('looks back categories.requireNotes.days (90): an older session is history', () => {
    expect(notesFindings([held(1, '2025-12-10', { subject: 'FUP' })]).map((f) => f.entityId)).toEqual([1]); // 90 days ago
    expect(notesFindings([held(1, '2025-12-09', { subject: 'FUP' })])).toEqual([]);
    const onlyExecutive = policy((pp) => void (pp.categories.requireNotes = { categories: ['executive'], days: 30, exceptRules: [] }));
    expect(notesFindings([held(1, '2026-03-02', { subject: 'FUP' }), held(2, '2026-03-02', { subject: 'QBR' })], onlyExecutive).map((f) => f.entityId)).toEqual([2]);
  });

  it('an inactive activity owner: the finding goes to the client\'s owner', () => {
    expect(notesFindings([held(1, '2026-03-02', { subject: 'FUP', ownerId: 8 })]).map((f) => f.ownerId)).toEqual([OWNER]);
  });
});

describe('noteHasText: HTML and whitespace are no note', () => {
  it.each([
    [null, false],
    ['', false],
    ['   \n ', false],
    ['<p><br></p>', false],
    ['<p>&nbsp;</p><div> </div>', false],
    ['<p>Cliente quer ampliar o squad</p>', true],
    ['ok', true],
  ])('%j → %s', (note, has) => {
    expect(noteHasText(note)).toBe(has);
  });
});
