/**
 * Deterministic dataset generator for the sandbox: same seed + now ⇒ identical data. All dates are
 * relative to `now`, so a story role (overdue, due soon, renewal…) holds whatever the calendar date.
 *
 * - `'demo'`: a professional-services firm with ~40 client organizations telling a story a user
 *   recognises; `DEMO_STORY` says which org plays which role (the story part is fixed, the seed only
 *   varies the filler clients and the custom-field keys).
 * - `'small'` (~500 orgs) and explicit numbers (bench scale, e.g. 50k orgs / 1M activities): random but
 *   plausible data, generated compactly (shared strings, numeric times).
 */
import { createHash } from 'node:crypto';
import type {
  ActivityRec, ActivityTypeRec, AddressValue, Dataset, DealRec, DealStatus, FieldRec, Kind, OrganizationRec, PersonRec,
  UserRec,
} from './model.js';
import { DAY_MS, isoDate } from './model.js';
import { systemFields } from './fields.js';
import { createPrng } from './prng.js';
import type { Prng } from './prng.js';

export interface ScaleNumbers {
  organizations: number;
  personsPerOrg: number;
  dealsPerOrg: number;
  activitiesPerOrg: number;
}

export interface GenerateOptions {
  seed: number;
  now: Date;
  scale: 'demo' | 'small' | ScaleNumbers;
}

export const SMALL_SCALE: ScaleNumbers = { organizations: 500, personsPerOrg: 4, dealsPerOrg: 4, activitiesPerOrg: 20 };
export const BENCH_SCALE: ScaleNumbers = { organizations: 50_000, personsPerOrg: 4, dealsPerOrg: 4, activitiesPerOrg: 20 };

// ---- users, activity types, custom fields ------------------------------------------------------

/** Demo users by role. `head` is the token owner and the policy's fallback/escalation user. */
export const DEMO_USERS = {
  head: { id: 1, name: 'Helena Prado', email: 'head.accounts@exemplo.com.br', isAdmin: true, active: true, role: 'Head of accounts (admin)' },
  ricardo: { id: 2, name: 'Ricardo Almeida', email: 'ricardo.almeida@exemplo.com.br', isAdmin: false, active: true, role: 'Partner' },
  juliana: { id: 3, name: 'Juliana Costa', email: 'juliana.costa@exemplo.com.br', isAdmin: false, active: true, role: 'Partner' },
  marcos: { id: 4, name: 'Marcos Oliveira', email: 'marcos.oliveira@exemplo.com.br', isAdmin: false, active: true, role: 'Account manager' },
  fernanda: { id: 5, name: 'Fernanda Lima', email: 'fernanda.lima@exemplo.com.br', isAdmin: false, active: true, role: 'Account manager' },
  camila: { id: 6, name: 'Camila Rocha', email: 'camila.rocha@exemplo.com.br', isAdmin: false, active: true, role: 'Project manager' },
  paulo: { id: 7, name: 'Paulo Souza', email: 'paulo.souza@exemplo.com.br', isAdmin: false, active: false, role: 'Former account manager (deactivated)' },
} as const;
type UserKey = keyof typeof DEMO_USERS;
const ACTIVE_OWNERS: UserKey[] = ['ricardo', 'juliana', 'marcos', 'fernanda', 'camila'];

const ACTIVITY_TYPES: Array<[string, string, string]> = [
  ['Chamada', 'call', 'call'], ['Reunião', 'meeting', 'meeting'], ['Tarefa', 'task', 'task'],
  ['Prazo', 'deadline', 'deadline'], ['E-mail', 'email', 'email'], ['Almoço', 'lunch', 'lunch'],
];

/** Custom fields the generator defines (names are what config/policy.yaml references). */
export const CUSTOM_FIELDS: Array<{ entity: Kind; name: string; type: 'enum' | 'date' | 'double' | 'user'; options?: string[] }> = [
  { entity: 'organization', name: 'Tier', type: 'enum', options: ['Tier 1', 'Tier 2', 'Tier 3', 'Tier 4'] },
  { entity: 'organization', name: 'Segment', type: 'enum', options: ['Indústria', 'Varejo', 'Serviços financeiros', 'Saúde', 'Tecnologia', 'Setor público'] },
  { entity: 'organization', name: 'Contract end date', type: 'date' },
  { entity: 'person', name: 'Stakeholder role', type: 'enum', options: ['Decision maker', 'Champion', 'Influencer', 'User', 'Blocker'] },
  { entity: 'person', name: 'Relationship strength', type: 'enum', options: ['Strong', 'Developing', 'Weak', 'At risk'] },
  { entity: 'deal', name: 'Service line', type: 'enum', options: ['Squad', 'Consulting', 'Training', 'Assessment'] },
  // docs/policy.md §10.5 (accountCare): the firm's own fields, which `cadence setup` does not create.
  { entity: 'organization', name: 'NPS', type: 'double' },
  { entity: 'organization', name: 'NPS date', type: 'date' },
  { entity: 'organization', name: 'Executive sponsor', type: 'user' },
  { entity: 'organization', name: 'Account plan reviewed', type: 'date' },
];

// ---- the demo story -------------------------------------------------------------------------------

interface StoryPerson { name: string; role?: string | null; strength?: string | null; email?: boolean; phone?: boolean }
interface StoryDeal {
  title: string; value: number; currency?: string; status: DealStatus | 'deleted';
  /** Days before now the deal was won/lost (closed) or added (open). */
  daysAgo: number; serviceLine?: string | null; expectedCloseInDays?: number | null; person?: number;
}
interface StoryActivity {
  type: string; subject: string; daysAgo: number; done: boolean; owner?: UserKey; person?: number | null;
  /** UTC HH:MM, or omitted for an all-day activity. */
  /** Index into the org's deals; omitted: its first open deal (else its last deal); null: no deal. */
  time?: string; deal?: number | null; note?: string;
}
interface StoryOrg {
  role: string; description: string; name: string; owner: UserKey | null; tier?: 1 | 2 | 3 | 4; segment?: string | null;
  address?: string | null; contractEndInDays?: number; addYearsAgo: number;
  persons: StoryPerson[]; deals: StoryDeal[]; activities: StoryActivity[];
  /** docs/policy.md §10.5 fields; default: a promoter (9) scored 60 days ago, sponsor Helena, plan reviewed 30 days ago. */
  care?: { nps?: number | null; npsDaysAgo?: number | null; sponsor?: UserKey | null; planDaysAgo?: number | null };
}

const WELL_CARED = { nps: 9, npsDaysAgo: 60, sponsor: 'head', planDaysAgo: 30 } as const;

const P = (name: string, role: string | null, strength: string | null, extra: Partial<StoryPerson> = {}): StoryPerson => ({ name, role, strength, ...extra });
/** A done touchpoint; its note records what was discussed (the checklist used), unless the story says otherwise. */
const done = (type: string, subject: string, daysAgo: number, extra: Partial<StoryActivity> = {}): StoryActivity => ({
  type, subject, daysAgo, done: true, person: 0, note: '<p>Pauta: resultados, prioridades do cliente e próximos passos. Próximo contato combinado.</p>', ...extra,
});
const open = (type: string, subject: string, inDays: number, extra: Partial<StoryActivity> = {}): StoryActivity => ({ type, subject, daysAgo: -inDays, done: false, person: 0, ...extra });

/**
 * Days-ago offsets of the Tuesday, Wednesday and Thursday of the previous ISO week in São Paulo
 * (UTC−3, no DST since 2019), so the outreach collision always falls inside one ISO week.
 */
function lastWeekDays(now: Date): number[] {
  const sp = new Date(now.getTime() - 3 * 3_600_000);
  const weekday = (sp.getUTCDay() + 6) % 7; // Monday = 0
  return [1, 2, 3].map((d) => weekday + 7 - d);
}

