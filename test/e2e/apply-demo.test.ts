/**
 * Write-back end to end against the sandbox: real SDK over real HTTP, the real SQLite state store, the
 * whole sync → rules → plan → apply pipeline. The sandbox clock is fixed (or moved by the test), so every
 * date below follows from the demo story.
 */
import { readFileSync } from 'node:fs';
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
import { FAST_LIMITS, startDemoWorld, type DemoWorld } from './support/demo-world.js';
import { makeClient, runPipeline, type PipelineOutcome } from './support/pipeline.js';
import { contractRecorder } from '../contract/recorder.js';

const logger = pino({ level: 'silent' });
const basePolicy = parsePolicy(readFileSync('config/policy.yaml', 'utf8'), 'config/policy.yaml');
const T0 = new Date('2026-03-12T15:00:00Z'); // a Thursday; "today" in São Paulo is 2026-03-12
const org = (role: keyof typeof DEMO_STORY) => DEMO_STORY[role]!.orgId;
const U = DEMO_USERS;

// Every request the worker sends and every answer the sandbox gives, checked against Pipedrive's OpenAPI files.
const contract = contractRecorder();
let sb: Sandbox;
let world: DemoWorld;
let clock: Date;
let dir: string;
let runs = 0;

beforeEach(async () => {
  clock = T0;
  world = await startDemoWorld({ at: T0, now: () => clock, prefix: 'cadence-apply-', logger, setupPolicy: basePolicy, sandbox: { onExchange: contract.onExchange } });
  ({ sb, dir } = world);
  sb.clearWrites();
});
afterEach(async () => {
  await world.close();
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
        // One activity per client per night, named by its most senior gap; the key lists every rule it carries.
        // keyAccountSquad: Tier 3 through the squad deal won 60 days ago: a new client whose FUP 20 days ago
        // established its cadence (onboarding on track); no QBR nor annual planning in its first period (§10.4)
        // explicitTier3Overdue: three gaps (a FUP 75 days ago on a 30-day cadence, no QBR, no planning since its
        // first won deal 500 days ago) → one activity
        `${org('explicitTier3Overdue')} fu annual-planning.qbr.strategic meeting owner=${U.marcos.id}`,
        // renewalDue: contract ends in 120 days (renewal planning is on for every tier, Tier 2 included)
        `${org('renewalDue')} rn - task owner=${U.fernanda.id}`,
        // neverTouched, overdue, dueSoon, deactivatedOwner (Tier 2) and noOwner (Tier 1): gaps flagged and
        // reported, no activity ("Demais clientes as reuniões serão sob necessidade")
        // Tier 3 clients by revenue whose annual planning never happened and whose contacts are no FUP (§10.3)
        `${org('outreachCollision')} fu annual-planning.strategic meeting owner=${U.ricardo.id}`,
        `${org('fallingEngagement')} fu strategic meeting owner=${U.juliana.id}`,
        `${org('keyPersonDependency')} fu annual-planning.strategic meeting owner=${U.marcos.id}`,
        `${org('foreignCurrency')} fu annual-planning.qbr.strategic.maintenance meeting owner=${U.juliana.id}`,
        // accountCareGaps (docs/policy.md §10.5): Tier 4 whose account plan was reviewed 150 days ago
        `${org('accountCareGaps')} ap - task owner=${U.ricardo.id}`,
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

  it('links org, most relevant open deal and main contact; due after the rule\'s lead time; subject, note and provenance in pt-BR', async () => {
    const out = await run();
    const a = live().find((x) => x.orgId === org('explicitTier4') && x.key.startsWith('fu:'))!;
    expect(a.key).toBe(`fu:${org('explicitTier4')}:strategic:2026-03-05`);
    expect(a.dueDate).toBe('2026-03-13'); // the FUP: the next business day
    expect(a.subject).toBe('FUP estratégico — Petroquímica Baía de Todos: agendar (21 dias sem contato estratégico)');
    expect(a.personId).not.toBeNull();
    expect(sb.state.get('person', a.personId!)!.name).toBe('Augusto Magalhães'); // the decision maker
    expect(a.note).toContain('Último contato (estratégico): 19 de fev. de 2026, há 21 dias. Cadência do Tier 4: a cada 14 dias.');
    expect(a.note).toContain('Esta atividade é a própria reunião: mova-a para a data combinada com o cliente.');
    expect(a.note).toContain('<li>Revisar entregas e status do projeto desde o último contato</li>');
    expect(a.note).toMatch(/Criada por pipedrive-cadence · FUP estratégico · execução run-\d+/);
    expect(a.note).toContain(`cadence-key:fu:${org('explicitTier4')}:strategic:2026-03-05`);

    // Three gaps of one Tier 3 client: one activity, the most senior rule in the subject, every gap in the note,
    // 20 business days to prepare the planning, and the planning's agenda.
    const three = live().find((x) => x.orgId === org('explicitTier3Overdue'))!;
    expect(three.subject).toBe('Planejamento estratégico anual — Cooperativa Agro Cerrado: agendar (nenhum contato executivo registrado) + 2 outras pendências');
    expect(three.dueDate).toBe('2026-04-09');
    expect(three.note).toContain('<li>Planejamento estratégico anual: Nenhum contato executivo registrado.');
    expect(three.note).toContain('<li>Revisão trimestral de negócios (QBR): Nenhum contato executivo registrado.');
    expect(three.note).toMatch(/<li>FUP estratégico: Atrasado — Último contato \(estratégico\): \d{1,2} de [a-z]{3}\. de 2025, há 75 dias\./);
    expect(three.note).toContain('(último contato de qualquer tipo: ');
    expect(three.note).toContain('<b>Roteiro do planejamento estratégico anual</b>');

    // A Tier 2 client with a gap: flagged and reported, no activity.
    expect(live().filter((x) => x.orgId === org('overdue'))).toEqual([]);
    expect(out.plan.skipped).toContainEqual(expect.objectContaining({ orgId: org('overdue'), ruleId: 'strategic', code: 'not_strategic' }));
    expect(flagsOf(org('overdue'))).toMatchObject({ 'Cadence status': 'Atrasado' });

    const squad = live().find((x) => x.orgId === org('anchorByRevenue'));
    expect(squad).toBeUndefined(); // on cadence in every create rule
    const fin = live().find((x) => x.orgId === org('foreignCurrency') && x.key.includes('qbr'))!;
    expect(sb.state.get('deal', fin.dealId!)!.title).toBe('EU compliance consulting'); // its only open deal
  });

  it("writes the client's open risks into the note in pt-BR, naming people, never the rules' English detail", async () => {
    await run();
    const note = (role: keyof typeof DEMO_STORY) => live().find((x) => x.orgId === org(role) && x.key.startsWith('fu:'))!.note;
    const risksLine = (text: string) => /<p>Riscos em aberto: (.*)\.<\/p>/.exec(text)?.[1] ?? '';
    const keyPerson = risksLine(note('keyPersonDependency'));
    expect(keyPerson).toMatch(/Contatos nos últimos 90 dias: \d+, todos só com [A-ZÀ-Ú][a-zà-ú]+ [A-ZÀ-Ú]/);
    const collision = risksLine(note('outreachCollision'));
    expect(collision).toMatch(/\d+ usuários \([^)#]+\) contataram o cliente na semana de \d{1,2} de [a-z]{3}\. de \d{4}/);
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
    sb.state.deactivateUser(U.marcos.id);
    await run();
    const marcosOrgs = [org('explicitTier3Overdue'), org('keyPersonDependency')];
    const theirs = live().filter((a) => marcosOrgs.includes(a.orgId));
    expect(theirs.length).toBe(2);
    for (const a of theirs) expect(a.ownerId).toBe(U.head.id);
    expect(live().find((a) => a.orgId === org('explicitTier4'))!.ownerId).toBe(U.ricardo.id); // others unchanged
  });
});

describe('demo company, later runs', () => {
  it('marking a follow-up done turns the flag back to on track on the next run, and creates nothing new', async () => {
    await run();
    // The one activity of a client with three gaps: done, it counts for every rule it carried.
    const fu = live().find((a) => a.orgId === org('explicitTier3Overdue') && a.key.startsWith('fu:'))!;
    sb.state.markActivityDone(fu.id);
    sb.clearWrites();
    const next = await run();
    const statuses = next.result.organizations.find((o) => o.orgId === org('explicitTier3Overdue'))!.cadence.filter((c) => c.applies);
    expect(Object.fromEntries(statuses.map((c) => [c.ruleId, c.status]))).toMatchObject({ strategic: 'on_track', qbr: 'on_track', 'annual-planning': 'on_track' });
    expect(flagsOf(org('explicitTier3Overdue'))).toMatchObject({ 'Cadence status': 'Em dia', 'Last touchpoint': '2026-03-12' });
    expect(nonGetWrites()).toEqual([`PATCH /api/v2/organizations/${org('explicitTier3Overdue')}`]);
    expect(next.apply!.counts).toMatchObject({ created: 0, updated: 1 });
  });

  it('a gap cleared by someone else deletes the untouched follow-up (followUp.whenCleared: delete)', async () => {
    await run();
    const fu = live().find((a) => a.orgId === org('explicitTier4') && a.key.startsWith('fu:'))!;
    // A colleague meets the client today (a done strategic touchpoint the worker did not create: a FUP, §10.3).
    sb.state.upsert('activity', { subject: 'FUP — visita ao cliente', type: 'meeting', org_id: org('explicitTier4'), owner_id: U.ricardo.id, done: true, due_date: '2026-03-12' });
    sb.clearWrites();
    const next = await run();
    expect(autoActivities().find((a) => a.id === fu.id)!.deleted).toBe(true);
    expect(nonGetWrites()).toEqual([`PATCH /api/v2/organizations/${org('explicitTier4')}`, `DELETE /api/v2/activities/${fu.id}`]);
    expect(next.apply!.counts).toMatchObject({ deleted: 1, created: 0 });
    expect(flagsOf(org('explicitTier4'))['Cadence status']).toBe('Em dia');
  });

  it('followUp.whenCleared: leave keeps it', async () => {
    const leave: Policy = { ...basePolicy, followUp: { ...basePolicy.followUp, whenCleared: 'leave' } };
    await run(leave);
    const fu = live().find((a) => a.orgId === org('explicitTier4') && a.key.startsWith('fu:'))!;
    sb.state.upsert('activity', { subject: 'FUP — visita ao cliente', type: 'meeting', org_id: org('explicitTier4'), owner_id: U.ricardo.id, done: true, due_date: '2026-03-12' });
    const next = await run(leave);
    expect(autoActivities().find((a) => a.id === fu.id)!.deleted).toBe(false);
    expect(next.plan.skipped).toContainEqual(expect.objectContaining({ orgId: org('explicitTier4'), code: 'cleared_left' }));
  });

  it('escalates each follow-up still open 7 days after its due date, once, to the escalation user', async () => {
    await run();
    const followUps = live().filter((a) => a.key.startsWith('fu:'));
    // One follow-up gets done in time; the rest stay open past 2026-03-13 + 7 days.
    const worked = followUps.find((a) => a.orgId === org('fallingEngagement'))!;
    sb.state.markActivityDone(worked.id);
    // A planning is due 20 business days ahead (2026-04-09); a FUP the next business day (2026-03-13).
    clock = new Date('2026-04-16T15:00:00Z');
    await run();
    const escalations = live().filter((a) => a.key.startsWith('esc:'));
    const late = followUps.filter((f) => f.id !== worked.id && f.dueDate <= '2026-04-09');
    expect(late.map((f) => f.orgId)).toContain(org('explicitTier3Overdue'));
    expect(late.map((f) => f.orgId)).toContain(org('explicitTier4'));
    expect(escalations.map((e) => e.key).sort()).toEqual(late.map((f) => `esc:${f.key}`).sort());
    for (const e of escalations) {
      expect(e).toMatchObject({ ownerId: U.head.id, type: 'task', dueDate: '2026-04-17' });
      expect(e.subject).toMatch(/^Escalonamento — .+: lembrete ".+" pendente há \d+ dias$/);
      expect(e.note).toMatch(/Criada por pipedrive-cadence · Escalonamento de (FUP estratégico|Planejamento estratégico anual|Revisão trimestral de negócios \(QBR\)|Contato de manutenção|Estabelecer a cadência de comunicação) · execução/);
    }
    sb.clearWrites();
    const third = await run();
    expect(third.plan.writes.filter((w) => w.kind === 'create_activity' && w.purpose === 'escalation')).toEqual([]);
    expect(nonGetWrites().filter((w) => w.startsWith('POST'))).toEqual([]);
  });

  it('en policy: subjects and flag options in English', async () => {
    const en: Policy = { ...basePolicy, locale: 'en' };
    // Flag fields are created in the policy's language: start from a company without them.
    const fresh = await startSandbox({ dataset: generateDataset({ seed: 1, now: T0, scale: 'demo' }), now: () => T0, rateLimit: FAST_LIMITS });
    try {
      await runSetup({ client: makeClient(fresh.url, fresh.token, logger), policy: en, logger });
      const out = await runPipeline({ baseUrl: fresh.url, token: fresh.token, stateUrl: 'memory://', companyId: 'en', now: T0, policy: en, logger, runId: 'en-1', apply: true });
      const subjects = out.plan.writes.flatMap((w) => (w.kind === 'create_activity' ? [w.activity.subject] : []));
      expect(subjects).toContain('Strategic follow-up — Petroquímica Baía de Todos: schedule (21 days without a strategic touchpoint)');
      expect(subjects).toContain('Annual strategic planning — Cooperativa Agro Cerrado: schedule (no executive touchpoint on record) + 2 other gaps');
      expect(subjects).toContain('Plan renewal — Hospital São Lucas Paulista: contract ends Jul 10, 2026 (in 120 days)');
      const status = fresh.state.fieldByName('organization', 'Cadence status')!;
      const cf = fresh.state.get('organization', org('overdue'))!.custom_fields as Record<string, unknown>;
      expect(status.options!.find((o) => o.id === cf[status.key])!.label).toBe('Overdue');
    } finally {
      await fresh.close();
    }
  });
});
