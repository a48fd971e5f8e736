/**
 * The sentences about findings, risks, tier decisions and health parts: every key has a template in each
 * shipped language, and for every key a record made by the real rules carries every placeholder its
 * templates use (table-driven: one rules scenario per key), so no `{placeholder}` ever reaches a reader.
 */
import { describe, expect, it } from 'vitest';
import { type Policy } from '../../../src/config/policy-schema.js';
import { createDescriber } from '../../../src/i18n/describe.js';
import { notice } from '../../../src/i18n/notice.js';
import {
  FINDING_TEXTS,
  HEALTH_PART_TEXTS,
  NOTICE_TEXTS,
  RISK_TEXTS,
  TIER_TEXTS,
  templatePlaceholders,
  type FindingTextKey,
  type NoticeCode,
  type RiskTextKey,
  type TierTextKey,
} from '../../../src/i18n/message-keys.js';
import { assessCompany } from '../../../src/rules/assess-company.js';
import type { ChangeEvent } from '../../../src/rules/changes.js';
import type { Activity, FieldDefinition } from '../../../src/domain/entities.js';
import type { Finding, HealthPart, Risk, RulesResult, TierDecision } from '../../../src/rules/types.js';
import {
  F, FIELDS, ROLE, SERVICE, STRENGTH, TIER_OPT, addDays, clock, deal, org, person, policy, snapshot, touch, wonDeal, type SnapshotParts,
} from '../rules/fixtures.js';
import { type MessageParams, FINDING_PROBLEMS, HEALTH_PART_KINDS, RISK_KINDS, TIER_RULE_KINDS } from '../../../src/domain/vocabulary.js';
import { LOCALES } from '../../../src/i18n/locales.js';

const TODAY = '2026-03-10';
const shipped = policy();

interface Scenario {
  parts: SnapshotParts;
  adjust?: (p: Policy) => void;
  /** Changes seen between nights (docs/policy.md §10.5), as the job hands them to the rules. */
  changes?: ChangeEvent[];
}

/** Extra fields some scenarios require (a number, a whole number, an amount, a person reference). */
const EXTRA_FIELDS: FieldDefinition[] = [
  { entity: 'organization', key: 'f_org_share', name: 'Share', fieldType: 'double', options: null, isCustom: true },
  { entity: 'organization', key: 'f_org_employees', name: 'Employees', fieldType: 'int', options: null, isCustom: true },
  { entity: 'organization', key: 'f_org_budget', name: 'Budget', fieldType: 'monetary', options: null, isCustom: true },
];
const requireOrgField = (field: string) => (p: Policy) => {
  p.requiredFields.organization.push({ field });
};

const tier = (level: 1 | 2 | 3 | 4) => ({ [F.tier]: TIER_OPT[`Tier ${level}`] });
const dm = (id: number) => person({ id, orgId: 1, name: `Decisora ${id}`, customFields: { [F.role]: ROLE['Decision maker'] } });
const inf = (id: number, strength: number = STRENGTH.Strong) => person({ id, orgId: 1, name: `Pessoa ${id}`, customFields: { [F.role]: ROLE.Influencer, [F.strength]: strength } });
const withPersons = (id: number, date: string, personIds: number[], over: Partial<Activity> = {}) =>
  touch(id, 1, date, { personId: personIds[0] ?? null, participantPersonIds: personIds, ...over });