/** The demo company's clients that each tell one story (their order fixes their org ids). */
function storyOrgs(now: Date): StoryOrg[] {
  return [...revenueAndTierStories(), ...cadenceAndOwnerStories(), ...engagementStories(now), ...dataQualityStories(), ...riskAndTierStories(), ...accountCareStories()];
}

/** Tiers by revenue, by a key-account deal and by the Tier field; a renewal due; a client never touched. */
function revenueAndTierStories(): StoryOrg[] {
  return [
    {
      role: 'anchorByRevenue', name: 'Grupo Andrade Metalúrgica S.A.', owner: 'ricardo', segment: 'Indústria', addYearsAgo: 8,
      address: 'Av. das Nações Unidas, 12901 - Brooklin, São Paulo - SP, 04578-000', contractEndInDays: 420,
      description: 'Tier 4 anchor by the revenue/tenure rule: won deals of 5.5M BRL (≈ 1.04M USD, the threshold is 1M USD) in 12 months, first won deal 7 years ago, no Tier field.',
      persons: [P('Roberto Andrade', 'Decision maker', 'Strong'), P('Luciana Ferraz', 'Champion', 'Strong'), P('Diego Martins', 'User', 'Developing'), P('Sônia Ribeiro', 'Influencer', 'Developing')],
      deals: [
        { title: 'Diagnóstico de operações 2019', value: 80_000, status: 'won', daysAgo: 7 * 365, serviceLine: 'Assessment' },
        { title: 'Squad de transformação digital — fase 1', value: 2_900_000, status: 'won', daysAgo: 250, serviceLine: 'Squad', person: 1 },
        { title: 'Consultoria de eficiência fabril', value: 2_600_000, status: 'won', daysAgo: 120, serviceLine: 'Consulting' },
        { title: 'Squad de transformação digital — fase 2', value: 3_200_000, status: 'open', daysAgo: 20, serviceLine: 'Squad', expectedCloseInDays: 45, person: 1 },
      ],
      activities: [
        done('call', 'Alinhamento semanal do projeto', 1, { person: 1, owner: 'ricardo' }),
        done('meeting', 'Follow-up estratégico com a diretoria', 3, { time: '14:00', person: 0 }),
        done('meeting', 'QBR — Revisão de negócios T3', 50, { time: '13:00', person: 0 }),
        done('meeting', 'Planejamento estratégico anual 2026', 200, { time: '12:30', person: 0 }),
        done('lunch', 'Almoço com o CEO', 30, { person: 0 }),
        open('meeting', 'Status do squad — sprint review', 6, { time: '17:00', person: 1 }),
      ],
    },
    {
      role: 'keyAccountSquad', name: 'Farmácias Vida Nova Ltda.', owner: 'juliana', segment: 'Varejo', addYearsAgo: 3,
      address: 'Rua Voluntários da Pátria, 2468 - Santana, São Paulo - SP, 02010-000', contractEndInDays: 300,
      description: 'Key account: a won "Squad" deal (Service line = Squad) makes it at least Tier 3, although revenue alone (180k BRL ≈ 34k USD) is Tier 1 and there is no Tier field. Never had a QBR.',
      persons: [P('Patrícia Nogueira', 'Decision maker', 'Developing'), P('André Figueiredo', 'Champion', 'Strong')],
      deals: [{ title: 'Squad de dados — Farmácias Vida Nova', value: 180_000, status: 'won', daysAgo: 60, serviceLine: 'Squad', person: 1 }],
      activities: [
        done('meeting', 'Follow-up mensal (FUP)', 20, { time: '15:00', person: 1 }),
        done('call', 'Check-in do squad', 4, { person: 1 }),
      ],
    },
    {
      role: 'explicitTier3Overdue', name: 'Cooperativa Agro Cerrado', owner: 'marcos', tier: 3, segment: 'Indústria', addYearsAgo: 4,
      address: 'Av. Goiás, 1500 - Setor Central, Goiânia - GO, 74005-010', contractEndInDays: 500,
      description: 'Explicit Tier field = Tier 3 (management decision) although revenue is only 30k; three gaps at once (strategic follow-up overdue, last touchpoint 75 days ago; no QBR, no annual planning ever): one activity carries them.',
      persons: [P('Gilberto Moraes', 'Decision maker', 'Weak'), P('Tatiane Lopes', 'User', 'Developing')],
      // A client since its first won deal 500 days ago: every rule has had a full period (docs/policy.md §10.4).
      deals: [
        { title: 'Diagnóstico de gestão agrícola', value: 12_000, status: 'won', daysAgo: 500, serviceLine: 'Consulting' },
        { title: 'Treinamento de gestão agrícola', value: 30_000, status: 'won', daysAgo: 200, serviceLine: 'Training' },
      ],
      activities: [done('meeting', 'Reunião de acompanhamento', 75, { time: '13:30' }), done('call', 'Ligação de cortesia', 80)],
    },
    {
      role: 'renewalDue', name: 'Hospital São Lucas Paulista', owner: 'fernanda', tier: 2, segment: 'Saúde', addYearsAgo: 6,
      address: 'Rua Pamplona, 1200 - Jardim Paulista, São Paulo - SP, 01405-001', contractEndInDays: 120,
      description: 'Contract end date in 120 days (within the 180-day renewal window): renewal planning is due. On cadence otherwise.',
      persons: [P('Dr. Eduardo Sampaio', 'Decision maker', 'Strong'), P('Cláudia Menezes', 'Champion', 'Strong')],
      deals: [{ title: 'Consultoria de processos hospitalares', value: 150_000, status: 'won', daysAgo: 300, serviceLine: 'Consulting' }],
      activities: [done('meeting', 'FUP trimestral de resultados', 25, { time: '16:00' }), done('email', 'Envio do relatório mensal', 10, { person: 1 })],
    },
    {
      role: 'neverTouched', name: 'Construtora Horizonte Azul', owner: 'fernanda', segment: 'Indústria', addYearsAgo: 1,
      address: 'Av. Boa Viagem, 3000 - Boa Viagem, Recife - PE, 51020-000', contractEndInDays: 600,
      description: 'Tier 2 by revenue (850k BRL ≈ 160k USD in two deals won within the year) and never touched: no activity on record. A Tier 2 upgrade candidate: 80 % of the Tier 3 threshold.',
      persons: [P('Henrique Bastos', 'Decision maker', 'Developing')],
      deals: [
        { title: 'Diagnóstico de canteiros', value: 250_000, status: 'won', daysAgo: 300, serviceLine: 'Assessment' },
        { title: 'Assessment de portfólio de obras', value: 600_000, status: 'won', daysAgo: 200, serviceLine: 'Assessment' },
      ],
      activities: [],
    },
  ];
}

