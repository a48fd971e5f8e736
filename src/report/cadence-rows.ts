/**
 * The cadence and stalled-work lists as lazy `Rows` (rows.ts): rule gaps, missed activities, the plan's
 * writes with what apply did, and stalled deals. Each keeps a sorted index over the rules' result (or the
 * plan) and builds an entry (names, labels, links) when it is read: at 50k clients these are ~250,000 entries
 * the report used to hold while its files were written. Entries are `Object.assign`ed onto a fresh `orgRef`
 * rather than spread from the result's records (see `copyWith` in rows.ts).
 */
import type { PlannedWrite } from '../plan/types.js';
import { reminderMode } from '../plan/reminders.js';
import type { CadenceResult, OrgAssessment, RulesResult, StalledDeal } from '../rules/types.js';
import { recordUrl } from './record-url.js';
import { byName, type Lookup } from './report-lookup.js';
import type { AppliedSummary, CreatedEntry, MissedEntry, OverdueEntry, ReportV1, StalledEntry } from './report-schema.js';
import { indexes, LazyRows, type Rows } from './rows.js';

/** A client's name and tier as `orgRef` gives them, without building its url: the lists' sort keys. */
function refKeys(lk: Lookup, orgId: number): { name: string; tier: number } {
  return { name: lk.orgName(orgId) ?? `#${orgId}`, tier: lk.assessment(orgId)?.tier.level ?? 0 };
}

/** Rule gaps (overdue or never met), the largest first; and how many of each. */
export function overdueRows(lk: Lookup, result: RulesResult): { rows: Rows<OverdueEntry>; overdueGaps: number; neverGaps: number } {
  const { collator, orgRef, ruleLabel, userName } = lk;
  const orgs: OrgAssessment[] = [];
  const gaps: CadenceResult[] = [];
  let overdueGaps = 0;
  for (const o of result.organizations) {
    for (const c of o.cadence) {
      if (!c.applies || (c.status !== 'overdue' && c.status !== 'never')) continue;
      orgs.push(o);
      gaps.push(c);
      if (c.status === 'overdue') overdueGaps += 1;
    }
  }
  const keys = orgs.map((o) => refKeys(lk, o.orgId));
  // "Never touched" is the largest gap of all.
  const order = indexes(gaps.length).sort(
    (a, b) =>
      (gaps[b]!.gapDays ?? Infinity) - (gaps[a]!.gapDays ?? Infinity) ||
      keys[b]!.tier - keys[a]!.tier ||
      collator.compare(keys[a]!.name, keys[b]!.name) ||
      gaps[a]!.ruleId.localeCompare(gaps[b]!.ruleId),
  );
  const entry = (o: OrgAssessment, c: CadenceResult): OverdueEntry =>
    Object.assign(orgRef(o.orgId), {
    ruleId: c.ruleId,
    ruleLabel: ruleLabel(c.ruleId),
    category: c.category,
    status: c.status,
    cadenceDays: c.cadenceDays,
    gapDays: c.gapDays,
    lastTouchpointDate: c.lastTouchpoint?.date ?? null,
    nextDueDate: c.nextDueDate,
    ownerId: o.ownerId,
    ownerName: userName(o.ownerId),
    assigneeId: o.assigneeId,
    assigneeName: userName(o.assigneeId),
    openScheduledActivityId: c.openScheduled?.activityId ?? null,
    // Who gets reminders (docs/policy.md §10.1): a Tier 1–2 gap is reported, not turned into an activity.
      onGap: reminderMode(lk.policy, o, c.ruleId),
    });
  const rows = new LazyRows(order.length, (i) => entry(orgs[order[i]!]!, gaps[order[i]!]!));
  return { rows, overdueGaps, neverGaps: gaps.length - overdueGaps };
}

/** Missed activities, by owner and due date. */
export function missedRows(lk: Lookup, result: RulesResult): Rows<MissedEntry> {
  const { collator, orgRef, ruleLabel, userName } = lk;
  const orgs: OrgAssessment[] = [];
  const gaps: (CadenceResult & { missed: NonNullable<CadenceResult['missed']> })[] = [];
  for (const o of result.organizations) {
    for (const c of o.cadence) {
      if (!c.applies || !c.missed) continue;
      orgs.push(o);
      gaps.push(c as (typeof gaps)[number]);
    }
  }
  const owners = gaps.map((c) => userName(c.missed.ownerId) ?? '');
  const order = indexes(gaps.length).sort((a, b) => {
    const ma = gaps[a]!.missed;
    const mb = gaps[b]!.missed;
    return collator.compare(owners[a]!, owners[b]!) || (ma.ownerId ?? 0) - (mb.ownerId ?? 0) || ma.dueDate.localeCompare(mb.dueDate) || ma.activityId - mb.activityId;
  });
  return new LazyRows(order.length, (i) => {
    const o = orgs[order[i]!]!;
    const { ruleId, missed } = gaps[order[i]!]!;
    return Object.assign(orgRef(o.orgId), {
      ruleId, ruleLabel: ruleLabel(ruleId), activityId: missed.activityId, subject: missed.subject, dueDate: missed.dueDate, ownerId: missed.ownerId, ownerName: userName(missed.ownerId),
    });
  });
}

