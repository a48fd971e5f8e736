/**
 * The sandbox's internal record shapes. They are deliberately compact (times as epoch milliseconds,
 * shared strings, participants as a plain id array) so a bench-scale dataset of ~1.5M records fits in
 * memory; `serialize.ts` turns them into the exact REST v2 / v1 wire shapes of PIPEDRIVE.md.
 */

export type Kind = 'organization' | 'person' | 'deal' | 'activity';
export const KINDS: readonly Kind[] = ['organization', 'person', 'deal', 'activity'];

/** Custom-field values keyed by field_code, already in the REST v2 shape (§3.2). Unset keys are absent. */
export type CustomValues = Record<string, unknown>;

/** REST v2 address object (§3.2, §5.3). */
export interface AddressValue {
  value: string;
  route: string | null;
  street_number: string | null;
  subpremise: string | null;
  sublocality: string | null;
  locality: string | null;
  admin_area_level_1: string | null;
  admin_area_level_2: string | null;
  country: string | null;
  postal_code: string | null;
  formatted_address: string | null;
}

export interface ContactValue {
  value: string;
  primary: boolean;
  label: string;
}

interface BaseRec {
  id: number;
  addTime: number;
  updateTime: number;
  isDeleted: boolean;
}

export interface OrganizationRec extends BaseRec {
  name: string;
  ownerId: number | null;
  address: AddressValue | null;
  visibleTo: number;
  labelIds: number[];
  cf: CustomValues;
}

export interface PersonRec extends BaseRec {
  name: string;
  firstName: string | null;
  lastName: string | null;
  ownerId: number | null;
  orgId: number | null;
  emails: ContactValue[];
  phones: ContactValue[];
  visibleTo: number;
  labelIds: number[];
  cf: CustomValues;
}

export type DealStatus = 'open' | 'won' | 'lost';

export interface DealRec extends BaseRec {
  title: string;
  ownerId: number | null;
  creatorUserId: number | null;
  personId: number | null;
  orgId: number | null;
  pipelineId: number;
  stageId: number;
  value: number | null;
  currency: string;
  status: DealStatus;
  wonTime: number | null;
  lostTime: number | null;
  closeTime: number | null;
  lostReason: string | null;
  expectedCloseDate: string | null;
  probability: number | null;
  stageChangeTime: number | null;
  visibleTo: number;
  labelIds: number[];
  cf: CustomValues;
  /** Archived deals leave GET /api/v2/deals for GET /api/v2/deals/archived (changelog, 2025-07-15). */
  isArchived: boolean;
  archiveTime: number | null;
}

export interface ActivityRec extends BaseRec {
  subject: string;
  /** Activity type key_string. */
  type: string;
  ownerId: number | null;
  creatorUserId: number | null;
  dealId: number | null;
  orgId: number | null;
  /** Every participant person id; the primary one (if any) is `primaryPersonId`. */
  participants: readonly number[];
  primaryPersonId: number | null;
  done: boolean;
  dueDate: string | null;
  /** `HH:MM:SS` UTC or null. */
  dueTime: string | null;
  duration: string | null;
  busy: boolean;
  note: string | null;
  publicDescription: string | null;
  priority: number | null;
  location: Record<string, unknown> | null;
  markedAsDoneTime: number | null;
}

export interface RecordOf {
  organization: OrganizationRec;
  person: PersonRec;
  deal: DealRec;
  activity: ActivityRec;
}
export type AnyRec = RecordOf[Kind];

export interface UserRec {
  id: number;
  name: string;
  email: string;
  active: boolean;
  isAdmin: boolean;
  created: number;
  modified: number;
  phone: string | null;
}

export interface ActivityTypeRec {
  id: number;
  name: string;
  keyString: string;
  iconKey: string;
  color: string | null;
  orderNr: number;
  active: boolean;
  isCustom: boolean;
  addTime: number;
  updateTime: number;
}

export interface FieldOptionRec {
  /** Integer for custom fields, string for built-in fields (deal `status`, `visible_to`). */
  id: number | string;
  label: string;
  color?: string;
}

export interface SubfieldRec {
  field_code: string;
  field_name: string;
  field_type: string;
}

export interface FieldRec {
  /** v1 numeric id. */
  id: number;
  entity: Kind;
  /** v2 field_code / v1 key. For system fields the property name. */
  key: string;
  /** v1 key when it differs from the v2 field_code (system fields such as deal `user_id`). */
  v1Key?: string;
  name: string;
  fieldType: string;
  options: FieldOptionRec[] | null;
  subfields: SubfieldRec[] | null;
  isCustom: boolean;
  description: string | null;
  orderNr: number;
  addTime: number;
  updateTime: number;
}

/** Everything a sandbox serves. Records are indexed by their ids; ids are positive integers. */
export interface Dataset {
  companyId: number;
  companyName: string;
  /** The token owner (GET /v1/users/me). */
  meUserId: number;
  users: UserRec[];
  activityTypes: ActivityTypeRec[];
  fields: FieldRec[];
  organizations: OrganizationRec[];
  persons: PersonRec[];
  deals: DealRec[];
  activities: ActivityRec[];
}

// ---- time helpers ---------------------------------------------------------------------------

export const DAY_MS = 86_400_000;

/** RFC3339 with second precision, as REST v2 prints times: `2026-01-01T12:00:00Z`. */
export function rfc3339(ms: number): string {
  return new Date(ms - (ms % 1000 + 1000) % 1000).toISOString().slice(0, 19) + 'Z';
}

/** v1 timestamp format `YYYY-MM-DD HH:MM:SS` (UTC). */
export function v1Time(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Parses RFC3339 (or `YYYY-MM-DD HH:MM:SS` UTC, or a date) into epoch ms; NaN when invalid. */
export function parseTime(text: string): number {
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)) return Date.parse(text.replace(' ', 'T') + 'Z');
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return Date.parse(text + 'T00:00:00Z');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(text)) return NaN;
  return Date.parse(text);
}

export function isValidDate(text: unknown): text is string {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const ms = Date.parse(text + 'T00:00:00Z');
  return !Number.isNaN(ms) && isoDate(ms) === text;
}
