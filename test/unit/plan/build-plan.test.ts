import { describe, expect, it } from 'vitest';
import type { Policy } from '../../../src/config/policy-schema.js';
import type { Activity, Deal, FieldDefinition } from '../../../src/domain/entities.js';
import { extractCadenceKey } from '../../../src/domain/provenance.js';
import { buildPlan, type BuildPlanInput } from '../../../src/plan/build-plan.js';
import type { CreateActivity, DeleteActivity, Plan, UpdateOrgFlags } from '../../../src/plan/types.js';
import { Plan as PlanSchema } from '../../../src/plan/types.js';
import type { OrgAssessment, Risk } from '../../../src/rules/types.js';
import {
  ESCALATION,
  FALLBACK,
  INACTIVE,
  NOW,
  OWNER,
  activity,
  assessment,
  cadence,
  fieldKey,
  loadPolicy,
  matchingFlags,
  optionId,
  org,
  rulesResult,
  snapshot,
} from './fixtures.js';

interface Opts {
  policy?: Policy;
  activities?: Activity[];
  runId?: string;
  today?: string;
  escalationUserId?: number | null;
  fallbackUserId?: number | null;
  /** Current org custom fields; default: flags already match the assessment. */
  current?: Record<number, Record<string, unknown>>;
  fields?: FieldDefinition[];
  deals?: Deal[];
}

function plan(orgs: OrgAssessment[], o: Opts = {}): Plan {
  const policy = o.policy ?? loadPolicy();
  const input: BuildPlanInput = {
    policy,
    result: rulesResult(orgs, o.today),
    snapshot: snapshot(policy, {
      orgs: orgs.map((a) => org(a.orgId, o.current?.[a.orgId] ?? matchingFlags(policy, a))),
      activities: o.activities ?? [],
      ...(o.fields ? { fields: o.fields } : {}),
      ...(o.deals ? { deals: o.deals } : {}),
    }),
    runId: o.runId ?? 'run-1',
    companyId: 'acme',
    now: NOW,
    escalationUserId: o.escalationUserId === undefined ? ESCALATION : o.escalationUserId,
    fallbackUserId: o.fallbackUserId === undefined ? FALLBACK : o.fallbackUserId,
  };
  const out = buildPlan(input);
  PlanSchema.parse(out); // the plan honours its own contract
  return out;
}

const creates = (p: Plan): CreateActivity[] => p.writes.filter((w): w is CreateActivity => w.kind === 'create_activity');
const deletes = (p: Plan): DeleteActivity[] => p.writes.filter((w): w is DeleteActivity => w.kind === 'delete_activity');
const flagWrites = (p: Plan): UpdateOrgFlags[] => p.writes.filter((w): w is UpdateOrgFlags => w.kind === 'update_org_flags');

