/**
 * The pure rules pass over one company's mirror (docs/policy.md §1–4, §6, §7): (policy, snapshot, clock) →
 * RulesResult. No IO; the same inputs always give the same result.
 *
 * Cost: one indexing pass over the mirror (mirror-index.ts), then per organization only its own
 * persons, deals and activities. Regexes and the time-zone formatter are built once per call.
 */
import type { Policy } from '../config/policy-schema.js';
import { isArchivedDeal, type Deal, type EntityKind, type MirrorSnapshot, type Person } from '../domain/entities.js';
import { cadenceStart, compileCadenceRules, evaluateCadenceRule, isMissed, lastAnyTouchpoint, overallStatus } from './cadence.js';
import type { EpochDay } from './calendar.js';
import { createDayFormatter, createZoneCalendar, parseInstant, parseIsoDate } from './calendar.js';
import { toFirmCurrency } from './currency.js';
import { createAccountCare } from './account-care.js';
import { handoverFacts, indexChanges, previousOwners, stakeholderChangeRisks } from './change-effects.js';
import type { ChangeEvent } from './changes.js';
import { createDataQuality } from './data-quality.js';
import { assessEngagement, engagementWindow } from './engagement.js';
import { createFieldCatalogue } from './field-catalogue.js';
import { dateValue } from './field-values.js';
import { healthScore } from './health.js';
import type { OrgMirror } from './mirror-index.js';
import { indexMirror } from './mirror-index.js';
import { resolveUserRef } from './resolve-user-ref.js';
import { assessRisks } from './risks.js';
import type { Stakeholders } from './stakeholders.js';
import { findStalledDeals, stalledRisk } from './stalled.js';
import { createStakeholders } from './stakeholders.js';
import { compileTierRules } from './tiers.js';
import { compileCategories } from './touchpoints.js';
import type { CadenceResult, Finding, HealthPart, OrgAssessment, RulesClock, RulesResult } from './types.js';

export interface AssessOptions {
  /**
   * Who receives follow-ups of clients without an active owner. Default: `policy.owners.fallbackUser`
   * resolved against the company's users (null when it matches no active user).
   */
  fallbackUserId?: number | null;
  /**
   * Changes seen between nights that are still in their windows (changes.ts, docs/policy.md §10.5): handovers
   * and stakeholder changes. None when omitted.
   */
  changes?: readonly ChangeEvent[];
}

/** Policy field names the rules read (flag fields are the planner's and created by `cadence setup`). */
function policyFieldNames(policy: Policy): { entity: EntityKind; name: string }[] {
  const out: { entity: EntityKind; name: string }[] = [
    { entity: 'organization', name: policy.tierField.name },
    { entity: 'organization', name: policy.renewal.contractEndField },
    { entity: 'person', name: policy.stakeholders.roleField },
    { entity: 'person', name: policy.stakeholders.strengthField },
  ];
  if (policy.keyAccount.dealField) out.push({ entity: 'deal', name: policy.keyAccount.dealField.name });
  if (policy.tierCriteria.recurrence.retainerField) out.push({ entity: 'deal', name: policy.tierCriteria.recurrence.retainerField.name });
  const care = policy.accountCare;
  for (const name of [care.satisfaction.scoreField, care.satisfaction.dateField, care.executiveSponsorField, care.accountPlan.reviewedField]) out.push({ entity: 'organization', name });
  for (const entity of ['organization', 'person', 'deal'] as const) {
    for (const r of policy.requiredFields[entity]) out.push({ entity, name: r.field });
  }
  return out;
}

/** Main contact: a decision maker, else a champion, else the most recently touched person, else any (lowest id). */
function mainContact(persons: readonly Person[], lastTouch: ReadonlyMap<number, EpochDay>, stakeholders: Stakeholders): number | null {
  const dms = persons.filter((p) => stakeholders.isDecisionMaker(p));
  if (dms.length > 0) return lastTouched(dms, lastTouch);
  const champions = persons.filter((p) => stakeholders.isChampion(p));
  if (champions.length > 0) return lastTouched(champions, lastTouch);
  return lastTouched(persons, lastTouch);
}

