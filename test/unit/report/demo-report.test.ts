/** The reports of the sandbox's demo company, through the real rules and planner (no hand-made result). */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ORG_COUNT, DEMO_STORY } from '../../../sandbox/generator.js';
import { findingsCsvRow, parseFindingsCsv, renderFindingsCsv } from '../../../src/report/findings-csv.js';
import { ReportV1 } from '../../../src/report/report-schema.js';
import type { Policy } from '../../../src/config/policy-schema.js';
import { buildJsonReport } from '../../../src/report/build-json-report.js';
import { renderHtml } from '../../../src/report/render-html.js';
import { formatJobOutcome } from '../../../src/cli/format-outcome.js';
import type { JobOutcome } from '../../../src/job/run-company-job.js';
import { writeReports } from '../../../src/report/write-reports.js';
import { DEMO_NOW, runDemo } from './demo-company.js';
import { loadShippedPolicy, XSS_NAME } from './fixtures.js';

const story = (role: string): number => {
  const s = DEMO_STORY[role];
  if (!s) throw new Error(`the demo story has no role "${role}"`);
  return s.orgId;
};

let dir: string;
let report: ReportV1;
let html: string;
let csv: string;
let demo: ReturnType<typeof runDemo>;
let policy: Policy;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cadence-demo-report-'));
  policy = loadShippedPolicy();
  // A client named like a script tag, through the whole pipeline.
  demo = runDemo(policy, { [story('missingSegment')]: XSS_NAME });
  const out = await writeReports({
    dir, runId: 'demo-2026-03-12', retention: 5, companyDomain: 'demo', policy,
    result: demo.result, plan: demo.plan, applied: null, snapshot: demo.snapshot,
    run: {
      startedAt: new Date(DEMO_NOW.getTime() - 8_000).toISOString(), finishedAt: DEMO_NOW.toISOString(), durationMs: 8_000,
      recordsSynced: { organization: demo.snapshot.organizations.size, person: demo.snapshot.persons.size, deal: demo.snapshot.deals.size, activity: demo.snapshot.activities.size },
      requests: 12, retries: 0, rate429: 0, warnings: [], malformed: [], dryRun: true,
    },
  });
  report = ReportV1.parse(JSON.parse(await readFile(out.files.json, 'utf8')));
  html = await readFile(out.files.html, 'utf8');
  csv = await readFile(out.files.csv, 'utf8');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const findingsOf = (orgId: number) => report.dataQuality.findings.filter((f) => f.orgId === orgId);