/** Overdue, due soon and on cadence; no owner and a deactivated owner. */
function cadenceAndOwnerStories(): StoryOrg[] {
  return [
    {
      role: 'overdue', name: 'Logística Rápida Transportes', owner: 'marcos', tier: 2, segment: 'Serviços financeiros', addYearsAgo: 5,
      address: 'Rod. Anhanguera, km 25 - Jaraguá, São Paulo - SP, 05275-000', contractEndInDays: 700,
      description: 'Tier 2, last touchpoint 150 days ago: strategic follow-up (90 days) overdue by ~60 days: flagged and reported, no activity (Tier 1–2 meetings are as needed).',
      persons: [P('Vânia Carvalho', 'Decision maker', 'Weak'), P('Rogério Pinto', 'Influencer', 'Developing')],
      deals: [{ title: 'Consultoria de roteirização', value: 90_000, status: 'won', daysAgo: 330, serviceLine: 'Consulting' }],
      // One touchpoint, one category (docs/policy.md §10.3): the FUP call and a maintenance e-mail the same day.
      activities: [done('call', 'Ligação de acompanhamento', 150), done('email', 'Envio do boletim do setor', 150, { person: 1 })],
    },
    {
      role: 'dueSoon', name: 'Banco Capital Paulista', owner: 'ricardo', tier: 2, segment: 'Serviços financeiros', addYearsAgo: 4,
      address: 'Av. Paulista, 1374 - Bela Vista, São Paulo - SP, 01310-100', contractEndInDays: 400,
      description: 'Tier 2, last strategic touchpoint 86 days ago: due within the 7-day lead time (due soon).',
      persons: [P('Mariana Teixeira', 'Decision maker', 'Strong'), P('Fábio Cunha', 'Champion', 'Developing')],
      deals: [{ title: 'Treinamento em análise de risco', value: 75_000, status: 'won', daysAgo: 150, serviceLine: 'Training' }],
      activities: [done('meeting', 'FUP: apresentação de insights do setor', 86, { time: '18:00' }), done('call', 'Check-in', 86, { person: 1 })],
    },
    {
      role: 'onCadence', name: 'Tecnologia Nuvem Sul', owner: 'juliana', tier: 3, segment: 'Tecnologia', addYearsAgo: 5,
      address: 'Av. Ipiranga, 6681 - Partenon, Porto Alegre - RS, 90619-900', contractEndInDays: 365,
      description: 'Tier 3 on cadence in every rule: recent calls, monthly FUP, a QBR 40 days ago and the annual planning 150 days ago; a follow-up already scheduled. The FUP 10 days ago was marked done with an empty note ("FUP sem registro").',
      persons: [P('Rafael Kern', 'Decision maker', 'Strong'), P('Bianca Schmitt', 'Champion', 'Strong'), P('Otávio Weber', 'User', 'Developing')],
      deals: [
        { title: 'Consultoria de arquitetura cloud', value: 260_000, status: 'won', daysAgo: 100, serviceLine: 'Consulting', person: 1 },
        { title: 'Treinamento DevOps', value: 45_000, status: 'open', daysAgo: 15, serviceLine: 'Training', expectedCloseInDays: 30, person: 2 },
      ],
      activities: [
        done('call', 'Status semanal', 2, { person: 1 }),
        done('meeting', 'FUP mensal com o patrocinador', 10, { time: '14:30', note: '<p><br></p>' }), // held without notes: "FUP sem registro"
        done('meeting', 'Revisão de negócios (QBR) Q3', 40, { time: '13:00' }),
        done('meeting', 'Planejamento estratégico anual', 150, { time: '12:00' }),
        done('email', 'Compartilhamento de estudo de caso', 6, { person: 2, deal: null }), // no deal: a maintenance touch (docs/policy.md §10.3)
        done('lunch', 'Jantar executivo com o patrocinador', 90, { time: '22:00' }),
        open('meeting', 'FUP mensal com o patrocinador', 18, { time: '14:30' }),
      ],
    },
    {
      role: 'noOwner', name: 'Instituto Educar Mais', owner: null, tier: 1, segment: 'Setor público', addYearsAgo: 2,
      address: 'SCS Quadra 2, Bloco C - Asa Sul, Brasília - DF, 70302-000', contractEndInDays: 250,
      description: 'Organization without an owner (data-quality issue): follow-ups go to the fallback user.',
      persons: [P('Lúcia Barros', 'Decision maker', 'Developing')],
      deals: [{ title: 'Treinamento de gestores públicos', value: 25_000, status: 'won', daysAgo: 400, serviceLine: 'Training' }],
      activities: [done('email', 'Pesquisa de satisfação', 380, { owner: 'head' })],
    },
    {
      role: 'deactivatedOwner', name: 'Varejo Bom Preço', owner: 'paulo', tier: 2, segment: 'Varejo', addYearsAgo: 6,
      address: 'Rua XV de Novembro, 700 - Centro, Curitiba - PR, 80020-310', contractEndInDays: 450,
      description: 'Owned by a deactivated user (Paulo Souza): follow-ups go to the fallback user.',
      persons: [P('Sérgio Antunes', 'Decision maker', 'Weak')],
      deals: [{ title: 'Consultoria de precificação', value: 110_000, status: 'won', daysAgo: 280, serviceLine: 'Consulting' }],
      activities: [done('call', 'Ligação de acompanhamento', 100, { owner: 'paulo' })],
    },
  ];
}

/** An outreach collision last week, falling engagement and a key-person dependency. */
function engagementStories(now: Date): StoryOrg[] {
  const [tue, wed, thu] = lastWeekDays(now) as [number, number, number];
  return [
    {
      role: 'outreachCollision', name: 'Seguradora Atlântico', owner: 'ricardo', segment: 'Serviços financeiros', addYearsAgo: 4,
      address: 'Praia de Botafogo, 300 - Botafogo, Rio de Janeiro - RJ, 22250-040', contractEndInDays: 520,
      description: 'Outreach collision: three different users (Ricardo, Marcos, Fernanda) touched it in the same ISO week last week. Tier 3 by revenue (1.5M BRL ≈ 283k USD) with 3 years of history.',
      persons: [P('Beatriz Falcão', 'Decision maker', 'Developing'), P('Gustavo Leal', 'Champion', 'Strong')],
      deals: [
        { title: 'Diagnóstico de riscos operacionais', value: 90_000, status: 'won', daysAgo: 3 * 365, serviceLine: 'Assessment' },
        { title: 'Assessment regulatório SUSEP', value: 1_500_000, status: 'won', daysAgo: 90, serviceLine: 'Assessment', person: 1 },
      ],
      activities: [
        done('call', 'Ligação sobre renovação de apólices', tue, { owner: 'ricardo', time: '15:00' }),
        done('meeting', 'Reunião de proposta comercial', wed, { owner: 'marcos', time: '15:00', person: 1 }),
        done('email', 'Envio de material de treinamento', thu, { owner: 'fernanda', time: '15:00', person: 1 }),
        done('meeting', 'QBR — Revisão de negócios', 60, { time: '13:00' }),
      ],
    },
    {
      role: 'fallingEngagement', name: 'Indústria Têxtil Serra Gaúcha', owner: 'juliana', tier: 3, segment: 'Indústria', addYearsAgo: 7,
      address: 'Rua Sinimbu, 1800 - Centro, Caxias do Sul - RS, 95020-002', contractEndInDays: 380,
      description: 'Falling engagement: 8 touchpoints 5–8 weeks ago, only 1 in the last 4 weeks.',
      persons: [P('Cristiano Dal Pont', 'Decision maker', 'Developing'), P('Aline Zanella', 'Champion', 'At risk')],
      deals: [{ title: 'Consultoria de supply chain', value: 240_000, status: 'won', daysAgo: 180, serviceLine: 'Consulting', person: 1 }],
      activities: [
        ...[35, 36, 38, 40, 42, 44, 46, 48].map((d, i) => done(i % 2 ? 'call' : 'meeting', i % 2 ? 'Ligação de acompanhamento' : 'Reunião de projeto', d, { person: i % 2, ...(i % 2 ? {} : { time: '14:00' }) })),
        done('call', 'Ligação rápida', 14, { person: 1 }),
        done('meeting', 'QBR — Revisão de negócios', 70, { time: '13:00' }),
      ],
    },
    {
      role: 'keyPersonDependency', name: 'Energia Solar Nordeste', owner: 'marcos', segment: 'Tecnologia', addYearsAgo: 3,
      address: 'Av. Santos Dumont, 2789 - Aldeota, Fortaleza - CE, 60150-161', contractEndInDays: 330,
      description: 'Tier 3 by revenue (1.2M BRL ≈ 226k USD) and 2.5 years of history, whose touchpoints in 90 days reached only one person (the champion); the decision maker was not reached.',
      persons: [P('Ivan Bezerra', 'Champion', 'Strong'), P('Rosana Queiroz', 'Decision maker', 'Weak'), P('Tiago Holanda', 'User', 'Developing')],
      deals: [
        { title: 'Estudo de viabilidade eólica', value: 150_000, status: 'won', daysAgo: 900, serviceLine: 'Assessment' },
        { title: 'Consultoria de expansão de parques solares', value: 1_200_000, status: 'won', daysAgo: 140, serviceLine: 'Consulting' },
      ],
      activities: [
        done('call', 'Alinhamento com o champion', 5), done('meeting', 'FUP mensal', 25, { time: '13:00' }),
        done('meeting', 'Revisão de negócios trimestral', 55, { time: '13:00' }), done('email', 'Envio de proposta', 80),
      ],
    },
  ];
}

