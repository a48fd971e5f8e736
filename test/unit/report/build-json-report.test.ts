import { describe, expect, it } from 'vitest';
import { buildJsonReport } from '../../../src/report/build-json-report.js';
import { ReportV1 } from '../../../src/report/report-schema.js';
import { buildFixture, UNICODE_NAME, XSS_NAME } from './fixtures.js';

function build(overrides: Partial<Parameters<typeof buildJsonReport>[0]> = {}) {
  const fx = buildFixture();
  return buildJsonReport({ runId: 'run-2026-11-20', companyDomain: 'acme', ...fx, ...overrides });
}

describe('buildJsonReport', () => {
  it('produces a versioned report that survives a JSON round trip through its own schema', () => {
    const report = build();
    expect(report.schemaVersion).toBe(1);
    expect(report.generator).toBe('pipedrive-cadence');
    const reparsed = ReportV1.parse(JSON.parse(JSON.stringify(report)));
    expect(reparsed).toEqual(report);
  });

  it('gathers every finding, with names, owners and links to the record in Pipedrive', () => {
    const report = build();
    const findings = report.dataQuality.findings;
    expect(findings).toHaveLength(7);
    expect(report.summary.findings).toBe(7);
    const email = findings.find((f) => f.problem === 'invalid_email')!;
    expect(email).toMatchObject({
      entity: 'person', entityId: 100, entityName: 'Maria "Mimi" Silva', orgId: 10, orgName: XSS_NAME,
      field: 'Email', ownerId: 2, ownerName: 'João Ninguém', url: 'https://acme.pipedrive.com/person/100',
    });
    expect(findings.find((f) => f.entity === 'deal')!.url).toBe('https://acme.pipedrive.com/deal/201');
    expect(findings.find((f) => f.entity === 'organization' && f.entityId === 12)!.url).toBe('https://acme.pipedrive.com/organization/12');
    const orphan = findings.find((f) => f.entityId === 102)!;
    expect(orphan).toMatchObject({ orgId: null, orgName: null, ownerId: null, ownerName: null, entityName: 'Órfã Sem Empresa' });
  });

  it('keeps the technical detail and the params, and adds the localized message, for every finding, risk, tier and health part', () => {
    const report = build();
    const email = report.dataQuality.findings.find((f) => f.problem === 'invalid_email')!;
    expect(email).toMatchObject({
      detail: '1 of 2 e-mail(s) not valid',
      params: { field: 'Email' },
      message: 'Email: e-mail inválido (abra o registro para corrigir)',
    });
    const orgA = report.organizations.find((o) => o.orgId === 10)!;
    // The organization's copy of a finding carries the same sentence as the data-quality list.
    expect(orgA.findings.find((f) => f.problem === 'invalid_email')!.message).toBe(email.message);
    expect(orgA.tier).toMatchObject({ detail: 'Tier = "Tier 3"', params: { tier: 3, field: 'Tier', label: 'Tier 3' }, message: 'Definido pela gestão no campo Tier: “Tier 3”' });
    expect(orgA.risks.map((r) => r.message)).toEqual([
      'Contatos nos últimos 90 dias: 4, todos só com Maria "Mimi" Silva',
      'Contatos: 2 nas últimas 4 semanas, contra 20 nas 4 anteriores',
    ]);
    expect(report.engagement.risks.filter((r) => r.orgId === 10).map((r) => r.message).sort()).toEqual(orgA.risks.map((r) => r.message).sort());
    expect(orgA.health.parts.map((p) => [p.reason, p.message])).toEqual([
      ['overdue: strategic', 'Atrasado: FUP estratégico'],
      ['never touched: qbr', 'Sem contato: Revisão trimestral de negócios (QBR)'],
      ['risk: key_person_dependency', 'Risco: Dependência de uma só pessoa'],
      ['data quality: 3 finding(s)', 'Pendências de dados: 3'],
    ]);
  });

  it("writes the messages in the policy's language", () => {
    const fx = buildFixture();
    const report = build({ policy: { ...fx.policy, locale: 'en' } });
    expect(report.dataQuality.findings.find((f) => f.problem === 'invalid_email')!.message).toBe('Email: invalid e-mail (open the record to correct it)');
    expect(report.organizations.find((o) => o.orgId === 11)!.tier.message).toBe(
      '12-month revenue of R$5,830,000 ($1,100,000) and 7 years as a client (Tier 4 minimums: revenue $1,000,000; tenure 5 years)',
    );
  });

  it('orders findings by owner, then client, and counts them per owner, field and problem', () => {
    const report = build();
    const owners = report.dataQuality.findings.map((f) => f.ownerName);
    // Beatriz then João alphabetically (3 each), the finding without an owner last.
    expect(owners).toEqual(['Beatriz Souza', 'Beatriz Souza', 'Beatriz Souza', 'João Ninguém', 'João Ninguém', 'João Ninguém', null]);
    const beatrizClients = report.dataQuality.findings.slice(0, 3).map((f) => f.orgId);
    expect(beatrizClients).toEqual([11, 12, 12]); // "Ação…" before "Zeta…"
    expect(report.dataQuality.byOwner).toEqual([
      { ownerId: 1, ownerName: 'Beatriz Souza', count: 3 },
      { ownerId: 2, ownerName: 'João Ninguém', count: 3 },
      { ownerId: null, ownerName: null, count: 1 },
    ]);
    const total = (xs: { count: number }[]) => xs.reduce((n, x) => n + x.count, 0);
    expect(total(report.dataQuality.byField)).toBe(7);
    expect(total(report.dataQuality.byProblem)).toBe(7);
    expect(report.dataQuality.byProblem.find((p) => p.problem === 'missing')).toEqual({ problem: 'missing', count: 2 });
    expect(report.dataQuality.unresolvedFields).toEqual([{ entity: 'organization', name: 'Segment & <Sector>' }]);
  });

  it('computes completeness by tier from clients without findings', () => {
    const report = build();
    expect(report.dataQuality.completenessByTier).toEqual([
      { tier: 1, organizations: 2, complete: 1, percent: 50 },
      { tier: 2, organizations: 0, complete: 0, percent: null },
      { tier: 3, organizations: 1, complete: 0, percent: 0 },
      { tier: 4, organizations: 1, complete: 0, percent: 0 },
    ]);
  });

  it('builds the tier × status matrix and the overdue list, never-touched first, then by gap', () => {
    const report = build();
    const row = (tier: number) => report.cadence.matrix.find((m) => m.tier === tier)!;
    expect(row(1).counts).toEqual({ on_track: 1, due_soon: 1, overdue: 0, never: 0, not_applicable: 0 });
    expect(row(3).counts.never).toBe(1);
    expect(row(4).counts.overdue).toBe(1);
    expect(report.cadence.matrix.reduce((n, m) => n + m.total, 0)).toBe(4);
    expect(report.cadence.overdue.map((o) => [o.orgId, o.ruleId, o.gapDays])).toEqual([
      [10, 'qbr', null],
      [11, 'strategic', 30],
      [10, 'strategic', 12],
    ]); // the operational rule of org 10 does not apply (inactive client) and is left out
    expect(report.cadence.overdue[0]).toMatchObject({ ruleLabel: 'Revisão trimestral de negócios (QBR)', url: 'https://acme.pipedrive.com/organization/10', tier: 3 });
    expect(report.cadence.overdue[1]!.openScheduledActivityId).toBe(777);
    // Clients, as in the matrix above (one overdue, one never); the rule gaps apart.
    expect(report.summary).toMatchObject({ overdue: 1, never: 1, overdueGaps: 2, neverGaps: 1 });
  });

  it('shows what the run created with each outcome, the deletions and the flags written', () => {
    const report = build();
    expect(report.cadence.created.map((c) => [c.key, c.outcome, c.activityId])).toEqual([
      ['fu:10:strategic:2026-11', 'created', 9001],
      ['renewal:10:2027-03-31', 'failed', null],
    ]);
    expect(report.cadence.created[0]).toMatchObject({ purpose: 'follow_up', ownerName: 'João Ninguém', dueDate: '2026-11-23', orgName: XSS_NAME });
    expect(report.cadence.created[1]!.outcomeDetail).toMatch(/^403 Forbidden/);
    expect(report.cadence.deletions).toEqual([
      {
        orgId: 13, orgName: 'Alpha Serviços', url: 'https://acme.pipedrive.com/organization/13', tier: 1,
        key: 'fu:13:maintenance:2026-10', activityId: 880, reason: 'gap cleared', outcome: 'deleted',
      },
    ]);
    expect(report.cadence.flagChanges.map((f) => [f.orgId, f.flag, f.from, f.to, f.outcome])).toEqual([
      [11, 'Cadence status', null, 'Atrasado', 'updated'],
      [11, 'Health score', 75, 70, 'updated'],
    ]);
    expect(report.applied).toMatchObject({ dryRun: false, planned: 4, counts: { created: 1, failed: 1 } });
    expect(report.applied!.results[0]).toEqual({ key: 'fu:10:strategic:2026-11', kind: 'create_activity', orgId: 10, outcome: 'created', pipedriveId: 9001, detail: null });
    expect(report.summary).toMatchObject({ plannedWrites: 4, activitiesCreated: 1, flagsWritten: 1 });
    expect(report.cadence.planWarnings).toHaveLength(1);
  });

  it('marks every write as planned when apply did not run, and counts nothing as written', () => {
    const fx = buildFixture();
    const report = build({ run: { ...fx.run, dryRun: true }, applied: null });
    expect(report.cadence.created.map((c) => c.outcome)).toEqual(['planned', 'planned']);
    expect(report.cadence.deletions.map((c) => c.outcome)).toEqual(['planned']);
    expect(report.summary).toMatchObject({ activitiesCreated: 0, flagsWritten: 0 });
    expect(report.applied).toBeNull();
  });

  it("takes a dry run from apply's summary too", () => {
    const fx = buildFixture();
    const results = fx.plan.writes.map((w) => ({ key: w.key, kind: w.kind, orgId: w.orgId, outcome: 'planned' as const }));
    const counts = { ...fx.applied.counts, planned: 4, created: 0, updated: 0, deleted: 0, failed: 0 };
    const report = build({ applied: { ...fx.applied, dryRun: true, counts, results } });
    expect(report.run.dryRun).toBe(true);
    expect(report.cadence.created.map((c) => c.outcome)).toEqual(['planned', 'planned']);
    expect(report.summary.activitiesCreated).toBe(0);
  });

  it('works without a plan (report-only run)', () => {
    const report = build({ plan: null, applied: null });
    expect(report.cadence.created).toEqual([]);
    expect(report.plan).toBeNull();
  });

  it('lists rising and falling clients and every risk', () => {
    const report = build();
    expect(report.engagement.weeks).toHaveLength(8);
    expect(report.engagement.weeks[7]).toBe('2026-W47');
    expect(report.engagement.rising.map((r) => [r.orgName, r.last4, r.previous4])).toEqual([[UNICODE_NAME, 14, 2]]);
    expect(report.engagement.falling.map((r) => r.orgId)).toEqual([10]);
    expect(report.engagement.risks.map((r) => r.kind)).toEqual(['falling_engagement', 'key_person_dependency']);
    expect(report.summary.risks).toBe(2);
  });

  it('links to a Pipedrive-compatible server when given its origin', () => {
    const report = build({ companyDomain: 'http://127.0.0.1:8787/' });
    expect(report.appOrigin).toBe('http://127.0.0.1:8787');
    expect(report.organizations.find((o) => o.orgId === 12)!.url).toBe('http://127.0.0.1:8787/organization/12');
  });

  it('rejects a company domain that is neither a subdomain nor an origin', () => {
    expect(() => build({ companyDomain: 'acme.pipedrive.com/evil path' })).toThrow(/expected the subdomain/);
  });

  it('uses the policy locale for rule labels and tier names', () => {
    const fx = buildFixture();
    const report = build({ policy: { ...fx.policy, locale: 'en' } });
    expect(report.locale).toBe('en');
    expect(report.tiers.find((t) => t.level === 3)!.name).toBe('Strategic partner');
    expect(report.cadence.overdue[0]!.ruleLabel).toBe('Quarterly business review (QBR)');
  });
});
