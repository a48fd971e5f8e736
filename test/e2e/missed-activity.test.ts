/**
 * A missed activity (docs/policy.md §3): an open qualifying activity whose due date has passed no longer
 * holds a gap closed. Against the sandbox, real SDK over HTTP, the whole sync → rules → plan → apply
 * pipeline: the follow-up is created once, its note names the missed activity and its owner, the report
 * lists it by owner, and nothing is created twice once the missed activity is marked done.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_STORY } from '../../sandbox/generator.js';
import type { Sandbox } from '../../sandbox/server.js';
import { parsePolicy } from '../../src/config/load-config.js';
import type { Policy } from '../../src/config/policy-schema.js';
import { extractCadenceKey } from '../../src/domain/provenance.js';
import { buildJsonReport } from '../../src/report/build-json-report.js';
import { startDemoWorld, type DemoWorld } from './support/demo-world.js';
import { runPipeline, type PipelineOutcome } from './support/pipeline.js';

const logger = pino({ level: 'silent' });
const basePolicy = parsePolicy(readFileSync('config/policy.yaml', 'utf8'), 'config/policy.yaml');
const T0 = new Date('2026-03-12T15:00:00Z'); // Thursday; "today" in São Paulo is 2026-03-12
// A strategic client (Tier 4) with an overdue FUP: Tier 1–2 gaps are reported, not turned into activities.
const ORG = DEMO_STORY.explicitTier4!.orgId;

let sb: Sandbox;
let world: DemoWorld;
let clock: Date;
let dir: string;
let runs = 0;

beforeEach(async () => {
  clock = T0;
  world = await startDemoWorld({ at: T0, now: () => clock, prefix: 'cadence-missed-', logger, setupPolicy: basePolicy });
  ({ sb, dir } = world);
});
afterEach(async () => {
  await world.close();
});

function run(apply: boolean, policy: Policy = basePolicy): Promise<PipelineOutcome> {
  runs += 1;
  return runPipeline({ baseUrl: sb.url, token: sb.token, stateUrl: `sqlite://${join(dir, 'state.sqlite')}`, companyId: 'demo-firm', now: clock, policy, logger, runId: `run-${runs}`, apply });
}

const followUpsFor = (orgId: number, ruleId: string) =>
  sb.state
    .list('activity', { includeDeleted: true })
    .filter((a) => a.org_id === orgId && extractCadenceKey(a.note as string | null)?.startsWith(`fu:${orgId}:${ruleId}:`));

/** Puts an open activity of the rule's follow-up type on the client, due `dueDate`, owned by its owner. */
function scheduleCall(out: PipelineOutcome, ruleId: string, dueDate: string): { id: number; subject: string; ownerName: string } {
  const org = out.result.organizations.find((o) => o.orgId === ORG)!;
  const rule = basePolicy.cadenceRules[ruleId]!;
  // A subject that puts it in the rule's category (docs/policy.md §10.3: a FUP says so, a QBR too).
  const subject = `Call the client about the roadmap${rule.category === 'executive' ? ' (QBR)' : rule.category === 'strategic' ? ' (FUP)' : ''}`;
  const created = sb.state.upsert('activity', { subject, type: rule.followUpType, org_id: ORG, owner_id: org.ownerId, due_date: dueDate, done: false });
  return { id: created.id as number, subject, ownerName: out.snapshot.users.get(org.ownerId!)!.name };
}

describe('a missed activity reopens the gap', () => {
  it('one follow-up naming the missed activity and its owner; listed in the report; nothing more once it is marked done', async () => {
    const before = await run(false);
    const gap = before.result.organizations.find((o) => o.orgId === ORG)!.cadence.find((c) => c.applies && c.onGap === 'create' && (c.status === 'overdue' || c.status === 'never'))!;
    expect(gap, 'the demo story has an overdue client with a create rule').toBeDefined();

    // Someone scheduled the call for yesterday and never held it (nor cleaned the calendar).
    clock = new Date(T0.getTime() + 120_000);
    const missed = scheduleCall(before, gap.ruleId, '2026-03-11');
    const first = await run(true);
    const cr = first.result.organizations.find((o) => o.orgId === ORG)!.cadence.find((c) => c.ruleId === gap.ruleId)!;
    expect(cr.openScheduled).toBeNull();
    expect(cr.missed).toMatchObject({ activityId: missed.id, dueDate: '2026-03-11', subject: missed.subject });
    const created = followUpsFor(ORG, gap.ruleId);
    expect(created).toHaveLength(1);
    expect(created[0]!.note).toContain(`“${missed.subject}” (#${missed.id}) de ${missed.ownerName}, prevista para 11 de mar. de 2026, não foi concluída`);

    // The report lists it under its owner.
    const report = buildJsonReport({
      result: first.result, plan: first.plan, applied: first.apply, snapshot: first.snapshot, policy: basePolicy, runId: 'r', companyDomain: 'demo',
      run: { startedAt: T0.toISOString(), finishedAt: T0.toISOString(), durationMs: 0, recordsSynced: {}, requests: 0, retries: 0, rate429: 0, warnings: [], malformed: [], dryRun: false },
    });
    expect(report.cadence.missed).toContainEqual(expect.objectContaining({ orgId: ORG, activityId: missed.id, ownerName: missed.ownerName, ruleId: gap.ruleId }));

    const postsForOrg = () => sb.writes().filter((w) => w.method === 'POST' && w.path.includes('activities') && JSON.stringify(w.body ?? '').includes(`"org_id":${ORG}`));
    expect(postsForOrg().length).toBeGreaterThanOrEqual(1);

    // Next day the owner marks the missed call done after all: it becomes a touchpoint; nothing is created twice.
    clock = new Date(T0.getTime() + 86_400_000);
    sb.state.markActivityDone(missed.id);
    sb.clearWrites();
    const second = await run(true);
    expect(followUpsFor(ORG, gap.ruleId).filter((a) => !a.is_deleted).length).toBeLessThanOrEqual(1);
    expect(postsForOrg()).toEqual([]);
    expect(second.result.organizations.find((o) => o.orgId === ORG)!.cadence.find((c) => c.ruleId === gap.ruleId)!.missed ?? null).toBeNull();
  });

  it('an activity due today, or within the grace days, still counts as scheduled', async () => {
    const before = await run(false);
    const gap = before.result.organizations.find((o) => o.orgId === ORG)!.cadence.find((c) => c.applies && c.onGap === 'create' && c.status !== 'on_track')!;
    clock = new Date(T0.getTime() + 120_000);
    scheduleCall(before, gap.ruleId, '2026-03-10');
    const graced: Policy = { ...basePolicy, status: { ...basePolicy.status, missedGraceDays: 2 } };
    const out = await run(true, graced);
    const cr = out.result.organizations.find((o) => o.orgId === ORG)!.cadence.find((c) => c.ruleId === gap.ruleId)!;
    expect(cr.openScheduled).not.toBeNull();
    expect(cr.missed ?? null).toBeNull();
    expect(followUpsFor(ORG, gap.ruleId)).toEqual([]);
  });
});