/** The candidate touched most recently (ties and never touched: the first), or null when there is none. */
function lastTouched(candidates: readonly Person[], lastTouch: ReadonlyMap<number, EpochDay>): number | null {
  let pick: Person | null = null;
  let pickDay = -Infinity;
  for (const p of candidates) {
    const day = lastTouch.get(p.id) ?? -Infinity;
    if (pick === null || day > pickDay) {
      pick = p;
      pickDay = day;
    }
  }
  return pick?.id ?? null;
}

/** The open deal worth most in the firm currency (ties: most recently updated, then lowest id). */
function relevantOpenDeal(deals: readonly Deal[], policy: Policy): number | null {
  let pick: { id: number; value: number; updated: number } | null = null;
  for (const d of deals) {
    // An archived deal is never linked to a follow-up: it is out of the pipeline and not editable via the API.
    if (d.status !== 'open' || isArchivedDeal(d)) continue;
    const value = toFirmCurrency(d.value, d.currency, policy) ?? -1;
    const updated = parseInstant(d.updateTime) || 0;
    if (pick === null || value > pick.value || (value === pick.value && (updated > pick.updated || (updated === pick.updated && d.id < pick.id)))) {
      pick = { id: d.id, value, updated };
    }
  }
  return pick?.id ?? null;
}

/** What every organization's assessment reads: the policy compiled once against this company's fields and today. */
interface AssessContext {
  policy: Policy;
  snapshot: MirrorSnapshot;
  cal: ReturnType<typeof createZoneCalendar>;
  today: EpochDay;
  formatDay: ReturnType<typeof createDayFormatter>;
  /** Health parts repeat across clients ("overdue: qbr"): one part object per distinct reason (a cache). */
  healthParts: Map<string, HealthPart>;
  userName: (id: number) => string;
  fallbackUserId: number | null;
  rules: ReturnType<typeof compileCadenceRules>;
  tierRules: ReturnType<typeof compileTierRules>;
  stakeholders: Stakeholders;
  contractEndField: ReturnType<ReturnType<typeof createFieldCatalogue>['resolve']>;
  dataQuality: ReturnType<typeof createDataQuality>;
  accountCare: ReturnType<typeof createAccountCare>;
  changesByOrg: ReturnType<typeof indexChanges>;
  tiersByLevel: Map<number, Policy['tiers'][number]>;
  window: ReturnType<typeof engagementWindow>;
}

export function assessCompany(policy: Policy, snapshot: MirrorSnapshot, clock: RulesClock, opts: AssessOptions = {}): RulesResult {
  const cal = createZoneCalendar(clock.timeZone);
  const nowMs = clock.now.getTime();
  if (!Number.isFinite(nowMs)) throw new RangeError('assessCompany: clock.now is not a valid date');
  const today = cal.dayOfInstant(nowMs);
  const catalogue = createFieldCatalogue(snapshot.fields);
  const unresolvedFields = unresolvedPolicyFields(policy, catalogue);
  const classifier = compileCategories(policy.categories, policy.cadenceRules);
  const ctx = createAssessContext(policy, snapshot, opts, { cal, today, catalogue });
  const { window, formatDay } = ctx;
  const index = indexMirror(snapshot, classifier, cal, today);
  const tierWeeks = new Map<number, number[]>();
  for (const level of [...ctx.tiersByLevel.keys()].sort((a, b) => a - b)) tierWeeks.set(level, new Array<number>(window.shown).fill(0));

  const organizations: OrgAssessment[] = new Array<OrgAssessment>(index.size);
  for (let slot = 0; slot < index.size; slot += 1) {
    const a = assessOrg(ctx, index.client(slot));
    const totals = tierWeeks.get(a.tier.level)!;
    a.engagement.weeks.forEach((w, i) => (totals[i]! += w.count));
    organizations[slot] = a;
  }
  const shownLabels = window.labels.slice(window.span - window.shown);
  return {
    now: clock.now.toISOString(),
    today: formatDay(today),
    timeZone: clock.timeZone,
    organizations,
    otherFindings: ctx.dataQuality.forOrphans(index.orphanPersons, index.orphanDeals),
    engagementByTier: [...tierWeeks.entries()].map(([tier, counts]) => ({
      tier,
      weeks: counts.map((count, i) => ({ week: shownLabels[i]!, count })),
    })),
    unresolvedFields,
  };
}

