/**
 * Relationship risks (docs/policy.md §7). Windows are inclusive: "within N days" means N days ago still counts.
 *
 * The "Tier 3+" of the key-person and decision-maker risks is `risks.decisionMakerMinTier` (the policy
 * has one threshold for strategic clients; key-person dependency uses it too).
 */
import type { Policy } from '../config/policy-schema.js';
import type { Deal } from '../domain/entities.js';
import type { EpochDay } from './calendar.js';
import { addYears, formatEpochDay } from './calendar.js';
import { formatAmount, toFirmCurrency } from './currency.js';
import type { EngagementWindow } from './engagement.js';
import { weekIndex } from './engagement.js';
import type { OrgMirror } from './mirror-index.js';
import type { Stakeholders } from './stakeholders.js';
import type { Engagement, Risk } from './types.js';

export interface RiskInput {
  org: OrgMirror;
  /** Ids of the client's (not deleted) persons. */
  clientIds: ReadonlySet<number>;
  tier: number;
  engagement: Engagement;
  contractEndDay: EpochDay | null;
  today: EpochDay;
  window: EngagementWindow;
  /** Users left out of outreach collisions: the client's previous owner after a handover (docs/policy.md §10.5). */
  excludedUsers?: ReadonlySet<number>;
}

export interface RiskContext {
  policy: Policy;
  stakeholders: Stakeholders;
  /** A user's name for the risk's sentence (`#id` when the company has no such user). */
  userName(id: number): string;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Distinct client persons reached by touchpoints from `sinceDay` on. */
function personsTouchedSince(org: OrgMirror, clientIds: ReadonlySet<number>, sinceDay: EpochDay): { persons: Set<number>; touches: number } {
  const persons = new Set<number>();
  let touches = 0;
  for (let i = org.touchpoints.length - 1; i >= 0; i -= 1) {
    const e = org.touchpoints[i]!;
    if (e.day! < sinceDay) break;
    touches += 1;
    for (const p of e.personIds) if (clientIds.has(p)) persons.add(p);
  }
  return { persons, touches };
}

type PersonNames = { one: (id: number) => string; many: (ids: readonly number[]) => string };

/** PersonNames over the client's persons (a class: no closures built per client). */
class ClientPersonNames implements PersonNames {
  constructor(private readonly persons: OrgMirror['persons']) {}
  one(id: number): string {
    return this.persons.find((p) => p.id === id)?.name ?? `#${id}`;
  }
  many(ids: readonly number[]): string {
    return ids.map((id) => this.one(id)).join(', ');
  }
}

export function assessRisks(input: RiskInput, ctx: RiskContext): Risk[] {
  const { org } = input;
  // Sentences name people, not ids; the client's persons are few, so a scan is cheaper than a map.
  const names: PersonNames = new ClientPersonNames(org.persons);
  const strategic = input.tier >= ctx.policy.risks.decisionMakerMinTier;
  const risks: (Risk | null)[] = [
    strategic ? keyPersonRisk(input, ctx, names) : null,
    strategic ? decisionMakerRisk(input, ctx, names) : null,
    collisionRisk(input, ctx),
    fallingEngagementRisk(input.engagement),
    renewalRisk(input, ctx),
    stakeholderAtRiskRisk(input, ctx, names),
    ...dealRisks(input, ctx),
  ];
  return risks.filter((x): x is Risk => x !== null);
}

/** Touchpoints in the key-person window that all reached one person. */
function keyPersonRisk(input: RiskInput, ctx: RiskContext, names: PersonNames): Risk | null {
  const { org, clientIds, today } = input;
  const r = ctx.policy.risks;
  const { persons, touches } = personsTouchedSince(org, clientIds, today - r.keyPersonDays);
  if (persons.size !== 1) return null;
  const only = [...persons][0]!;
  return {
    kind: 'key_person_dependency',
    detail: `${touches} touchpoint(s) in ${r.keyPersonDays} days reached only person #${only}`,
    evidence: { personIds: [only], touchpoints: touches },
    params: { person: names.one(only), touchpoints: touches, days: r.keyPersonDays },
  };
}

/** No touchpoint with a decision maker in the window (or none mapped). */
function decisionMakerRisk(input: RiskInput, ctx: RiskContext, names: PersonNames): Risk | null {
  const { org, today } = input;
  const { policy, stakeholders } = ctx;
  const r = policy.risks;
  const dms = org.persons.filter((p) => stakeholders.isDecisionMaker(p)).map((p) => p.id);
  const dmSet = new Set(dms);
  const reached = [...personsTouchedSince(org, dmSet, today - r.decisionMakerDays).persons];
  if (reached.length !== 0) return null;
  let lastDm: EpochDay | null = null;
  for (const e of org.touchpoints) if (e.personIds.some((p) => dmSet.has(p))) lastDm = e.day;
  const detail =
    dms.length === 0
      ? `no decision maker mapped (person field ${policy.stakeholders.roleField}), so no decision-maker contact in ${r.decisionMakerDays} days`
      : `no touchpoint with decision maker(s) ${dms.map((id) => `#${id}`).join(', ')} in ${r.decisionMakerDays} days` +
        (lastDm === null ? ' (never)' : ` (last ${formatEpochDay(lastDm)})`);
  const days = r.decisionMakerDays;
  const text: Pick<Risk, 'params' | 'textKey'> =
    dms.length === 0
      ? { params: { field: stakeholders.roleField?.name ?? policy.stakeholders.roleField, days }, textKey: 'no_decision_maker_mapped' }
      : lastDm === null
        ? { params: { persons: names.many(dms), days }, textKey: 'no_decision_maker_contact_never' }
        : { params: { persons: names.many(dms), days, lastContactDate: formatEpochDay(lastDm) } };
  return {
    kind: 'no_decision_maker_contact',
    detail,
    evidence: lastDm === null ? { personIds: dms } : { personIds: dms, lastContact: formatEpochDay(lastDm) },
    ...text,
  };
}

/** Outreach collision: the most recent ISO week of the shown engagement window with ≥ collisionUsers users. */
function collisionRisk(input: RiskInput, ctx: RiskContext): Risk | null {
  const { org, window } = input;
  const r = ctx.policy.risks;
  const usersByWeek = new Map<number, Set<number>>();
  const firstShown = window.span - window.shown;
  for (const e of org.touchpoints) {
    const w = weekIndex(window, e.day!);
    if (w < firstShown || e.activity.ownerId === null || input.excludedUsers?.has(e.activity.ownerId)) continue;
    let set = usersByWeek.get(w);
    if (!set) usersByWeek.set(w, (set = new Set()));
    set.add(e.activity.ownerId);
  }
  const collisions = [...usersByWeek.entries()].filter(([, users]) => users.size >= r.collisionUsers).sort((a, b) => b[0] - a[0]);
  if (collisions.length === 0) return null;
  const [w, users] = collisions[0]!;
  const userIds = [...users].sort((a, b) => a - b);
  return {
    kind: 'outreach_collision',
    detail:
      `${userIds.length} users (${userIds.map((u) => `#${u}`).join(', ')}) touched the client in week ${window.labels[w]}` +
      (collisions.length > 1 ? `; ${collisions.length} such weeks in the last ${window.shown}` : ''),
    evidence: { week: window.labels[w]!, userIds, weeks: collisions.length },
    params: {
      users: userIds.map((u) => ctx.userName(u)).join(', '),
      userCount: userIds.length,
      weekStartDate: formatEpochDay(window.currentWeekStart - 7 * (window.span - 1 - w)),
      weeks: collisions.length,
      shownWeeks: window.shown,
    },
  };
}

function fallingEngagementRisk(engagement: Engagement): Risk | null {
  if (engagement.trend !== 'falling') return null;
  return {
    kind: 'falling_engagement',
    detail: `${engagement.last4} touchpoints in the last 4 weeks against ${engagement.previous4} in the 4 before`,
    evidence: { last4: engagement.last4, previous4: engagement.previous4 },
    params: { last4: engagement.last4, previous4: engagement.previous4 },
  };
}

function renewalRisk(input: RiskInput, ctx: RiskContext): Risk | null {
  const { contractEndDay, today } = input;
  const r = ctx.policy.risks;
  if (contractEndDay === null) return null;
  const until = contractEndDay - today;
  if (until < 0 || until > r.renewalWindowDays) return null;
  return {
    kind: 'renewal_due',
    detail: `contract ends ${formatEpochDay(contractEndDay)}, in ${until} days (window ${r.renewalWindowDays})`,
    evidence: { contractEndDate: formatEpochDay(contractEndDay), daysUntil: until },
    params: { contractEndDate: formatEpochDay(contractEndDay), days: until, windowDays: r.renewalWindowDays },
  };
}

function stakeholderAtRiskRisk(input: RiskInput, ctx: RiskContext, names: PersonNames): Risk | null {
  const atRisk = input.org.persons.filter((p) => ctx.stakeholders.isAtRisk(p)).map((p) => p.id);
  if (atRisk.length === 0) return null;
  return {
    kind: 'stakeholder_at_risk',
    detail: `relationship strength at risk: ${atRisk.map((id) => `#${id}`).join(', ')}`,
    evidence: { personIds: atRisk },
    params: { persons: names.many(atRisk), count: atRisk.length },
  };
}

/** Shrinking deals and recent losses. */
function dealRisks(input: RiskInput, ctx: RiskContext): (Risk | null)[] {
  const { org, today } = input;
  const { policy } = ctx;
  const r = policy.risks;
  const risks: Risk[] = [];
  // Shrinking: the latest won deal (won within the last year) below shrinkingRatio × the one before it.
  const won: { d: Deal; day: EpochDay }[] = [];
  const lost: Deal[] = [];
  org.deals.forEach((d, i) => {
    const day = org.closeDays[i] ?? null;
    if (day === null || day > today) return;
    if (d.status === 'won') won.push({ d, day });
    else if (today - day <= r.lostDealDays) lost.push(d);
  });
  won.sort((a, b) => b.day - a.day || b.d.id - a.d.id);
  const [latest, previous] = won;
  if (latest && previous && latest.day >= addYears(today, -1)) {
    const lv = toFirmCurrency(latest.d.value, latest.d.currency, policy);
    const pv = toFirmCurrency(previous.d.value, previous.d.currency, policy);
    if (lv !== null && pv !== null && pv > 0 && lv < r.shrinkingRatio * pv) {
      risks.push({
        kind: 'shrinking_deals',
        detail: `latest won deal #${latest.d.id} (${formatAmount(lv)} ${policy.currency}) is ${Math.round((lv / pv) * 100)} % of the previous #${previous.d.id} (${formatAmount(pv)})`,
        evidence: { dealIds: [latest.d.id, previous.d.id] },
        params: {
          latestDeal: latest.d.title,
          latestValue: round2(lv),
          previousDeal: previous.d.title,
          previousValue: round2(pv),
          currency: policy.currency,
          percent: Math.round((lv / pv) * 100),
        },
      });
    }
  }

  lost.sort((a, b) => a.id - b.id);
  if (lost.length > 0) {
    risks.push({
      kind: 'recent_loss',
      detail: `${lost.length} deal(s) lost in the last ${r.lostDealDays} days: ${lost.map((d) => `#${d.id}`).join(', ')}`,
      evidence: { dealIds: lost.map((d) => d.id) },
      params: { deals: lost.map((d) => d.title).join(', '), count: lost.length, days: r.lostDealDays },
    });
  }
  return risks;
}
