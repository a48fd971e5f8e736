/**
 * Parse at the edge (STYLE.md habit 6): zod schemas of the raw records Pipedrive sends (v2 for the four
 * synced entities and the Fields API, v1 for users and activity types), and their mapping onto the lean
 * domain types of src/domain/entities.ts.
 *
 * The raw schemas are deliberately tolerant of what the API leaves out (optional → null / []) and strict
 * about what the rules depend on (ids, names, timestamps). A record that fails is never dropped silently:
 * `parseRecords` returns it as a `MalformedRecord` with entity, id and the first failing field.
 * Shapes: PIPEDRIVE.md §4.1 (activity), §5.1–5.3 (deal, person, organization), §3.3 (fields), §4.4 (types).
 */
import { z } from 'zod';
import type { Activity, ActivityType, Deal, EntityKind, FieldDefinition, Organization, Person, User } from '../domain/entities.js';
import { extractCadenceKey, noteHasText } from '../domain/provenance.js';

const id = z.number().int().positive();
const optId = id.nullish().transform((v) => v ?? null);
const time = z.string().min(1);
const optString = z.string().nullish().transform((v) => v ?? null);
const optBool = z.boolean().nullish().transform((v) => v ?? false);
const customFields = z
  .record(z.string(), z.unknown())
  .nullish()
  .transform((v) => v ?? {});

/** v2 `address` objects (organizations) — only the formatted text is mirrored. */
const AddressRecord = z
  .object({ value: z.string().nullish(), formatted_address: z.string().nullish() })
  .loose()
  .nullish();

export const OrganizationRecord = z.object({
  id,
  name: z.string(),
  owner_id: optId,
  address: AddressRecord,
  add_time: time,
  update_time: time,
  is_deleted: optBool,
  custom_fields: customFields,
});
export type OrganizationRecord = z.infer<typeof OrganizationRecord>;

const ContactValue = z.object({ value: z.string().nullish() }).loose();
const contactList = z
  .array(ContactValue)
  .nullish()
  .transform((v) => (v ?? []).map((c) => c.value ?? '').filter((s) => s !== ''));

export const PersonRecord = z.object({
  id,
  name: z.string(),
  org_id: optId,
  owner_id: optId,
  emails: contactList,
  phones: contactList,
  add_time: time,
  update_time: time,
  is_deleted: optBool,
  custom_fields: customFields,
});
export type PersonRecord = z.infer<typeof PersonRecord>;

export const DealRecord = z.object({
  id,
  title: z.string(),
  org_id: optId,
  person_id: optId,
  owner_id: optId,
  // v2 declares `status` a free string; a deal deleted in the last 30 days reads `deleted` (listed with
  // `status=open,won,lost,deleted`): it parses, and toDeal marks it deleted so the sync applies a deletion.
  status: z.enum(['open', 'won', 'lost', 'deleted']),
  value: z.number().nullish().transform((v) => v ?? null),
  currency: optString,
  won_time: optString,
  lost_time: optString,
  expected_close_date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .nullish()
    .transform((v) => v ?? null),
  label_ids: z
    .array(z.number().int())
    .nullish()
    .transform((v) => v ?? []),
  stage_id: optId,
  stage_change_time: optString,
  add_time: time,
  update_time: time,
  is_deleted: optBool,
  is_archived: optBool,
  custom_fields: customFields,
});
export type DealRecord = z.infer<typeof DealRecord>;

export const ActivityRecord = z.object({
  id,
  subject: z.string(),
  type: z.string(),
  owner_id: optId,
  org_id: optId,
  deal_id: optId,
  person_id: optId,
  participants: z
    .array(z.object({ person_id: id, primary: z.boolean().nullish() }).loose())
    .nullish()
    .transform((v) => v ?? []),
  done: z.boolean(),
  due_date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .nullish()
    .transform((v) => v ?? null),
  due_time: optString,
  marked_as_done_time: optString,
  add_time: time,
  update_time: time,
  is_deleted: optBool,
  note: optString,
});
export type ActivityRecord = z.infer<typeof ActivityRecord>;

