/**
 * What the changes seen between nights (changes.ts) mean for one client tonight (docs/policy.md §10.5):
 *
 * - a decision maker or champion deleted, moved or whose role changed is a `stakeholder_change` risk for
 *   `stakeholderChanges.riskDays` after the night it was seen;
 * - after a handover the previous owner is left out of outreach collisions for `handover.previousOwnerDays`;
 * - the latest handover to the client's current owner, within the same window, carries the client's
 *   history for the planner's handover activity (planned once: its key names the handover).
 *
 * Pure: the events, the client's mirror and the day come in.
 */
import type { Policy } from '../config/policy-schema.js';
import { isArchivedDeal } from '../domain/entities.js';
import type { ChangeEvent, HandoverEvent, StakeholderEvent } from './changes.js';
import type { EpochDay } from './calendar.js';
import { formatEpochDay, parseIsoDate } from './calendar.js';
import { valueLabels } from './field-values.js';
import type { OrgMirror } from './mirror-index.js';
import type { Stakeholders } from './stakeholders.js';
import type { HandoverFacts, Risk } from './types.js';

export interface OrgChanges {
  handovers: HandoverEvent[];
  stakeholders: StakeholderEvent[];
}

/** The events by client, once per pass. */
export function indexChanges(events: readonly ChangeEvent[]): Map<number, OrgChanges> {
  const out = new Map<number, OrgChanges>();
  for (const e of events) {
    let entry = out.get(e.orgId);
    if (!entry) out.set(e.orgId, (entry = { handovers: [], stakeholders: [] }));
    if (e.kind === 'handover') entry.handovers.push(e);
    else entry.stakeholders.push(e);
  }
  return out;
}

const within = (day: string, today: EpochDay, days: number): boolean => {
  const d = parseIsoDate(day);
  return d !== null && today - d <= days;
};

/** One risk per stakeholder change still within its window. */
export function stakeholderChangeRisks(changes: OrgChanges | undefined, today: EpochDay, policy: Policy): Risk[] {
  const out: Risk[] = [];
  for (const e of changes?.stakeholders ?? []) {
    if (!within(e.day, today, policy.stakeholderChanges.riskDays)) continue;
    const base = { person: e.name, role: e.role, changeDate: e.day };
    const what = e.change === 'deleted' ? 'was deleted' : e.change === 'moved' ? `moved to ${e.now ?? '—'}` : `changed role to ${e.now ?? '—'}`;
    out.push({
      kind: 'stakeholder_change',
      detail: `${e.role} #${e.personId} ${what} (seen ${e.day}, compared with ${e.since})`,
      evidence: { personIds: [e.personId], seen: e.day },
      params: e.change === 'deleted' ? base : e.change === 'moved' ? { ...base, newOrg: e.now ?? '—' } : { ...base, newRole: e.now ?? '—' },
      ...(e.change === 'moved' ? { textKey: 'stakeholder_moved' as const } : e.change === 'role_changed' ? { textKey: 'stakeholder_role_changed' as const } : {}),
    });
  }
  return out;
}

/** Previous owners still within `handover.previousOwnerDays` (never the current owner). */
export function previousOwners(changes: OrgChanges | undefined, currentOwner: number | null, today: EpochDay, policy: Policy): Set<number> | undefined {
  if (!changes || changes.handovers.length === 0) return undefined;
  const out = new Set<number>();
  for (const e of changes.handovers) if (e.fromOwnerId !== currentOwner && within(e.day, today, policy.handover.previousOwnerDays)) out.add(e.fromOwnerId);
  return out.size > 0 ? out : undefined;
}

/** The latest handover to the current owner within its window, with the client's history; else undefined. */
export function handoverFacts(om: OrgMirror, changes: OrgChanges | undefined, today: EpochDay, stakeholders: Stakeholders, policy: Policy): HandoverFacts | undefined {
  const latest = changes?.handovers.filter((e) => e.toOwnerId === om.org.ownerId && within(e.day, today, policy.handover.previousOwnerDays)).at(-1);
  if (!latest) return undefined;
  const touchpoints: HandoverFacts['touchpoints'] = [];
  for (let i = om.touchpoints.length - 1; i >= 0 && touchpoints.length < policy.handover.lastTouchpoints; i -= 1) {
    const e = om.touchpoints[i]!;
    touchpoints.push({ date: formatEpochDay(e.day!), subject: e.activity.subject, ownerId: e.activity.ownerId });
  }
  const openDeals = om.deals
    .filter((d) => d.status === 'open' && !d.isDeleted && !isArchivedDeal(d))
    .map((d) => ({ title: d.title, value: d.value ?? 0, currency: d.currency ?? '' }));
  const field = stakeholders.roleField;
  const people = om.persons.map((p) => ({ name: p.name, role: field ? valueLabels(field.read(p), field.fieldType, field.options).join(', ') : '' }));
  return { fromOwnerId: latest.fromOwnerId, toOwnerId: latest.toOwnerId, day: latest.day, since: latest.since, touchpoints, openDeals, stakeholders: people };
}
