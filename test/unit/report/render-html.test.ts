import { describe, expect, it } from 'vitest';
import { buildJsonReport } from '../../../src/report/build-json-report.js';
import { renderHtml } from '../../../src/report/render-html.js';
import type { ReportV1 } from '../../../src/report/report-schema.js';
import { buildFixture, XSS_NAME } from './fixtures.js';

function render(locale: 'pt-BR' | 'en' = 'pt-BR'): { html: string; report: ReportV1 } {
  const fx = buildFixture();
  const policy = { ...fx.policy, locale };
  const report = buildJsonReport({ runId: 'run-2026-11-20', companyDomain: 'acme', ...fx, policy });
  return { html: renderHtml(report, policy.texts[locale]), report };
}

const attrs = (html: string, re: RegExp): string[][] => [...html.matchAll(re)].map((m) => m.slice(1));

describe('renderHtml', () => {
  it('escapes names and details from the CRM: no markup from data reaches the page', () => {
    const { html } = render();
    expect(html).not.toContain(XSS_NAME);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<b>Bold</b>');
    expect(html).toContain('Ana &lt;b&gt;Bold&lt;/b&gt;');
    expect(html).toContain('Maria &quot;Mimi&quot; Silva');
    expect(html).toContain('Segment &amp; &lt;Sector&gt;');
  });

  it('is self-contained: no external stylesheet, script, image or font, and scripts forbidden by CSP', () => {
    const { html } = render();
    expect(html).not.toMatch(/<link|<img|<iframe|<object|\ssrc=|@import|url\(/i);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;/);
    // The only absolute links are to records in Pipedrive.
    for (const [href] of attrs(html, /href="([^"#][^"]*)"/g)) expect(href).toMatch(/^https:\/\/acme\.pipedrive\.com\/(organization|person|deal)\/\d+$/);
  });

  it('links each finding to its record and groups findings by owner, then client', () => {
    const { html, report } = render();
    expect(html).toContain('href="https://acme.pipedrive.com/person/100"');
    expect(html).toContain('href="https://acme.pipedrive.com/deal/201"');
    expect(html).toContain('href="https://acme.pipedrive.com/organization/12"');
    const rows = attrs(html, /<tr class="finding" data-entity="(\w+)" data-entity-id="(\d+)" data-problem="(\w+)"/g);
    expect(rows).toEqual(report.dataQuality.findings.map((f) => [f.entity, String(f.entityId), f.problem]));
    const groups = attrs(html, /<section class="owner" data-owner-id="(\w+)" data-count="(\d+)"/g);
    expect(groups).toEqual([['1', '3'], ['2', '3'], ['none', '1']]);
    expect(html).toContain('Sem responsável');
    expect(html).toContain('Sem cliente');
  });

  it('shows the same counts as the JSON: per owner, per field, matrix, overdue, created, risks', () => {
    const { html, report } = render();
    const perOwner = attrs(html, /<tr data-owner-id="(\w+)" data-count="(\d+)">/g);
    expect(perOwner).toEqual(report.dataQuality.byOwner.map((o) => [String(o.ownerId ?? 'none'), String(o.count)]));
    const perField = attrs(html, /<tr data-field="([^"]+)" data-count="(\d+)">/g);
    expect(perField).toEqual(report.dataQuality.byField.map((f) => [`${f.entity}:${f.field}`, String(f.count)]));
    const overdueCells = attrs(html, /<td class="num st st-overdue" data-status="overdue">(\d+)<\/td>/g).map(([n]) => Number(n));
    expect(overdueCells.reduce((a, b) => a + b, 0)).toBe(report.cadence.matrix.reduce((n, m) => n + m.counts.overdue, 0));
    expect(attrs(html, /<tr class="overdue" data-org-id="(\d+)" data-rule="([\w-]+)"/g)).toEqual(report.cadence.overdue.map((o) => [String(o.orgId), o.ruleId]));
    expect(attrs(html, /<tr class="created" data-key="([^"]+)"/g).map(([k]) => k)).toEqual(report.cadence.created.map((c) => c.key));
    expect(attrs(html, /<tr class="risk" data-org-id="(\d+)" data-kind="(\w+)"/g)).toEqual(report.engagement.risks.map((r) => [String(r.orgId), r.kind]));
    expect(attrs(html, /<tr class="org" data-org-id="(\d+)"/g)).toHaveLength(report.organizations.length);
  });

  it('uses the pt-BR labels, dates in the firm time zone and Brazilian number formats by default', () => {
    const { html } = render('pt-BR');
    expect(html).toContain('<html lang="pt-BR">');
    for (const label of ['Qualidade dos dados', 'Cadência', 'Engajamento', 'Execução', 'Atrasado', 'Sem contato', 'Em queda', 'Dependência de uma só pessoa', 'E-mail inválido', 'Criada #9001', 'Falhou']) {
      expect(html).toContain(label);
    }
    // 12:59 UTC is 09:59 in São Paulo; 102.5 s is "1 min 43 s"-like, R$ with a dot for thousands.
    expect(html).toMatch(/20 de nov\.? de 2026,? 09:59/);
    expect(html).toContain('R$\u00a05.830.000 · US$\u00a01.100.000');
    expect(html).toMatch(/1\s?min/);
  });

  it('switches every label and format to English', () => {
    const { html } = render('en');
    expect(html).toContain('<html lang="en">');
    for (const label of ['Data quality', 'Cadence', 'Engagement', 'Overdue', 'Never touched', 'Falling', 'Key-person dependency', 'Invalid e-mail', 'Created #9001']) {
      expect(html).toContain(label);
    }
    expect(html).not.toContain('Qualidade dos dados');
    expect(html).toMatch(/Nov 20, 2026,? 09:59/);
    expect(html).toContain('R$5,830,000 · $1,100,000');
  });

  // The rules' technical English (Finding.detail, Risk.detail, TierDecision.detail, health reasons) never reaches the page.
  const ENGLISH_DETAILS = ['not a valid e-mail:', 'reached only', 'touchpoint(s)', 'the organization has no owner', 'not an option id', 'Tier = &quot;Tier 3&quot;', '12-month won revenue', 'overdue: strategic', 'data quality: 3 finding(s)'];

  it('shows the first maxRows rows of a long list and says where the rest is; counts stay whole', () => {
    const fx = buildFixture();
    const report = buildJsonReport({ runId: 'r', companyDomain: 'acme', ...fx });
    expect(report.dataQuality.findings.length).toBe(7);
    expect(report.organizations.length).toBe(4);
    const html = renderHtml(report, fx.policy.texts['pt-BR'], { maxRows: 2 });
    expect(html.match(/<tr class="finding"/g)).toHaveLength(2);
    expect(html.match(/<tr class="org"/g)).toHaveLength(2);
    expect(html).toContain('<p class="muted more" data-shown="2" data-total="7">Mostrando as primeiras 2 de 7 linhas; todas estão em report.json');
    expect(html).toContain('data-shown="2" data-total="4"');
    // The owner's badge counts all of their findings, not only the rows shown.
    const firstOwner = report.dataQuality.byOwner.find((o) => String(o.ownerId) === String(report.dataQuality.findings[0]!.ownerId))!;
    expect(html).toContain(`<section class="owner" data-owner-id="${firstOwner.ownerId ?? 'none'}" data-count="${firstOwner.count}">`);
    // Under the limit nothing is cut and no note is shown.
    const full = renderHtml(report, fx.policy.texts['pt-BR']);
    expect(full.match(/<tr class="finding"/g)).toHaveLength(7);
    expect(full).not.toContain('class="muted more"');
  });

  it("shows the plan's and the run's warnings in the report's language", () => {
    const fx = buildFixture();
    const run = { ...fx.run, warnings: [] };
    const pt = renderHtml(buildJsonReport({ runId: 'r', companyDomain: 'acme', ...fx, run }), fx.policy.texts['pt-BR']);
    expect(pt).toContain('<li>O campo de organização &quot;Engagement trend&quot; (sinalizador engagementTrend) não existe: execute `cadence setup` para criá-lo');
    expect(pt).not.toContain('does not exist');
    const en = { ...fx.policy, locale: 'en' as const };
    const enHtml = renderHtml(buildJsonReport({ runId: 'r', companyDomain: 'acme', ...fx, policy: en, run }), en.texts.en);
    expect(enHtml).toContain('<li>Organization field &quot;Engagement trend&quot; (flag engagementTrend) does not exist: run `cadence setup` to create it');
  });

  it("shows findings, risks, tier reasons and health penalties in the policy's Portuguese", () => {
    const { html } = render('pt-BR');
    for (const fragment of [...ENGLISH_DETAILS, 'without a person whose']) expect(html).not.toContain(fragment);
    expect(html).toContain('<td>Email: e-mail inválido (abra o registro para corrigir)</td>');
    expect(html).toContain('<td>A organização não tem responsável; preencha Owner</td>');
    expect(html).toContain('Cliente Tier 3 sem nenhuma pessoa com Stakeholder role = Decision maker &lt;script&gt;x&lt;/script&gt;');
    expect(html).toContain('<td>Contatos nos últimos 90 dias: 4, todos só com Maria &quot;Mimi&quot; Silva</td>');
    expect(html).toContain('<td>Contatos: 2 nas últimas 4 semanas, contra 20 nas 4 anteriores</td>');
    expect(html).toContain('<td>Definido pela gestão no campo Tier: “Tier 3”</td>');
    expect(html).toContain('Receita de 12 meses de R$\u00a05.830.000 (US$\u00a01.100.000) e 7 anos de relacionamento (mínimos do Tier 4: receita US$\u00a01.000.000; relacionamento 5 anos)');
    expect(html).toContain('title="Atrasado: FUP estratégico (−15)\nSem contato: Revisão trimestral de negócios (QBR) (−20)\nRisco: Dependência de uma só pessoa (−8)\nPendências de dados: 3 (−6)">41</td>');
  });

  it('uses the English templates in an English report', () => {
    const { html } = render('en');
    for (const fragment of ENGLISH_DETAILS) expect(html).not.toContain(fragment);
    expect(html).toContain('<td>Email: invalid e-mail (open the record to correct it)</td>');
    expect(html).toContain('<td>Touchpoints in the last 90 days: 4, all with Maria &quot;Mimi&quot; Silva only</td>');
    expect(html).toContain('<td>Set by management in the field Tier: “Tier 3”</td>');
    expect(html).toContain('12-month revenue of R$5,830,000 ($1,100,000) and 7 years as a client (Tier 4 minimums: revenue $1,000,000; tenure 5 years)');
    expect(html).toContain('title="Overdue: Strategic follow-up (−15)');
    expect(html).not.toContain('não é um e-mail válido');
  });

  it("shows apply's outcome per write, its error, and why nothing was written when apply refused", () => {
    const fx = buildFixture();
    const refused = 'the plan has 4 writes, more than the cap of 2: review it with `cadence plan`';
    const report = buildJsonReport({ runId: 'r', companyDomain: 'acme', ...fx, applied: { ...fx.applied, planned: 1200, maxWrites: 500, refused } });
    const html = renderHtml(report, fx.policy.texts['pt-BR']);
    expect(html).toContain('403 Forbidden: the token&#39;s user cannot add activities for &lt;org&gt;');
    // In the report's language, numbers as the locale writes them; apply's English text stays in the log.
    expect(html).toContain('<div class="warn">Gravação recusada: o plano tem 1.200 gravações, mais que o limite de 500;');
    expect(html).not.toContain(refused);
    expect(html).toMatch(/<td>Health score<\/td><td>75<\/td><td>70<\/td><td>Atualizada<\/td>/);
  });

  it('draws the weekly volume as an inline SVG with one titled bar per tier and week', () => {
    const { html, report } = render();
    const svg = /<svg[^>]*class="chart"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(svg).not.toBe('');
    const bars = attrs(svg, /<rect x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)" fill="[^"]+"><title>([^<]+)<\/title>/g);
    expect(bars).toHaveLength(report.engagement.weeks.length * report.engagement.byTier.length);
    expect(bars.map(([, t]) => t)).toContain('Tier 4 · Âncora · 16 de nov. (2026-W47): 5');
    // A zero week has a zero-height bar.
    expect(bars.find(([, t]) => t!.startsWith('Tier 3 · Parceiro estratégico · 16 de nov.'))![0]).toBe('0');
  });

  it('reports the run: duration, records synced, requests, retries, 429s, warnings and malformed records', () => {
    const { html } = render('en');
    const runSection = /<section id="run">[\s\S]*?<\/section>/.exec(html)![0];
    expect(runSection).toContain('Activity: 120');
    expect(runSection).toMatch(/<th scope="row">Requests<\/th><td>37<\/td>/);
    expect(runSection).toMatch(/<th scope="row">Retries<\/th><td>2<\/td>/);
    expect(runSection).toMatch(/<th scope="row">429 answers \(rate limit\)<\/th><td>1<\/td>/);
    expect(runSection).toContain('activity type &quot;lunch&quot; is inactive');
    expect(runSection).toContain('expected a number, got &quot;abc&quot;');
    expect(runSection).toMatch(/1 min 43 sec|1 min 43 s/);
  });
});

describe('renderHtml: webhook subscriptions (near-real-time configured)', () => {
  const sub = (object: string, state: 'ok' | 'failing' | 'missing', over: Record<string, unknown> = {}) => ({
    object, state, id: state === 'missing' ? null : 7, url: state === 'missing' ? null : 'https://cadence.example.com/webhooks/acme', lastHttpStatus: null, lastDeliveryTime: null, removeReason: null, ...over,
  });
  function withWebhooks(webhooks: ReportV1['run']['webhooks'], locale: 'pt-BR' | 'en' = 'en'): string {
    const fx = buildFixture();
    const policy = { ...fx.policy, locale };
    const report = buildJsonReport({ runId: 'r', companyDomain: 'acme', ...fx, policy, run: { ...fx.run, ...(webhooks ? { webhooks } : {}) } });
    return renderHtml(report, policy.texts[locale]);
  }
  const receiverUrl = 'https://cadence.example.com/webhooks/acme';

  it('no section and no banner while near-real-time is off', () => {
    const html = withWebhooks(undefined);
    expect(html).not.toContain('id="webhooks"');
    expect(html).not.toContain('id="webhooks-notice"');
  });

  it('all ok: the table under Run, no banner', () => {
    const html = withWebhooks({ receiverUrl, error: null, subscriptions: ['activity', 'deal', 'person', 'organization'].map((o) => sub(o, 'ok')) });
    expect(html).toContain('id="webhooks"');
    expect(attrs(html, /data-webhook="(\w+)" data-state="(\w+)"/g)).toEqual([['activity', 'ok'], ['deal', 'ok'], ['person', 'ok'], ['organization', 'ok']]);
    expect(html).not.toContain('id="webhooks-notice"');
  });

  it('one failing, one missing: the banner links to the table, which names the state, the last status and the URL, in the policy language', () => {
    const subs = [sub('activity', 'ok'), sub('deal', 'failing', { lastHttpStatus: 503, lastDeliveryTime: '2026-03-12T14:00:00.000Z' }), sub('person', 'missing'), sub('organization', 'ok')];
    const en = withWebhooks({ receiverUrl, error: null, subscriptions: subs });
    expect(en).toMatch(/<div class="warn" id="webhooks-notice"><a href="#webhooks">Near-real-time updates are off or degraded/);
    expect(en).toContain('<td>Deliveries failing (may be banned)</td><td>7</td><td>https://cadence.example.com/webhooks/acme</td><td>2026-03-12T14:00:00.000Z (HTTP 503)</td>');
    expect(en).toContain('data-webhook="person" data-state="missing"><td>Person</td><td>Missing</td><td>—</td>');
    const pt = withWebhooks({ receiverUrl, error: null, subscriptions: subs }, 'pt-BR');
    expect(pt).toContain('Entregas falhando (pode estar banido)');
    expect(pt).toContain('As atualizações em tempo quase real estão fora do ar ou degradadas');
  });

  it('a listing that failed: the banner and the reason, escaped', () => {
    const html = withWebhooks({ receiverUrl, error: 'Pipedrive answered <403>', subscriptions: [] });
    expect(html).toContain('id="webhooks-notice"');
    expect(html).toContain('Subscriptions not checked: Pipedrive answered &lt;403&gt;');
  });
});
