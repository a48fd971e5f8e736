/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script, no external asset) that works
 * opened from disk, served by the status server, or printed. Rendered from the JSON model so every count
 * shown is the JSON's count. Labels come from the policy texts; dates, numbers and currency from Intl in
 * the firm's locale and time zone. Every interpolated value goes through the escaping `html` builder, and
 * a Content-Security-Policy forbids scripts outright as a second line of defence.
 */
import type { Category, Templates } from '../config/policy-schema.js';
import type { OverallStatus } from '../rules/types.js';
import { renderEngagementChart, TIER_COLOURS } from './engagement-chart.js';
import { createFormatters, type Formatters } from './format.js';
import { createLabels, type Labels, type ReportLabelKey } from './report-labels.js';
import type { ReportFinding, ReportV1, WebhookStatus } from './report-schema.js';
import { CLIENTS, type ClientLookup, type ReportOrganization, type ReportView } from './report-view.js';
import type { Rows } from './rows.js';
import { html, raw, type HtmlValue, type SafeHtml } from './safe-html.js';
import { fillTemplate } from '../i18n/texts.js';

const STATUSES: readonly OverallStatus[] = ['overdue', 'never', 'due_soon', 'on_track', 'not_applicable'];

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#dde1e8;--bg:#fff;--soft:#f5f7fa;--accent:#0b5cad;
--overdue:#b42318;--never:#7a271a;--due_soon:#b54708;--on_track:#067647;--not_applicable:#5b6475}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:1180px;margin:0 auto;padding:0 20px}
header{padding-top:20px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:20px;margin:36px 0 8px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:16px;margin:22px 0 8px}
h4{font-size:15px;margin:16px 0 6px}
h5{font-size:14px;margin:12px 0 4px}
a{color:var(--accent)}
.meta{color:var(--muted);margin:0 0 10px}
nav a{margin-right:14px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:130px;background:var(--soft)}
.card b{display:block;font-size:22px}
.card span{color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600;font-size:13px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:18px}
.owner{border:1px solid var(--line);border-radius:8px;padding:4px 14px 8px;margin:12px 0}
.count{display:inline-block;min-width:22px;padding:0 7px;border-radius:10px;background:var(--soft);border:1px solid var(--line);font-size:12px;text-align:center;font-weight:600}
.muted{color:var(--muted)}
.zero{color:#b0b6c1}
.st{font-weight:600}
.st-overdue{color:var(--overdue)}.st-never{color:var(--never)}.st-due_soon{color:var(--due_soon)}.st-on_track{color:var(--on_track)}.st-not_applicable{color:var(--not_applicable)}
.bar{display:inline-block;height:8px;background:var(--on_track);border-radius:4px;vertical-align:middle;margin-right:6px}
.warn{background:#fffaeb;border:1px solid #fedf89;border-radius:6px;padding:6px 12px}
.chart{max-width:100%;height:auto}
.wide{overflow-x:auto}
.spark .grid{stroke:#e6e9ef}
.chart .grid{stroke:#e6e9ef}.chart .axis{stroke:#8a93a3}
.chart text{font:11px system-ui,sans-serif;fill:#3b4252}.chart .legend{font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:baseline}
details summary{cursor:pointer;color:var(--accent)}
table.run{width:auto;min-width:520px}table.run th{width:280px}
footer{color:var(--muted);font-size:12px;margin-top:40px;padding-bottom:30px}
@media print{nav{display:none}.owner{break-inside:avoid}details{display:block}}
`;

/** Rows a list of the HTML report shows before it points at report.json / findings.csv for the rest. */
export const HTML_MAX_ROWS = 2000;

export interface RenderHtmlOptions {
  /** Rows per list (default HTML_MAX_ROWS); the JSON and CSV reports always hold every row. */
  maxRows?: number;
}

type Org = ReportOrganization;

/** What every section of the page reads: the report, its labels and formatters, and cell helpers (all pure). */
interface Page {
  report: ReportView;
  texts: Templates;
  L: Labels;
  fmt: Formatters;
  maxRows: number;
  bothCurrencies: (firm: number, inThreshold: number | undefined) => string;
  tierName: (level: number) => string;
  tierColour: (level: number) => string;
  num: (n: number) => SafeHtml;
  ownerLabel: (name: string | null, id: number | null) => string;
  status: (s: OverallStatus, category?: Category) => SafeHtml;
  neverCategory: (o: Org) => Category | undefined;
  lastTouch: (ruleLast: string | null, orgId: number) => string;
  ruleLabels: ReadonlyMap<string, string>;
  /** A client's name and last touchpoint by id (for lists that name clients by id). */
  client: ClientLookup;
  more: (total: number, shown: number) => SafeHtml | '';
  table: <T>(head: HtmlValue, items: Rows<T>, row: (item: T) => HtmlValue, empty?: string) => SafeHtml;
  healthCell: (h: Org['health']) => SafeHtml;
  growthCell: (g: number | null) => SafeHtml;
  percentBar: (p: number | null) => SafeHtml | string;
}

/** Renders a whole `ReportV1` or the streamed view (whose long lists build only the rows shown). */
export function renderHtml(report: ReportView, texts: Templates, options: RenderHtmlOptions = {}): string {
  const page = createPage(report, texts, options.maxRows ?? HTML_MAX_ROWS);
  const { L, fmt } = page;
  const title = L('title');
  const doc = html`<!doctype html>
<html lang="${report.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="generator" content="pipedrive-cadence (report schema ${report.schemaVersion})">
<title>${title} — ${report.companyId} — ${fmt.date(report.today)}</title>
<style>${raw(STYLE)}</style>
</head>
<body>
${headerHtml(page)}
<main>
${dataQualitySection(page)}
${cadenceSection(page)}
${engagementSection(page)}
${tierReviewSection(page)}
${stalledSection(page)}
${executivesSection(page)}
${portfolioSection(page)}
${healthTrendSection(page)}
${runSection(page)}
</main>
<footer>pipedrive-cadence · ${L('run')} ${report.runId} · ${L('schemaVersion')} ${report.schemaVersion} · ${report.timeZone}</footer>
</body>
</html>
`;
  return doc.value;
}

/** The page's labels, formatters and cell helpers, built once from the report. */
function createPage(report: ReportView, texts: Templates, maxRows: number): Page {
  const L = createLabels(texts);
  const fmt = createFormatters(report.locale, report.timeZone, report.currency);
  const review = report.tierReview;
  const thresholdFmt = review && review.thresholdCurrency !== report.currency ? createFormatters(report.locale, report.timeZone, review.thresholdCurrency) : null;
  /** An amount in the firm currency, and in the thresholds' currency when that is another one. */
  const bothCurrencies = (firm: number, inThreshold: number | undefined): string =>
    thresholdFmt && inThreshold !== undefined ? `${fmt.currency(firm)} · ${thresholdFmt.currency(inThreshold)}` : fmt.currency(firm);
  const tierNames = new Map(report.tiers.map((t) => [t.level, t.name]));
  const tierName = (level: number): string => `${L('tier')} ${level} · ${tierNames.get(level) ?? ''}`.replace(/ · $/, '');
  const tierColour = (level: number): string => {
    const i = report.tiers.findIndex((t) => t.level === level);
    return TIER_COLOURS[(i < 0 ? 0 : i) % TIER_COLOURS.length]!;
  };
  const num = (n: number): SafeHtml => html`<td class="num">${fmt.number(n)}</td>`;
  const ownerLabel = (name: string | null, id: number | null): string => name ?? (id === null ? L('noOwner') : `#${id}`);
  const categoryLabels = new Map(report.categories.map((c) => [c.id, c.label.toLocaleLowerCase(report.locale)]));
  /** A status where a person reads it: `never` names the category that has no touchpoint ("No strategic touchpoint on record"). */
  const status = (s: OverallStatus, category?: Category): SafeHtml =>
    html`<span class="st st-${s}">${s === 'never' && category ? fillTemplate(texts.statusNeverCategory, { category: categoryLabels.get(category) ?? category }) : L.status(s)}</span>`;
  // The view knows its clients by id; a whole ReportV1 (tests, small callers) is indexed here.
  const client: ClientLookup = report[CLIENTS] ?? clientIndex(report.organizations);
  /** The category of a client's first applicable rule with no touchpoint, for its `never` overall status. */
  const neverCategory = (o: Org): Category | undefined => o.cadence.find((c) => c.applies && c.status === 'never')?.category;
  /** "—" for a rule never met, with the client's last touchpoint of any kind beside it when there is one. */
  const lastTouch = (ruleLast: string | null, orgId: number): string => {
    if (ruleLast !== null) return fmt.date(ruleLast);
    const any = client(orgId)?.lastTouchpointDate ?? null;
    return any === null ? '—' : `— (${fillTemplate(texts.lastAnyTouchpoint, { date: fmt.date(any) })})`;
  };
  const ruleLabels = new Map(report.rules.map((r) => [r.id, r.label]));
  // A long list shows its first `maxRows` rows and says where the rest is (a 50,000-client company would
  // otherwise make a page of hundreds of megabytes that no browser opens comfortably).
  const more = (total: number, shown: number): SafeHtml | '' =>
    total > shown ? html`<p class="muted more" data-shown="${shown}" data-total="${total}">${fillTemplate(L('rowsShown'), { shown: fmt.number(shown), total: fmt.number(total) })}</p>` : '';
  const table = <T,>(head: HtmlValue, items: Rows<T>, row: (item: T) => HtmlValue, empty = L('none')): SafeHtml => {
    if (items.length === 0) return html`<p class="muted">${empty}</p>`;
    // Only the rows shown are built (a lazy list describes a row when it is read).
    const shown = items.slice(0, maxRows);
    return html`<table><thead><tr>${head}</tr></thead><tbody>${shown.map(row)}</tbody></table>${more(items.length, shown.length)}`;
  };
  // The score's penalties as a tooltip: "Atrasado: QBR (−15)", one per line.
  const healthCell = (h: Org['health']): SafeHtml =>
    h.parts.length === 0
      ? num(h.score)
      : html`<td class="num" title="${h.parts.map((p) => `${p.message} (−${fmt.number(p.points)})`).join('\n')}">${fmt.number(h.score)}</td>`;
  const growthCell = (g: number | null): SafeHtml =>
    g === null ? html`<td class="num">—</td>` : html`<td class="num ${g < 0 ? 'st-overdue' : 'st-on_track'}">${g < 0 ? '▼' : '▲'} ${fmt.percent(Math.abs(g))}</td>`;
  const percentBar = (p: number | null): SafeHtml | string =>
    p === null ? '—' : html`<span class="bar" style="width:${Math.round(p)}px"></span>${fmt.percent(p)}`;
  return {
    report, texts, L, fmt, maxRows, bothCurrencies, tierName, tierColour, num, ownerLabel, status, neverCategory,
    lastTouch, ruleLabels, client, more, table, healthCell, growthCell, percentBar,
  };
}

const dash = (v: string | null | undefined): string => (v === null || v === undefined || v === '' ? '—' : v);
const orgLink = (r: { orgName: string; url: string }): SafeHtml => html`<a href="${r.url}">${r.orgName}</a>`;
const flagValue = (v: unknown): string => (v === null || v === undefined || v === '' ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

/** The title, the run line, the navigation and the summary cards. */
function headerHtml(page: Page): SafeHtml {
  const { report, L, fmt } = page;
  const { summary, cadence, run } = report;
  const title = L('title');
  const cards: [string, number][] = [
    [L('clients'), summary.organizations],
    [L('findings'), summary.findings],
    // Clients, like the tier × status table; the rule gaps are counted in the overdue list's heading.
    [L('clientsOverdue'), summary.overdue],
    [L('clientsNever'), summary.never],
    [L('risks'), summary.risks],
    [run.dryRun ? L('outcome_planned') : L('created'), run.dryRun ? cadence.created.length : summary.activitiesCreated],
  ];
  return html`<header>
<h1>${title}</h1>
<p class="meta">${L('company')}: <b>${report.companyId}</b> · ${L('generatedAt')}: ${fmt.instant(run.finishedAt)} · ${L('today')}: ${fmt.date(report.today)}${
    run.dryRun ? html` · <b>${L('dryRun')}</b>` : ''
  }</p>
<nav><a href="#data-quality">${L('dataQuality')}</a><a href="#cadence">${L('cadence')}</a><a href="#engagement">${L('engagement')}</a>${report.tierReview ? html`<a href="#tiers">${L('tierReview')}</a>` : ''}${report.stalledWork ? html`<a href="#stalled">${L('stalledWork')}</a>` : ''}${report.executives ? html`<a href="#executives">${L('executives')}</a>` : ''}${report.portfolio ? html`<a href="#portfolio">${L('portfolio')}</a>` : ''}${report.healthTrend ? html`<a href="#health-trend">${L('healthTrend')}</a>` : ''}<a href="#run">${L('run')}</a></nav>
${webhooksDegraded(run) ? html`<div class="warn" id="webhooks-notice"><a href="#webhooks">${L('webhooksDegraded')}</a></div>` : ''}
<section class="cards" aria-label="${L('summary')}">${cards.map(([label, n]) => html`<div class="card"><b>${fmt.number(n)}</b><span>${label}</span></div>`)}</section>
</header>`;
}

/** Completeness per tier, counts per owner and field, and every finding grouped by owner, then client. */
function dataQualitySection(page: Page): SafeHtml {
  const { report, L, fmt, maxRows, tierName, num, ownerLabel, more, table } = page;
  const { dataQuality: dq } = report;
  const completeness = table(
    html`<th>${L('tier')}</th><th class="num">${L('clients')}</th><th class="num">${L('complete')}</th><th>${L('completeness')}</th>`,
    dq.completenessByTier,
    (t) => html`<tr data-tier="${t.tier}"><td>${tierName(t.tier)}</td>${num(t.organizations)}${num(t.complete)}<td>${
      t.percent === null ? '—' : html`<span class="bar" style="width:${Math.round(t.percent)}px"></span>${fmt.percent(t.percent)}`
    }</td></tr>`,
  );
  const perOwner = table(
    html`<th>${L('owner')}</th><th class="num">${L('findings')}</th>`,
    dq.byOwner,
    (o) => html`<tr data-owner-id="${o.ownerId ?? 'none'}" data-count="${o.count}"><td>${ownerLabel(o.ownerName, o.ownerId)}</td>${num(o.count)}</tr>`,
  );
  const perField = table(
    html`<th>${L('entity')}</th><th>${L('field')}</th><th class="num">${L('findings')}</th>`,
    dq.byField,
    (f) => html`<tr data-field="${f.entity}:${f.field}" data-count="${f.count}"><td>${L.entity(f.entity)}</td><td>${f.field}</td>${num(f.count)}</tr>`,
  );
  const unresolved =
    dq.unresolvedFields.length === 0
      ? ''
      : html`<div class="warn"><b>${L('unresolvedFields')}:</b> ${dq.unresolvedFields.map((u, i) => html`${i > 0 ? ', ' : ''}${L.entity(u.entity)} “${u.name}”`)}</div>`;

  const findingRow = (f: ReportFinding): SafeHtml => {
    const name = f.entityName ?? `#${f.entityId}`;
    return html`<tr class="finding" data-entity="${f.entity}" data-entity-id="${f.entityId}" data-problem="${f.problem}"><td>${L.entity(f.entity)}: ${
      f.url ? html`<a href="${f.url}">${name}</a>` : name
    }</td><td>${f.field}</td><td>${L.problem(f.problem)}</td><td>${f.message}</td></tr>`;
  };
  const shownFindings = dq.findings.slice(0, maxRows);
  const ownerGroups = groupConsecutive(shownFindings, (f) => String(f.ownerId));
  // An owner's count is all of their findings, also when the list stops partway through them.
  const ownerCounts = new Map(dq.byOwner.map((o) => [String(o.ownerId), o.count]));
  const findingsByOwner =
    dq.findings.length === 0
      ? html`<p class="muted">${L('noFindings')}</p>`
      : ownerGroups.map((group) => {
          const first = group[0]!;
          const clients = groupConsecutive(group, (f) => String(f.orgId));
          const count = ownerCounts.get(String(first.ownerId)) ?? group.length;
          return html`<section class="owner" data-owner-id="${first.ownerId ?? 'none'}" data-count="${count}">
<h4>${ownerLabel(first.ownerName, first.ownerId)} <span class="count">${fmt.number(count)}</span></h4>
${clients.map((items) => {
  const c = items[0]!;
  const heading =
    c.orgId === null
      ? html`${L('noClient')}`
      : html`<a href="${report.appOrigin}/organization/${c.orgId}">${c.orgName ?? `#${c.orgId}`}</a>`;
  return html`<div class="client" data-org-id="${c.orgId ?? 'none'}"><h5>${heading} <span class="count">${fmt.number(items.length)}</span></h5>
<table><thead><tr><th>${L('entity')}</th><th>${L('field')}</th><th>${L('problem')}</th><th>${L('detail')}</th></tr></thead><tbody>${items.map(findingRow)}</tbody></table></div>`;
})}
</section>`;
        });

  return html`<section id="data-quality">
<h2>${L('dataQuality')}</h2>
<h3>${L('completeness')}</h3>${completeness}
${unresolved}
<div class="cols"><div><h3>${L('countsByOwner')}</h3>${perOwner}</div><div><h3>${L('countsByField')}</h3>${perField}</div></div>
<h3>${L('findingsByOwner')}</h3>
${findingsByOwner}
${more(dq.findings.length, shownFindings.length)}
</section>`;
}

/** The status matrix and the overdue, missed and created lists. */
function cadenceTables(page: Page): { matrix: SafeHtml; overdueTable: SafeHtml; missedTable: SafeHtml; createdTable: SafeHtml } {
  const { L, fmt, tierName, ownerLabel, status, lastTouch, table } = page;
  const { cadence } = page.report;
  const matrix = table(
    html`<th>${L('tier')}</th>${STATUSES.map((s) => html`<th class="num">${L.status(s)}</th>`)}<th class="num">${L('total')}</th>`,
    cadence.matrix,
    (m) =>
      html`<tr data-tier="${m.tier}"><td>${tierName(m.tier)}</td>${STATUSES.map(
        (s) => html`<td class="num ${m.counts[s] === 0 ? 'zero' : `st st-${s}`}" data-status="${s}">${fmt.number(m.counts[s])}</td>`,
      )}<td class="num"><b>${fmt.number(m.total)}</b></td></tr>`,
  );
  const overdueTable = table(
    html`<th>${L('client')}</th><th>${L('tier')}</th><th>${L('rule')}</th><th>${L('status')}</th><th class="num">${L('gapDays')}</th><th>${L('lastTouchpoint')}</th><th>${L('nextDue')}</th><th>${L('owner')}</th><th>${L('scheduled')}</th>`,
    cadence.overdue,
    (o) =>
      html`<tr class="overdue" data-org-id="${o.orgId}" data-rule="${o.ruleId}"><td>${orgLink(o)}</td><td>${o.tier}</td><td>${o.ruleLabel}</td><td>${status(o.status, o.category)}</td><td class="num">${
        o.gapDays === null ? '—' : fmt.number(o.gapDays)
      }</td><td>${lastTouch(o.lastTouchpointDate, o.orgId)}</td><td>${fmt.date(o.nextDueDate)}</td><td>${ownerLabel(o.ownerName, o.ownerId)}${
        o.assigneeId !== null && o.assigneeId !== o.ownerId ? html` → ${ownerLabel(o.assigneeName, o.assigneeId)}` : ''
      }</td><td>${
        o.openScheduledActivityId === null ? '—' : `#${o.openScheduledActivityId}`
      }</td></tr>`,
  );
  const missedTable = table(
    html`<th>${L('owner')}</th><th>${L('client')}</th><th>${L('rule')}</th><th>${L('subject')}</th><th>${L('dueDate')}</th>`,
    cadence.missed,
    (m) =>
      html`<tr class="missed" data-owner-id="${m.ownerId ?? 'none'}" data-activity-id="${m.activityId}"><td>${ownerLabel(m.ownerName, m.ownerId)}</td><td>${orgLink(m)}</td><td>${m.ruleLabel}</td><td>${m.subject} <span class="muted">#${m.activityId}</span></td><td>${fmt.date(m.dueDate)}</td></tr>`,
  );
  const createdTable = table(
    html`<th>${L('client')}</th><th>${L('type')}</th><th>${L('subject')}</th><th>${L('dueDate')}</th><th>${L('owner')}</th><th>${L('reason')}</th><th>${L('outcome')}</th>`,
    cadence.created,
    (c) =>
      html`<tr class="created" data-key="${c.key}"><td>${orgLink(c)}</td><td>${L.purpose(c.purpose)} · ${c.typeName ?? c.type}</td><td>${c.subject}</td><td>${fmt.date(c.dueDate)}</td><td>${ownerLabel(
        c.ownerName,
        c.ownerId,
      )}</td><td>${c.reason}</td><td class="outcome-${c.outcome}">${L.outcome(c.outcome)}${c.activityId === null ? '' : ` #${c.activityId}`}${
        c.outcomeDetail ? html`<br><span class="muted">${c.outcomeDetail}</span>` : ''
      }</td></tr>`,
  );
  return { matrix, overdueTable, missedTable, createdTable };
}

/** The cadence section: its tables, the apply notices, flags, deletions, skipped rules and every client. */
function cadenceSection(page: Page): SafeHtml {
  const { report, L, fmt, bothCurrencies, tierName, ownerLabel, status, neverCategory, ruleLabels, client, table, healthCell } = page;
  const { cadence } = report;
  const { matrix, overdueTable, missedTable, createdTable } = cadenceTables(page);
  const flagsTable = table(
    html`<th>${L('client')}</th><th>${L('flag')}</th><th>${L('from')}</th><th>${L('to')}</th><th>${L('outcome')}</th>`,
    cadence.flagChanges,
    (f) =>
      html`<tr><td>${orgLink(f)}</td><td>${f.flag}</td><td>${flagValue(f.from)}</td><td>${flagValue(f.to)}</td><td>${L.outcome(f.outcome)}</td></tr>`,
  );
  const deletionsTable = table(
    html`<th>${L('client')}</th><th>#</th><th>${L('reason')}</th><th>${L('outcome')}</th>`,
    cadence.deletions, (d) => html`<tr><td>${orgLink(d)}</td><td>#${d.activityId}</td><td>${L('deletionCleared')}</td><td>${L.outcome(d.outcome)}</td></tr>`,
  );
  const skippedTable = table(
    html`<th>${L('client')}</th><th>${L('rule')}</th><th>${L('reason')}</th>`,
    cadence.skipped,
    (s) =>
      html`<tr><td><a href="${report.appOrigin}/organization/${s.orgId}">${client(s.orgId)?.name ?? `#${s.orgId}`}</a></td><td>${dash(s.ruleId === null ? null : (ruleLabels.get(s.ruleId) ?? s.ruleId))}</td><td>${s.code ? L(`skip_${s.code}` as ReportLabelKey) : s.reason}</td></tr>`,
  );
  const clientsTable = table(
    html`<th>${L('client')}</th><th>${L('tier')}</th><th>${L('tierReason')}</th><th class="num">${L('revenue12m')}</th><th>${L('status')}</th><th>${L('lastTouchpoint')}</th><th>${L('nextDue')}</th><th class="num">${L('health')}</th><th>${L('owner')}</th>`,
    report.organizations,
    (o) =>
      html`<tr class="org" data-org-id="${o.orgId}"><td><a href="${o.url}">${o.name}</a></td><td>${tierName(o.tier.level)}</td><td>${o.tier.message}</td><td class="num">${bothCurrencies(o.tier.revenue12m, o.tier.revenue12mThreshold)}</td><td>${status(
        o.overallStatus,
        neverCategory(o),
      )}</td><td>${fmt.date(o.lastTouchpointDate)}</td><td>${fmt.date(o.nextDueDate)}</td>${healthCell(o.health)}<td>${ownerLabel(o.ownerName, o.ownerId)}</td></tr>`,
  );
  return html`<section id="cadence">
<h2>${L('cadence')}</h2>
<h3>${L('statusMatrix')}</h3>${matrix}
<h3>${L('overdueList')} <span class="count">${fmt.number(cadence.overdue.length)}</span></h3>${overdueTable}
<h3>${L('missedByOwner')} <span class="count">${fmt.number(cadence.missed.length)}</span></h3>${missedTable}
<h3>${L('created')} <span class="count">${fmt.number(cadence.created.length)}</span></h3>
${report.applied?.refused ? html`<div class="warn">${report.applied.refused}</div>` : ''}
${report.applied?.aborted ? html`<div class="warn">${report.applied.aborted}</div>` : ''}
${createdTable}
${report.applied && report.applied.duplicatesRemoved > 0 ? html`<p>${L('duplicatesRemoved')}: ${fmt.number(report.applied.duplicatesRemoved)}</p>` : ''}
${cadence.deletions.length > 0 ? html`<h3>${L('deletions')}</h3>${deletionsTable}` : ''}
<details${cadence.flagChanges.length <= 30 ? raw(' open') : ''}><summary>${L('flagsWritten')} (${fmt.number(cadence.flagChanges.length)})</summary>${flagsTable}</details>
<details><summary>${L('skipped')} (${fmt.number(cadence.skipped.length)})</summary>${skippedTable}</details>
${cadence.planWarnings.length > 0 ? html`<div class="warn"><b>${L('planWarnings')}:</b><ul>${cadence.planWarnings.map((w) => html`<li>${w}</li>`)}</ul></div>` : ''}
<h3>${L('clients')}</h3>${clientsTable}
</section>`;
}

/** Tiers as the guide states them (docs/policy.md §10.2): upgrade candidates and clients held back. */
function tierReviewSection(page: Page): SafeHtml | '' {
  const { report, L, fmt, bothCurrencies, ownerLabel, table } = page;
  const review = report.tierReview;
  return review
    ? html`<section id="tiers">
<h2>${L('tierReview')}</h2>
<h3>${L('upgradeCandidates')} <span class="count">${fmt.number(review.upgradeCandidates.length)}</span></h3>
<p class="muted">${fillTemplate(L('upgradeCandidatesIntro'), {
        tier: fmt.number(review.upgrade.tier),
        share: fmt.percent(review.upgrade.revenueShare * 100),
        growth: fmt.percent(review.upgrade.growth * 100),
      })}</p>
${table(
  html`<th>${L('client')}</th><th>${L('owner')}</th><th class="num">${L('revenue12m')}</th><th class="num">${L('revenuePrevious12m')}</th><th class="num">${L('shareOfNextTier')}</th><th class="num">${L('growth')}</th><th>${L('reason')}</th>`,
  review.upgradeCandidates,
  (c) =>
    html`<tr class="upgrade-candidate" data-org-id="${c.orgId}" data-next-tier="${c.nextTier}"><td>${orgLink(c)}</td><td>${ownerLabel(c.ownerName, c.ownerId)}</td><td class="num">${bothCurrencies(
      c.revenue12m,
      c.revenue12mThreshold,
    )}</td><td class="num">${fmt.currency(c.revenuePrevious12m)}</td><td class="num">${fmt.percent(c.share * 100)}</td><td class="num">${
      c.growth === null ? '—' : fmt.percent(c.growth * 100)
    }</td><td>${c.reasons.map((r) => L(`upgrade_${r}`)).join(' · ')}</td></tr>`,
)}
<h3>${L('heldBack')} <span class="count">${fmt.number(review.heldBack.length)}</span></h3>
<p class="muted">${L('heldBackIntro')}</p>
${table(
  html`<th>${L('client')}</th><th>${L('tier')}</th><th>${L('heldTier')}</th><th>${L('reason')}</th><th>${L('tierReason')}</th><th>${L('owner')}</th>`,
  review.heldBack,
  (h) =>
    html`<tr class="held-back" data-org-id="${h.orgId}" data-criterion="${h.criterion}"><td>${orgLink(h)}</td><td>${h.tier}</td><td>${h.heldTier}</td><td>${L(
      `criterion_${h.criterion}`,
    )}</td><td>${h.message}</td><td>${ownerLabel(h.ownerName, h.ownerId)}</td></tr>`,
)}
</section>`
    : '';
}

/** Stalled work, per owner (docs/policy.md §10.5). */
function stalledSection(page: Page): SafeHtml | '' {
  const { report, L, fmt, num, ownerLabel, table } = page;
  const stalled = report.stalledWork;
  return stalled
    ? html`<section id="stalled">
<h2>${L('stalledWork')} <span class="count">${fmt.number(stalled.deals.length)}</span></h2>
<p class="muted">${fillTemplate(L('stalledIntro'), { maxDays: fmt.number(stalled.maxDaysInStage) })}</p>
<h3>${L('stalledByOwner')}</h3>
${table(
  html`<th>${L('owner')}</th><th class="num">${L('total')}</th><th class="num">${L('stalled_past_close')}</th><th class="num">${L('stalled_in_stage')}</th>`,
  stalled.byOwner,
  (o) => html`<tr class="stalled-owner" data-owner-id="${o.ownerId ?? 'none'}" data-count="${o.count}"><td>${ownerLabel(o.ownerName, o.ownerId)}</td>${num(o.count)}${num(o.pastClose)}${num(o.inStage)}</tr>`,
)}
${table(
  html`<th>${L('owner')}</th><th>${L('deal')}</th><th>${L('client')}</th><th>${L('reason')}</th><th>${L('expectedClose')}</th><th class="num">${L('daysPastClose')}</th><th>${L('stageSince')}</th><th class="num">${L('daysInStage')}</th><th class="num">${L('value')}</th>`,
  stalled.deals,
  (d) =>
    html`<tr class="stalled" data-deal-id="${d.dealId}" data-org-id="${d.orgId}" data-reasons="${d.reasons.join(' ')}"><td>${ownerLabel(d.ownerName, d.ownerId)}</td><td><a href="${d.dealUrl}">${d.title}</a></td><td>${orgLink(
      d,
    )}</td><td>${d.reasons.map((r) => L(`stalled_${r}`)).join(' · ')}</td><td>${fmt.date(d.expectedCloseDate)}</td><td class="num">${
      d.daysPastClose === null || d.daysPastClose <= 0 ? '—' : fmt.number(d.daysPastClose)
    }</td><td>${fmt.date(d.stageSince)}</td><td class="num">${d.daysInStage === null ? '—' : fmt.number(d.daysInStage)}</td><td class="num">${
      d.value === null ? '—' : fmt.currency(d.value)
    }</td></tr>`,
)}
</section>`
    : '';
}

/** Per executive (docs/policy.md §10.5). */
function executivesSection(page: Page): SafeHtml | '' {
  const { report, L, fmt, tierColour, num, ownerLabel, table, growthCell, percentBar } = page;
  const execs = report.executives;
  return execs
    ? html`<section id="executives">
<h2>${L('executives')}</h2>
<p class="muted">${L('executivesIntro')}</p>
<div class="wide">${table(
  html`<th>${L('owner')}</th><th class="num">${L('clients')}</th><th>${L('clientsByTier')}</th><th>${L('onCadence')}</th><th class="num">${L.status('overdue')}</th><th class="num">${L(
    'escalations',
  )}</th><th class="num">${L('missedActivities')}</th><th class="num">${L('renewalsDue')}</th><th class="num">${L('stalledDeals')}</th><th class="num">${L(
    'revenue12m',
  )}</th><th class="num">${L('revenuePrevious12m')}</th><th class="num">${L('growth')}</th>`,
  execs,
  (e) =>
    html`<tr class="executive" data-owner-id="${e.ownerId ?? 'none'}"><td>${ownerLabel(e.ownerName, e.ownerId)}${
      e.ownerId !== null && !e.active ? html` <span class="muted">(${L('inactive')})</span>` : ''
    }</td>${num(e.clients)}<td>${e.byTier
      .filter((t) => t.clients > 0)
      .map((t, i) => html`${i > 0 ? ' · ' : ''}<span class="swatch" style="background:${tierColour(t.tier)}"></span>${t.tier}: ${fmt.number(t.clients)}`)}</td><td>${percentBar(
      e.onCadencePercent,
    )}</td>${num(e.overdue)}${num(e.escalations)}${num(e.missedActivities)}${num(e.renewalsDue)}${num(e.stalledDeals)}<td class="num">${fmt.currency(
      e.revenue12m,
    )}</td><td class="num">${fmt.currency(e.revenuePrevious12m)}</td>${growthCell(e.growthPercent)}</tr>`,
)}</div>
</section>`
    : '';
}

/** The portfolio: revenue by tier and its concentration (docs/policy.md §10.5). */
function portfolioSection(page: Page): SafeHtml | '' {
  const { report, L, fmt, tierName, tierColour, num, table, growthCell, percentBar } = page;
  const pf = report.portfolio;
  return pf
    ? html`<section id="portfolio">
<h2>${L('portfolio')}</h2>
<section class="cards">
<div class="card"><b>${fmt.currency(pf.revenue12m)}</b><span>${L('revenue12m')}</span></div>
<div class="card"><b>${pf.growthPercent === null ? '—' : `${pf.growthPercent < 0 ? '▼' : '▲'} ${fmt.percent(Math.abs(pf.growthPercent))}`}</b><span>${L('growth')}</span></div>
<div class="card" data-measure="strategic"><b>${fmt.percent(pf.strategic.percent)}</b><span>${fillTemplate(L('strategicShare'), { tier: fmt.number(pf.strategic.minTier) })}</span></div>
<div class="card" data-measure="top"><b>${fmt.percent(pf.top.percent)}</b><span>${fillTemplate(L('topConcentration'), { count: fmt.number(pf.top.size) })}</span></div>
</section>
<h3>${L('revenueTrendByTier')}</h3>
${table(
  html`<th>${L('tier')}</th><th class="num">${L('clients')}</th><th class="num">${L('revenue12m')}</th><th>${L('revenueShare')}</th><th class="num">${L('revenuePrevious12m')}</th><th class="num">${L(
    'growth',
  )}</th><th class="num">${L('averageTenure')}</th>`,
  pf.byTier,
  (t) =>
    html`<tr class="portfolio-tier" data-tier="${t.tier}"><td><span class="swatch" style="background:${tierColour(t.tier)}"></span>${tierName(t.tier)}</td>${num(t.clients)}<td class="num">${fmt.currency(
      t.revenue12m,
    )}</td><td>${percentBar(t.sharePercent)}</td><td class="num">${fmt.currency(t.revenuePrevious12m)}</td>${growthCell(t.growthPercent)}<td class="num">${
      t.averageTenureYears === null ? '—' : fmt.number(t.averageTenureYears)
    }</td></tr>`,
)}
<h3>${fillTemplate(L('topConcentration'), { count: fmt.number(pf.top.size) })}</h3>
${table(
  html`<th>${L('client')}</th><th>${L('tier')}</th><th class="num">${L('revenue12m')}</th><th>${L('revenueShare')}</th>`,
  pf.top.clients,
  (c) => html`<tr class="top-client" data-org-id="${c.orgId}"><td>${orgLink(c)}</td><td>${c.tier}</td><td class="num">${fmt.currency(c.revenue12m)}</td><td>${percentBar(c.percent)}</td></tr>`,
)}
</section>`
    : '';
}

/** The weekly scores as a small line (0–100), gaps where a week has no score, the last point marked. */
function sparkline(scores: readonly (number | null)[], flagged: boolean): SafeHtml {
  const w = 130;
  const h = 30;
  const step = scores.length > 1 ? w / (scores.length - 1) : 0;
  const y = (v: number) => Math.round((h - 2 - (v / 100) * (h - 4)) * 10) / 10;
  // Consecutive weeks with a score form a line; a week alone between gaps is a dot.
  const runs: string[][] = [];
  let current: string[] = [];
  scores.forEach((v, i) => {
    if (v === null) {
      if (current.length > 0) runs.push(current);
      current = [];
    } else current.push(`${Math.round(i * step * 10) / 10},${y(v)}`);
  });
  if (current.length > 0) runs.push(current);
  const last = scores[scores.length - 1];
  const colour = flagged ? 'var(--overdue)' : 'var(--accent)';
  return html`<svg class="spark" width="${w + 4}" height="${h}" viewBox="-2 0 ${w + 4} ${h}" role="img" aria-label="${scores.map((v) => (v === null ? '—' : String(v))).join(', ')}"><line class="grid" x1="0" x2="${w}" y1="${y(0)}" y2="${y(0)}"></line><line class="grid" x1="0" x2="${w}" y1="${y(100)}" y2="${y(100)}"></line>${runs.map(
    (points) => {
      const [cx, cy] = points[0]!.split(',');
      return points.length === 1
        ? html`<circle class="week" cx="${cx}" cy="${cy}" r="1.8" fill="${colour}"></circle>`
        : html`<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${points.join(' ')}"></polyline>`;
    },
  )}${last === null || last === undefined ? '' : html`<circle cx="${Math.round((scores.length - 1) * step * 10) / 10}" cy="${y(last)}" r="2.5" fill="${colour}"></circle>`}</svg>`;
}

/** Health over time of the strategic clients (docs/policy.md §10.5). */
function healthTrendSection(page: Page): SafeHtml | '' {
  const { report, L, fmt, num, ownerLabel, table } = page;
  const trend = report.healthTrend;
  return trend
    ? html`<section id="health-trend">
<h2>${L('healthTrend')} <span class="count">${fmt.number(trend.clients.filter((c) => c.flagged).length)}</span></h2>
<p class="muted">${fillTemplate(L('healthTrendIntro'), { tier: fmt.number(trend.minTier), weeks: fmt.number(trend.weeks.length), points: fmt.number(trend.dropPoints) })}</p>
${table(
  html`<th>${L('client')}</th><th>${L('tier')}</th><th>${fmt.week(trend.weeks[0] ?? '')} – ${fmt.week(trend.weeks[trend.weeks.length - 1] ?? '')}</th><th class="num">${L(
    'latest',
  )}</th><th class="num">${L('best')}</th><th class="num">${L('drop')}</th><th>${L('owner')}</th>`,
  trend.clients,
  (c) =>
    html`<tr class="health-trend${c.flagged ? ' flagged' : ''}" data-org-id="${c.orgId}" data-drop="${c.drop ?? ''}"><td>${orgLink(c)}${
      c.flagged ? html` <span class="st st-overdue">${L('healthDropped')}</span>` : ''
    }</td><td>${c.tier}</td><td>${sparkline(c.scores, c.flagged)}</td>${num(c.latest)}<td class="num">${c.best === null ? '—' : fmt.number(c.best)}</td><td class="num${
      c.flagged ? ' st st-overdue' : ''
    }">${c.drop === null ? '—' : fmt.number(c.drop)}</td><td>${ownerLabel(c.ownerName, c.ownerId)}</td></tr>`,
)}
</section>`
    : '';
}

/** Weekly volume per tier, rising and falling clients, and risks. */
function engagementSection(page: Page): SafeHtml {
  const { L, fmt, tierName, tierColour, num, table } = page;
  const { engagement } = page.report;
  const chart = renderEngagementChart({
    weeks: engagement.weeks,
    byTier: engagement.byTier,
    tierName,
    weekLabel: fmt.week,
    formatNumber: fmt.number,
    title: L('weeklyVolume'),
  });
  const volumeTable = table(
    html`<th>${L('week')}</th>${engagement.byTier.map((t) => html`<th class="num"><span class="swatch" style="background:${tierColour(t.tier)}"></span>${tierName(t.tier)}</th>`)}`,
    engagement.weeks,
    (w) =>
      html`<tr><td>${fmt.week(w)} <span class="muted">(${w})</span></td>${engagement.byTier.map((t) => num(t.weeks.find((x) => x.week === w)?.count ?? 0))}</tr>`,
  );
  const trendTable = (entries: ReportV1['engagement']['rising']): SafeHtml =>
    table(
      html`<th>${L('client')}</th><th>${L('tier')}</th><th class="num">${L('last4')}</th><th class="num">${L('previous4')}</th><th class="num">${L('breadth')}</th>`,
      entries,
      (e) => html`<tr class="trend-${e.trend}" data-org-id="${e.orgId}"><td>${orgLink(e)}</td><td>${e.tier}</td>${num(e.last4)}${num(e.previous4)}${num(e.breadth)}</tr>`,
    );
  const risksTable = table(
    html`<th>${L('client')}</th><th>${L('tier')}</th><th>${L('kind')}</th><th>${L('detail')}</th>`,
    engagement.risks,
    (r) => html`<tr class="risk" data-org-id="${r.orgId}" data-kind="${r.kind}"><td>${orgLink(r)}</td><td>${r.tier}</td><td>${L.risk(r.kind)}</td><td>${r.message}</td></tr>`,
  );
  return html`<section id="engagement">
<h2>${L('engagement')}</h2>
<h3>${L('weeklyVolume')}</h3>
${chart}
<details><summary>${L('weeklyVolume')}</summary>${volumeTable}</details>
<div class="cols"><div><h3>${L('rising')} <span class="count">${fmt.number(engagement.rising.length)}</span></h3>${trendTable(engagement.rising)}</div>
<div><h3>${L('falling')} <span class="count">${fmt.number(engagement.falling.length)}</span></h3>${trendTable(engagement.falling)}</div></div>
<h3>${L('risks')} <span class="count">${fmt.number(engagement.risks.length)}</span></h3>${risksTable}
</section>`;
}

/** The run: timings, requests, warnings and malformed records. */
function runSection(page: Page): SafeHtml {
  const { L, fmt, table } = page;
  const { run } = page.report;
  const synced = Object.entries(run.recordsSynced);
  const runRows: [string, HtmlValue][] = [
    [L('startedAt'), fmt.instant(run.startedAt)],
    [L('finishedAt'), fmt.instant(run.finishedAt)],
    [L('duration'), fmt.durationMs(run.durationMs)],
    [
      L('recordsSynced'),
      synced.length === 0 ? '—' : synced.map(([entity, n], i) => html`${i > 0 ? ' · ' : ''}${isEntity(entity) ? L.entity(entity) : entity}: ${fmt.number(n)}`),
    ],
    [L('requests'), fmt.number(run.requests)],
    [L('retries'), fmt.number(run.retries)],
    [L('rate429'), fmt.number(run.rate429)],
    [L('dryRun'), run.dryRun ? L('yes') : L('no')],
  ];
  return html`<section id="run">
<h2>${L('run')}</h2>
<table class="run"><tbody>${runRows.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}</tbody></table>
<h3>${L('warnings')} <span class="count">${fmt.number(run.warnings.length)}</span></h3>
${run.warnings.length === 0 ? html`<p class="muted">${L('none')}</p>` : html`<ul class="warnings">${run.warnings.map((w) => html`<li>${w}</li>`)}</ul>`}
${run.webhooks ? webhooksHtml(page, run.webhooks) : ''}
<h3>${L('malformed')} <span class="count">${fmt.number(run.malformed.length)}</span></h3>
${table(
  html`<th>${L('entity')}</th><th>#</th><th>${L('field')}</th><th>${L('detail')}</th>`,
  run.malformed,
  (m) => html`<tr><td>${isEntity(m.entity) ? L.entity(m.entity) : m.entity}</td><td>${m.id === null ? '—' : String(m.id)}</td><td>${dash(m.field)}</td><td>${m.message}</td></tr>`,
)}
</section>`;
}

/** Near-real-time is configured and a subscription does not deliver here, or they could not be listed. */
/** Clients by id from a whole report's list. */
function clientIndex(organizations: Rows<Org>): ClientLookup {
  const byId = new Map<number, Org>();
  for (const o of organizations) byId.set(o.orgId, o);
  return (orgId) => byId.get(orgId);
}

function webhooksDegraded(run: ReportV1['run']): boolean {
  return run.webhooks !== undefined && (run.webhooks.error !== null || run.webhooks.subscriptions.some((s) => s.state !== 'ok'));
}

/** The webhook subscriptions as the run read them: one row per object, its state, where it delivers and its last delivery. */
function webhooksHtml(page: Page, webhooks: WebhookStatus): SafeHtml {
  const { L, table } = page;
  const rows = table(
    html`<th>${L('entity')}</th><th>${L('status')}</th><th>#</th><th>${L('webhookUrl')}</th><th>${L('lastDelivery')}</th>`,
    webhooks.subscriptions,
    (s) =>
      html`<tr data-webhook="${s.object}" data-state="${s.state}"><td>${isEntity(s.object) ? L.entity(s.object) : s.object}</td><td>${L(`webhook_${s.state}`)}</td><td>${
        s.id === null ? '—' : String(s.id)
      }</td><td>${dash(s.url)}</td><td>${dash(s.lastDeliveryTime)}${s.lastHttpStatus === null ? '' : ` (HTTP ${s.lastHttpStatus})`}</td></tr>`,
  );
  return html`<h3 id="webhooks">${L('webhooks')}</h3>
<p>${L('webhookReceiver')}: ${webhooks.receiverUrl}</p>
${webhooks.error === null ? rows : html`<p class="warn">${L('webhookNotChecked')}: ${webhooks.error}</p>`}`;
}

function isEntity(e: string): e is 'organization' | 'person' | 'deal' | 'activity' {
  return e === 'organization' || e === 'person' || e === 'deal' || e === 'activity';
}

/** Splits an already-ordered list into runs of equal keys (the findings are sorted by owner, then client). */
function groupConsecutive<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups: T[][] = [];
  let last: string | undefined;
  for (const item of items) {
    const k = key(item);
    if (groups.length === 0 || k !== last) groups.push([item]);
    else groups[groups.length - 1]!.push(item);
    last = k;
  }
  return groups;
}