const FINDING_SCENARIOS: Record<Exclude<FindingTextKey, 'unknown_field'>, Scenario> = {
  missing: { parts: { orgs: [org({ id: 1, customFields: { [F.segment]: null } })] } },
  invalid_option: { parts: { orgs: [org({ id: 1 })], deals: [deal({ id: 2, orgId: 1, customFields: { [F.serviceLine]: 999 } })] } },
  too_many_options: { parts: { orgs: [org({ id: 1 })], deals: [deal({ id: 2, orgId: 1, customFields: { [F.serviceLine]: [SERVICE.Squad, SERVICE.Consulting] } })] } },
  not_a_number: { parts: { orgs: [org({ id: 1, customFields: { f_org_share: 'lots' } })], fields: [...FIELDS, ...EXTRA_FIELDS] }, adjust: requireOrgField('Share') },
  not_a_whole_number: { parts: { orgs: [org({ id: 1, customFields: { f_org_employees: 2.5 } })], fields: [...FIELDS, ...EXTRA_FIELDS] }, adjust: requireOrgField('Employees') },
  invalid_monetary: {
    parts: { orgs: [org({ id: 1, customFields: { f_org_budget: { value: 10, currency: 'reais' } } })], fields: [...FIELDS, ...EXTRA_FIELDS] },
    adjust: requireOrgField('Budget'),
  },
  invalid_date: { parts: { orgs: [org({ id: 1, customFields: { ...tier(3), [F.contractEnd]: '2026-02-31' } })] } },
  invalid_email: { parts: { orgs: [org({ id: 1 })], persons: [person({ id: 10, orgId: 1, emails: ['ana@@x'] })] } },
  invalid_phone: { parts: { orgs: [org({ id: 1, customFields: { ...tier(3), [F.contractEnd]: '2027-01-01' } })], persons: [dm(10), person({ id: 11, orgId: 1, phones: ['ramal'] })] } },
  dangling_reference: {
    parts: { orgs: [org({ id: 1 })], deals: [deal({ id: 2, orgId: 1, personId: 999 })] },
    adjust: (p) => {
      p.requiredFields.deal.push({ field: 'Contact person' });
    },
  },
  no_owner: { parts: { orgs: [org({ id: 1, ownerId: null })] } },
  inactive_owner: { parts: { orgs: [org({ id: 1, ownerId: 8 })] } },
  unknown_owner: { parts: { orgs: [org({ id: 1, ownerId: 777 })] } },
  no_decision_maker: { parts: { orgs: [org({ id: 1, customFields: { ...tier(3), [F.contractEnd]: '2027-01-01' } })], persons: [inf(11)] } },
  missing_stakeholder_role: { parts: { orgs: [org({ id: 1 })], persons: [person({ id: 10, orgId: 1, customFields: { [F.role]: null } })] } },
  missing_relationship_strength: { parts: { orgs: [org({ id: 1 })], persons: [person({ id: 10, orgId: 1, customFields: { [F.strength]: null } })] } },
  unknown_currency: { parts: { orgs: [org({ id: 1 })], deals: [wonDeal({ id: 2, orgId: 1, won: '2026-01-15', value: 5000, currency: 'JPY' })] } },
  held_without_notes: { parts: { orgs: [org({ id: 1 })], activities: [touch(1, 1, '2026-03-02', { type: 'meeting', subject: 'FUP de março', hasNote: false })] } },
  // docs/policy.md §10.5 (Tier 3+ clients).
  stale_nps: { parts: { orgs: [org({ id: 1, customFields: { ...tier(3), [F.contractEnd]: '2027-01-01', [F.npsDate]: '2025-06-01' } })], persons: [dm(10)] } },
  stale_nps_never: { parts: { orgs: [org({ id: 1, customFields: { ...tier(3), [F.contractEnd]: '2027-01-01', [F.nps]: null } })], persons: [dm(10)] } },
  no_executive_sponsor: { parts: { orgs: [org({ id: 1, customFields: { ...tier(3), [F.contractEnd]: '2027-01-01', [F.sponsor]: null } })], persons: [dm(10)] } },
  executive_sponsor_inactive: { parts: { orgs: [org({ id: 1, customFields: { ...tier(3), [F.contractEnd]: '2027-01-01', [F.sponsor]: 8 } })], persons: [dm(10)] } },
  stale_account_plan: { parts: { orgs: [org({ id: 1, customFields: { ...tier(3), [F.contractEnd]: '2027-01-01', [F.planReviewed]: '2025-11-01' } })], persons: [dm(10)] } },
  stale_account_plan_never: { parts: { orgs: [org({ id: 1, customFields: { ...tier(3), [F.contractEnd]: '2027-01-01', [F.planReviewed]: null } })], persons: [dm(10)] } },
};