/** Field names in the policy that match no field of the company (each entity and name once). */
function unresolvedPolicyFields(policy: Policy, catalogue: ReturnType<typeof createFieldCatalogue>): RulesResult['unresolvedFields'] {
  const unresolvedFields: RulesResult['unresolvedFields'] = [];
  const seen = new Set<string>();
  for (const f of policyFieldNames(policy)) {
    const k = `${f.entity}\u0000${f.name.trim().toLowerCase()}`;
    if (seen.has(k)) continue;
    seen.add(k);
    if (!catalogue.resolve(f.entity, f.name)) unresolvedFields.push(f);
  }
  return unresolvedFields;
}

function createAssessContext(
  policy: Policy,
  snapshot: MirrorSnapshot,
  opts: AssessOptions,
  at: { cal: ReturnType<typeof createZoneCalendar>; today: EpochDay; catalogue: ReturnType<typeof createFieldCatalogue> },
): AssessContext {
  const { cal, today, catalogue } = at;
  const fallbackUser = resolveUserRef(policy.owners.fallbackUser, snapshot.users);
  const fallbackUserId = opts.fallbackUserId !== undefined ? opts.fallbackUserId : fallbackUser?.active ? fallbackUser.id : null;
  const stakeholders = createStakeholders(policy.stakeholders, catalogue);
  const rules = compileCadenceRules(policy.cadenceRules);
  return {
    policy,
    snapshot,
    cal,
    today,
    formatDay: createDayFormatter(),
    healthParts: new Map(),
    userName: (id: number): string => snapshot.users.get(id)?.name ?? `#${id}`,
    fallbackUserId,
    rules,
    tierRules: compileTierRules(policy, catalogue, cal),
    stakeholders,
    contractEndField: catalogue.resolve('organization', policy.renewal.contractEndField),
    dataQuality: createDataQuality({ policy, catalogue, snapshot, stakeholders, fallbackUserId, today, rules }),
    accountCare: createAccountCare(policy, catalogue, snapshot),
    changesByOrg: indexChanges(opts.changes ?? []),
    tiersByLevel: new Map(policy.tiers.map((t) => [t.level, t])),
    window: engagementWindow(today, policy.engagement.weeks),
  };
}

/** An active client: an open deal not archived, or a deal won within the policy's window. */
function isActiveClient(om: OrgMirror, today: EpochDay, policy: Policy): boolean {
  return om.deals.some((d, i) => {
    // An archived open deal is parked, not worked; a won deal counts archived or not.
    if (d.status === 'open') return !isArchivedDeal(d);
    const day = om.closeDays[i] ?? null;
    return d.status === 'won' && day !== null && today - day <= policy.activeClientWindowDays;
  });
}