/** Incomplete records and people, and deals in foreign currencies. */
function dataQualityStories(): StoryOrg[] {
  return [
    {
      role: 'missingSegment', name: 'Consultoria Pereira & Filhos', owner: 'fernanda', tier: 1, segment: null, addYearsAgo: 2,
      address: 'Rua da Bahia, 1148 - Centro, Belo Horizonte - MG, 30160-011',
      description: 'Incomplete record: Segment not set.',
      persons: [P('Otávio Pereira', 'Decision maker', 'Strong')],
      deals: [{ title: 'Assessment de maturidade', value: 20_000, status: 'won', daysAgo: 150, serviceLine: 'Assessment' }],
      activities: [done('email', 'Envio de newsletter personalizada', 90)],
    },
    {
      role: 'missingAddress', name: 'Editora Letras Novas', owner: 'camila', segment: 'Varejo', address: null, addYearsAgo: 2,
      description: 'Incomplete record: no address. No Tier field: its one won deal (300k BRL ≈ 57k USD) reaches Tier 2 by revenue, but one deal is no recurrence, so it stays Tier 1, held back.',
      persons: [P('Helena Duarte', 'Decision maker', 'Developing')],
      deals: [{ title: 'Treinamento de equipe comercial', value: 300_000, status: 'won', daysAgo: 220, serviceLine: 'Training' }],
      activities: [done('call', 'Ligação de cortesia', 120)],
    },
    {
      role: 'personMissingRole', name: 'Clínica Bem Estar', owner: 'camila', tier: 2, segment: 'Saúde', addYearsAgo: 3,
      address: 'Rua Padre Chagas, 200 - Moinhos de Vento, Porto Alegre - RS, 90570-080',
      description: 'Incomplete person: one contact without Stakeholder role and Relationship strength.',
      persons: [P('Dra. Carolina Vieira', 'Decision maker', 'Strong'), P('Jorge Matos', null, null)],
      deals: [{ title: 'Consultoria de jornada do paciente', value: 60_000, status: 'won', daysAgo: 100, serviceLine: 'Consulting' }],
      activities: [done('meeting', 'Apresentação de recomendações', 45, { time: '17:00' }), done('call', 'Check-in', 45, { person: 1 })],
    },
    {
      role: 'personMissingEmail', name: 'Auto Peças Paraná', owner: 'marcos', tier: 1, segment: 'Varejo', addYearsAgo: 4,
      address: 'Av. Brasil, 4500 - Centro, Maringá - PR, 87013-000',
      description: 'Incomplete person: the main contact has no e-mail (and no phone).',
      persons: [P('Wagner Kowalski', 'Decision maker', 'Developing', { email: false, phone: false })],
      deals: [{ title: 'Treinamento de vendas', value: 15_000, status: 'won', daysAgo: 300, serviceLine: 'Training' }],
      activities: [done('call', 'Ligação de acompanhamento', 200)],
    },
    {
      role: 'foreignCurrency', name: 'Global Tech Solutions do Brasil', owner: 'juliana', segment: 'Tecnologia', addYearsAgo: 3,
      address: 'Av. Brigadeiro Faria Lima, 3477 - Itaim Bibi, São Paulo - SP, 04538-133', contractEndInDays: 800,
      description: 'Deals in USD (won 230,000 USD ≈ 1.2M BRL in 12 months, first won deal 2.5 years ago → Tier 3 by revenue) and EUR (open).',
      persons: [P('John Miller', 'Decision maker', 'Developing'), P('Camila Nakamura', 'Champion', 'Strong')],
      deals: [
        { title: 'Support retainer 2023', value: 20_000, currency: 'USD', status: 'won', daysAgo: 900, serviceLine: 'Consulting' },
        { title: 'Data platform assessment', value: 230_000, currency: 'USD', status: 'won', daysAgo: 100, serviceLine: 'Assessment', person: 1 },
        { title: 'EU compliance consulting', value: 40_000, currency: 'EUR', status: 'open', daysAgo: 30, serviceLine: 'Consulting', expectedCloseInDays: 60 },
      ],
      activities: [done('meeting', 'Steering committee', 12, { time: '13:00', person: 1 }), done('call', 'Weekly sync', 3, { person: 1 })],
    },
  ];
}

/** An at-risk stakeholder, explicit Tier 4 and Tier 1, and rising engagement with stalled work. */
function riskAndTierStories(): StoryOrg[] {
  return [
    {
      role: 'atRiskStakeholder', name: 'Rede Supermercados Família', owner: 'fernanda', tier: 2, segment: 'Varejo', addYearsAgo: 5,
      address: 'Av. Sete de Setembro, 1200 - Centro, Salvador - BA, 40060-001', contractEndInDays: 200,
      description: 'Champion marked At risk and a deal lost 40 days ago.',
      persons: [P('Neide Santana', 'Decision maker', 'Weak'), P('Márcio Brito', 'Champion', 'At risk')],
      deals: [
        { title: 'Consultoria de logística de lojas', value: 95_000, status: 'won', daysAgo: 250, serviceLine: 'Consulting' },
        { title: 'Squad de e-commerce', value: 300_000, status: 'lost', daysAgo: 40, serviceLine: 'Squad', person: 1 },
      ],
      activities: [done('meeting', 'Reunião de proposta', 45, { time: '15:00', person: 1 }), done('call', 'Retorno sobre a proposta', 38, { person: 1 })],
    },
    {
      role: 'explicitTier4', name: 'Petroquímica Baía de Todos', owner: 'ricardo', tier: 4, segment: 'Indústria', addYearsAgo: 9,
      address: 'Rua Eteno, 1561 - Polo Petroquímico, Camaçari - BA, 42810-000', contractEndInDays: 900,
      description: 'Explicit Tier 4; strategic cadence of 14 days missed (last meeting 21 days ago).',
      persons: [P('Augusto Magalhães', 'Decision maker', 'Strong'), P('Denise Prates', 'Champion', 'Strong')],
      deals: [{ title: 'Squad de manutenção preditiva', value: 800_000, status: 'won', daysAgo: 330, serviceLine: 'Squad' }],
      activities: [
        done('meeting', 'Follow-up executivo', 21, { time: '14:00' }), done('lunch', 'Almoço de relacionamento', 21, { person: 1 }),
        done('lunch', 'Jantar executivo de fim de ano', 100, { time: '22:00' }),
        done('meeting', 'QBR — revisão de negócios', 80, { time: '13:00' }), done('meeting', 'Planejamento estratégico 2026', 300, { time: '13:00' }),
      ],
    },
    {
      role: 'explicitTier1', name: 'Padaria Pão Dourado', owner: 'camila', tier: 1, segment: 'Varejo', addYearsAgo: 2,
      address: 'Rua Augusta, 900 - Consolação, São Paulo - SP, 01304-001',
      description: 'Tier 1 with maintenance only; last touchpoint 200 days ago (within 365).',
      persons: [P('Antônio Dourado', 'Decision maker', 'Developing')],
      deals: [{ title: 'Treinamento de atendimento', value: 8_000, status: 'won', daysAgo: 400, serviceLine: 'Training' }],
      activities: [done('email', 'Mensagem de boas festas', 200)],
    },
    {
      role: 'risingEngagement', name: 'Fintech Pague Fácil', owner: 'marcos', tier: 2, segment: 'Serviços financeiros', addYearsAgo: 1,
      address: 'Rua Fidêncio Ramos, 308 - Vila Olímpia, São Paulo - SP, 04551-010', contractEndInDays: 340,
      description: 'Rising engagement: 1 touchpoint 5–8 weeks ago, 5 in the last 4 weeks; open deal. An older proposal, sent 95 days ago, is still open 20 days past its expected close date and never moved stage: stalled work.',
      persons: [P('Leonardo Tavares', 'Decision maker', 'Developing'), P('Priscila Amaral', 'Champion', 'Strong')],
      deals: [
        { title: 'Consultoria de onboarding digital', value: 70_000, status: 'won', daysAgo: 200, serviceLine: 'Consulting' },
        { title: 'Squad de produto', value: 240_000, status: 'open', daysAgo: 25, serviceLine: 'Squad', expectedCloseInDays: 20, person: 1 },
        { title: 'Proposta de pagamentos recorrentes', value: 80_000, status: 'open', daysAgo: 95, serviceLine: 'Consulting', expectedCloseInDays: -20 },
      ],
      activities: [
        done('meeting', 'Kick-off da proposta', 40, { time: '13:00' }),
        ...[8, 10, 13, 16, 20].map((d, i) => done(i % 2 ? 'meeting' : 'call', i % 2 ? 'Workshop de descoberta' : 'Alinhamento da proposta', d, { person: 1, ...(i % 2 ? { time: '16:00' } : {}) })),
      ],
    },
  ];
}