describe('follow-ups for cadence gaps', () => {
  it.each([
    { status: 'overdue' as const, create: true },
    { status: 'due_soon' as const, create: true },
    { status: 'never' as const, create: true },
    { status: 'on_track' as const, create: false },
  ])('a create rule that is $status → follow-up: $create', ({ status }) => {
    const cr = status === 'never' ? cadence({ ruleId: 'strategic', status, lastTouchpoint: null, nextDueDate: null, gapDays: null, daysSinceLast: null }) : cadence({ ruleId: 'strategic', status });
    const p = plan([assessment({ orgId: 1, cadence: [cr] })]);
    expect(creates(p)).toHaveLength(status === 'on_track' ? 0 : 1);
    expect(p.skipped).toEqual([]);
  });

  it('links owner, org, most relevant open deal, main contact, type and next business day; the note carries facts, checklist and provenance', () => {
    const p = plan([
      assessment({
        orgId: 7,
        name: 'Acme <Brasil> & Cia',
        cadence: [cadence({ ruleId: 'strategic' })],
        risks: [
          { kind: 'key_person_dependency', detail: '3 touchpoint(s) in 90 days reached only person #9', evidence: {}, params: { person: 'Ana <one>', touchpoints: 3, days: 90 } },
          { kind: 'renewal_due', detail: 'contract ends 2026-06-30, in 110 days (window 180)', evidence: {}, params: { contractEndDate: '2026-06-30', days: 110, windowDays: 180 } },
        ],
      }),
    ]);
    const [c] = creates(p);
    expect(c).toMatchObject({
      key: 'fu:7:strategic:2026-03-01',
      purpose: 'follow_up',
      orgId: 7,
      ruleId: 'strategic',
      activity: {
        subject: 'FUP estratégico — Acme <Brasil> & Cia: agendar (41 dias sem contato estratégico)',
        type: 'meeting',
        owner_id: OWNER,
        org_id: 7,
        deal_id: 401,
        participants: [{ person_id: 301, primary: true }],
        due_date: '2026-03-13',
        done: false,
      },
    });
    const note = c!.activity.note;
    expect(extractCadenceKey(note)).toBe('fu:7:strategic:2026-03-01');
    expect(note).toContain('Último contato (estratégico): 30 de jan. de 2026, há 41 dias. Cadência do Tier 3: a cada 30 dias.');
    expect(note).toContain('Engajamento: 3 contatos nas últimas 4 semanas (Em queda); 2 pessoas contatadas em 90 dias.');
    // The risks in the policy's Portuguese, with names, dates and numbers for pt-BR, never the English detail.
    expect(note).toContain(
      'Riscos em aberto: Contatos nos últimos 90 dias: 3, todos só com Ana &lt;one&gt;; O contrato termina em 30 de jun. de 2026, daqui a 110 dias (janela de renovação: 180 dias).',
    );
    expect(note).not.toMatch(/touchpoint\(s\)|reached only|contract ends/);
    expect(note).toContain('<b>Check-list do FUP</b>');
    expect(note).toContain('<li>Confirmar decisores e patrocinadores atuais</li>');
    // The activity is the meeting: move it, hold it, record the checklist's answers, mark it done.
    expect(note).toContain('Esta atividade é a própria reunião: mova-a para a data combinada com o cliente.');
    expect(note).toContain('registre nesta nota as respostas do check-list e marque-a como concluída');
    expect(note).toContain('<li>FUP estratégico: Atrasado — Último contato (estratégico): 30 de jan. de 2026, há 41 dias.');
    // The provenance names the rule in the policy's words; the rule id lives only in the key marker.
    expect(note).toContain('Criada por pipedrive-cadence · FUP estratégico · execução run-1');
    expect(note.replace(/cadence-key:\S+/, '')).not.toMatch(/\bstrategic\b/);
    expect(note).not.toContain('<one>');
    expect(c!.reason).toBe('Atrasado — Último contato (estratégico): 30 de jan. de 2026, há 41 dias. Cadência do Tier 3: a cada 30 dias.');
  });

  it('omits deal and participant when the client has none', () => {
    const p = plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'maintenance' })], relevantOpenDealId: null, mainContactPersonId: null })]);
    const a = creates(p)[0]!.activity;
    expect(a.type).toBe('call');
    expect(a).not.toHaveProperty('deal_id');
    expect(a).not.toHaveProperty('participants');
  });

  it('due date skips weekends and holidays (Friday → Monday; Thursday before a holiday Friday → Monday)', () => {
    expect(creates(plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic' })] })], { today: '2026-03-13' }))[0]!.activity.due_date).toBe('2026-03-16');
    const withHoliday = loadPolicy('pt-BR', (p) => ({ ...p, followUp: { ...p.followUp, holidays: ['2026-03-13'] } }));
    expect(creates(plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic' })] })], { policy: withHoliday }))[0]!.activity.due_date).toBe('2026-03-16');
  });

  it.each([
    { name: 'report-only rule', cr: cadence({ ruleId: 'operational', onGap: 'report' }), code: 'report_only' },
    { name: 'rule not applicable (inactive client)', cr: cadence({ ruleId: 'strategic', applies: false }), code: 'not_applicable' },
    {
      name: 'open qualifying activity scheduled by a person',
      cr: cadence({ ruleId: 'strategic', openScheduled: { activityId: 77, dueDate: '2026-03-20', cadenceKey: null, ownerId: 12 } }),
      code: 'already_scheduled',
    },
  ])('$name → skipped ($code), nothing created', ({ cr, code }) => {
    const p = plan([assessment({ orgId: 1, cadence: [cr] })]);
    expect(creates(p)).toEqual([]);
    expect(p.skipped).toHaveLength(1);
    expect(p.skipped[0]).toMatchObject({ orgId: 1, ruleId: cr.ruleId, code });
  });

  it('never a second auto-created open follow-up for the same client and rule, even for a new window', () => {
    const old = activity({ id: 50, orgId: 1, cadenceKey: 'fu:1:strategic:2026-01-01', dueDate: '2026-03-10' });
    const p = plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic', nextDueDate: '2026-03-01' })] })], { activities: [old] });
    expect(creates(p)).toEqual([]);
    expect(p.skipped[0]).toMatchObject({ code: 'already_scheduled', key: 'fu:1:strategic:2026-03-01' });
  });

  it.each([
    { state: 'done', a: { done: true } },
    { state: 'deleted', a: { isDeleted: true } },
  ])('a key already used in the mirror ($state) is never created again', ({ a }) => {
    const used = activity({ id: 51, orgId: 1, cadenceKey: 'fu:1:strategic:2026-03-01', ...a });
    const p = plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic' })] })], { activities: [used] });
    expect(creates(p)).toEqual([]);
    expect(p.skipped[0]).toMatchObject({ code: 'already_created', key: 'fu:1:strategic:2026-03-01' });
  });

  it('one reminder per client per night: three gaps → one activity named by the most senior rule, its note lists every gap (§10.4)', () => {
    const p = plan([
      assessment({
        orgId: 1,
        lastTouchpointDate: '2026-03-08',
        cadence: [
          cadence({ ruleId: 'strategic' }),
          cadence({ ruleId: 'qbr', cadenceDays: 90, nextDueDate: '2026-02-01' }),
          cadence({ ruleId: 'annual-planning', status: 'never', lastTouchpoint: null, nextDueDate: null, daysSinceLast: null, gapDays: null }),
          cadence({ ruleId: 'maintenance', status: 'on_track' }),
        ],
      }),
    ]);
    expect(creates(p)).toHaveLength(1);
    const [c] = creates(p);
    expect(c).toMatchObject({ key: 'fu:1:annual-planning.qbr.strategic:never', ruleId: 'annual-planning', carries: ['annual-planning', 'qbr', 'strategic'] });
    expect(c!.activity.type).toBe('meeting');
    expect(c!.activity.subject).toBe('Planejamento estratégico anual — Org 1: agendar (nenhum contato executivo registrado) + 2 outras pendências');
    // Annual planning: 20 business days to prepare (Thursday 12 March → Thursday 9 April).
    expect(c!.activity.due_date).toBe('2026-04-09');
    const note = c!.activity.note;
    // No touchpoint of its category: the note says which category and gives the last contact of any kind.
    expect(note).toContain('<li>Planejamento estratégico anual: Nenhum contato executivo registrado. Cadência do Tier 3: a cada 30 dias. (último contato de qualquer tipo: 8 de mar. de 2026)</li>');
    expect(note).toContain('<li>Revisão trimestral de negócios (QBR): Atrasado — ');
    expect(note).toContain('<li>FUP estratégico: Atrasado — ');
    expect(note).toContain('<b>Roteiro do planejamento estratégico anual</b>');
    expect(note).toContain('Reservar meio período ou um dia inteiro com a liderança do cliente');
    expect(extractCadenceKey(note)).toBe('fu:1:annual-planning.qbr.strategic:never');
    // Every rule it carries is held as scheduled by it the next night: nothing more is created.
    const open = activity({ id: 70, orgId: 1, cadenceKey: c!.key, dueDate: '2026-04-09' });
    const again = plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic' }), cadence({ ruleId: 'qbr', nextDueDate: '2026-02-01' })] })], { activities: [open], today: '2026-03-13' });
    expect(creates(again)).toEqual([]);
    expect(again.skipped.map((k) => [k.ruleId, k.code])).toEqual([
      ['strategic', 'already_scheduled'],
      ['qbr', 'already_scheduled'],
    ]);
  });

  it('each kind gets its lead time and checklist: QBR 10 business days with the agenda, maintenance the next day with no agenda', () => {
    const qbr = creates(plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'qbr' })] })]))[0]!;
    expect(qbr.activity.due_date).toBe('2026-03-26');
    expect(qbr.activity.note).toContain('<b>Roteiro do QBR</b>');
    expect(qbr.activity.note).toContain('Agendar de 60 a 90 minutos com os decisores do cliente');
    expect(qbr.activity.note).toContain('Enviar o material prévio de 24 a 48 horas antes da reunião');
    expect(qbr.activity.note).not.toContain('Check-list do FUP');
    const mnt = creates(plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'maintenance' })] })]))[0]!;
    expect(mnt.activity.due_date).toBe('2026-03-13');
    expect(mnt.activity.note).toContain('Conversa breve, sem pauta');
  });

  it('skips and warns when the follow-up type is missing or inactive in Pipedrive', () => {
    const policy = loadPolicy('pt-BR', (p) => ({ ...p, cadenceRules: { ...p.cadenceRules, strategic: { ...p.cadenceRules.strategic!, followUpType: 'fup' } } }));
    const p = plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic' })] })], { policy });
    expect(creates(p)).toEqual([]);
    expect(p.skipped[0]).toMatchObject({ code: 'no_activity_type' });
    expect(p.warnings.map((w) => w.message).join('\n')).toMatch(/Activity type "fup".*cadence setup/);
  });
});

