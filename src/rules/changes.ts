/**
 * Changes between nights (docs/policy.md §10.5): an organization's owner changed (a handover), or one of
 * its decision makers or champions was deleted, moved to another organization or changed role (004
 * "mudanças de liderança").
 *
 * Each night keeps a small picture of those relationships in the state store (`RelationshipMemory`): every
 * organization's owner and every key stakeholder's organization, role and name. The next night compares the
 * mirror with that picture, not with "yesterday", so a change made before a missed night is still seen,
 * and once the picture is replaced it is seen only once. What was seen is kept as events for
 * `max(handover.previousOwnerDays, stakeholderChanges.riskDays)` days: the rules turn them into risks and
 * leave a previous owner out of outreach collisions, the planner into one handover activity.
 *
 * Pure: the mirror, the stakeholder reader and the day come in; the job reads and writes the memory.
 */
import { z } from 'zod';
import type { Policy } from '../config/policy-schema.js';
import type { MirrorSnapshot } from '../domain/entities.js';
import { createZoneCalendar, daysBetween, formatEpochDay } from './calendar.js';
import { createFieldCatalogue } from './field-catalogue.js';
import { valueLabels } from './field-values.js';
import { createStakeholders, type Stakeholders } from './stakeholders.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const RelationshipPicture = z.object({
  /** The night (firm's calendar date) the picture was taken. */
  day: isoDate,
  /** [orgId, ownerId] of every live organization. */
  owners: z.array(z.tuple([z.number().int(), z.number().int().nullable()])),
  /** [personId, orgId, role label(s), name] of every live decision maker or champion with an organization. */
  people: z.array(z.tuple([z.number().int(), z.number().int(), z.string(), z.string()])),
});
export type RelationshipPicture = z.infer<typeof RelationshipPicture>;

export const ChangeEvent = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('handover'),
    /** The night it was seen, and the night of the picture it was compared with (the handover's identity). */
    day: isoDate,
    since: isoDate,
    orgId: z.number().int(),
    fromOwnerId: z.number().int(),
    toOwnerId: z.number().int(),
  }),
  z.object({
    kind: z.literal('stakeholder'),
    day: isoDate,
    since: isoDate,
    orgId: z.number().int(),
    personId: z.number().int(),
    name: z.string(),
    role: z.string(),
    change: z.enum(['deleted', 'moved', 'role_changed']),
    /** moved: the organization's name now ("—" when none); role_changed: the role now ("—" when empty). */
    now: z.string().optional(),
  }),
]);
export type ChangeEvent = z.infer<typeof ChangeEvent>;
export type HandoverEvent = Extract<ChangeEvent, { kind: 'handover' }>;
export type StakeholderEvent = Extract<ChangeEvent, { kind: 'stakeholder' }>;

export const RelationshipMemory = z.object({ v: z.literal(1), picture: RelationshipPicture, events: z.array(ChangeEvent) });
export type RelationshipMemory = z.infer<typeof RelationshipMemory>;

/** The role label(s) of a person when they are a decision maker or champion, else null. */
function keyRole(person: Parameters<Stakeholders['isDecisionMaker']>[0], stakeholders: Stakeholders): string | null {
  if (!stakeholders.isDecisionMaker(person) && !stakeholders.isChampion(person)) return null;
  const field = stakeholders.roleField!;
  return valueLabels(field.read(person), field.fieldType, field.options).join(', ');
}

/** Tonight's picture: owners of every live organization, and the decision makers and champions. */
export function takePicture(snapshot: MirrorSnapshot, stakeholders: Stakeholders, day: string): RelationshipPicture {
  const owners: RelationshipPicture['owners'] = [];
  for (const o of snapshot.organizations.values()) if (!o.isDeleted) owners.push([o.id, o.ownerId]);
  const people: RelationshipPicture['people'] = [];
  for (const p of snapshot.persons.values()) {
    if (p.isDeleted || p.orgId === null) continue;
    const role = keyRole(p, stakeholders);
    if (role !== null) people.push([p.id, p.orgId, role, p.name]);
  }
  owners.sort((a, b) => a[0] - b[0]);
  people.sort((a, b) => a[0] - b[0]);
  return { day, owners, people };
}