/** docs/policy.md §10.5 situations: satisfaction, sponsor, account plan, a handover (in this order: ids follow it). */
function accountCareStories(): StoryOrg[] {
  return [
    {
      role: 'detractor', name: 'Laboratório Vita Diagnósticos', owner: 'juliana', tier: 3, segment: 'Saúde', addYearsAgo: 4,
      address: 'Av. Brasil, 2000 - Jardim América, São Paulo - SP, 01430-001', contractEndInDays: 400,
      care: { nps: 4, npsDaysAgo: 20 },
      description: 'Tier 3 detractor: the last NPS, 20 days ago, is 4 (detractors score 6 or less): a risk in its health score.',
      persons: [P('Marta Vilela', 'Decision maker', 'Developing'), P('Jonas Prado', 'Champion', 'Developing')],
      deals: [{ title: 'Consultoria de operações laboratoriais', value: 420_000, status: 'won', daysAgo: 150, serviceLine: 'Consulting', person: 1 }],
      activities: [
        done('call', 'Status semanal', 3, { person: 1 }), done('meeting', 'FUP mensal', 12, { time: '14:00' }),
        done('meeting', 'QBR — revisão de negócios', 45, { time: '13:00' }), done('meeting', 'Planejamento estratégico anual', 120, { time: '13:00' }),
        done('lunch', 'Jantar executivo com a diretoria', 70, { time: '22:00' }), done('email', 'Pesquisa de satisfação', 21),
      ],
    },
    {
      role: 'accountCareGaps', name: 'Mineradora Serra Dourada', owner: 'ricardo', tier: 4, segment: 'Indústria', addYearsAgo: 10,
      address: 'Av. Afonso Pena, 4000 - Mangabeiras, Belo Horizonte - MG, 30130-009', contractEndInDays: 700,
      care: { npsDaysAgo: 400, sponsor: null, planDaysAgo: 150 },
      description: 'Tier 4 with its account care out of date: the last NPS is 400 days old (more than 180), no executive sponsor, the account plan reviewed 150 days ago (more than 90: a review reminder is created); no executive dinner or event in 180 days (reported only).',
      persons: [P('Otávio Brandão', 'Decision maker', 'Strong'), P('Lívia Campos', 'Champion', 'Strong')],
      // A client for years (first won deal 800 days ago), so every rule has had a full period (docs/policy.md §10.4).
      deals: [
        { title: 'Diagnóstico de frota', value: 200_000, status: 'won', daysAgo: 800, serviceLine: 'Consulting' },
        { title: 'Squad de manutenção de frota', value: 1_600_000, status: 'won', daysAgo: 100, serviceLine: 'Squad', person: 1 },
      ],
      activities: [
        done('call', 'Status semanal', 2, { person: 1 }), done('meeting', 'FUP quinzenal', 6, { time: '15:00' }),
        done('meeting', 'QBR — revisão de negócios', 30, { time: '13:00' }), done('meeting', 'Planejamento estratégico anual', 200, { time: '13:00' }),
        done('call', 'Check-in de relacionamento', 20),
      ],
    },
    {
      role: 'handover', name: 'Transportes Via Norte', owner: 'fernanda', tier: 3, segment: 'Serviços financeiros', addYearsAgo: 5,
      address: 'Av. Djalma Batista, 1661 - Chapada, Manaus - AM, 69050-010', contractEndInDays: 450,
      description: 'A Tier 3 client on cadence whose owner changes between two nights (test/e2e/handover.test.ts moves it from Fernanda to Marcos, and its champion to another client): one handover activity for Marcos with the history, and a stakeholder-change risk.',
      persons: [P('Sílvio Amazonas', 'Decision maker', 'Strong'), P('Regina Tapajós', 'Champion', 'Strong')],
      deals: [
        { title: 'Consultoria de roteirização fluvial', value: 1_300_000, status: 'won', daysAgo: 160, serviceLine: 'Consulting', person: 1 },
        { title: 'Treinamento de operação portuária', value: 90_000, status: 'open', daysAgo: 10, serviceLine: 'Training', expectedCloseInDays: 40 },
      ],
      activities: [
        done('call', 'Status semanal', 2, { person: 1 }), done('meeting', 'FUP mensal', 9, { time: '15:00' }),
        done('meeting', 'QBR — revisão de negócios', 35, { time: '13:00' }), done('meeting', 'Planejamento estratégico anual', 100, { time: '13:00' }),
        done('lunch', 'Jantar executivo de fim de ano', 60, { time: '22:00' }),
        done('email', 'Envio do relatório mensal', 15, { person: 2, deal: null }), // a maintenance touch (docs/policy.md §10.3)
      ],
    },
  ];
}

/** Which demo org id plays which role (org ids are assigned in this order, whatever the seed). */
export const DEMO_STORY: Readonly<Record<string, { orgId: number; name: string; description: string }>> = Object.freeze(
  Object.fromEntries(
    storyOrgs(new Date(0)).map((o, i) => [o.role, { orgId: i + 1, name: o.name, description: o.description }]),
  ),
);
/** Demo size: story organizations plus filler clients. */
export const DEMO_ORG_COUNT = 40;

// ---- name pools -----------------------------------------------------------------------------------