const stakeholderEvent = (change: 'deleted' | 'moved' | 'role_changed', now?: string): ChangeEvent => ({
  kind: 'stakeholder', day: '2026-03-09', since: '2026-03-02', orgId: 1, personId: 10, name: 'Decisora 10', role: 'Decision maker', change, ...(now ? { now } : {}),
});
const strategic = (over: SnapshotParts) => ({ ...over, orgs: [org({ id: 1, customFields: { ...tier(3), [F.contractEnd]: '2027-12-31' } })] });
const RISK_SCENARIOS: Record<RiskTextKey, Scenario> = {
  key_person_dependency: { parts: strategic({ persons: [dm(10), inf(11)], activities: [withPersons(1, '2026-03-01', [10])] }) },
  no_decision_maker_contact: { parts: strategic({ persons: [dm(10)], activities: [withPersons(1, '2025-10-01', [10])] }) },
  no_decision_maker_contact_never: { parts: strategic({ persons: [dm(10)] }) },
  no_decision_maker_mapped: { parts: strategic({ persons: [inf(11)] }) },
  outreach_collision: {
    parts: { orgs: [org({ id: 1 })], activities: [touch(1, 1, '2026-03-02', { ownerId: 5 }), touch(2, 1, '2026-03-03', { ownerId: 6 }), touch(3, 1, '2026-03-04', { ownerId: 7 })] },
  },
  falling_engagement: { parts: { orgs: [org({ id: 1 })], activities: [0, 1, 2, 3].map((i) => touch(i + 1, 1, addDays('2026-02-10', -i * 7))) } },
  renewal_due: { parts: { orgs: [org({ id: 1, customFields: { [F.contractEnd]: addDays(TODAY, 60) } })] } },
  stakeholder_at_risk: { parts: { orgs: [org({ id: 1 })], persons: [inf(10, STRENGTH['At risk'])] } },
  shrinking_deals: {
    parts: {
      orgs: [org({ id: 1 })],
      deals: [wonDeal({ id: 2, orgId: 1, title: 'Projeto grande', won: '2025-05-01', value: 100_000 }), wonDeal({ id: 3, orgId: 1, title: 'Projeto menor', won: '2026-02-01', value: 60_000 })],
    },
  },
  recent_loss: { parts: { orgs: [org({ id: 1 })], deals: [deal({ id: 2, orgId: 1, title: 'Perdido', status: 'lost', lostTime: '2026-03-01T15:00:00Z' })] } },
  stalled_deals: { parts: { orgs: [org({ id: 1 })], deals: [deal({ id: 2, orgId: 1, title: 'Proposta parada', expectedCloseDate: '2026-02-01' })] } },
  detractor: { parts: { orgs: [org({ id: 1, customFields: { [F.nps]: 4 } })] } },
  stakeholder_change: { parts: { orgs: [org({ id: 1 })] }, changes: [stakeholderEvent('deleted')] },
  stakeholder_moved: { parts: { orgs: [org({ id: 1 })] }, changes: [stakeholderEvent('moved', 'Outra Empresa')] },
  stakeholder_role_changed: { parts: { orgs: [org({ id: 1 })] }, changes: [stakeholderEvent('role_changed', 'Influencer')] },
};

const TIER_SCENARIOS: Record<TierTextKey, Scenario> = {
  explicit_field: { parts: { orgs: [org({ id: 1, customFields: tier(2) })] } },
  key_account: { parts: { orgs: [org({ id: 1 })], deals: [wonDeal({ id: 2, orgId: 1, title: 'Squad de dados', won: '2025-06-01', value: 1000 })] } },
  revenue_tenure: { parts: { orgs: [org({ id: 1 })], deals: [wonDeal({ id: 2, orgId: 1, won: '2025-06-01', value: 60_000 })] } },
  // USD thresholds (docs/policy.md §10.2): 1,100,000 BRL ≈ 207,547 USD reaches Tier 3, but one deal a year ago is no tenure.
  held_back_tenure: { parts: { orgs: [org({ id: 1 })], deals: [wonDeal({ id: 2, orgId: 1, won: '2025-06-01', value: 1_100_000 })] } },
  // 300,000 BRL ≈ 56,604 USD reaches Tier 2, but a single deal is no recurrence.
  held_back_recurrence: { parts: { orgs: [org({ id: 1 })], deals: [wonDeal({ id: 2, orgId: 1, won: '2025-06-01', value: 300_000 })] } },
  lowest_tier: {
    parts: { orgs: [org({ id: 1 })] },
    adjust: (p) => {
      p.tiers[0]!.minRevenue12m = 1;
    },
  },
};