describe('reports of the demo company', () => {
  it('show the account care of strategic clients (docs/policy.md §10.5): a detractor, a stale score, no sponsor, an old account plan with its reminder, executive events reported only', () => {
    const detractor = report.organizations.find((o) => o.orgId === story('detractor'))!;
    expect(detractor.risks.map((r) => r.kind)).toContain('detractor');
    expect(html).toContain('Cliente detrator: última nota de satisfação 4');
    const gaps = story('accountCareGaps');
    expect(findingsOf(gaps).map((f) => f.textKey ?? f.problem).sort()).toEqual(['no_executive_sponsor', 'stale_account_plan', 'stale_nps']);
    const storyIds = new Set(Object.values(DEMO_STORY).map((x) => x.orgId));
    const reminders = demo.plan.writes.filter((w) => w.kind === 'create_activity' && w.purpose === 'account_plan').map((w) => w.orgId);
    expect(reminders.filter((id) => storyIds.has(id))).toEqual([gaps]);
    const events = report.organizations.find((o) => o.orgId === gaps)!.cadence.find((c) => c.ruleId === 'executive-events')!;
    expect(events).toMatchObject({ status: 'never', onGap: 'report' });
    expect(report.organizations.find((o) => o.orgId === story('handover'))!.cadence.find((c) => c.ruleId === 'executive-events')!.status).toBe('on_track');
    // The other story clients keep their care up to date: no §10.5 finding.
    const careFindings = report.dataQuality.findings.filter((f) => ['stale_nps', 'no_executive_sponsor', 'stale_account_plan'].includes(f.problem) && f.orgId !== null && storyIds.has(f.orgId));
    expect([...new Set(careFindings.map((f) => f.orgId))]).toEqual([gaps]);
  });

  it('list stalled work per owner: the open proposal past its expected close date and stuck in its stage (docs/policy.md §10.5)', () => {
    const sw = report.stalledWork!;
    const entry = sw.deals.find((d) => d.orgId === story('risingEngagement'))!;
    expect(entry).toMatchObject({ title: 'Proposta de pagamentos recorrentes', reasons: ['past_close', 'in_stage'], daysPastClose: 20, ownerName: 'Marcos Oliveira' });
    expect(entry.daysInStage).toBeGreaterThanOrEqual(94);
    expect(report.organizations.find((o) => o.orgId === story('risingEngagement'))!.risks.map((r) => r.kind)).toContain('stalled_deals');
    // Every stalled deal is counted under its owner, and the list is grouped by owner.
    expect(sw.byOwner.reduce((n, o) => n + o.count, 0)).toBe(sw.deals.length);
    const owners = sw.deals.map((d) => String(d.ownerId));
    expect(owners).toEqual([...owners].sort((a, b) => owners.indexOf(a) - owners.indexOf(b)));
    expect(html).toContain('id="stalled"');
    expect(html).toContain(`<tr class="stalled" data-deal-id="${entry.dealId}" data-org-id="${story('risingEngagement')}" data-reasons="past_close in_stage">`);
    expect(html).toContain('Trabalho parado');
  });

  it('show each executive and the portfolio (docs/policy.md §10.5)', () => {
    const execs = report.executives!;
    expect(execs.reduce((n, e) => n + e.clients, 0)).toBe(DEMO_ORG_COUNT);
    expect(execs.reduce((n, e) => n + e.stalledDeals, 0)).toBe(report.stalledWork!.deals.length);
    // The deactivated owner's book is there, marked inactive.
    expect(execs.find((e) => e.ownerName === 'Paulo Souza')).toMatchObject({ active: false });
    const pf = report.portfolio!;
    expect(pf.clients).toBe(DEMO_ORG_COUNT);
    expect(pf.revenue12m).toBeCloseTo(report.organizations.reduce((n, o) => n + o.tier.revenue12m, 0), 1);
    expect(pf.byTier.reduce((n, t) => n + t.clients, 0)).toBe(DEMO_ORG_COUNT);
    expect(pf.top.clients).toHaveLength(10);
    expect(pf.strategic.percent).toBeGreaterThan(0);
    expect(html).toContain('id="executives"');
    expect(html).toContain('id="portfolio"');
  });

  it('state tiers as the guide does: USD thresholds, amounts in both currencies, upgrade candidates and held-back clients (docs/policy.md §10.2)', () => {
    const org = (role: string) => report.organizations.find((o) => o.orgId === story(role))!;
    expect(org('anchorByRevenue').tier).toMatchObject({ level: 4, rule: 'revenue_tenure', thresholdCurrency: 'USD' });
    expect(org('keyPersonDependency').tier).toMatchObject({ level: 3, rule: 'revenue_tenure', heldBack: null });
    expect(org('outreachCollision').tier).toMatchObject({ level: 3, rule: 'revenue_tenure' });
    expect(org('foreignCurrency').tier).toMatchObject({ level: 3, rule: 'revenue_tenure' });
    const review = report.tierReview!;
    expect(review.thresholdCurrency).toBe('USD');
    const candidate = review.upgradeCandidates.find((c) => c.orgId === story('neverTouched'));
    expect(candidate).toMatchObject({ tier: 2, nextTier: 3, reasons: ['revenue_share'], revenue12m: 850_000 });
    expect(candidate!.revenue12mThreshold).toBeCloseTo(160_377.36, 2);
    expect(candidate!.share).toBeCloseTo(0.802, 3);
    const held = review.heldBack.find((h) => h.orgId === story('missingAddress'))!;
    expect(held).toMatchObject({ tier: 1, heldTier: 2, criterion: 'recurrence' });
    expect(held.message).toContain('sem recorrência');
    for (const h of review.heldBack) expect(h.heldTier).toBeGreaterThan(h.tier);
    // The HTML section lists them, with the revenue in reais and in dollars.
    expect(html).toContain('id="tiers"');
    expect(html).toMatch(new RegExp(`<tr class="upgrade-candidate" data-org-id="${story('neverTouched')}" data-next-tier="3">.*R\\$\u00a0850\\.000 · US\\$\u00a0160\\.377`));
    expect(html).toContain(`<tr class="held-back" data-org-id="${held.orgId}" data-criterion="${held.criterion}">`);
    expect(html).toContain('Candidatos a subir de tier');
    expect(html).toContain('Clientes Tier 2 com receita de 12 meses de ao menos 75');
  });

  it('cover every client of the demo', () => {
    expect(report.summary.organizations).toBe(DEMO_ORG_COUNT);
    expect(report.organizations).toHaveLength(DEMO_ORG_COUNT);
    expect(report.cadence.matrix.reduce((n, m) => n + m.total, 0)).toBe(DEMO_ORG_COUNT);
  });

  it('list the data-quality problems the demo story plants, linked to the record', () => {
    const noOwner = findingsOf(story('noOwner'));
    expect(noOwner).toContainEqual(expect.objectContaining({ problem: 'no_owner', url: `https://demo.pipedrive.com/organization/${story('noOwner')}` }));
    expect(findingsOf(story('deactivatedOwner')).map((f) => f.problem)).toContain('inactive_owner');
    expect(findingsOf(story('missingSegment'))).toContainEqual(expect.objectContaining({ entity: 'organization', field: 'Segment', problem: 'missing' }));
    expect(findingsOf(story('missingAddress'))).toContainEqual(expect.objectContaining({ field: 'Address', problem: 'missing' }));
    const role = findingsOf(story('personMissingRole')).find((f) => f.problem === 'missing_stakeholder_role')!;
    expect(role.entity).toBe('person');
    expect(role.url).toBe(`https://demo.pipedrive.com/person/${role.entityId}`);
    expect(findingsOf(story('personMissingEmail'))).toContainEqual(expect.objectContaining({ entity: 'person', field: 'Email', problem: 'missing' }));
    // docs/policy.md §10.3: the one FUP the story marks done with an empty note, for its owner; every other one has notes.
    const fup = report.dataQuality.findings.filter((f) => f.problem === 'held_without_notes');
    expect(fup).toEqual([expect.objectContaining({ entity: 'activity', orgId: story('onCadence'), url: null })]);
    expect(fup[0]!.message).toMatch(/^A atividade FUP estratégico "FUP mensal com o patrocinador" de \d{1,2} de [a-z]{3}\. de \d{4} foi concluída sem registro/);
    for (const f of report.dataQuality.findings) {
      if (f.url !== null) expect(f.url).toBe(`https://demo.pipedrive.com/${f.entity}/${f.entityId}`);
    }
    expect(html).toContain(`href="https://demo.pipedrive.com/person/${role.entityId}"`);
  });

  it('put the story clients where they belong: overdue, never touched, rising, falling, at risk', () => {
    const overdue = report.cadence.overdue;
    expect(overdue.some((o) => o.orgId === story('neverTouched') && o.status === 'never')).toBe(true);
    expect(overdue.some((o) => o.orgId === story('overdue') && o.status === 'overdue')).toBe(true);
    expect(overdue.some((o) => o.orgId === story('onCadence'))).toBe(false);
    const gaps = overdue.map((o) => o.gapDays ?? Infinity);
    expect(gaps).toEqual([...gaps].sort((a, b) => b - a));
    expect(report.engagement.rising.map((r) => r.orgId)).toContain(story('risingEngagement'));
    expect(report.engagement.falling.map((r) => r.orgId)).toContain(story('fallingEngagement'));
    const risks = (role: string) => report.engagement.risks.filter((r) => r.orgId === story(role)).map((r) => r.kind);
    expect(risks('keyPersonDependency')).toContain('key_person_dependency');
    expect(risks('outreachCollision')).toContain('outreach_collision');
    expect(risks('atRiskStakeholder')).toContain('stakeholder_at_risk');
    expect(report.engagement.weeks).toHaveLength(8);
  });

  it('show what the run would create, with the reason, as planned on a dry run', () => {
    expect(report.cadence.created.length).toBeGreaterThan(0);
    expect(report.cadence.created.every((c) => c.outcome === 'planned' && c.reason.length > 0)).toBe(true);
    // A Tier 3 client with three gaps: one activity. A Tier 2 client with a gap: flagged and reported, no activity.
    expect(report.cadence.created.filter((c) => c.orgId === story('explicitTier3Overdue'))).toHaveLength(1);
    expect(report.cadence.created.some((c) => c.orgId === story('neverTouched'))).toBe(false);
    expect(report.cadence.skipped).toContainEqual(expect.objectContaining({ orgId: story('neverTouched'), code: 'not_strategic' }));
    expect(report.cadence.overdue.filter((o) => o.orgId === story('neverTouched')).every((o) => o.onGap === 'report')).toBe(true);
    expect(report.summary.plannedWrites).toBe(report.plan!.writes.length);
  });

  it('show in the HTML the same counts as the JSON', () => {
    const rows = [...html.matchAll(/<tr class="finding" data-entity="(\w+)" data-entity-id="(\d+)"/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(rows).toEqual(report.dataQuality.findings.map((f) => `${f.entity}:${f.entityId}`));
    const perOwner = [...html.matchAll(/<tr data-owner-id="(\w+)" data-count="(\d+)">/g)].map((m) => [m[1], Number(m[2])]);
    expect(perOwner).toEqual(report.dataQuality.byOwner.map((o) => [String(o.ownerId ?? 'none'), o.count]));
    expect([...html.matchAll(/<tr class="overdue"/g)]).toHaveLength(report.cadence.overdue.length);
    expect([...html.matchAll(/<tr class="created"/g)]).toHaveLength(report.cadence.created.length);
    expect([...html.matchAll(/<tr class="risk"/g)]).toHaveLength(report.engagement.risks.length);
    expect(html).toContain(`<div class="card"><b>${report.summary.findings}</b><span>Pendências</span></div>`);
  });

  it('name the category of a rule never met, with the last touchpoint of any kind beside it; rule labels, not ids', () => {
    const catLabel = (c: string) => policy.categories[c as 'strategic'].label['pt-BR'].toLowerCase();
    const neverOrgs = report.organizations.filter((o) => o.overallStatus === 'never');
    expect(neverOrgs.length).toBeGreaterThan(0);
    for (const o of neverOrgs) {
      const row = new RegExp(`<tr class="org" data-org-id="${o.orgId}">[\\s\\S]*?</tr>`).exec(html)![0];
      const category = o.cadence.find((c) => c.applies && c.status === 'never')!.category;
      expect(row).toContain(`Nenhum contato ${catLabel(category)} registrado`);
      expect(row).not.toContain('>Sem contato<');
    }
    // A client with a touchpoint of another kind: its never-met rule row shows that date beside the dash.
    const touchedElsewhere = report.cadence.overdue.find((e) => e.status === 'never' && report.organizations.find((o) => o.orgId === e.orgId)!.lastTouchpointDate !== null);
    expect(touchedElsewhere).toBeDefined();
    const row = new RegExp(`<tr class="overdue" data-org-id="${touchedElsewhere!.orgId}" data-rule="${touchedElsewhere!.ruleId}">[\\s\\S]*?</tr>`).exec(html)![0];
    expect(row).toContain(`Nenhum contato ${catLabel(touchedElsewhere!.category)} registrado`);
    expect(row, row).toMatch(/— \(último contato de qualquer tipo: [^)]+\)/);
    // The gaps left without an activity name their rule by its label.
    const skippedRows = [...html.matchAll(/<tr><td><a href="[^"]+\/organization\/\d+">[^<]*<\/a><\/td><td>([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(skippedRows.length).toBeGreaterThan(0);
    const ids = Object.keys(policy.cadenceRules);
    expect(skippedRows.filter((r) => ids.includes(r!))).toEqual([]);
    expect(skippedRows).toContain(policy.cadenceRules.operational!.label['pt-BR']);
  });

  it('count clients in the summary cards, as the tier × status table and the CLI do; rule gaps apart', () => {
    const column = (s: 'overdue' | 'never') => report.cadence.matrix.reduce((n, m) => n + m.counts[s], 0);
    const clients = (s: string) => demo.result.organizations.filter((o) => o.overallStatus === s).length;
    expect(report.summary.overdue).toBe(column('overdue'));
    expect(report.summary.never).toBe(column('never'));
    expect(report.summary.overdue).toBe(clients('overdue'));
    expect(report.summary.never).toBe(clients('never'));
    // The overdue list has one row per rule gap: more rows than clients when a client has several gaps.
    expect(report.summary.overdueGaps + report.summary.neverGaps).toBe(report.cadence.overdue.length);
    expect(report.cadence.overdue.length).toBeGreaterThan(report.summary.overdue + report.summary.never);
    expect(html).toContain(`<div class="card"><b>${report.summary.overdue}</b><span>Clientes atrasados</span></div>`);
    expect(html).toContain(`<div class="card"><b>${report.summary.never}</b><span>Clientes sem contato registrado</span></div>`);
    // The CLI line says the same numbers.
    const cli = formatJobOutcome({ ...({} as JobOutcome), result: demo.result, warnings: [], runId: 'r', status: 'ok', durationMs: 0 });
    expect(cli).toContain(`overdue ${report.summary.overdue}, never touched ${report.summary.never}`);
  });

  it('write a CSV that parses back to the JSON findings', () => {
    expect(parseFindingsCsv(csv)).toEqual(report.dataQuality.findings.map(findingsCsvRow));
  });

  it('escape a client named like a script tag', () => {
    expect(report.organizations.find((o) => o.orgId === story('missingSegment'))!.name).toBe(XSS_NAME);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(csv).toContain(XSS_NAME); // plain text in a CSV cell is inert
  });
});

/**
 * Fragments of the rules' technical English (Finding.detail, Risk.detail, TierDecision.detail, health-part
 * reasons) that the demo company produces: none may reach a report, whatever its language.
 */
const DETAIL_FRAGMENTS = [
  'no value',
  'is deactivated',
  'the organization has no owner',
  'client without a person whose',
  'touchpoint(s)',
  'reached only person',
  'relationship strength at risk',
  'no touchpoint with decision maker',
  'no decision maker mapped',
  'touched the client in week',
  'deal(s) lost',
  'latest won deal #',
  '12-month won revenue',
  'won squad deal #',
  'never touched: ',
  'data quality: ',
  // The planner's reasons for gaps left without a new activity (the report shows them by code).
  'is already scheduled',
  'the policy only reports it',
  'applies only to active clients',
];

describe('reports of the demo company speak the policy language', () => {
  it('pt-BR: the HTML and the CSV hold the Portuguese sentences and none of the English details', () => {
    // The details are still there for logs and JSON consumers, next to the sentence.
    const details = [...report.dataQuality.findings.map((f) => f.detail), ...report.engagement.risks.map((r) => r.detail), ...report.organizations.map((o) => o.tier.detail)].join('\n');
    for (const fragment of ['no value', 'the organization has no owner', 'relationship strength at risk', '12-month won revenue']) expect(details).toContain(fragment);
    for (const fragment of DETAIL_FRAGMENTS) {
      expect(html, fragment).not.toContain(fragment);
      expect(csv, fragment).not.toContain(fragment);
    }
    expect(html).not.toContain('Tier = &quot;');
    expect(report.cadence.skipped.length).toBeGreaterThan(0);
    expect(html).toContain('Já existe uma atividade em aberto que atende à regra');
    for (const sentence of [
      'não está preenchido',
      'A organização não tem responsável; preencha Owner',
      'O responsável Paulo Souza está desativado',
      'sem nenhuma pessoa com Stakeholder role = Decision maker',
      'todos só com',
      'Nenhum contato com o decisor',
      'contataram o cliente na semana de',
      'Relacionamento em risco com:',
      'Definido pela gestão no campo Tier: “Tier',
      'Conta-chave: squad contratado',
      'Receita de 12 meses de',
      'title="Sem contato: ',
    ]) {
      expect(html, sentence).toContain(sentence);
    }
    expect(csv).toContain('A organização não tem responsável; preencha Owner');
    // Risks name people and users, not ids.
    const collision = report.engagement.risks.find((r) => r.kind === 'outreach_collision')!;
    expect(collision.message).not.toMatch(/#\d/);
    expect(collision.detail).toMatch(/#\d/);
  });

  it('en: the same company in English uses the English templates', () => {
    const en = { ...policy, locale: 'en' as const };
    const enReport = buildJsonReport({
      runId: 'demo-en', companyDomain: 'demo', policy: en, result: demo.result, plan: demo.plan, applied: null, snapshot: demo.snapshot,
      run: { startedAt: DEMO_NOW.toISOString(), finishedAt: DEMO_NOW.toISOString(), durationMs: 1, recordsSynced: {}, requests: 0, retries: 0, rate429: 0 },
    });
    const enHtml = renderHtml(enReport, en.texts.en);
    for (const sentence of ['is empty', 'The organization has no owner; set Owner', 'Relationship at risk with:', 'Set by management in the field Tier: “Tier', '12-month revenue of', 'title="Never touched: ']) {
      expect(enHtml, sentence).toContain(sentence);
    }
    for (const fragment of ['não está preenchido', 'Relacionamento em risco', 'Receita de 12 meses']) expect(enHtml).not.toContain(fragment);
    expect(renderFindingsCsv(enReport.dataQuality.findings)).toContain('The organization has no owner; set Owner');
  });
});