/** v1 `GET /v1/users` item (BaseUser + `is_admin` as 0/1 or boolean on some accounts). */
export const UserRecord = z.object({
  id,
  name: z.string(),
  email: z.string(),
  active_flag: z.boolean().nullish(),
  is_admin: z.union([z.boolean(), z.number()]).nullish(),
  access: z
    .array(z.object({ app: z.string().nullish(), admin: z.boolean().nullish() }).loose())
    .nullish(),
});
export type UserRecord = z.infer<typeof UserRecord>;

/** v1 `GET /v1/users/me`: a user plus the company it belongs to. */
export const CurrentUserRecord = UserRecord.extend({
  company_id: z.number().int().nullish(),
  company_name: z.string().nullish(),
  company_domain: z.string().nullish(),
});
export type CurrentUserRecord = z.infer<typeof CurrentUserRecord>;

/** v1 `GET /v1/activityTypes` item. */
export const ActivityTypeRecord = z.object({
  id,
  name: z.string(),
  key_string: z.string().min(1),
  active_flag: z.boolean().nullish(),
  is_custom_flag: z.boolean().nullish(),
});
export type ActivityTypeRecord = z.infer<typeof ActivityTypeRecord>;

/** v2 Fields API item (`GET /api/v2/{entity}Fields`). */
export const FieldRecord = z.object({
  field_code: z.string().min(1),
  field_name: z.string(),
  field_type: z.string().min(1),
  options: z
    // Integer ids for custom fields, string ids for built-in ones (deal `status`, `visible_to`, …).
    .array(z.object({ id: z.union([z.number().int(), z.string().min(1)]), label: z.string() }).loose())
    .nullish()
    .transform((v) => v ?? null),
  is_custom_field: optBool,
});
export type FieldRecord = z.infer<typeof FieldRecord>;

export function toOrganization(r: OrganizationRecord): Organization {
  return {
    id: r.id,
    name: r.name,
    ownerId: r.owner_id,
    address: r.address?.formatted_address ?? r.address?.value ?? null,
    addTime: r.add_time,
    updateTime: r.update_time,
    isDeleted: r.is_deleted,
    customFields: r.custom_fields,
  };
}

export function toPerson(r: PersonRecord): Person {
  return {
    id: r.id,
    name: r.name,
    orgId: r.org_id,
    ownerId: r.owner_id,
    emails: r.emails,
    phones: r.phones,
    addTime: r.add_time,
    updateTime: r.update_time,
    isDeleted: r.is_deleted,
    customFields: r.custom_fields,
  };
}

export function toDeal(r: DealRecord): Deal {
  return {
    id: r.id,
    title: r.title,
    orgId: r.org_id,
    personId: r.person_id,
    ownerId: r.owner_id,
    status: r.status,
    value: r.value,
    currency: r.currency,
    wonTime: r.won_time,
    lostTime: r.lost_time,
    expectedCloseDate: r.expected_close_date,
    stageId: r.stage_id,
    stageChangeTime: r.stage_change_time,
    labelIds: r.label_ids,
    addTime: r.add_time,
    updateTime: r.update_time,
    isDeleted: r.is_deleted || r.status === 'deleted',
    customFields: r.custom_fields,
    isArchived: r.is_archived,
  };
}

/** What the rules need of a note: the worker's key, and whether anyone else wrote in it (unknown for the worker's own). */
function activityNote(note: string | null | undefined): Pick<Activity, 'cadenceKey' | 'hasNote'> {
  const cadenceKey = extractCadenceKey(note);
  return { cadenceKey, hasNote: cadenceKey === null ? noteHasText(note) : null };
}

