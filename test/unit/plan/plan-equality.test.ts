/**
 * The planner's whole output on a seeded mirror (the rules benchmark's generator at a small scale), pinned in
 * a file: the #18 speed-ups (parsed-template cache, formatted dates, per-plan helpers) must write the same
 * subjects, notes, keys, skips and warnings as before them. The pinned file was written by the planner
 * before those changes; a deliberate change of behaviour updates it (`npx vitest run -u` on this file).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { generateMirror } from '../../../bench/mirror-generator.js';
import { parsePolicy } from '../../../src/config/load-config.js';
import type { Activity } from '../../../src/domain/entities.js';
import type { Locale } from '../../../src/i18n/locales.js';
import { buildPlan } from '../../../src/plan/build-plan.js';
import { followUpKey } from '../../../src/plan/keys.js';
import { assessCompany } from '../../../src/rules/assess-company.js';
import { flagFieldDefs } from './fixtures.js';

const NOW = new Date('2026-03-10T15:00:00Z');

/** Tonight's plan, then the next night's after every overdue gap got an open follow-up due a month ago (escalations, cleared gaps). */
function twoNights(locale: Locale) {
  const policy = { ...parsePolicy(readFileSync('config/policy.yaml', 'utf8'), 'config/policy.yaml'), locale };
  const generated = generateMirror(20260310, 0.003, NOW);
  const snapshot = { ...generated, fields: [...generated.fields, ...flagFieldDefs(policy)] };
  const result = assessCompany(policy, snapshot, { now: NOW, timeZone: policy.timeZone });
  const plan = () => buildPlan({ policy, result, snapshot, runId: 'equality', companyId: snapshot.companyId, now: NOW, escalationUserId: 999, fallbackUserId: 999 });
  const first = plan();
  const activities = snapshot.activities as Map<number, Activity>;
  let id = 1_000_000;
  for (const org of result.organizations) {
    for (const cr of org.cadence) {
      if (cr.status !== 'overdue') continue;
      id += 1;
      activities.set(id, {
        id, subject: 'FUP', type: 'call', ownerId: org.assigneeId ?? 999, orgId: org.orgId, dealId: null, personId: null, participantPersonIds: [],
        done: false, dueDate: '2026-02-01', dueTime: null, markedAsDoneTime: null, addTime: '2026-02-01T12:00:00Z', updateTime: '2026-02-01T12:00:00Z',
        isDeleted: false, cadenceKey: followUpKey(org.orgId, cr.ruleId, cr.nextDueDate),
      });
    }
  }
  return { first, second: plan() };
}

describe('the planner on a seeded mirror', () => {
  it.each(['pt-BR', 'en'] as const)('%s: the same plans as before the speed-ups', async (locale) => {
    const { first, second } = twoNights(locale);
    // The fixture exercises every kind of write the planner makes.
    const kinds = new Set([...first.writes, ...second.writes].map((w) => (w.kind === 'create_activity' ? w.purpose : w.kind)));
    expect([...kinds].sort()).toEqual(['delete_activity', 'escalation', 'follow_up', 'renewal', 'update_org_flags']);
    // Flag writes are left out of the pinned file (their code did not change; 130 clients' flags would triple it).
    const lines = (plan: typeof first) => [
      ...plan.writes.filter((w) => w.kind !== 'update_org_flags').map((w) => JSON.stringify(w)),
      ...plan.skipped.map((s) => JSON.stringify(s)),
      ...plan.warnings.map((w) => JSON.stringify(w)),
    ];
    expect(first.writes.filter((w) => w.kind === 'update_org_flags').length).toBeGreaterThan(0);
    await expect(['# tonight', ...lines(first), '# the next night', ...lines(second), ''].join('\n')).toMatchFileSnapshot(`__snapshots__/plan-equality.${locale}.txt`);
  });
});