describe('owner', () => {
  it.each([
    { name: 'active assignee', assigneeId: OWNER, fallback: FALLBACK, expected: OWNER },
    { name: 'assignee missing → fallback user', assigneeId: null, fallback: FALLBACK, expected: FALLBACK },
    { name: 'assignee deactivated → fallback user', assigneeId: INACTIVE, fallback: FALLBACK, expected: FALLBACK },
  ])('$name', ({ assigneeId, fallback, expected }) => {
    const p = plan([assessment({ orgId: 1, assigneeId, cadence: [cadence({ ruleId: 'strategic' })] })], { fallbackUserId: fallback });
    expect(creates(p)[0]!.activity.owner_id).toBe(expected);
  });

  it('no assignee and no fallback → skipped with a warning, never assigned to nobody', () => {
    const p = plan([assessment({ orgId: 1, assigneeId: null, cadence: [cadence({ ruleId: 'strategic' })] })], { fallbackUserId: null });
    expect(creates(p)).toEqual([]);
    expect(p.skipped[0]).toMatchObject({ code: 'no_assignee' });
    expect(p.warnings.map((w) => w.message).join('\n')).toMatch(/owners\.fallbackUser/);
  });
});

describe('renewal planning', () => {
  it.each([
    { end: '2026-09-08', days: 180, create: true },
    { end: '2026-03-12', days: 0, create: true },
    { end: '2026-09-09', days: 181, create: false },
    { end: '2026-03-11', days: -1, create: false },
  ])('contract ending $end ($days days) → create: $create', ({ end, days, create }) => {
    const p = plan([assessment({ orgId: 3, name: 'Beta', contractEndDate: end })]);
    expect(creates(p)).toHaveLength(create ? 1 : 0);
    if (create) {
      expect(creates(p)[0]).toMatchObject({
        key: `rn:3:${end}`,
        purpose: 'renewal',
        ruleId: null,
        activity: { type: 'task', owner_id: OWNER, org_id: 3, due_date: '2026-03-13' },
      });
      const [y, m, d] = end.split('-');
      const month = ['jan', 'fev', 'mar', 'abr', 'mai', 'jun', 'jul', 'ago', 'set', 'out', 'nov', 'dez'][Number(m) - 1];
      expect(creates(p)[0]!.activity.subject).toBe(`Planejar renovação — Beta: contrato termina em ${Number(d)} de ${month}. de ${y} (${days === 0 ? 'hoje' : days === 1 ? '1 dia' : `${days} dias`})`);
      expect(extractCadenceKey(creates(p)[0]!.activity.note)).toBe(`rn:3:${end}`);
    }
  });

  it('is created once per contract end date', () => {
    const p = plan([assessment({ orgId: 3, contractEndDate: '2026-06-30' })], { activities: [activity({ id: 60, orgId: 3, type: 'task', cadenceKey: 'rn:3:2026-06-30', done: true })] });
    expect(creates(p)).toEqual([]);
    expect(p.skipped[0]).toMatchObject({ code: 'already_created', key: 'rn:3:2026-06-30' });
  });
});

