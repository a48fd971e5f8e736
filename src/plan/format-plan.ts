/**
 * Pure formatters for `cadence plan` / `cadence apply`: a summary (counts and why) and a human table.
 * The CLI decides where to print them (TTY table, or the plan as JSON with --json).
 */
import type { Plan, PlannedWrite, SkipCode, WritePurpose } from './types.js';

export interface PlanSummary {
  total: number;
  creates: Record<WritePurpose, number>;
  deletes: number;
  flagUpdates: number;
  /** Flag values changed, by flag field name. */
  flagChanges: Record<string, number>;
  skipped: Partial<Record<SkipCode | 'other', number>>;
  warnings: number;
}

export function summarizePlan(plan: Plan): PlanSummary {
  const s: PlanSummary = {
    total: plan.writes.length,
    creates: { follow_up: 0, renewal: 0, escalation: 0, handover: 0, account_plan: 0 },
    deletes: 0,
    flagUpdates: 0,
    flagChanges: {},
    skipped: {},
    warnings: plan.warnings.length,
  };
  for (const w of plan.writes) {
    if (w.kind === 'create_activity') s.creates[w.purpose] += 1;
    else if (w.kind === 'delete_activity') s.deletes += 1;
    else {
      s.flagUpdates += 1;
      for (const c of w.changes) s.flagChanges[c.flag] = (s.flagChanges[c.flag] ?? 0) + 1;
    }
  }
  for (const k of plan.skipped) {
    const code = k.code ?? 'other';
    s.skipped[code] = (s.skipped[code] ?? 0) + 1;
  }
  return s;
}

const SKIP_WORDS: Record<SkipCode | 'other', string> = {
  report_only: 'report-only rule',
  not_strategic: 'tier without reminders (flagged and reported)',
  not_applicable: 'rule not applicable (client not active)',
  already_scheduled: 'an open activity is already scheduled',
  already_created: 'already created for this window',
  no_assignee: 'no assignee',
  no_activity_type: 'activity type missing',
  no_escalation_user: 'no escalation user',
  cleared_left: 'gap cleared, follow-up left (policy)',
  cleared_touched: 'gap cleared, follow-up edited by someone',
  other: 'other',
};

/** A few lines saying how many writes of each kind and why nothing else is written. */
export function formatPlanSummary(plan: Plan): string {
  const s = summarizePlan(plan);
  const lines = [
    `Plan ${plan.runId} for ${plan.companyId}: ${s.total} write${s.total === 1 ? '' : 's'}`,
    `  follow-ups to create:         ${s.creates.follow_up}`,
    `  renewal planning to create:   ${s.creates.renewal}`,
    `  escalations to create:        ${s.creates.escalation}`,
    `  cleared follow-ups to delete: ${s.deletes}`,
    `  organizations with flag changes: ${s.flagUpdates}`,
  ];
  // docs/policy.md §10.5: shown only when there are any, so a plan without them reads as before.
  if (s.creates.handover > 0) lines.splice(4, 0, `  handovers to create:          ${s.creates.handover}`);
  if (s.creates.account_plan > 0) lines.splice(4, 0, `  account-plan reviews to create: ${s.creates.account_plan}`);
  for (const [flag, n] of Object.entries(s.flagChanges).sort()) lines.push(`    ${flag}: ${n}`);
  const skipped = Object.entries(s.skipped) as [SkipCode | 'other', number][];
  if (skipped.length > 0) {
    lines.push(`  not written (${plan.skipped.length}):`);
    for (const [code, n] of skipped.sort((a, b) => b[1] - a[1])) lines.push(`    ${SKIP_WORDS[code]}: ${n}`);
  }
  for (const w of plan.warnings) lines.push(`  warning: ${w.message}`);
  return lines.join('\n');
}

function describe(w: PlannedWrite): [string, string, string, string] {
  switch (w.kind) {
    case 'create_activity':
      return [`create ${w.purpose.replace('_', '-')}`, w.ruleId ?? '', `${w.activity.due_date} → user ${w.activity.owner_id}`, w.activity.subject];
    case 'delete_activity':
      return ['delete', '', `activity #${w.activityId}`, w.reason];
    case 'update_org_flags':
      return ['flags', '', '', w.changes.map((c) => `${c.flag}: ${show(c.from)} → ${show(c.to)}`).join('; ')];
  }
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '∅';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function fit(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text + ' '.repeat(width - chars.length);
  return `${chars.slice(0, width - 1).join('')}…`;
}

/** A fixed-width table of the planned writes, one line each (print `formatPlanSummary` beside it). */
export function formatPlanTable(plan: Plan, { width = 160 }: { width?: number } = {}): string {
  const head: [string, string, string, string, string] = ['org', 'action', 'rule', 'due / target', 'what'];
  const rows = plan.writes.map((w) => [String(w.orgId), ...describe(w)] as [string, string, string, string, string]);
  const widths = [0, 1, 2, 3].map((i) => Math.min(28, Math.max(head[i]!.length, ...rows.map((r) => [...r[i]!].length))));
  const fixed = widths.reduce((a, b) => a + b + 2, 0);
  const last = Math.max(20, width - fixed);
  const line = (r: readonly string[]): string =>
    [...widths.map((w, i) => fit(r[i]!, w)), fit(r[4]!, last)].join('  ').trimEnd();
  const out = [line(head), line(head.map((h, i) => '─'.repeat(i < 4 ? widths[i]! : Math.min(last, 40)))), ...rows.map(line)];
  if (rows.length === 0) out.push('(nothing to write)');
  return out.join('\n');
}
