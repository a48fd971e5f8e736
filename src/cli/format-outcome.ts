/**
 * Plain-text summaries for the terminal (the reports carry the detail). Pure: outcome in, text out.
 */
import type { JobOutcome } from '../job/run-company-job.js';
import type { SyncSummary } from '../sync/run-sync.js';
import { SYNCED_ENTITIES } from '../domain/entities.js';
import { formatApplySummary } from '../apply/apply-plan.js';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function formatSyncSummary(s: SyncSummary): string {
  const lines = [`Sync ${s.status === 'ok' ? 'complete' : s.status} in ${seconds(s.durationMs)} (${s.companyId}):`];
  const row = (label: string, x: SyncSummary['archivedDeals']) =>
    `  ${label.padEnd(13)} ${x.mode.padEnd(11)} ${String(x.records).padStart(8)} records ${String(x.pages).padStart(5)} pages  +${x.upserted} −${x.deleted}${x.resumed ? '  (resumed)' : ''}`;
  for (const e of SYNCED_ENTITIES) {
    lines.push(row(e, s.entities[e]));
    // Archived deals come from their own list (GET /api/v2/deals/archived).
    if (e === 'deal' && s.archivedDeals) lines.push(row('  archived', s.archivedDeals));
  }
  lines.push(`  reference     ${s.reference.users} users, ${s.reference.activityTypes} activity types, ${s.reference.fields} fields`);
  lines.push(`  reconcile     ${s.reconcile.ran ? 'ran' : 'skipped'}: ${s.reconcile.reason}`);
  lines.push(`  requests ${s.requests}, retries ${s.retries}, 429s ${s.rateLimited}, ~${s.tokensSpent} API tokens`);
  if (s.malformedCount > 0) {
    lines.push(`  malformed records skipped: ${s.malformedCount}`);
    for (const m of s.malformed.slice(0, 10)) lines.push(`    ${m.entity} #${m.id ?? '?'}: ${m.field}: ${m.message}`);
  }
  if (s.stopReason) lines.push(`  stopped: ${s.stopReason}`);
  return `${lines.join('\n')}\n`;
}

export function formatJobOutcome(o: JobOutcome): string {
  const lines: string[] = [];
  if (o.sync) lines.push(formatSyncSummary(o.sync).trimEnd());
  if (o.result) {
    const orgs = o.result.organizations;
    const by = (s: string) => orgs.filter((x) => x.overallStatus === s).length;
    const findings = orgs.reduce((n, x) => n + x.findings.length, 0) + o.result.otherFindings.length;
    lines.push(
      `Clients: ${orgs.length} — on track ${by('on_track')}, due soon ${by('due_soon')}, overdue ${by('overdue')}, never touched ${by('never')}, no rule applies ${by('not_applicable')}; data-quality findings ${findings}`,
    );
  }
  if (o.plan) {
    const w = o.plan.writes;
    const count = (p: string) => w.filter((x) => x.kind === 'create_activity' && x.purpose === p).length;
    lines.push(
      `Plan: ${count('follow_up')} follow-ups, ${count('renewal')} renewal plannings, ${count('escalation')} escalations, ${count('handover') > 0 ? `${count('handover')} handovers, ` : ''}${count('account_plan') > 0 ? `${count('account_plan')} account-plan reviews, ` : ''}${w.filter((x) => x.kind === 'update_org_flags').length} flag updates, ${w.filter((x) => x.kind === 'delete_activity').length} cleared follow-ups to remove; ${o.plan.skipped.length} gaps need no write`,
    );
  }
  if (o.apply) lines.push(formatApplySummary(o.apply).trimEnd());
  if (o.reports) lines.push(`Report: ${o.reports.files.html}\n        ${o.reports.files.csv}\n        ${o.reports.files.json}`);
  for (const w of o.warnings) lines.push(`warning: ${w}`);
  if (o.error) lines.push(`error: ${o.error.message}`);
  lines.push(`Run ${o.runId}: ${o.status} in ${seconds(o.durationMs)}`);
  return `${lines.join('\n')}\n`;
}