describe('escalation', () => {
  const followUp = (over: Partial<Activity> = {}): Activity =>
    activity({ id: 70, orgId: 1, subject: 'FUP estratégico (Tier 3) — Org 1: 41 dias', cadenceKey: 'fu:1:strategic:2026-03-01', dueDate: '2026-03-05', dealId: 401, personId: 301, ...over });
  const orgWithOpenFollowUp = () => assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic', openScheduled: { activityId: 70, dueDate: '2026-03-05', cadenceKey: 'fu:1:strategic:2026-03-01', ownerId: OWNER } })] });

  it.each([
    { due: '2026-03-05', days: 7, escalate: true },
    { due: '2026-03-06', days: 6, escalate: false },
  ])('auto follow-up due $due ($days days ago) → escalate: $escalate', ({ due, escalate }) => {
    const p = plan([orgWithOpenFollowUp()], { activities: [followUp({ dueDate: due })] });
    expect(creates(p)).toHaveLength(escalate ? 1 : 0);
  });

  it('goes to the escalation user, linked to the follow-up’s org, deal and person, with the follow-up in the note', () => {
    const p = plan([orgWithOpenFollowUp()], { activities: [followUp()] });
    const [e] = creates(p);
    expect(e).toMatchObject({
      key: 'esc:fu:1:strategic:2026-03-01',
      purpose: 'escalation',
      ruleId: 'strategic',
      activity: { type: 'task', owner_id: ESCALATION, org_id: 1, deal_id: 401, participants: [{ person_id: 301, primary: true }], due_date: '2026-03-13' },
    });
    expect(e!.activity.subject).toBe('Escalonamento — Org 1: lembrete "FUP estratégico (Tier 3) — Org 1: 41 dias" pendente há 7 dias');
    expect(e!.activity.note).toContain('(responsável: User 11) venceu em 5 de mar. de 2026 e segue pendente há 7 dias.');
    expect(extractCadenceKey(e!.activity.note)).toBe('esc:fu:1:strategic:2026-03-01');
  });

  it('is not linked to the follow-up’s deal once that deal is archived', () => {
    const archived: Deal = {
      id: 401, title: 'Squad', orgId: 1, personId: null, ownerId: OWNER, status: 'open', value: 10, currency: 'BRL', wonTime: null, lostTime: null,
      expectedCloseDate: null, labelIds: [], addTime: '2026-01-01T00:00:00Z', updateTime: '2026-01-01T00:00:00Z', isDeleted: false, customFields: {}, isArchived: true,
    };
    const [e] = creates(plan([orgWithOpenFollowUp()], { activities: [followUp()], deals: [archived] }));
    expect(e!.activity).toMatchObject({ org_id: 1, participants: [{ person_id: 301, primary: true }] });
    expect(e!.activity.deal_id).toBeUndefined();
    const [kept] = creates(plan([orgWithOpenFollowUp()], { activities: [followUp()], deals: [{ ...archived, isArchived: false }] }));
    expect(kept!.activity.deal_id).toBe(401);
  });

  it('only once per follow-up', () => {
    const done = activity({ id: 71, orgId: 1, type: 'task', ownerId: ESCALATION, cadenceKey: 'esc:fu:1:strategic:2026-03-01', done: true });
    const p = plan([orgWithOpenFollowUp()], { activities: [followUp(), done] });
    expect(creates(p)).toEqual([]);
    expect(p.skipped).toContainEqual(expect.objectContaining({ code: 'already_created', key: 'esc:fu:1:strategic:2026-03-01' }));
  });

  it.each([
    { name: 'left by policy', policy: loadPolicy('pt-BR', (p) => ({ ...p, followUp: { ...p.followUp, whenCleared: 'leave' } })), over: {} },
    { name: 'edited by someone', policy: loadPolicy(), over: { updateTime: '2026-03-06T10:00:00Z' } },
  ])('a follow-up whose gap cleared ($name) is not escalated', ({ policy, over }) => {
    const p = plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic', status: 'on_track' })] })], { policy, activities: [followUp(over)] });
    expect(creates(p)).toEqual([]);
    expect(deletes(p)).toEqual([]);
  });

  it('a follow-up created by a person is never escalated', () => {
    const p = plan([orgWithOpenFollowUp()], { activities: [followUp({ cadenceKey: null })] });
    expect(creates(p)).toEqual([]);
  });

  it('without a resolved escalation user → skipped with a warning', () => {
    const p = plan([orgWithOpenFollowUp()], { activities: [followUp()], escalationUserId: null });
    expect(creates(p)).toEqual([]);
    expect(p.skipped).toContainEqual(expect.objectContaining({ code: 'no_escalation_user' }));
    expect(p.warnings.map((w) => w.message).join('\n')).toMatch(/owners\.escalationUser/);
  });
});