function run(s: Scenario): RulesResult {
  return assessCompany(policy(s.adjust), snapshot(s.parts), clock(TODAY), s.changes ? { changes: s.changes } : {});
}

/** Every placeholder of the key's template, in each language, is a param of the record and gets filled. */
function expectFilled(record: { params: MessageParams }, templates: (locale: (typeof LOCALES)[number]) => string, describe: (locale: (typeof LOCALES)[number]) => string) {
  for (const locale of LOCALES) {
    const used = templatePlaceholders(templates(locale));
    expect(used.filter((name) => !(name in record.params)), `${locale}: placeholders without a param`).toEqual([]);
    const sentence = describe(locale);
    expect(sentence).not.toMatch(/\{[A-Za-z0-9_]+\}/);
    expect(sentence.trim()).not.toBe('');
  }
}

const describers = Object.fromEntries(LOCALES.map((l) => [l, createDescriber({ ...shipped, locale: l })])) as Record<(typeof LOCALES)[number], ReturnType<typeof createDescriber>>;

describe('every finding problem, risk kind, tier rule and health part has a template in each shipped language', () => {
  it.each(LOCALES)('%s', (locale) => {
    const t = shipped.texts[locale];
    for (const problem of FINDING_PROBLEMS) expect(t.findings[problem], problem).toMatch(/\S/);
    for (const key of Object.keys(FINDING_TEXTS) as FindingTextKey[]) expect(t.findings[key], key).toMatch(/\S/);
    for (const kind of RISK_KINDS) expect(t.risks[kind], kind).toMatch(/\S/);
    for (const key of Object.keys(RISK_TEXTS) as RiskTextKey[]) expect(t.risks[key], key).toMatch(/\S/);
    for (const rule of TIER_RULE_KINDS) expect(t.tierRules[rule], rule).toMatch(/\S/);
    for (const key of Object.keys(TIER_TEXTS) as TierTextKey[]) expect(t.tierRules[key], key).toMatch(/\S/);
    for (const kind of HEALTH_PART_KINDS) expect(t.healthParts[kind], kind).toMatch(/\S/);
  });

  it('the two languages have the same keys in every group', () => {
    for (const group of ['findings', 'risks', 'tierRules', 'healthParts', 'notices'] as const) {
      expect(Object.keys(shipped.texts.en[group]).sort(), group).toEqual(Object.keys(shipped.texts['pt-BR'][group]).sort());
    }
  });
});

describe('each finding template is filled by the params the rules give (one rules scenario per key)', () => {
  it.each(Object.entries(FINDING_SCENARIOS) as [Exclude<FindingTextKey, 'unknown_field'>, Scenario][])('%s', (key, scenario) => {
    const r = run(scenario);
    const found = [...r.organizations.flatMap((o) => o.findings), ...r.otherFindings].filter((f: Finding) => (f.textKey ?? f.problem) === key);
    expect(found.length, `the scenario produces no ${key} finding`).toBeGreaterThan(0);
    for (const f of found) {
      expect(Object.keys(f.params)).toEqual(expect.arrayContaining([...FINDING_TEXTS[key]]));
      expectFilled(f, (l) => shipped.texts[l].findings[key], (l) => describers[l].finding(f));
    }
  });

  it('unknown_field is never produced (policy fields missing from Pipedrive are listed in unresolvedFields); its template needs only {field}', () => {
    const r = run({ parts: { orgs: [org({ id: 1 })], fields: FIELDS.filter((f) => f.name !== 'Segment') } });
    expect(r.unresolvedFields).toContainEqual({ entity: 'organization', name: 'Segment' });
    expect(r.organizations[0]!.findings.map((f) => f.problem)).not.toContain('unknown_field');
    expectFilled({ params: { field: 'Segment' } }, (l) => shipped.texts[l].findings.unknown_field, (l) =>
      describers[l].finding({ problem: 'unknown_field', params: { field: 'Segment' } }),
    );
  });
});

