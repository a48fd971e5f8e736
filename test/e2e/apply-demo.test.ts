/**
 * Write-back end to end against the sandbox: real SDK over real HTTP, the real SQLite state store, the
 * whole sync → rules → plan → apply pipeline. The sandbox clock is fixed (or moved by the test), so every
 * date below follows from the demo story.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_STORY, DEMO_USERS, generateDataset } from '../../sandbox/generator.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { parsePolicy } from '../../src/config/load-config.js';
import type { Policy } from '../../src/config/policy-schema.js';
import { extractCadenceKey } from '../../src/domain/provenance.js';
import { desiredFlagValues, resolveFlagFields, shapeFlagValue, FLAG_NAMES } from '../../src/plan/flag-fields.js';
import { runSetup } from '../../src/setup/run-setup.js';
import { makeClient, runPipeline, type PipelineOutcome } from './support/pipeline.js';
import { contractRecorder } from '../contract/recorder.js';

const logger = pino({ level: 'silent' });
const basePolicy = parsePolicy(readFileSync('config/policy.yaml', 'utf8'), 'config/policy.yaml');
const T0 = new Date('2026-03-12T15:00:00Z'); // a Thursday; "today" in São Paulo is 2026-03-12
const org = (role: keyof typeof DEMO_STORY) => DEMO_STORY[role]!.orgId;
const U = DEMO_USERS;
const FAST = { burstLimit: 10_000, dailyTokenBudget: 10_000_000 };

// Every request the worker sends and every answer the sandbox gives, checked against Pipedrive's OpenAPI files.
const contract = contractRecorder();
let sb: Sandbox;
let clock: Date;
let dir: string;
let runs = 0;

beforeEach(async () => {
  clock = T0;
  // A generous burst limit: these tests are about what is written, not about pacing.
  sb = await startSandbox({ dataset: generateDataset({ seed: 1, now: T0, scale: 'demo' }), now: () => clock, rateLimit: FAST, onExchange: contract.onExchange });
  dir = mkdtempSync(join(tmpdir(), 'cadence-apply-'));
  await runSetup({ client: makeClient(sb.url, sb.token, logger), policy: basePolicy, logger });
  sb.clearWrites();
});
afterEach(async () => {
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
  contract.expectClean();
});

function run(policy: Policy = basePolicy): Promise<PipelineOutcome> {
  runs += 1;
  return runPipeline({ baseUrl: sb.url, token: sb.token, stateUrl: `sqlite://${join(dir, 'state.sqlite')}`, companyId: 'demo-firm', now: clock, policy, logger, runId: `run-${runs}`, apply: true });
}

interface AutoActivity {
  id: number;
  key: string;
  orgId: number;
  ownerId: number;
  type: string;
  subject: string;
  dueDate: string;
  dealId: number | null;
  personId: number | null;
  done: boolean;
  deleted: boolean;
  note: string;
}

/** Every activity in the sandbox that carries a provenance key (deleted ones included). */
function autoActivities(): AutoActivity[] {
  return sb.state
    .list('activity', { includeDeleted: true })
    .map((a) => ({ a, key: extractCadenceKey(a.note as string | null) }))
    .filter((x): x is { a: Record<string, unknown>; key: string } => x.key !== null)
    .map(({ a, key }) => ({
      id: a.id as number,
      key,
      orgId: a.org_id as number,
      ownerId: a.owner_id as number,
      type: a.type as string,
      subject: a.subject as string,
      dueDate: a.due_date as string,
      dealId: a.deal_id as number | null,
      personId: a.person_id as number | null,
      done: a.done as boolean,
      deleted: a.is_deleted as boolean,
      note: a.note as string,
    }));
}
const live = () => autoActivities().filter((a) => !a.deleted);

/** Flag values as the sandbox holds them, by flag field name, enum ids turned into labels. */
function flagsOf(orgId: number, policy: Policy = basePolicy): Record<string, unknown> {
  const cf = sb.state.get('organization', orgId)!.custom_fields as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const flag of FLAG_NAMES) {
    const def = sb.state.fieldByName('organization', policy.flags[flag].name)!;
    const v = cf[def.key] ?? null;
    out[def.name] = def.options && typeof v === 'number' ? def.options.find((o) => o.id === v)!.label : v;
  }
  return out;
}

const nonGetWrites = () => sb.writes().filter((w) => w.method !== 'GET').map((w) => `${w.method} ${w.path}`);