describe('cleared gaps', () => {
  const auto = (over: Partial<Activity> = {}): Activity => activity({ id: 80, orgId: 1, cadenceKey: 'fu:1:strategic:2026-03-01', dueDate: '2026-03-09', ...over });

  it.each([
    { name: 'rule on track again', cr: [cadence({ ruleId: 'strategic', status: 'on_track' })] },
    { name: 'rule no longer applies', cr: [cadence({ ruleId: 'strategic', applies: false })] },
    { name: 'rule gone from the tier', cr: [] },
  ])('$name, untouched auto follow-up → deleted (whenCleared: delete)', ({ cr }) => {
    const p = plan([assessment({ orgId: 1, cadence: cr })], { activities: [auto()] });
    expect(deletes(p)).toEqual([expect.objectContaining({ kind: 'delete_activity', key: 'clr:80', activityId: 80, orgId: 1 })]);
    expect(creates(p)).toEqual([]);
  });

  it('whenCleared: leave → left, reported in skipped', () => {
    const policy = loadPolicy('pt-BR', (p) => ({ ...p, followUp: { ...p.followUp, whenCleared: 'leave' } }));
    const p = plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic', status: 'on_track' })] })], { policy, activities: [auto()] });
    expect(deletes(p)).toEqual([]);
    expect(p.skipped).toEqual([expect.objectContaining({ code: 'cleared_left', key: 'fu:1:strategic:2026-03-01' })]);
  });

  it('a follow-up someone edited is left in place', () => {
    const p = plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic', status: 'on_track' })] })], {
      activities: [auto({ updateTime: '2026-03-01T10:00:00Z' })],
    });
    expect(deletes(p)).toEqual([]);
    expect(p.skipped).toEqual([expect.objectContaining({ code: 'cleared_touched' })]);
  });

  it('a still-overdue rule keeps its follow-up', () => {
    const p = plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic' })] })], { activities: [auto()] });
    expect(deletes(p)).toEqual([]);
  });

  it('a duplicate open auto follow-up for the same client and rule (left by a race) is deleted, the oldest kept', () => {
    const p = plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic' })] })], { activities: [auto({ id: 81 }), auto({ id: 80 })] });
    expect(deletes(p).map((d) => d.activityId)).toEqual([81]);
    expect(creates(p)).toEqual([]);
  });

  it('each client clears only its own follow-ups (client 1 vs client 12, several rules each)', () => {
    const fu = (id: number, orgId: number, ruleId: string): Activity =>
      activity({ id, orgId, cadenceKey: `fu:${orgId}:${ruleId}:2026-03-01`, dueDate: '2026-03-09' });
    const p = plan(
      [
        assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic' }), cadence({ ruleId: 'qbr', status: 'on_track' })] }),
        assessment({ orgId: 12, cadence: [cadence({ ruleId: 'strategic', status: 'on_track' }), cadence({ ruleId: 'qbr' })] }),
      ],
      { activities: [fu(90, 12, 'strategic'), fu(80, 1, 'strategic'), fu(81, 1, 'qbr'), fu(91, 12, 'qbr'), fu(92, 12, 'qbr')] },
    );
    expect(deletes(p).map((d) => [d.orgId, d.activityId])).toEqual([
      [1, 81],
      [12, 90],
      [12, 92],
    ]);
  });

  it('a done auto follow-up is never deleted', () => {
    const p = plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic', status: 'on_track' })] })], { activities: [auto({ done: true })] });
    expect(deletes(p)).toEqual([]);
  });
});