describe('each risk template is filled by the params the rules give (one rules scenario per key)', () => {
  it.each(Object.entries(RISK_SCENARIOS) as [RiskTextKey, Scenario][])('%s', (key, scenario) => {
    const found = run(scenario).organizations[0]!.risks.filter((x: Risk) => (x.textKey ?? x.kind) === key);
    expect(found.length, `the scenario produces no ${key} risk`).toBe(1);
    const risk = found[0]!;
    expect(Object.keys(risk.params)).toEqual(expect.arrayContaining([...RISK_TEXTS[key]]));
    expectFilled(risk, (l) => shipped.texts[l].risks[key], (l) => describers[l].risk(risk));
  });

  it('names people, users and deals instead of numbering them', () => {
    const message = (key: RiskTextKey) => describers['pt-BR'].risk(run(RISK_SCENARIOS[key]).organizations[0]!.risks.find((x) => (x.textKey ?? x.kind) === key)!);
    expect(message('key_person_dependency')).toBe('Contatos nos últimos 90 dias: 1, todos só com Decisora 10');
    expect(message('no_decision_maker_contact')).toBe('Nenhum contato com o decisor (Decisora 10) em 90 dias; o último foi em 1 de out. de 2025');
    expect(message('outreach_collision')).toBe('3 usuários (Ana Owner, Bruno, Carla) contataram o cliente na semana de 2 de mar. de 2026; semanas assim nas últimas 8: 1');
    expect(message('stakeholder_at_risk')).toBe('Relacionamento em risco com: Pessoa 10');
    expect(message('shrinking_deals')).toBe('O último negócio ganho, “Projeto menor” (R$\u00a060.000), vale 60 % do anterior, “Projeto grande” (R$\u00a0100.000)');
    expect(message('recent_loss')).toBe('Negócios perdidos nos últimos 180 dias (1): Perdido');
  });
});

describe('each tier template is filled by the params the rules give (one rules scenario per key)', () => {
  it.each(Object.entries(TIER_SCENARIOS) as [TierTextKey, Scenario][])('%s', (key, scenario) => {
    const decision: TierDecision = run(scenario).organizations[0]!.tier;
    expect(decision.textKey ?? decision.rule).toBe(key);
    expect(Object.keys(decision.params)).toEqual(expect.arrayContaining([...TIER_TEXTS[key]]));
    expectFilled(decision, (l) => shipped.texts[l].tierRules[key], (l) => describers[l].tier(decision));
  });
});

describe('health parts', () => {
  const parts = (): HealthPart[] => {
    // Tier 3: never touched on the executive rules, one overdue, one due soon, falling engagement, risks, a finding.
    const r = run({
      parts: {
        orgs: [org({ id: 1, customFields: { ...tier(3), [F.segment]: null, [F.contractEnd]: addDays(TODAY, 30) } })],
        persons: [dm(10)],
        activities: [
          // Maintenance (call) overdue; strategic (FUP meeting) due within 7 days; all meetings in the previous 4 weeks.
          withPersons(1, addDays(TODAY, -100), [10], { type: 'call' }),
          ...[0, 1, 2, 3].map((i) => withPersons(10 + i, addDays('2026-02-10', -i * 7), [10], { type: 'meeting', subject: 'FUP' })),
        ],
      },
    });
    return r.organizations[0]!.health.parts;
  };

  it('every kind the rules charge is worded in both languages, rules and risks by their labels', () => {
    const all = parts();
    expect(new Set(all.map((p) => p.kind))).toEqual(new Set(HEALTH_PART_KINDS));
    for (const p of all) {
      expect(Object.keys(p.params)).toEqual(expect.arrayContaining([...HEALTH_PART_TEXTS[p.kind]]));
      expectFilled(p, (l) => shipped.texts[l].healthParts[p.kind], (l) => describers[l].healthPart(p));
    }
    const pt = all.map((p) => describers['pt-BR'].healthPart(p));
    expect(pt).toContain('Sem contato: Revisão trimestral de negócios (QBR)');
    expect(pt).toContain('Risco: Renovação próxima');
    expect(pt).toContain('Engajamento em queda');
    expect(all.map((p) => describers.en.healthPart(p))).toContain('Risk: Renewal due');
  });
});