/** One organization: its tier, cadence per rule, engagement, findings, risks, health and who gets its follow-ups. */
function assessOrg(ctx: AssessContext, om: OrgMirror): OrgAssessment {
  const { policy, snapshot, today, formatDay, stakeholders, fallbackUserId, window } = ctx;
  const { org, persons, deals, touchpoints } = om;
  const { decision: tier, findings: tierFindings } = ctx.tierRules.decide(om, today);
  const active = isActiveClient(om, today, policy);
  const cadence = assessCadence(ctx, om, tier.level, active);

  const clientIds = new Set(persons.map((p) => p.id));
  const engagement = assessEngagement(touchpoints, clientIds, window, policy.engagement);
  const contractEnd = ctx.contractEndField ? dateValue(ctx.contractEndField.read(org)) : null;
  const findings: Finding[] = [...tierFindings, ...ctx.dataQuality.forOrg(om, tier.level)];
  const { risks, stalledDeals, care, handover } = assessRisksAndCare(ctx, om, { tier: tier.level, clientIds, engagement, contractEnd });
  findings.push(...care.findings);

  const lastTouch = new Map<number, EpochDay>();
  for (const e of touchpoints) for (const p of e.personIds) if (clientIds.has(p)) lastTouch.set(p, e.day!);

  const owner = org.ownerId === null ? undefined : snapshot.users.get(org.ownerId);
  const ownerActive = owner?.active === true;
  // A rule with inOverallStatus: false (executive events) is measured and reported, not part of the flag.
  const flagged = cadence.filter((c) => policy.cadenceRules[c.ruleId]?.inOverallStatus !== false);
  let nextDue: string | null = null;
  for (const c of flagged) if (c.applies && c.nextDueDate !== null && (nextDue === null || c.nextDueDate < nextDue)) nextDue = c.nextDueDate;
  const last = touchpoints[touchpoints.length - 1];

  return {
    orgId: org.id,
    name: org.name,
    ownerId: org.ownerId,
    ownerActive,
    assigneeId: ownerActive ? org.ownerId : fallbackUserId,
    tier,
    active,
    cadence,
    overallStatus: overallStatus(flagged),
    lastTouchpointDate: last ? formatDay(last.day!) : null,
    nextDueDate: nextDue,
    engagement,
    findings,
    risks,
    health: healthScore(flagged, engagement, risks, findings.length, policy.health, ctx.healthParts),
    contractEndDate: contractEnd,
    mainContactPersonId: mainContact(persons, lastTouch, stakeholders),
    relevantOpenDealId: relevantOpenDeal(deals, policy),
    stalledDeals,
    missedActivities: om.open.reduce((n, e) => (isMissed(e, today, policy.status.missedGraceDays) ? n + 1 : n), 0),
    ...(care.accountPlanDue ? { accountPlanDue: care.accountPlanDue } : {}),
    ...(handover ? { handover } : {}),
  };
}

/** Every cadence rule of the client's tier, counted from the client's start (docs/policy.md §10.4). */
function assessCadence(ctx: AssessContext, om: OrgMirror, tierLevel: number, active: boolean): CadenceResult[] {
  const { policy, today, cal, formatDay } = ctx;
  const tierPolicy = ctx.tiersByLevel.get(tierLevel)!;
  const startDay = cadenceStart(om, cal);
  const { dueSoonDays, missedGraceDays } = policy.status;
  const cadence: CadenceResult[] = [];
  const lastAny = lastAnyTouchpoint(om, formatDay); // one object shared by the client's rules
  for (const [ruleId, tierCadence] of Object.entries(tierPolicy.cadence)) {
    const rule = ctx.rules.get(ruleId);
    if (rule) cadence.push(evaluateCadenceRule({ rule, tierCadence, org: om, active, today, dueSoonDays, missedGraceDays, startDay, formatDay, lastAny }));
  }
  return cadence;
}

/**
 * The client's risks (§7), stalled work, account care (§10.5: satisfaction, sponsor, account plan) and the
 * changes seen between nights (stakeholder changes, the handover; the previous owner out of collisions).
 */
function assessRisksAndCare(
  ctx: AssessContext,
  om: OrgMirror,
  facts: { tier: number; clientIds: Set<number>; engagement: ReturnType<typeof assessEngagement>; contractEnd: string | null },
) {
  const { policy, snapshot, today, cal, stakeholders, userName, fallbackUserId, window } = ctx;
  const { org, deals } = om;
  const contractEndDay = facts.contractEnd === null ? null : parseIsoDate(facts.contractEnd);
  const changes = ctx.changesByOrg.get(org.id);
  const excludedUsers = previousOwners(changes, org.ownerId, today, policy);
  const risks = assessRisks(
    { org: om, clientIds: facts.clientIds, tier: facts.tier, engagement: facts.engagement, contractEndDay, today, window, ...(excludedUsers ? { excludedUsers } : {}) },
    { policy, stakeholders, userName },
  );
  const stalledDeals = findStalledDeals(deals, today, cal, policy, ctx.formatDay);
  const stalled = stalledRisk(stalledDeals, policy);
  if (stalled) risks.push(stalled);
  const care = ctx.accountCare.assess(org, facts.tier, today, snapshot.users.get(org.ownerId ?? -1)?.active === true ? org.ownerId : fallbackUserId);
  risks.push(...care.risks, ...stakeholderChangeRisks(changes, today, policy));
  const handover = handoverFacts(om, changes, today, stakeholders, policy);
  return { risks, stalledDeals, care, handover };
}