describe('flags', () => {
  const policy = loadPolicy();
  const f = policy.flags;
  const k = (name: string) => fieldKey(policy, name);

  it('writes every flag of a client never flagged, in v2 shapes (enum = option id)', () => {
    const a = assessment({ orgId: 1, overallStatus: 'overdue', findings: [{ entity: 'organization', entityId: 1, orgId: 1, field: 'Segment', problem: 'missing', detail: 'x', ownerId: OWNER, params: { field: 'Segment' } }] });
    const p = plan([a], { current: { 1: {} } });
    const [w] = flagWrites(p);
    expect(w!.customFields).toEqual({
      [k(f.cadenceStatus.name)]: optionId(policy, f.cadenceStatus.name, 'Atrasado'),
      [k(f.lastTouchpoint.name)]: '2026-01-30',
      [k(f.nextDue.name)]: '2026-03-01',
      [k(f.engagement4w.name)]: 3,
      [k(f.engagementTrend.name)]: optionId(policy, f.engagementTrend.name, 'Em queda'),
      [k(f.dataQuality.name)]: optionId(policy, f.dataQuality.name, 'Incompleto'),
      [k(f.dataQualityIssues.name)]: 1,
      [k(f.healthScore.name)]: 80,
    });
    expect(w!.changes).toContainEqual({ flag: 'Cadence status', from: null, to: 'Atrasado' });
  });

  it('writes nothing when every value already matches (v2 ids, labelled objects and numeric strings alike)', () => {
    const a = assessment({ orgId: 1 });
    const current = matchingFlags(policy, a);
    const statusKey = k(f.cadenceStatus.name);
    const p1 = plan([a], { current: { 1: current } });
    const p2 = plan([a], { current: { 1: { ...current, [statusKey]: { id: current[statusKey], label: 'Em dia' }, [k(f.healthScore.name)]: '80' } } });
    expect(flagWrites(p1)).toEqual([]);
    expect(flagWrites(p2)).toEqual([]);
  });

  it('writes only the values that changed', () => {
    const before = assessment({ orgId: 1, overallStatus: 'on_track' });
    const after = assessment({ orgId: 1, overallStatus: 'overdue', health: { score: 65, parts: [] } });
    const p = plan([after], { current: { 1: matchingFlags(policy, before) } });
    const [w] = flagWrites(p);
    expect(w!.customFields).toEqual({
      [k(f.cadenceStatus.name)]: optionId(policy, f.cadenceStatus.name, 'Atrasado'),
      [k(f.healthScore.name)]: 65,
    });
    expect(w!.changes).toEqual([
      { flag: 'Cadence status', from: 'Em dia', to: 'Atrasado' },
      { flag: 'Health score', from: 80, to: 65 },
    ]);
  });

  it('clears a date flag with null when the value went away', () => {
    const before = assessment({ orgId: 1 });
    const after = assessment({ orgId: 1, nextDueDate: null, overallStatus: 'not_applicable' });
    const [w] = flagWrites(plan([after], { current: { 1: matchingFlags(policy, before) } }));
    expect(w!.customFields[k(f.nextDue.name)]).toBeNull();
  });

  it('a missing flag field → a warning naming `cadence setup`, the other flags still written', () => {
    const fields = (snapshot(policy).fields as FieldDefinition[]).filter((d) => d.name !== f.healthScore.name);
    const p = plan([assessment({ orgId: 1 })], { current: { 1: {} }, fields });
    expect(p.warnings.map((w) => w.message).join('\n')).toMatch(/"Health score".*cadence setup/);
    expect(Object.keys(flagWrites(p)[0]!.customFields)).toHaveLength(7);
  });

  it('an enum flag field without the needed option → a warning, that flag not written', () => {
    const fields = (snapshot(policy).fields as FieldDefinition[]).map((d) =>
      d.name === f.cadenceStatus.name ? { ...d, options: d.options!.filter((o) => o.label !== 'Atrasado') } : d,
    );
    const p = plan([assessment({ orgId: 1, overallStatus: 'overdue' })], { fields });
    expect(flagWrites(p)).toEqual([]);
    expect(p.warnings.map((w) => w.message).join('\n')).toMatch(/no option "Atrasado"/);
  });

  it('a flag field an admin made a text field gets the label', () => {
    const fields = (snapshot(policy).fields as FieldDefinition[]).map((d) => (d.name === f.cadenceStatus.name ? { ...d, fieldType: 'varchar', options: null } : d));
    const a = assessment({ orgId: 1, overallStatus: 'due_soon' });
    const p = plan([a], { fields, current: { 1: { ...matchingFlags(policy, a), [k(f.cadenceStatus.name)]: 'Em dia' } } });
    expect(flagWrites(p)[0]!.customFields).toEqual({ [k(f.cadenceStatus.name)]: 'Vence em breve' });
  });
});