export function toActivity(r: ActivityRecord): Activity {
  // The primary participant is v2 `person_id`; keep it first and never twice.
  const participants = new Set<number>();
  if (r.person_id !== null) participants.add(r.person_id);
  for (const p of r.participants) participants.add(p.person_id);
  return {
    id: r.id,
    subject: r.subject,
    type: r.type,
    ownerId: r.owner_id,
    orgId: r.org_id,
    dealId: r.deal_id,
    personId: r.person_id,
    participantPersonIds: [...participants],
    done: r.done,
    dueDate: r.due_date,
    dueTime: r.due_time,
    markedAsDoneTime: r.marked_as_done_time,
    addTime: r.add_time,
    updateTime: r.update_time,
    isDeleted: r.is_deleted,
    ...activityNote(r.note),
  };
}

export function toUser(r: UserRecord): User {
  const admin =
    r.is_admin === true || r.is_admin === 1 || (r.access ?? []).some((a) => a.app === 'global' && a.admin === true);
  return { id: r.id, name: r.name, email: r.email, active: r.active_flag ?? true, isAdmin: admin };
}

export function toActivityType(r: ActivityTypeRecord): ActivityType {
  return {
    id: r.id,
    name: r.name,
    keyString: r.key_string,
    active: r.active_flag ?? true,
    isCustom: r.is_custom_flag ?? false,
  };
}

export function toFieldDefinition(entity: EntityKind, r: FieldRecord): FieldDefinition {
  return {
    entity,
    key: r.field_code,
    name: r.field_name,
    fieldType: r.field_type,
    options: r.options ? r.options.map((o) => ({ id: o.id, label: o.label })) : null,
    isCustom: r.is_custom_field,
  };
}

/** The domain type each synced entity parses into. */
export interface DomainOf {
  organization: Organization;
  person: Person;
  deal: Deal;
  activity: Activity;
}

/** Parsers of the four synced entities: raw v2 schema, then the mapping onto the domain type. */
export const ENTITY_PARSERS: { [E in EntityKind]: { schema: z.ZodType; map: (raw: never) => DomainOf[E] } } = {
  organization: { schema: OrganizationRecord, map: toOrganization },
  person: { schema: PersonRecord, map: toPerson },
  deal: { schema: DealRecord, map: toDeal },
  activity: { schema: ActivityRecord, map: toActivity },
};

/** A record the API sent that did not match its schema: reported, counted, never silently dropped. */
export interface MalformedRecord {
  entity: string;
  /** The record's id when it had a usable one, else null. */
  id: number | null;
  /** Dotted path of the first failing field (`owner_id`, `participants.0.person_id`), or `(record)`. */
  field: string;
  message: string;
}

export function describeIssue(entity: string, raw: unknown, error: z.ZodError): MalformedRecord {
  const issue = error.issues[0];
  const rawId = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return {
    entity,
    id: typeof rawId === 'number' && Number.isInteger(rawId) ? rawId : null,
    field: issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(record)',
    message: issue?.message ?? 'invalid record',
  };
}

/** Parses a page of raw items with `schema` and `map`; the bad ones come back as MalformedRecord. */
export function parseRecords<R, D>(
  entity: string,
  items: readonly unknown[],
  schema: z.ZodType<R>,
  map: (r: R) => D,
): { records: D[]; malformed: MalformedRecord[] } {
  const records: D[] = [];
  const malformed: MalformedRecord[] = [];
  for (const raw of items) {
    const parsed = schema.safeParse(raw);
    if (parsed.success) records.push(map(parsed.data));
    else malformed.push(describeIssue(entity, raw, parsed.error));
  }
  return { records, malformed };
}

export function parseEntityRecords<E extends EntityKind>(
  entity: E,
  items: readonly unknown[],
): { records: DomainOf[E][]; malformed: MalformedRecord[] } {
  const p = ENTITY_PARSERS[entity];
  return parseRecords(entity, items, p.schema, p.map as (r: unknown) => DomainOf[E]);
}
