/**
 * Domain records: what the mirror stores and what the rules read.
 *
 * Stage naming (STYLE.md habit 6): the raw shapes Pipedrive sends live in `src/pipedrive/records.ts`
 * (`DealRecord`, …) and are parsed at the edge into these lean, camelCase types. Only the fields the
 * rules, the planner and the reports need are kept, so a mirror of 1M activities stays small.
 *
 * Timestamps are ISO-8601 UTC strings (`2026-01-01T12:00:00Z`); calendar dates are `YYYY-MM-DD`.
 */
import { z } from 'zod';

export const EntityKind = z.enum(['organization', 'person', 'deal', 'activity']);
export type EntityKind = z.infer<typeof EntityKind>;

/** Pipedrive custom-field values as REST v2 returns them, keyed by the 40-char field hash. */
export const CustomFieldValues = z.record(z.string(), z.unknown());
export type CustomFieldValues = z.infer<typeof CustomFieldValues>;

const id = z.number().int().positive();
const nullableId = id.nullable();
const isoTime = z.string();
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const Organization = z.object({
  id,
  name: z.string(),
  ownerId: nullableId,
  /** Formatted address (built-in field), null when empty. */
  address: z.string().nullable(),
  addTime: isoTime,
  updateTime: isoTime,
  isDeleted: z.boolean(),
  customFields: CustomFieldValues,
});
export type Organization = z.infer<typeof Organization>;

export const Person = z.object({
  id,
  name: z.string(),
  orgId: nullableId,
  ownerId: nullableId,
  emails: z.array(z.string()),
  phones: z.array(z.string()),
  addTime: isoTime,
  updateTime: isoTime,
  isDeleted: z.boolean(),
  customFields: CustomFieldValues,
});
export type Person = z.infer<typeof Person>;

/**
 * `deleted` is what v2 reports for a deal deleted in the last 30 days (listed with `status=…,deleted`);
 * such a record is always `isDeleted` and is applied as a deletion, never kept in the mirror.
 */
export const DealStatus = z.enum(['open', 'won', 'lost', 'deleted']);
export type DealStatus = z.infer<typeof DealStatus>;

export const Deal = z.object({
  id,
  title: z.string(),
  orgId: nullableId,
  personId: nullableId,
  ownerId: nullableId,
  status: DealStatus,
  value: z.number().nullable(),
  currency: z.string().nullable(),
  wonTime: isoTime.nullable(),
  lostTime: isoTime.nullable(),
  expectedCloseDate: isoDate.nullable(),
  /**
   * The deal's stage and when it last changed (v2 `stage_id`, `stage_change_time`; null when it never
   * moved, so it has been in its stage since `addTime`). Optional: absent from records synced before the
   * mirror kept them (`sync --full` once refreshes every deal).
   */
  stageId: nullableId.optional(),
  stageChangeTime: isoTime.nullable().optional(),
  labelIds: z.array(z.number().int()),
  addTime: isoTime,
  updateTime: isoTime,
  isDeleted: z.boolean(),
  customFields: CustomFieldValues,
  /**
   * Archived (listed by GET /api/v2/deals/archived, not by GET /api/v2/deals). Kept in the mirror and
   * counted like any deal (revenue, tier, tenure, squad rule, activity linkage); never linked to a new
   * follow-up (archived deals are not editable through the API). Segments written before this column
   * existed read it as null: use `isArchivedDeal`.
   */
  isArchived: z.boolean(),
});
export type Deal = z.infer<typeof Deal>;

/** Whether a mirrored deal is archived (null in segments older than the column counts as not archived). */
export function isArchivedDeal(d: Pick<Deal, 'isArchived'>): boolean {
  return d.isArchived === true;
}