describe('who gets reminders (§10.1): strategic clients only, by default', () => {
  const tier = (level: number, rule: OrgAssessment['tier']['rule'] = 'revenue_tenure'): OrgAssessment['tier'] => ({ ...assessment({ orgId: 0 }).tier, level, rule });

  it.each([
    { level: 1, create: false },
    { level: 2, create: false },
    { level: 3, create: true },
    { level: 4, create: true },
  ])('Tier $level with a strategic gap → activity: $create (else flagged and reported)', ({ level, create }) => {
    const p = plan([assessment({ orgId: 1, tier: tier(level), cadence: [cadence({ ruleId: 'strategic' })] })]);
    expect(creates(p)).toHaveLength(create ? 1 : 0);
    if (!create) expect(p.skipped).toEqual([expect.objectContaining({ orgId: 1, ruleId: 'strategic', code: 'not_strategic' })]);
  });

  it('a key account gets reminders whatever its tier', () => {
    const p = plan([assessment({ orgId: 1, tier: tier(2, 'key_account'), cadence: [cadence({ ruleId: 'strategic' })] })]);
    expect(creates(p)).toHaveLength(1);
  });

  it('renewal planning stays on for every tier', () => {
    const p = plan([assessment({ orgId: 1, tier: tier(1), cadence: [cadence({ ruleId: 'maintenance' })], contractEndDate: '2026-06-30' })]);
    expect(creates(p).map((c) => c.purpose)).toEqual(['renewal']);
  });

  it('create/report can be set per tier and rule, and reminders.createForTiers changes the default', () => {
    const perTier = loadPolicy('pt-BR', (p) => ({
      ...p,
      tiers: p.tiers.map((t) =>
        t.level === 2 ? { ...t, cadence: { ...t.cadence, strategic: { ...t.cadence.strategic!, onGap: 'create' as const } } } : t.level === 3 ? { ...t, cadence: { ...t.cadence, maintenance: { ...t.cadence.maintenance!, onGap: 'report' as const } } } : t,
      ),
    }));
    const p = plan(
      [
        assessment({ orgId: 1, tier: tier(2), cadence: [cadence({ ruleId: 'strategic' }), cadence({ ruleId: 'maintenance' })] }),
        assessment({ orgId: 2, tier: tier(3), cadence: [cadence({ ruleId: 'maintenance' })] }),
      ],
      { policy: perTier },
    );
    expect(creates(p).map((c) => c.key)).toEqual(['fu:1:strategic:2026-03-01']);
    expect(p.skipped.map((k) => [k.orgId, k.ruleId, k.code])).toEqual([
      [1, 'maintenance', 'not_strategic'],
      [2, 'maintenance', 'report_only'],
    ]);
    const everyTier = loadPolicy('pt-BR', (p) => ({ ...p, reminders: { ...p.reminders, createForTiers: [1, 2, 3, 4] } }));
    expect(creates(plan([assessment({ orgId: 1, tier: tier(1), cadence: [cadence({ ruleId: 'maintenance' })] })], { policy: everyTier }))).toHaveLength(1);
  });
});