describe('demo company, first apply', () => {
  it('gets exactly the expected follow-ups, renewals and owners for the story clients', async () => {
    const out = await run();
    const acts = live();
    const tuple = (a: AutoActivity) => {
      const k = a.key.split(':');
      return `${a.orgId} ${k[0]} ${k[0] === 'fu' ? k[2] : '-'} ${a.type} owner=${a.ownerId}`;
    };
    const storyIds = new Set(Object.values(DEMO_STORY).map((s) => s.orgId));
    expect(acts.filter((a) => storyIds.has(a.orgId)).map(tuple).sort()).toEqual(
      [
        // keyAccountSquad: Tier 3 through the squad deal, never had a QBR nor an annual planning
        `${org('keyAccountSquad')} fu qbr meeting owner=${U.juliana.id}`,
        `${org('keyAccountSquad')} fu annual-planning meeting owner=${U.juliana.id}`,
        // explicitTier3Overdue: strategic 75 days ago (30-day cadence), no executive touchpoint ever
        `${org('explicitTier3Overdue')} fu strategic meeting owner=${U.marcos.id}`,
        `${org('explicitTier3Overdue')} fu qbr meeting owner=${U.marcos.id}`,
        `${org('explicitTier3Overdue')} fu annual-planning meeting owner=${U.marcos.id}`,
        // renewalDue: contract ends in 120 days
        `${org('renewalDue')} rn - task owner=${U.fernanda.id}`,
        // neverTouched: Tier 2, no activity at all
        `${org('neverTouched')} fu strategic meeting owner=${U.fernanda.id}`,
        `${org('neverTouched')} fu maintenance call owner=${U.fernanda.id}`,
        // overdue: strategic 150 days ago (90-day cadence)
        `${org('overdue')} fu strategic meeting owner=${U.marcos.id}`,
        // dueSoon: strategic due in 4 days
        `${org('dueSoon')} fu strategic meeting owner=${U.ricardo.id}`,
        // noOwner and deactivatedOwner: the fallback user (head of accounts)
        `${org('noOwner')} fu maintenance call owner=${U.head.id}`,
        `${org('deactivatedOwner')} fu strategic meeting owner=${U.head.id}`,
        // Tier 3 clients by revenue whose annual planning never happened
        `${org('outreachCollision')} fu annual-planning meeting owner=${U.ricardo.id}`,
        `${org('fallingEngagement')} fu annual-planning meeting owner=${U.juliana.id}`,
        `${org('keyPersonDependency')} fu annual-planning meeting owner=${U.marcos.id}`,
        `${org('foreignCurrency')} fu qbr meeting owner=${U.juliana.id}`,
        // accountCareGaps (docs/policy.md §10.5): Tier 4 whose account plan was reviewed 150 days ago
        `${org('accountCareGaps')} ap - task owner=${U.ricardo.id}`,
        `${org('foreignCurrency')} fu annual-planning meeting owner=${U.juliana.id}`,
        // explicitTier4: 14-day strategic cadence missed (21 days)
        `${org('explicitTier4')} fu strategic meeting owner=${U.ricardo.id}`,
      ].sort(),
    );
    // Every created activity is one of the plan, once; nothing else was created.
    const planned = out.plan.writes.filter((w) => w.kind === 'create_activity').map((w) => w.key).sort();
    expect(acts.map((a) => a.key).sort()).toEqual(planned);
    expect(out.apply!.counts).toMatchObject({ created: planned.length, failed: 0, not_attempted: 0 });
    expect(nonGetWrites().filter((w) => w.startsWith('POST /api/v2/activities'))).toHaveLength(planned.length);
    expect(nonGetWrites().filter((w) => w.startsWith('DELETE'))).toEqual([]);
  });

  it('links org, most relevant open deal and main contact; due next business day; subject, note and provenance in pt-BR', async () => {
    await run();
    const a = live().find((x) => x.orgId === org('overdue') && x.key.startsWith('fu:'))!;
    expect(a.key).toBe(`fu:${org('overdue')}:strategic:2026-01-11`);
    expect(a.dueDate).toBe('2026-03-13');
    expect(a.subject).toBe('FUP estratégico (Tier 2) — Logística Rápida Transportes: 150 dias desde o último contato');
    expect(a.personId).not.toBeNull();
    expect(sb.state.get('person', a.personId!)!.name).toBe('Vânia Carvalho'); // the decision maker
    expect(a.note).toContain('Último contato (estratégico): 13/10/2025, há 150 dias. Cadência do Tier 2: a cada 90 dias.');
    expect(a.note).toContain('<li>Revisar entregas e status do projeto desde o último contato</li>');
    expect(a.note).toMatch(/Criada por pipedrive-cadence · regra strategic · execução run-\d+ · chave fu:6:strategic:2026-01-11/);
    expect(a.note).toContain('cadence-key:fu:6:strategic:2026-01-11');

    const squad = live().find((x) => x.orgId === org('anchorByRevenue'));
    expect(squad).toBeUndefined(); // on cadence in every create rule
    const fin = live().find((x) => x.orgId === org('foreignCurrency') && x.key.includes(':qbr:'))!;
    expect(sb.state.get('deal', fin.dealId!)!.title).toBe('EU compliance consulting'); // its only open deal
  });

  it("writes the client's open risks into the note in pt-BR, naming people, never the rules' English detail", async () => {
    await run();
    const note = (role: keyof typeof DEMO_STORY) => live().find((x) => x.orgId === org(role) && x.key.startsWith('fu:'))!.note;
    const risksLine = (text: string) => /<p>Riscos em aberto: (.*)\.<\/p>/.exec(text)?.[1] ?? '';
    const keyPerson = risksLine(note('keyPersonDependency'));
    expect(keyPerson).toMatch(/Contatos nos últimos 90 dias: \d+, todos só com [A-ZÀ-Ú][a-zà-ú]+ [A-ZÀ-Ú]/);
    const collision = risksLine(note('outreachCollision'));
    expect(collision).toMatch(/\d+ usuários \([^)#]+\) contataram o cliente na semana de \d{2}\/\d{2}\/\d{4}/);
    for (const line of [keyPerson, collision]) {
      expect(line).not.toMatch(/#\d/);
      expect(line).not.toMatch(/touchpoint|reached only|touched the client|decision maker|relationship strength/i);
    }
  });

  it('writes the expected flag values on every client', async () => {
    const out = await run();
    expect(flagsOf(org('neverTouched'))).toMatchObject({ 'Cadence status': 'Sem contato', 'Last touchpoint': null, 'Engagement (4 weeks)': 0 });
    expect(flagsOf(org('overdue'))).toMatchObject({ 'Cadence status': 'Atrasado', 'Last touchpoint': '2025-10-13', 'Next touchpoint due': '2026-01-11' });
    expect(flagsOf(org('dueSoon'))).toMatchObject({ 'Cadence status': 'Vence em breve', 'Next touchpoint due': '2026-03-16' });
    expect(flagsOf(org('renewalDue'))).toMatchObject({ 'Cadence status': 'Em dia' });
    expect(flagsOf(org('explicitTier4'))).toMatchObject({ 'Cadence status': 'Atrasado' });
    expect(flagsOf(org('risingEngagement'))).toMatchObject({ 'Engagement trend': 'Em alta', 'Engagement (4 weeks)': 5 });
    expect(flagsOf(org('fallingEngagement'))).toMatchObject({ 'Engagement trend': 'Em queda', 'Engagement (4 weeks)': 1 });
    expect(flagsOf(org('missingSegment'))).toMatchObject({ 'Data quality': 'Incompleto' });
    expect(flagsOf(org('missingSegment'))['Data quality issues']).toBeGreaterThanOrEqual(1);
    // Every client holds exactly the values the rules computed for it.
    const fields = resolveFlagFields(basePolicy, out.snapshot.fields).fields;
    for (const a of out.result.organizations) {
      const cf = sb.state.get('organization', a.orgId)!.custom_fields as Record<string, unknown>;
      const desired = desiredFlagValues(basePolicy, a);
      for (const flag of FLAG_NAMES) {
        const shaped = shapeFlagValue(fields[flag]!, desired[flag]);
        expect(shaped.ok && (cf[fields[flag]!.key] ?? null), `${a.orgId} ${flag}`).toEqual(shaped.ok && shaped.value);
      }
    }
    expect(nonGetWrites().filter((w) => w.startsWith('PATCH /api/v2/organizations'))).toHaveLength(out.result.organizations.length);
  });

  it('a second run creates nothing and updates nothing', async () => {
    await run();
    sb.clearWrites();
    const second = await run();
    expect(second.plan.writes).toEqual([]);
    expect(nonGetWrites()).toEqual([]);
  });

  it('an org whose owner was deactivated gets its follow-ups assigned to the fallback user', async () => {
    sb.state.deactivateUser(U.fernanda.id);
    await run();
    const fernandasOrgs = [org('renewalDue'), org('neverTouched')];
    const theirs = live().filter((a) => fernandasOrgs.includes(a.orgId));
    expect(theirs.length).toBe(3);
    for (const a of theirs) expect(a.ownerId).toBe(U.head.id);
    expect(live().find((a) => a.orgId === org('overdue'))!.ownerId).toBe(U.marcos.id); // others unchanged
  });
});

describe('demo company, later runs', () => {
  it('marking a follow-up done turns the flag back to on track on the next run, and creates nothing new', async () => {
    await run();
    const fu = live().find((a) => a.orgId === org('overdue') && a.key.startsWith('fu:'))!;
    sb.state.markActivityDone(fu.id);
    sb.clearWrites();
    const next = await run();
    expect(flagsOf(org('overdue'))).toMatchObject({ 'Cadence status': 'Em dia', 'Last touchpoint': '2026-03-12', 'Next touchpoint due': '2026-04-11' }); // maintenance (180 days) is next now
    expect(nonGetWrites()).toEqual([`PATCH /api/v2/organizations/${org('overdue')}`]);
    expect(next.apply!.counts).toMatchObject({ created: 0, updated: 1 });
  });

  it('a gap cleared by someone else deletes the untouched follow-up (followUp.whenCleared: delete)', async () => {
    await run();
    const fu = live().find((a) => a.orgId === org('overdue') && a.key.startsWith('fu:'))!;
    // A colleague meets the client today (a done strategic touchpoint the worker did not create).
    sb.state.upsert('activity', { subject: 'Visita ao cliente', type: 'meeting', org_id: org('overdue'), owner_id: U.marcos.id, done: true, due_date: '2026-03-12' });
    sb.clearWrites();
    const next = await run();
    expect(autoActivities().find((a) => a.id === fu.id)!.deleted).toBe(true);
    expect(nonGetWrites()).toEqual([`PATCH /api/v2/organizations/${org('overdue')}`, `DELETE /api/v2/activities/${fu.id}`]);
    expect(next.apply!.counts).toMatchObject({ deleted: 1, created: 0 });
    expect(flagsOf(org('overdue'))['Cadence status']).toBe('Em dia');
  });

  it('followUp.whenCleared: leave keeps it', async () => {
    const leave: Policy = { ...basePolicy, followUp: { ...basePolicy.followUp, whenCleared: 'leave' } };
    await run(leave);
    const fu = live().find((a) => a.orgId === org('overdue') && a.key.startsWith('fu:'))!;
    sb.state.upsert('activity', { subject: 'Visita ao cliente', type: 'meeting', org_id: org('overdue'), owner_id: U.marcos.id, done: true, due_date: '2026-03-12' });
    const next = await run(leave);
    expect(autoActivities().find((a) => a.id === fu.id)!.deleted).toBe(false);
    expect(next.plan.skipped).toContainEqual(expect.objectContaining({ orgId: org('overdue'), code: 'cleared_left' }));
  });

  it('escalates each follow-up still open 7 days after its due date, once, to the escalation user', async () => {
    await run();
    const followUps = live().filter((a) => a.key.startsWith('fu:'));
    // One follow-up gets done in time; the rest stay open past 2026-03-13 + 7 days.
    const worked = followUps.find((a) => a.orgId === org('dueSoon'))!;
    sb.state.markActivityDone(worked.id);
    clock = new Date('2026-03-20T15:00:00Z');
    await run();
    const escalations = live().filter((a) => a.key.startsWith('esc:'));
    expect(escalations.map((e) => e.key).sort()).toEqual(followUps.filter((f) => f.id !== worked.id).map((f) => `esc:${f.key}`).sort());
    for (const e of escalations) {
      expect(e).toMatchObject({ ownerId: U.head.id, type: 'task', dueDate: '2026-03-23' });
      expect(e.subject).toMatch(/^Escalonamento — .+: follow-up ".+" pendente há 7 dias$/);
    }
    sb.clearWrites();
    const third = await run();
    expect(third.plan.writes.filter((w) => w.kind === 'create_activity' && w.purpose === 'escalation')).toEqual([]);
    expect(nonGetWrites().filter((w) => w.startsWith('POST'))).toEqual([]);
  });

  it('en policy: subjects and flag options in English', async () => {
    const en: Policy = { ...basePolicy, locale: 'en' };
    // Flag fields are created in the policy's language: start from a company without them.
    const fresh = await startSandbox({ dataset: generateDataset({ seed: 1, now: T0, scale: 'demo' }), now: () => T0, rateLimit: FAST });
    try {
      await runSetup({ client: makeClient(fresh.url, fresh.token, logger), policy: en, logger });
      const out = await runPipeline({ baseUrl: fresh.url, token: fresh.token, stateUrl: 'memory://', companyId: 'en', now: T0, policy: en, logger, runId: 'en-1', apply: true });
      const subjects = out.plan.writes.flatMap((w) => (w.kind === 'create_activity' ? [w.activity.subject] : []));
      expect(subjects).toContain('Strategic follow-up (Tier 2) — Logística Rápida Transportes: 150 days since last touchpoint');
      expect(subjects).toContain('Plan renewal — Hospital São Lucas Paulista: contract ends Jul 10, 2026 (in 120 days)');
      const status = fresh.state.fieldByName('organization', 'Cadence status')!;
      const cf = fresh.state.get('organization', org('overdue'))!.custom_fields as Record<string, unknown>;
      expect(status.options!.find((o) => o.id === cf[status.key])!.label).toBe('Overdue');
    } finally {
      await fresh.close();
    }
  });
});