export const Activity = z.object({
  id,
  subject: z.string(),
  /** Activity type `key_string` (e.g. `call`, `meeting`). */
  type: z.string(),
  ownerId: nullableId,
  orgId: nullableId,
  dealId: nullableId,
  /** Primary participant (v2 `person_id`). */
  personId: nullableId,
  /** Every participant person id, primary included. */
  participantPersonIds: z.array(id),
  done: z.boolean(),
  dueDate: isoDate.nullable(),
  /** `HH:MM:SS` in UTC, as Pipedrive stores it; null for all-day activities. */
  dueTime: z.string().nullable(),
  markedAsDoneTime: isoTime.nullable(),
  addTime: isoTime,
  updateTime: isoTime,
  isDeleted: z.boolean(),
  /**
   * The worker's provenance key when this activity was created by pipedrive-cadence (read from the
   * note's provenance block at parse time), else null. The note itself is not mirrored.
   */
  cadenceKey: z.string().nullable(),
  /**
   * Whether the note holds text of its own (provenance.ts `noteHasText`: HTML and whitespace do not count),
   * read at parse time like the key; the note itself is not mirrored. Null (or absent) when unknown: the worker's
   * own activities (their note always carries the worker's text) and activities mirrored before this was recorded.
   */
  hasNote: z.boolean().nullable().optional(),
});
export type Activity = z.infer<typeof Activity>;

/** A new activity's body in Pipedrive API v2 shape (POST /api/v2/activities): what the planner writes, the client sends. */
export const ActivityDraft = z.object({
  subject: z.string(),
  type: z.string(),
  owner_id: z.number().int(),
  org_id: z.number().int(),
  deal_id: z.number().int().optional(),
  participants: z.array(z.object({ person_id: z.number().int(), primary: z.boolean() })).optional(),
  due_date: z.string(),
  done: z.literal(false),
  /** HTML: the facts, the checklist and the provenance block with the deterministic key. */
  note: z.string(),
});
export type ActivityDraft = z.infer<typeof ActivityDraft>;

export const User = z.object({
  id,
  name: z.string(),
  email: z.string(),
  active: z.boolean(),
  isAdmin: z.boolean(),
});
export type User = z.infer<typeof User>;

export const ActivityType = z.object({
  id,
  name: z.string(),
  keyString: z.string(),
  active: z.boolean(),
  isCustom: z.boolean(),
});
export type ActivityType = z.infer<typeof ActivityType>;

/**
 * A field option. The v2 Fields API gives custom fields integer option ids and built-in fields string ids
 * (deal `status`: `"open"`, `"won"`, …; SDK 33 model `GetActivityFields200ResponseDataInnerOptionsInnerId`:
 * "integer for custom fields, string for built-in fields").
 */
export const FieldOptionId = z.union([z.number().int(), z.string().min(1)]);
export type FieldOptionId = z.infer<typeof FieldOptionId>;
export const FieldOption = z.object({ id: FieldOptionId, label: z.string() });
export type FieldOption = z.infer<typeof FieldOption>;

/** One field definition of the field catalogue (v2 Fields API shape, camelCased). */
export const FieldDefinition = z.object({
  entity: EntityKind,
  /** `field_code`: the 40-char hash for custom fields, the property name for system fields. */
  key: z.string(),
  name: z.string(),
  fieldType: z.string(),
  options: z.array(FieldOption).nullable(),
  isCustom: z.boolean(),
});
export type FieldDefinition = z.infer<typeof FieldDefinition>;

/** Everything the pure layers read: one company's mirror at one moment. */
export interface MirrorSnapshot {
  companyId: string;
  organizations: ReadonlyMap<number, Organization>;
  persons: ReadonlyMap<number, Person>;
  deals: ReadonlyMap<number, Deal>;
  activities: ReadonlyMap<number, Activity>;
  users: ReadonlyMap<number, User>;
  activityTypes: readonly ActivityType[];
  fields: readonly FieldDefinition[];
}

/** The snapshot's map of each entity kind. */
export const SNAPSHOT_KEY = { organization: 'organizations', person: 'persons', deal: 'deals', activity: 'activities' } as const satisfies Record<EntityKind, keyof MirrorSnapshot>;

/** Entities the sync pulls incrementally (users, activity types and fields are refreshed whole). */
export const SYNCED_ENTITIES = ['organization', 'person', 'deal', 'activity'] as const satisfies readonly EntityKind[];