/** What changed since `before` (nothing on the first night). Handovers need an owner on both sides. */
export function detectChanges(before: RelationshipPicture | undefined, snapshot: MirrorSnapshot, stakeholders: Stakeholders, day: string): ChangeEvent[] {
  if (!before) return [];
  const out: ChangeEvent[] = [];
  const since = before.day;
  for (const [orgId, from] of before.owners) {
    const org = snapshot.organizations.get(orgId);
    if (!org || org.isDeleted || from === null || org.ownerId === null || org.ownerId === from) continue;
    out.push({ kind: 'handover', day, since, orgId, fromOwnerId: from, toOwnerId: org.ownerId });
  }
  // Without the role field (renamed or deleted in Pipedrive) no one's role can be read: that is no change of role.
  if (!stakeholders.roleField) return out;
  for (const [personId, orgId, role, name] of before.people) {
    const person = snapshot.persons.get(personId);
    const base = { kind: 'stakeholder' as const, day, since, orgId, personId, name, role };
    if (!person || person.isDeleted) {
      out.push({ ...base, change: 'deleted' });
    } else if (person.orgId !== orgId) {
      const now = person.orgId === null ? '—' : (snapshot.organizations.get(person.orgId)?.name ?? `#${person.orgId}`);
      out.push({ ...base, change: 'moved', now });
    } else {
      const field = stakeholders.roleField;
      const current = field ? valueLabels(field.read(person), field.fieldType, field.options).join(', ') : '';
      if (current !== role) out.push({ ...base, change: 'role_changed', now: current === '' ? '—' : current });
    }
  }
  return out;
}

/** Events still within `keepDays` of `day`, the earlier ones first; a change seen twice (a re-run) kept once. */
export function keepRecent(events: readonly ChangeEvent[], day: string, keepDays: number): ChangeEvent[] {
  const seen = new Set<string>();
  const out: ChangeEvent[] = [];
  for (const e of events) {
    if (daysBetween(e.day, day) > keepDays) continue;
    const id = e.kind === 'handover' ? `h:${e.orgId}:${e.since}:${e.toOwnerId}` : `s:${e.personId}:${e.orgId}:${e.since}:${e.change}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(e);
  }
  return out;
}

/** How long events are kept: the longer of the two windows that use them. */
export function eventKeepDays(policy: Policy): number {
  return Math.max(policy.handover.previousOwnerDays, policy.stakeholderChanges.riskDays);
}

/**
 * The next memory: tonight's picture and the events still in their windows, tonight's added. `now` is read
 * as a calendar date in the policy's time zone.
 */
export function nextMemory(previous: RelationshipMemory | undefined, snapshot: MirrorSnapshot, now: Date, policy: Policy): RelationshipMemory {
  const day = formatEpochDay(createZoneCalendar(policy.timeZone).dayOfInstant(now.getTime()));
  const stakeholders = createStakeholders(policy.stakeholders, createFieldCatalogue(snapshot.fields));
  const fresh = detectChanges(previous?.picture, snapshot, stakeholders, day);
  const events = keepRecent([...(previous?.events ?? []), ...fresh], day, eventKeepDays(policy));
  const picture = takePicture(snapshot, stakeholders, day);
  // …and the stakeholders seen last are kept until the field can be read again.
  if (!stakeholders.roleField && previous) picture.people = previous.picture.people;
  return { v: 1, picture, events };
}

/** A memory read back from the store, or undefined when there is none or it is not one (then the night starts afresh). */
export function parseMemory(stored: unknown): RelationshipMemory | undefined {
  const parsed = RelationshipMemory.safeParse(stored);
  return parsed.success ? parsed.data : undefined;
}