describe('createDescriber', () => {
  const finding = { problem: 'unknown_currency' as const, params: { field: 'Value', amount: 1234567.891, currency: 'JPY', firmCurrency: 'BRL' } };
  const renewal = { kind: 'renewal_due' as const, params: { contractEndDate: '2026-07-10', days: 1200, windowDays: 180 } };

  it('formats numbers and `…Date` params for the locale', () => {
    expect(describers['pt-BR'].finding(finding)).toBe('Negócio ganho de 1.234.567,89 JPY sem cotação para BRL em currencyRates: ficou fora da receita de 12 meses');
    expect(describers.en.finding(finding)).toBe('Won deal of 1,234,567.89 JPY has no rate to BRL in currencyRates: left out of the 12-month revenue');
    expect(describers['pt-BR'].risk(renewal)).toBe('O contrato termina em 10 de jul. de 2026, daqui a 1.200 dias (janela de renovação: 180 dias)');
    expect(describers.en.risk(renewal)).toBe('The contract ends on Jul 10, 2026, in 1,200 days (renewal window: 180 days)');
  });

  it('shows a date param that is not a real date as stored, and other text as it is', () => {
    expect(describers.en.risk({ ...renewal, params: { ...renewal.params, contractEndDate: '2026-02-31' } })).toContain('ends on 2026-02-31,');
    expect(describers.en.finding({ problem: 'missing', params: { field: '<b>Segment</b> 2026-01-01' } })).toBe('<b>Segment</b> 2026-01-01 is empty');
  });

  it('uses the narrower template when the record names one', () => {
    const f = { problem: 'invalid_option' as const, textKey: 'too_many_options' as const, params: { field: 'Tier', count: 2 } };
    expect(describers['pt-BR'].finding(f)).toBe('Tier aceita uma só opção, mas tem 2 marcadas');
  });
});

describe('notices (what the job says about its own run)', () => {
  const sample: Record<string, string | number> = { field: 'Health score', flag: 'healthScore', option: 'Atrasado', type: 'varchar', want: 'enum', user: 'head@x.com', detail: 'HTTP 503 from Pipedrive', count: 1234, writes: 10_000, max: 500, category: 'operational', usedBy: 'categories.operational.match[0].activityTypes', entity: 'person', options: '"Champion"', role: 'fallback', object: 'deal', url: 'https://cadence.example.com/webhooks/acme', other: 'https://old.example.com/webhooks/acme', base: 'https://cadence.example.com', status: 502 };
  it.each(Object.entries(NOTICE_TEXTS) as [NoticeCode, readonly string[]][])('%s is worded in both languages with its params', (code, names) => {
    const params = Object.fromEntries(names.map((n) => [n, sample[n]!]));
    const n = notice(shipped, code, params);
    expectFilled(n, (l) => shipped.texts[l].notices[code], (l) => describers[l].notice(n));
    // The log's text is the English template, whatever the policy's language.
    expect(n.message).toBe(describers.en.notice(n));
    expect(describers['pt-BR'].notice(n)).not.toBe(n.message);
  });

  it('formats numbers for the locale and keeps a technical detail as it came', () => {
    const refused = notice(shipped, 'apply_refused', { writes: 10_000, max: 500 });
    expect(refused.message).toMatch(/^Write-back refused: the plan has 10,000 writes, more than the cap of 500/);
    expect(describers['pt-BR'].notice(refused)).toMatch(/^Gravação recusada: o plano tem 10\.000 gravações, mais que o limite de 500/);
    expect(describers['pt-BR'].notice(notice(shipped, 'sync_stopped', { detail: 'daily budget exhausted' }))).toBe('A sincronização parou antes do fim: daily budget exhausted');
  });
});