const FIRST = ['Ana', 'Bruno', 'Carla', 'Daniel', 'Eduarda', 'Felipe', 'Gabriela', 'Heitor', 'Isabela', 'João', 'Karina', 'Lucas', 'Marina', 'Nicolas', 'Olívia', 'Pedro', 'Quitéria', 'Rafaela', 'Samuel', 'Talita', 'Ubirajara', 'Vitória', 'William', 'Yasmin', 'Zeca'];
const LAST = ['Silva', 'Santos', 'Oliveira', 'Souza', 'Rodrigues', 'Ferreira', 'Alves', 'Pereira', 'Lima', 'Gomes', 'Costa', 'Ribeiro', 'Martins', 'Carvalho', 'Araújo', 'Melo', 'Barbosa', 'Rocha', 'Dias', 'Nunes'];
const CO_PREFIX = ['Grupo', 'Companhia', 'Indústrias', 'Rede', 'Laboratório', 'Transportadora', 'Distribuidora', 'Construtora', 'Agropecuária', 'Tecnologia', 'Banco', 'Clínica', 'Editora', 'Metalúrgica', 'Comercial'];
const CO_CORE = ['Aurora', 'Bandeirantes', 'Cruzeiro', 'Diamante', 'Esperança', 'Fortaleza', 'Guanabara', 'Horizonte', 'Ipê', 'Jequitibá', 'Litoral', 'Mantiqueira', 'Noroeste', 'Oceano', 'Pantanal', 'Quilombo', 'Ribeira', 'Sertão', 'Tropical', 'Vale Verde'];
const CO_SUFFIX = ['S.A.', 'Ltda.', 'do Brasil', 'Participações', 'Serviços', 'Holding'];
const CITIES = ['São Paulo - SP', 'Rio de Janeiro - RJ', 'Belo Horizonte - MG', 'Curitiba - PR', 'Porto Alegre - RS', 'Recife - PE', 'Salvador - BA', 'Campinas - SP', 'Florianópolis - SC', 'Goiânia - GO'];
const STREETS = ['Rua das Flores', 'Av. Brasil', 'Rua Sete de Setembro', 'Av. Independência', 'Rua Tiradentes', 'Av. Getúlio Vargas', 'Rua Santos Dumont'];
const SUBJECTS: Record<string, string[]> = {
  call: ['Ligação de acompanhamento', 'Check-in', 'Status semanal', 'Ligação de cortesia'],
  meeting: ['Reunião de acompanhamento', 'FUP mensal', 'QBR — Revisão de negócios', 'Workshop de descoberta', 'Planejamento estratégico anual', 'Revisão de marcos do projeto'],
  email: ['Envio de relatório', 'Compartilhamento de insights', 'Mensagem de parabéns'],
  lunch: ['Almoço de relacionamento', 'Jantar executivo'],
  task: ['Preparar proposta', 'Atualizar cadastro'],
  deadline: ['Entrega do relatório final'],
};
const TYPE_WEIGHTS = ['call', 'call', 'call', 'meeting', 'meeting', 'email', 'email', 'lunch', 'task', 'deadline'];
const DEAL_TITLES = ['Consultoria de processos', 'Squad de dados', 'Treinamento de liderança', 'Assessment de maturidade digital', 'Consultoria financeira', 'Squad de produto', 'Treinamento em vendas'];
const SERVICE_LINES = ['Consulting', 'Squad', 'Training', 'Assessment', 'Consulting', 'Squad', 'Training'];

function slug(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '');
}

// ---- builder ----------------------------------------------------------------------------------------

class Builder {
  readonly orgs: OrganizationRec[] = [];
  readonly persons: PersonRec[] = [];
  readonly deals: DealRec[] = [];
  readonly activities: ActivityRec[] = [];
  readonly fields: FieldRec[];
  private readonly opt = new Map<string, Map<string, number>>();
  private readonly key = new Map<string, string>();
  private readonly dateCache = new Map<number, string>();
  readonly now: number;
  readonly today: number;

  constructor(seed: number, now: Date) {
    this.now = now.getTime() - (now.getTime() % 1000);
    this.today = Math.floor(this.now / DAY_MS) * DAY_MS;
    const base = this.now - 10 * 365 * DAY_MS;
    this.fields = systemFields(base);
    let fieldId = this.fields.length + 1;
    let optionId = 101;
    for (const cf of CUSTOM_FIELDS) {
      const key = createHash('sha1').update(`sandbox|${seed}|${cf.entity}|${cf.name}`).digest('hex');
      const options = cf.options ? cf.options.map((label) => ({ id: optionId++, label })) : null;
      this.fields.push({
        id: fieldId++, entity: cf.entity, key, name: cf.name, fieldType: cf.type, options, subfields: null, isCustom: true,
        description: null, orderNr: this.fields.filter((f) => f.entity === cf.entity).length, addTime: base, updateTime: base,
      });
      this.key.set(`${cf.entity}:${cf.name}`, key);
      if (options) this.opt.set(`${cf.entity}:${cf.name}`, new Map(options.map((o) => [o.label, o.id])));
    }
  }

  fieldKey(entity: Kind, name: string): string {
    return this.key.get(`${entity}:${name}`)!;
  }
  option(entity: Kind, name: string, label: string): number {
    const id = this.opt.get(`${entity}:${name}`)?.get(label);
    if (id === undefined) throw new Error(`generator: no option '${label}' on ${entity} field '${name}'`);
    return id;
  }
  /** Shared YYYY-MM-DD strings (a bench dataset has 1M due dates over a few hundred distinct days). */
  date(ms: number): string {
    const day = Math.floor(ms / DAY_MS);
    let s = this.dateCache.get(day);
    if (s === undefined) {
      s = isoDate(day * DAY_MS);
      this.dateCache.set(day, s);
    }
    return s;
  }

  address(text: string | null): AddressValue | null {
    if (text === null) return null;
    return {
      value: text, route: null, street_number: null, subpremise: null, sublocality: null, locality: null,
      admin_area_level_1: null, admin_area_level_2: null, country: 'Brasil', postal_code: null, formatted_address: text,
    };
  }

  addOrg(o: Omit<OrganizationRec, 'id' | 'isDeleted' | 'visibleTo' | 'labelIds'>): OrganizationRec {
    const rec: OrganizationRec = { id: this.orgs.length + 1, isDeleted: false, visibleTo: 3, labelIds: [], ...o };
    this.orgs.push(rec);
    return rec;
  }
  addPerson(p: Omit<PersonRec, 'id' | 'isDeleted' | 'visibleTo' | 'labelIds'>): PersonRec {
    const rec: PersonRec = { id: this.persons.length + 1, isDeleted: false, visibleTo: 3, labelIds: [], ...p };
    this.persons.push(rec);
    return rec;
  }
  addDeal(d: Omit<DealRec, 'id' | 'isDeleted' | 'visibleTo' | 'labelIds' | 'pipelineId' | 'probability' | 'lostReason' | 'isArchived' | 'archiveTime'>): DealRec {
    const rec: DealRec = {
      id: this.deals.length + 1, isDeleted: false, visibleTo: 3, labelIds: [], pipelineId: 1, probability: null, isArchived: false, archiveTime: null,
      lostReason: d.status === 'lost' ? 'Preço' : null, ...d,
    };
    this.deals.push(rec);
    return rec;
  }
  /**
   * The note of a done activity that sets none (demo scale): what was discussed is on record, so only the
   * activities a story leaves without notes (`note: ''`) are "FUP sem registro" (docs/policy.md §10.3).
   */
  doneNote: string | null = null;

  addActivity(a: {
    type: string; subject: string; ownerId: number | null; orgId: number | null; dealId: number | null; personId: number | null;
    done: boolean; atMs: number; withTime: boolean; note?: string | null;
    /** How long after the due time it was marked done, and how long before the due time it was added. */
    doneAfterMs: number; addedBeforeMs: number;
  }): ActivityRec {
    const due = a.atMs;
    const participants = a.personId === null ? EMPTY : [a.personId];
    // Times spread to the second, like real data: many equal update_times would make every inclusive
    // `updated_since` boundary re-read a crowd of records.
    const doneAt = a.done ? Math.min(this.now - 1000, due + a.doneAfterMs) : null;
    const addTime = Math.min(this.now - 1000, due) - a.addedBeforeMs;
    const rec: ActivityRec = {
      id: this.activities.length + 1, subject: a.subject, type: a.type, ownerId: a.ownerId, creatorUserId: a.ownerId,
      dealId: a.dealId, orgId: a.orgId, participants, primaryPersonId: a.personId, done: a.done, dueDate: this.date(due),
      dueTime: a.withTime ? new Date(due).toISOString().slice(11, 19) : null, duration: a.withTime ? '01:00:00' : null,
      busy: a.withTime, note: a.note !== undefined ? a.note : a.done ? this.doneNote : null, publicDescription: null, priority: null, location: null,
      markedAsDoneTime: doneAt, addTime, updateTime: doneAt ?? addTime, isDeleted: false,
    };
    this.activities.push(rec);
    return rec;
  }
}
const EMPTY: readonly number[] = Object.freeze([]);