type Cadence = ReportV1['cadence'];
export interface CadenceWriteRows {
  created: Rows<CreatedEntry>;
  deletions: Rows<Cadence['deletions'][number]>;
  flagChanges: Rows<Cadence['flagChanges'][number]>;
}

/** The plan's writes, in the plan's order, with what apply did to each: activities created, deletions and flag changes. */
export function writeRows(lk: Lookup, writes: readonly PlannedWrite[], applied: AppliedSummary | null): CadenceWriteRows {
  const { orgRef, userName, typeNames } = lk;
  const outcomes = new Map((applied?.results ?? []).map((r) => [r.key, r]));
  const creates: Extract<PlannedWrite, { kind: 'create_activity' }>[] = [];
  const deletes: Extract<PlannedWrite, { kind: 'delete_activity' }>[] = [];
  // A flag change is a (write, change) pair.
  const flagWrites: Extract<PlannedWrite, { kind: 'update_org_flags' }>[] = [];
  const flagChanges: number[] = [];
  for (const w of writes) {
    if (w.kind === 'create_activity') creates.push(w);
    else if (w.kind === 'delete_activity') deletes.push(w);
    else {
      for (let c = 0; c < w.changes.length; c++) {
        flagWrites.push(w);
        flagChanges.push(c);
      }
    }
  }
  const created = (w: (typeof creates)[number]): CreatedEntry => {
    const outcome = outcomes.get(w.key);
    return Object.assign(orgRef(w.orgId), {
      key: w.key,
      purpose: w.purpose,
      ruleId: w.ruleId,
      reason: w.reason,
      subject: w.activity.subject,
      type: w.activity.type,
      ...(typeNames.has(w.activity.type) ? { typeName: typeNames.get(w.activity.type)! } : {}),
      dueDate: w.activity.due_date,
      ownerId: w.activity.owner_id,
      ownerName: userName(w.activity.owner_id),
      outcome: outcome?.outcome ?? 'planned',
      activityId: outcome?.pipedriveId ?? null,
      outcomeDetail: outcome?.detail ?? null,
    });
  };
  return {
    created: new LazyRows(creates.length, (i) => created(creates[i]!)),
    deletions: new LazyRows(deletes.length, (i) => {
      const w = deletes[i]!;
      return Object.assign(orgRef(w.orgId), { key: w.key, activityId: w.activityId, reason: w.reason, outcome: outcomes.get(w.key)?.outcome ?? 'planned' });
    }),
    flagChanges: new LazyRows(flagWrites.length, (i) => {
      const w = flagWrites[i]!;
      const c = w.changes[flagChanges[i]!]!;
      return Object.assign(orgRef(w.orgId), { key: w.key, flag: c.flag, from: c.from, to: c.to, outcome: outcomes.get(w.key)?.outcome ?? 'planned' });
    }),
  };
}

type StalledByOwner = NonNullable<ReportV1['stalledWork']>['byOwner'];

/** Stalled work (docs/policy.md §10.5): stalled deals grouped by owner, and their counts per owner (owners as first met). */
export function stalledRows(lk: Lookup, result: RulesResult): { deals: Rows<StalledEntry>; byOwner: StalledByOwner } {
  const { collator, origin, orgRef, userName } = lk;
  const orgs: OrgAssessment[] = [];
  const deals: StalledDeal[] = [];
  for (const o of result.organizations) {
    for (const d of o.stalledDeals ?? []) {
      orgs.push(o);
      deals.push(d);
    }
  }
  // The deal's owner, else the client's owner: who the list is grouped by.
  const ownerIds = deals.map((d, k) => d.ownerId ?? orgs[k]!.ownerId);
  const ownerNames = ownerIds.map((id) => userName(id));
  const order = indexes(deals.length).sort((a, b) => {
    const da = deals[a]!;
    const db = deals[b]!;
    return (
      byName(collator, ownerNames[a]!, ownerNames[b]!) ||
      (ownerIds[a] ?? Infinity) - (ownerIds[b] ?? Infinity) ||
      (db.daysPastClose ?? -Infinity) - (da.daysPastClose ?? -Infinity) ||
      (db.daysInStage ?? -Infinity) - (da.daysInStage ?? -Infinity) ||
      da.dealId - db.dealId
    );
  });
  const byOwner = new Map<string, StalledByOwner[number]>();
  for (const k of order) {
    const key = String(ownerIds[k]);
    const counts = byOwner.get(key) ?? { ownerId: ownerIds[k]!, ownerName: ownerNames[k]!, count: 0, pastClose: 0, inStage: 0 };
    byOwner.set(key, counts);
    counts.count += 1;
    if (deals[k]!.reasons.includes('past_close')) counts.pastClose += 1;
    if (deals[k]!.reasons.includes('in_stage')) counts.inStage += 1;
  }
  const entry = (k: number): StalledEntry => {
    const d = deals[k]!;
    const ownerId = ownerIds[k]!;
    return Object.assign(orgRef(orgs[k]!.orgId), d, { ownerId, ownerName: userName(ownerId), dealUrl: recordUrl(origin, 'deal', d.dealId) ?? `${origin}/deal/${d.dealId}` });
  };
  return { deals: new LazyRows(order.length, (i) => entry(order[i]!)), byOwner: [...byOwner.values()] };
}
