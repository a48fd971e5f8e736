import { describe, expect, it } from 'vitest';
import { formatPlanSummary, formatPlanTable, summarizePlan } from '../../../src/plan/format-plan.js';
import type { Plan } from '../../../src/plan/types.js';

const plan: Plan = {
  companyId: 'acme',
  runId: 'run-1',
  now: '2026-03-12T15:00:00Z',
  writes: [
    {
      kind: 'create_activity',
      key: 'fu:1:strategic:2026-03-01',
      purpose: 'follow_up',
      orgId: 1,
      ruleId: 'strategic',
      reason: 'Overdue',
      activity: { subject: 'Strategic follow-up (Tier 3) — Acme: 41 days since last touchpoint', type: 'meeting', owner_id: 11, org_id: 1, due_date: '2026-03-13', done: false, note: '' },
    },
    { kind: 'delete_activity', key: 'clr:80', orgId: 2, activityId: 80, reason: 'rule strategic is on track again' },
    {
      kind: 'update_org_flags',
      key: 'fl:1:abc',
      orgId: 1,
      customFields: { h: 1 },
      changes: [
        { flag: 'Cadence status', from: null, to: 'Overdue' },
        { flag: 'Health score', from: 80, to: 65 },
      ],
    },
  ],
  skipped: [
    { orgId: 3, ruleId: 'operational', reason: 'x', code: 'report_only' },
    { orgId: 4, ruleId: 'operational', reason: 'x', code: 'report_only' },
    { orgId: 4, ruleId: 'strategic', reason: 'x', code: 'already_scheduled' },
  ],
  warnings: [{ code: 'activity_type_unavailable', params: { type: 'fup' }, message: 'Activity type "fup" does not exist or is inactive in Pipedrive' }],
};

describe('plan formatters', () => {
  it('counts writes by purpose and skips by reason', () => {
    expect(summarizePlan(plan)).toEqual({
      total: 3,
      creates: { follow_up: 1, renewal: 0, escalation: 0, handover: 0, account_plan: 0 },
      deletes: 1,
      flagUpdates: 1,
      flagChanges: { 'Cadence status': 1, 'Health score': 1 },
      skipped: { report_only: 2, already_scheduled: 1 },
      warnings: 1,
    });
  });

  it('summary says how many of each and why', () => {
    const text = formatPlanSummary(plan);
    expect(text).toContain('Plan run-1 for acme: 3 writes');
    expect(text).toMatch(/follow-ups to create: +1/);
    expect(text).toMatch(/cleared follow-ups to delete: 1/);
    expect(text).toMatch(/report-only rule: 2/);
    expect(text).toContain('warning: Activity type "fup" does not exist or is inactive in Pipedrive');
  });

  it('table has one line per write, truncated to the width', () => {
    const lines = formatPlanTable(plan, { width: 100 }).split('\n');
    expect(lines[0]).toMatch(/^org +action +rule +due \/ target +what$/);
    expect(lines[2]).toMatch(/^1 +create follow-up +strategic +2026-03-13 → user 11 +Strategic follow-up/);
    expect(lines[3]).toMatch(/^2 +delete +activity #80 +rule strategic is on track again$/);
    expect(lines[4]).toMatch(/Cadence status: ∅ → Overdue; Health sc.*…$/);
    expect(formatPlanTable(plan, { width: 200 })).toContain('Cadence status: ∅ → Overdue; Health score: 80 → 65');
    expect(lines).toHaveLength(5); // header, rule, three writes: the summary is formatPlanSummary's job
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(100);
  });

  it('an empty plan says so', () => {
    expect(formatPlanTable({ ...plan, writes: [], skipped: [], warnings: [] })).toContain('(nothing to write)');
  });
});
