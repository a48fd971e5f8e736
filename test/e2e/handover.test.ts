/**
 * Changes between nights against the sandbox (docs/policy.md §10.5), real SDK over HTTP and a SQLite state
 * store: the owner of a client changes and its champion moves to another client; the night after that is
 * missed; the next night creates one handover activity for the new owner carrying the client's history and
 * flags a stakeholder change; the nights after create nothing more and detect nothing new.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_STORY, DEMO_USERS } from '../../sandbox/generator.js';
import type { Sandbox } from '../../sandbox/server.js';
import { parsePolicy } from '../../src/config/load-config.js';
import { extractCadenceKey } from '../../src/domain/provenance.js';
import { startDemoWorld, type DemoWorld } from './support/demo-world.js';
import { runPipeline, type PipelineOutcome } from './support/pipeline.js';

const logger = pino({ level: 'silent' });
const policy = parsePolicy(readFileSync('config/policy.yaml', 'utf8'), 'config/policy.yaml');
const T0 = new Date('2026-03-12T15:00:00Z');
const DAY = 86_400_000;
const ORG = DEMO_STORY.handover!.orgId;
const OTHER = DEMO_STORY.onCadence!.orgId;

let sb: Sandbox;
let world: DemoWorld;
let clock: Date;
let dir: string;
let runs = 0;

beforeEach(async () => {
  clock = T0;
  world = await startDemoWorld({ at: T0, now: () => clock, prefix: 'cadence-handover-', logger, setupPolicy: policy });
  ({ sb, dir } = world);
});
afterEach(async () => {
  await world.close();
});

function night(daysAfterT0: number): Promise<PipelineOutcome> {
  runs += 1;
  clock = new Date(T0.getTime() + daysAfterT0 * DAY);
  return runPipeline({ baseUrl: sb.url, token: sb.token, stateUrl: `sqlite://${join(dir, 'state.sqlite')}`, companyId: 'demo-firm', now: clock, policy, logger, runId: `run-${runs}`, apply: true });
}

const handoverActivities = () =>
  sb.state.list('activity', { includeDeleted: true }).filter((a) => a.org_id === ORG && extractCadenceKey(a.note as string | null)?.startsWith('ho:'));

describe('changes between nights', () => {
  it('a handover and a stakeholder change are each acted on once, even when the night after the change is missed', async () => {
    const first = await night(0);
    expect(first.result.organizations.find((o) => o.orgId === ORG)!.handover).toBeUndefined();

    // During the next day: Fernanda hands the client to Marcos, and the champion moves to another client.
    clock = new Date(T0.getTime() + 0.5 * DAY);
    sb.state.upsert('organization', { id: ORG, owner_id: DEMO_USERS.marcos.id });
    const champion = sb.state.list('person').find((p) => p.org_id === ORG && p.name === 'Regina Tapajós')!;
    sb.state.upsert('person', { id: champion.id as number, org_id: OTHER });

    // The night of day 1 does not run; day 2 sees the change.
    const seen = await night(2);
    const client = seen.result.organizations.find((o) => o.orgId === ORG)!;
    expect(client.handover).toMatchObject({ fromOwnerId: DEMO_USERS.fernanda.id, toOwnerId: DEMO_USERS.marcos.id, since: '2026-03-12', day: '2026-03-14' });
    expect(client.risks.filter((r) => r.kind === 'stakeholder_change').map((r) => r.textKey)).toEqual(['stakeholder_moved']);
    const created = handoverActivities();
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ owner_id: DEMO_USERS.marcos.id, type: 'task' });
    const note = created[0]!.note as string;
    expect(note).toContain('Fernanda Lima');
    expect(note).toContain('Treinamento de operação portuária'); // the open deal
    expect(note).toContain('Sílvio Amazonas — Decision maker');
    expect(note).toContain('FUP mensal');

    // The nights after: nothing new is detected and nothing is created again.
    for (const day of [3, 4]) {
      const after = await night(day);
      expect(after.plan.writes.filter((w) => w.kind === 'create_activity' && w.purpose === 'handover')).toEqual([]);
      // The risk stays for its window (stakeholderChanges.riskDays) but is the same one change.
      expect(after.result.organizations.find((o) => o.orgId === ORG)!.risks.filter((r) => r.kind === 'stakeholder_change')).toHaveLength(1);
    }
    expect(handoverActivities()).toHaveLength(1);
  }, 60_000);
});