describe('deterministic keys', () => {
  const orgs = () => [
    assessment({ orgId: 2, cadence: [cadence({ ruleId: 'strategic' }), cadence({ ruleId: 'maintenance', status: 'never', lastTouchpoint: null, nextDueDate: null, daysSinceLast: null, gapDays: null })], contractEndDate: '2026-05-01' }),
    assessment({ orgId: 1, cadence: [cadence({ ruleId: 'qbr' })] }),
  ];

  it('same inputs, another run id and another instant the same day → same writes in the same order, same keys', () => {
    const a = plan(orgs(), { runId: 'run-A' });
    const b = plan(orgs().reverse(), { runId: 'run-B' });
    expect(b.writes.map((w) => w.key)).toEqual(a.writes.map((w) => w.key));
    expect(a.writes.map((w) => w.key)).toEqual(['fu:1:qbr:2026-03-01', 'fu:2:strategic.maintenance:2026-03-01', 'rn:2:2026-05-01']);
  });

  it('the same window on a later day keeps its key; a new touchpoint opens a new window with a new key', () => {
    const sameWindow = plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic', gapDays: 12, daysSinceLast: 42 })] })], { today: '2026-03-13' });
    expect(creates(sameWindow)[0]!.key).toBe('fu:1:strategic:2026-03-01');
    const newWindow = plan([
      assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic', status: 'due_soon', lastTouchpoint: { activityId: 9, date: '2026-02-12' }, nextDueDate: '2026-03-14' })] }),
    ]);
    expect(creates(newWindow)[0]!.key).toBe('fu:1:strategic:2026-03-14');
  });
});

describe('texts in the policy locale', () => {
  it('en: subject, note, dates and numbers in English', () => {
    const policy = loadPolicy('en');
    const risks: Risk[] = [{ kind: 'stakeholder_at_risk', detail: 'relationship strength at risk: #42', evidence: { personIds: [42] }, params: { persons: 'Rita Lee', count: 1 } }];
    const p = plan([assessment({ orgId: 1, name: 'Acme', cadence: [cadence({ ruleId: 'strategic' })], contractEndDate: '2026-06-30', risks, engagement: { weeks: [], last4: 1234, previous4: 5, trend: 'rising', breadth: 2 } })], { policy });
    const [fu, rn] = creates(p);
    expect(fu!.activity.subject).toBe('Strategic follow-up — Acme: schedule (41 days without a strategic touchpoint)');
    expect(fu!.activity.note).toContain('Last strategic touchpoint: Jan 30, 2026, 41 days ago. Tier 3 cadence: every 30 days.');
    expect(fu!.activity.note).toContain('Engagement: 1,234 touchpoints in the last 4 weeks (Rising)');
    expect(fu!.activity.note).toContain('<b>Follow-up checklist</b>');
    expect(fu!.activity.note).toContain('Open risks: Relationship at risk with: Rita Lee.');
    expect(fu!.activity.note).toContain('Created by pipedrive-cadence · Strategic follow-up · run run-1');
    expect(fu!.activity.note).toContain('This activity is the meeting itself: move it to the date agreed with the client.');
    expect(rn!.activity.note).toContain('<b>Renewal steps</b>');
    expect(fu!.reason).toMatch(/^Overdue — /);
    expect(rn!.activity.subject).toBe('Plan renewal — Acme: contract ends Jun 30, 2026 (in 110 days)');
  });

  it('pt-BR: numbers with the Brazilian separator', () => {
    const p = plan([assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic' })], engagement: { weeks: [], last4: 1234, previous4: 5, trend: 'stable', breadth: 2 } })]);
    expect(creates(p)[0]!.activity.note).toContain('Engajamento: 1.234 contatos nas últimas 4 semanas (Estável)');
  });

  it('pt-BR flags use the pt-BR option labels', () => {
    const policy = loadPolicy('pt-BR');
    const p = plan([assessment({ orgId: 1, overallStatus: 'never' })], { current: { 1: {} } });
    expect(flagWrites(p)[0]!.changes).toContainEqual({ flag: 'Cadence status', from: null, to: 'Sem contato' });
    expect(flagWrites(p)[0]!.customFields[fieldKey(policy, 'Cadence status')]).toBe(optionId(policy, 'Cadence status', 'Sem contato'));
  });
});