function buildUsers(now: number): UserRec[] {
  return Object.values(DEMO_USERS).map((u) => ({
    id: u.id, name: u.name, email: u.email, active: u.active, isAdmin: u.isAdmin, phone: null,
    created: now - 6 * 365 * DAY_MS, modified: u.active ? now - 30 * DAY_MS : now - 90 * DAY_MS,
  }));
}

function buildActivityTypes(now: number): ActivityTypeRec[] {
  const at = now - 10 * 365 * DAY_MS;
  return ACTIVITY_TYPES.map(([name, key, icon], i) => ({
    id: i + 1, name, keyString: key, iconKey: icon, color: null, orderNr: i + 1, active: true, isCustom: false, addTime: at, updateTime: at,
  }));
}

function addStory(b: Builder, now: Date): void {
  const uid = (k: UserKey | null): number | null => (k === null ? null : DEMO_USERS[k].id);
  for (const s of storyOrgs(now)) {
    const orgAdd = b.now - s.addYearsAgo * 365 * DAY_MS;
    const cf: Record<string, unknown> = {};
    if (s.tier) cf[b.fieldKey('organization', 'Tier')] = b.option('organization', 'Tier', `Tier ${s.tier}`);
    if (s.segment) cf[b.fieldKey('organization', 'Segment')] = b.option('organization', 'Segment', s.segment);
    if (s.contractEndInDays !== undefined) cf[b.fieldKey('organization', 'Contract end date')] = b.date(b.today + s.contractEndInDays * DAY_MS);
    const care = { ...WELL_CARED, ...s.care };
    if (care.nps !== null) cf[b.fieldKey('organization', 'NPS')] = care.nps;
    if (care.npsDaysAgo !== null) cf[b.fieldKey('organization', 'NPS date')] = b.date(b.today - care.npsDaysAgo * DAY_MS);
    if (care.sponsor !== null) cf[b.fieldKey('organization', 'Executive sponsor')] = DEMO_USERS[care.sponsor].id;
    if (care.planDaysAgo !== null) cf[b.fieldKey('organization', 'Account plan reviewed')] = b.date(b.today - care.planDaysAgo * DAY_MS);
    const org = b.addOrg({
      name: s.name, ownerId: uid(s.owner), address: b.address(s.address === undefined ? null : s.address),
      addTime: orgAdd, updateTime: b.now - (10 + (b.orgs.length * 7) % 40) * DAY_MS - ((b.orgs.length * 1237) % 86_400) * 1000, cf,
    });
    const domain = slug(s.name.split(' ').slice(0, 2).join('')) + '.com.br';
    const persons = s.persons.map((p, i) => {
      const [first, ...rest] = p.name.replace(/^(Dr|Dra)\. /, '').split(' ');
      const pcf: Record<string, unknown> = {};
      if (p.role) pcf[b.fieldKey('person', 'Stakeholder role')] = b.option('person', 'Stakeholder role', p.role);
      if (p.strength) pcf[b.fieldKey('person', 'Relationship strength')] = b.option('person', 'Relationship strength', p.strength);
      return b.addPerson({
        name: p.name, firstName: first ?? p.name, lastName: rest.join(' ') || null, ownerId: uid(s.owner), orgId: org.id,
        emails: p.email === false ? [] : [{ value: `${slug(first ?? 'contato')}.${slug(rest.at(-1) ?? String(i))}@${domain}`, primary: true, label: 'work' }],
        phones: p.phone === false ? [] : [{ value: `+55 11 9${String(4000_0000 + org.id * 100 + i).slice(0, 8)}`, primary: true, label: 'work' }],
        addTime: orgAdd + (i + 1) * DAY_MS, updateTime: b.now - (20 + (b.persons.length * 11) % 60) * DAY_MS - ((b.persons.length * 4999) % 86_400) * 1000, cf: pcf,
      });
    });
    const deals = s.deals.map((d) => {
      const at = b.now - d.daysAgo * DAY_MS - ((b.deals.length * 613) % 7200) * 1000;
      const closed = d.status === 'won' || d.status === 'lost';
      const dcf: Record<string, unknown> = {};
      if (d.serviceLine) dcf[b.fieldKey('deal', 'Service line')] = b.option('deal', 'Service line', d.serviceLine);
      return b.addDeal({
        title: d.title, ownerId: uid(s.owner), creatorUserId: uid(s.owner), personId: persons[d.person ?? 0]?.id ?? null, orgId: org.id,
        stageId: closed ? 5 : 3, value: d.value, currency: d.currency ?? 'BRL', status: d.status === 'deleted' ? 'open' : d.status,
        wonTime: d.status === 'won' ? at : null, lostTime: d.status === 'lost' ? at : null, closeTime: closed ? at : null,
        expectedCloseDate: d.expectedCloseInDays != null ? b.date(b.today + d.expectedCloseInDays * DAY_MS) : closed ? b.date(at) : null,
        stageChangeTime: at, addTime: closed ? at - 45 * DAY_MS : at, updateTime: at, cf: dcf,
      });
    });
    for (const a of s.activities) {
      const [hh, mm] = (a.time ?? '12:00').split(':').map(Number) as [number, number];
      const atMs = b.today - a.daysAgo * DAY_MS + (hh * 60 + mm) * 60_000;
      b.addActivity({
        type: a.type, subject: a.subject, ownerId: uid(a.owner ?? s.owner) ?? DEMO_USERS.head.id, orgId: org.id,
        dealId: a.deal === null ? null : a.deal !== undefined ? deals[a.deal]?.id ?? null : (deals.find((d) => d.status === 'open') ?? deals[deals.length - 1])?.id ?? null,
        personId: a.person === null || a.person === undefined ? null : persons[a.person]?.id ?? null,
        done: a.done, atMs: Math.min(atMs, a.done ? b.now - 3 * 3_600_000 : atMs), withTime: a.time !== undefined, note: a.note,
        doneAfterMs: (40 + (b.activities.length * 7) % 50) * 60_000 + (b.activities.length * 13) % 60 * 1000,
        addedBeforeMs: 5 * DAY_MS + ((b.activities.length * 977) % 3600) * 1000,
      });
    }
  }
}

/**
 * docs/policy.md §10.5 fields of a filler client, from its id rather than the random stream (so the rest of
 * a seed's dataset is what it was before these fields): scores 3–10 up to 400 days old, plans reviewed up
 * to 200 days ago, one client in 10 without a sponsor.
 */
function addCare(b: Builder, id: number, cf: Record<string, unknown>, ownerIds: readonly number[]): void {
  cf[b.fieldKey('organization', 'NPS')] = 3 + ((id * 7) % 8);
  cf[b.fieldKey('organization', 'NPS date')] = b.date(b.today - ((id * 37) % 400) * DAY_MS);
  if (id % 10 !== 0) cf[b.fieldKey('organization', 'Executive sponsor')] = ownerIds[id % ownerIds.length];
  cf[b.fieldKey('organization', 'Account plan reviewed')] = b.date(b.today - ((id * 53) % 200) * DAY_MS);
}

function addRandomOrgs(b: Builder, rng: Prng, count: number, perOrg: { persons: number; deals: number; activities: number }, ownersPool: UserKey[]): void {
  const tierKey = b.fieldKey('organization', 'Tier');
  const segKey = b.fieldKey('organization', 'Segment');
  const endKey = b.fieldKey('organization', 'Contract end date');
  const roleKey = b.fieldKey('person', 'Stakeholder role');
  const strengthKey = b.fieldKey('person', 'Relationship strength');
  const lineKey = b.fieldKey('deal', 'Service line');
  const tierOpts = CUSTOM_FIELDS[0]!.options!.map((l) => b.option('organization', 'Tier', l));
  const segOpts = CUSTOM_FIELDS[1]!.options!.map((l) => b.option('organization', 'Segment', l));
  const roleOpts = CUSTOM_FIELDS[3]!.options!.map((l) => b.option('person', 'Stakeholder role', l));
  const strengthOpts = CUSTOM_FIELDS[4]!.options!.map((l) => b.option('person', 'Relationship strength', l));
  const lineByLabel = new Map(CUSTOM_FIELDS[5]!.options!.map((l) => [l, b.option('deal', 'Service line', l)]));
  const ownerIds = ownersPool.map((k) => DEMO_USERS[k].id);
  const now = b.now;
  const day = DAY_MS;

  for (let n = 0; n < count; n++) {
    const name = `${rng.pick(CO_PREFIX)} ${rng.pick(CO_CORE)} ${rng.pick(CO_SUFFIX)}`;
    const ownerId = rng.chance(0.01) ? null : rng.pick(ownerIds);
    const cf: Record<string, unknown> = {};
    if (rng.chance(0.5)) cf[tierKey] = rng.pick(tierOpts.slice(0, 3));
    if (rng.chance(0.9)) cf[segKey] = rng.pick(segOpts);
    if (rng.chance(0.6)) cf[endKey] = b.date(b.today + rng.int(30, 900) * day);
    const addTime = now - rng.int(60, 3650) * day;
    const org = b.addOrg({
      name, ownerId,
      address: rng.chance(0.9) ? b.address(`${rng.pick(STREETS)}, ${rng.int(10, 3000)} - ${rng.pick(CITIES)}`) : null,
      addTime, updateTime: now - rng.int(0, 365) * day - rng.int(0, 86_399) * 1000, cf,
    });
    addCare(b, org.id, cf, ownerIds);
    const firstPerson = b.persons.length + 1;
    const nPersons = Math.max(1, perOrg.persons);
    for (let i = 0; i < nPersons; i++) {
      const first = rng.pick(FIRST);
      const last = rng.pick(LAST);
      const pcf: Record<string, unknown> = {};
      if (rng.chance(0.85)) pcf[roleKey] = i === 0 ? roleOpts[0] : rng.pick(roleOpts);
      if (rng.chance(0.85)) pcf[strengthKey] = rng.pick(strengthOpts);
      b.addPerson({
        name: `${first} ${last}`, firstName: first, lastName: last, ownerId, orgId: org.id,
        emails: rng.chance(0.92) ? [{ value: `${slug(first)}.${slug(last)}${org.id}@cliente${org.id}.com.br`, primary: true, label: 'work' }] : [],
        phones: rng.chance(0.8) ? [{ value: `+55 11 9${rng.int(1000_0000, 9999_9999)}`, primary: true, label: 'work' }] : [],
        addTime: addTime + rng.int(0, 30) * day, updateTime: now - rng.int(0, 400) * day - rng.int(0, 86_399) * 1000, cf: pcf,
      });
    }
    const firstDeal = b.deals.length + 1;
    for (let i = 0; i < perOrg.deals; i++) {
      const r = rng.next();
      const status: DealStatus = r < 0.55 ? 'won' : r < 0.8 ? 'open' : 'lost';
      const at = now - rng.int(1, 1500) * day - rng.int(0, 86_399) * 1000;
      const t = rng.int(0, DEAL_TITLES.length - 1);
      const closed = status !== 'open';
      b.addDeal({
        title: DEAL_TITLES[t]!, ownerId, creatorUserId: ownerId, personId: firstPerson + rng.int(0, nPersons - 1), orgId: org.id,
        stageId: closed ? 5 : rng.int(1, 4), value: rng.int(5, 150) * 1000, currency: rng.chance(0.05) ? rng.pick(['USD', 'EUR']) : 'BRL',
        status, wonTime: status === 'won' ? at : null, lostTime: status === 'lost' ? at : null, closeTime: closed ? at : null,
        expectedCloseDate: closed ? b.date(at) : b.date(b.today + rng.int(5, 120) * day), stageChangeTime: at,
        addTime: at - rng.int(10, 90) * day, updateTime: at, cf: rng.chance(0.9) ? { [lineKey]: lineByLabel.get(SERVICE_LINES[t]!)! } : {},
      });
    }
    for (let i = 0; i < perOrg.activities; i++) {
      const type = rng.pick(TYPE_WEIGHTS);
      const isDone = rng.chance(0.85);
      // Done activities happened yesterday or earlier, so their done time is in the past whatever now is.
      const daysAgo = isDone ? rng.int(1, 540) : -rng.int(0, 60);
      const withTime = type === 'meeting' || type === 'lunch' || rng.chance(0.3);
      const atMs = b.today - daysAgo * day + (withTime ? rng.int(11, 21) * 3_600_000 : 12 * 3_600_000);
      b.addActivity({
        type, subject: rng.pick(SUBJECTS[type]!), ownerId: ownerId ?? rng.pick(ownerIds), orgId: org.id,
        dealId: perOrg.deals > 0 && rng.chance(0.6) ? firstDeal + rng.int(0, perOrg.deals - 1) : null,
        personId: rng.chance(0.9) ? firstPerson + rng.int(0, nPersons - 1) : null,
        done: isDone, atMs, withTime,
        doneAfterMs: rng.int(600, 3 * 3600) * 1000, addedBeforeMs: rng.int(1, 30) * day + rng.int(0, 86_399) * 1000,
      });
    }
  }
}

/** Generates a complete, deterministic dataset (same seed + now ⇒ identical data). */
export function generateDataset(opts: GenerateOptions): Dataset {
  const b = new Builder(opts.seed, opts.now);
  const rng = createPrng(opts.seed);
  if (opts.scale === 'demo') {
    b.doneNote = '<p>Pauta e próximos passos registrados.</p>';
    addStory(b, opts.now);
    const storyCount = b.orgs.length;
    addRandomOrgs(b, rng, DEMO_ORG_COUNT - storyCount - 2, { persons: 2, deals: 2, activities: 6 }, ACTIVE_OWNERS);
    // Two more clients of the deactivated user, so reassignment has more than one case.
    addRandomOrgs(b, rng, 2, { persons: 2, deals: 1, activities: 4 }, ['paulo']);
  } else {
    const s = opts.scale === 'small' ? SMALL_SCALE : opts.scale;
    addRandomOrgs(b, rng, s.organizations, { persons: s.personsPerOrg, deals: s.dealsPerOrg, activities: s.activitiesPerOrg }, [...ACTIVE_OWNERS, 'paulo']);
  }
  return {
    companyId: 7_400_000 + (Math.abs(Math.trunc(opts.seed)) % 100_000),
    companyName: 'Exemplo Consultoria',
    meUserId: DEMO_USERS.head.id,
    users: buildUsers(b.now),
    activityTypes: buildActivityTypes(b.now),
    fields: b.fields,
    organizations: b.orgs,
    persons: b.persons,
    deals: b.deals,
    activities: b.activities,
  };
}

/** A dataset with users, activity types and the custom fields but no records (for focused tests). */
export function emptyDataset(now: Date, seed = 1): Dataset {
  return { ...generateDataset({ seed, now, scale: { organizations: 0, personsPerOrg: 0, dealsPerOrg: 0, activitiesPerOrg: 0 } }) };
}
