/**
 * Strict REST v2 write validation and application (PIPEDRIVE.md §4.1, §5.1–5.3, §11 gotcha 7):
 * JSON numbers only, option ids must exist, `set` never `[]`, activity `type` an active key_string,
 * referenced users/orgs/persons/deals must exist. Each function works on a copy and throws
 * HttpError(400) before anything is stored, so a rejected write leaves no trace.
 */
import type {
  ActivityRec, ActivityTypeRec, AnyRec, ContactValue, CustomValues, DealRec, FieldRec, Kind, OrganizationRec,
  PersonRec, UserRec,
} from './model.js';
import { isValidDate, parseTime } from './model.js';
import { normalizeTime, parseAddress, validateCustomValue } from './fields.js';
import type { RefCheck } from './fields.js';
import { HttpError } from './http-error.js';
import type { AddressValue } from './model.js';

export interface WriteContext extends RefCheck {
  now: number;
  meUserId: number;
  user(id: number): UserRec | undefined;
  dealExists(id: number): boolean;
  activityType(key: string): ActivityTypeRec | undefined;
  customFields(kind: Kind): readonly FieldRec[];
  /** Admin upserts may set ids, times, deleted flags and null/deactivated owners. */
  admin: boolean;
}

type Body = Record<string, unknown>;

function fail(key: string, why: string): never {
  throw new HttpError(400, `Validation failed: ${key}: ${why}`);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isObj = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(body: Body, key: string, opts: { nullable?: boolean; max?: number; nonEmpty?: boolean } = {}): string | null {
  const v = body[key];
  if (v === null && opts.nullable) return null;
  if (typeof v !== 'string') fail(key, opts.nullable ? 'expected a string or null' : 'expected a string');
  if (opts.nonEmpty && v.trim() === '') fail(key, 'must not be empty');
  if (opts.max !== undefined && v.length > opts.max) fail(key, `longer than ${opts.max} characters`);
  return v;
}

function int(body: Body, key: string, nullable = false): number | null {
  const v = body[key];
  if (v === null && nullable) return null;
  if (!isInt(v)) fail(key, `expected a JSON integer${nullable ? ' or null' : ''} (numeric strings are rejected)`);
  return v;
}

function bool(body: Body, key: string): boolean {
  const v = body[key];
  if (typeof v !== 'boolean') fail(key, 'expected true or false (0/1 are rejected)');
  return v;
}

function time(body: Body, key: string, nullable = true): number | null {
  const v = body[key];
  if (v === null && nullable) return null;
  if (typeof v !== 'string' || Number.isNaN(parseTime(v))) fail(key, 'expected an RFC3339 time');
  return parseTime(v);
}

function intArray(body: Body, key: string): number[] {
  const v = body[key];
  if (!Array.isArray(v) || !v.every(isInt)) fail(key, 'expected an array of JSON integers');
  return v as number[];
}

function checkKeys(body: Body, allowed: ReadonlySet<string>, kind: string): void {
  for (const k of Object.keys(body)) {
    if (!allowed.has(k)) fail(k, `not a writable ${kind} field`);
  }
}

function owner(body: Body, ctx: WriteContext): number | null {
  const id = int(body, 'owner_id', ctx.admin);
  if (id === null) return null;
  const u = ctx.user(id);
  if (!u) fail('owner_id', `user ${id} does not exist`);
  if (!u.active && !ctx.admin) fail('owner_id', `user ${id} is deactivated`);
  return id;
}

function ref(body: Body, key: string, exists: (id: number) => boolean, what: string): number | null {
  const id = int(body, key, true);
  if (id !== null && !exists(id)) fail(key, `${what} ${id} does not exist`);
  return id;
}

function visibleTo(body: Body): number {
  const v = int(body, 'visible_to');
  if (![1, 3, 5, 7].includes(v!)) fail('visible_to', 'must be 1, 3, 5 or 7');
  return v!;
}

function applyCustomFields(body: Body, kind: Kind, cf: CustomValues, ctx: WriteContext): CustomValues {
  const v = body.custom_fields;
  if (v === undefined) return cf;
  if (!isObj(v)) fail('custom_fields', 'expected an object keyed by field_code');
  const defs = ctx.customFields(kind);
  const out: CustomValues = { ...cf };
  // PATCH semantics: merge key by key, leave the other custom fields untouched.
  for (const [key, value] of Object.entries(v)) {
    const def = defs.find((d) => d.key === key);
    if (!def) fail(`custom_fields.${key}`, `no custom field with this field_code on ${kind}`);
    const res = validateCustomValue(def, value, ctx);
    if (!res.ok) throw new HttpError(400, `Validation failed: ${res.error}`);
    if (res.value === null) delete out[key];
    else out[key] = res.value;
  }
  return out;
}

function contacts(body: Body, key: string): ContactValue[] {
  const v = body[key];
  if (!Array.isArray(v)) fail(key, 'expected an array of {value, primary?, label?}');
  const out: ContactValue[] = v.map((item: unknown, i) => {
    if (!isObj(item) || typeof item.value !== 'string') fail(`${key}[${i}]`, 'expected {value: string, primary?, label?}');
    if (item.primary !== undefined && typeof item.primary !== 'boolean') fail(`${key}[${i}].primary`, 'expected a boolean');
    if (item.label !== undefined && typeof item.label !== 'string') fail(`${key}[${i}].label`, 'expected a string');
    return { value: item.value, primary: item.primary === true, label: (item.label as string | undefined) ?? 'work' };
  });
  const primaries = out.filter((c) => c.primary).length;
  if (primaries > 1) fail(key, 'at most one item may be primary');
  if (primaries === 0 && out[0]) out[0].primary = true;
  return out;
}

function adminCommon<R extends AnyRec>(body: Body, rec: R, ctx: WriteContext): void {
  if (!ctx.admin) return;
  if (body.add_time !== undefined) rec.addTime = time(body, 'add_time', false)!;
  if (body.update_time !== undefined) rec.updateTime = time(body, 'update_time', false)!;
  if (body.is_deleted !== undefined) rec.isDeleted = bool(body, 'is_deleted');
}

const ADMIN_KEYS = ['id', 'add_time', 'update_time', 'is_deleted'];

// ---- organizations -----------------------------------------------------------------------------

const ORG_KEYS = new Set(['name', 'owner_id', 'address', 'visible_to', 'label_ids', 'custom_fields', 'add_time', 'update_time']);

export function writeOrganization(body: Body, existing: OrganizationRec | null, id: number, ctx: WriteContext): OrganizationRec {
  checkKeys(body, ctx.admin ? new Set([...ORG_KEYS, ...ADMIN_KEYS]) : ORG_KEYS, 'organization');
  const rec: OrganizationRec = existing
    ? { ...existing }
    : { id, name: '', ownerId: ctx.meUserId, address: null, addTime: ctx.now, updateTime: ctx.now, isDeleted: false, visibleTo: 3, labelIds: [], cf: {} };
  if (!existing && body.name === undefined) fail('name', 'is required');
  if (body.name !== undefined) rec.name = str(body, 'name', { nonEmpty: true, max: 255 })!;
  if (body.owner_id !== undefined) rec.ownerId = owner(body, ctx);
  if (body.address !== undefined) {
    if (body.address === null) rec.address = null;
    else {
      const a = parseAddress(body.address);
      if (typeof a === 'string') fail('address', a);
      rec.address = a as unknown as AddressValue;
    }
  }
  if (body.visible_to !== undefined) rec.visibleTo = visibleTo(body);
  if (body.label_ids !== undefined) rec.labelIds = intArray(body, 'label_ids');
  if (body.add_time !== undefined && !ctx.admin) rec.addTime = time(body, 'add_time', false)!;
  rec.cf = applyCustomFields(body, 'organization', rec.cf, ctx);
  rec.updateTime = ctx.now;
  adminCommon(body, rec, ctx);
  return rec;
}

// ---- persons -------------------------------------------------------------------------------------

const PERSON_KEYS = new Set([
  'name', 'first_name', 'last_name', 'owner_id', 'org_id', 'emails', 'phones', 'visible_to', 'label_ids',
  'marketing_status', 'custom_fields', 'add_time', 'update_time',
]);

export function writePerson(body: Body, existing: PersonRec | null, id: number, ctx: WriteContext): PersonRec {
  checkKeys(body, ctx.admin ? new Set([...PERSON_KEYS, ...ADMIN_KEYS]) : PERSON_KEYS, 'person');
  const rec: PersonRec = existing
    ? { ...existing }
    : {
        id, name: '', firstName: null, lastName: null, ownerId: ctx.meUserId, orgId: null, emails: [], phones: [],
        addTime: ctx.now, updateTime: ctx.now, isDeleted: false, visibleTo: 3, labelIds: [], cf: {},
      };
  if (body.first_name !== undefined) rec.firstName = str(body, 'first_name', { nullable: true, max: 255 });
  if (body.last_name !== undefined) rec.lastName = str(body, 'last_name', { nullable: true, max: 255 });
  if (body.name !== undefined) {
    rec.name = str(body, 'name', { nonEmpty: true, max: 255 })!;
  } else if (body.first_name !== undefined || body.last_name !== undefined) {
    rec.name = [rec.firstName, rec.lastName].filter(Boolean).join(' ');
  }
  if (!existing && (rec.name === '' || (body.name === undefined && (!rec.firstName || !rec.lastName)))) {
    fail('name', 'is required (or both first_name and last_name)');
  }
  if (body.owner_id !== undefined) rec.ownerId = owner(body, ctx);
  if (body.org_id !== undefined) rec.orgId = ref(body, 'org_id', (i) => ctx.orgExists(i), 'organization');
  if (body.emails !== undefined) rec.emails = contacts(body, 'emails');
  if (body.phones !== undefined) rec.phones = contacts(body, 'phones');
  if (body.visible_to !== undefined) rec.visibleTo = visibleTo(body);
  if (body.label_ids !== undefined) rec.labelIds = intArray(body, 'label_ids');
  if (body.marketing_status !== undefined) {
    const m = str(body, 'marketing_status');
    if (!['no_consent', 'unsubscribed', 'subscribed', 'archived'].includes(m!)) fail('marketing_status', 'invalid value');
  }
  if (body.add_time !== undefined && !ctx.admin) rec.addTime = time(body, 'add_time', false)!;
  rec.cf = applyCustomFields(body, 'person', rec.cf, ctx);
  rec.updateTime = ctx.now;
  adminCommon(body, rec, ctx);
  return rec;
}

// ---- deals ---------------------------------------------------------------------------------------

const DEAL_KEYS = new Set([
  'title', 'owner_id', 'person_id', 'org_id', 'pipeline_id', 'stage_id', 'value', 'currency', 'is_deleted',
  'is_archived', 'archive_time', 'status', 'probability', 'lost_reason', 'visible_to', 'close_time', 'won_time',
  'lost_time', 'expected_close_date', 'label_ids', 'custom_fields',
]);

export function writeDeal(body: Body, existing: DealRec | null, id: number, ctx: WriteContext): DealRec {
  checkKeys(body, ctx.admin ? new Set([...DEAL_KEYS, ...ADMIN_KEYS]) : DEAL_KEYS, 'deal');
  const rec: DealRec = existing
    ? { ...existing }
    : {
        id, title: '', ownerId: ctx.meUserId, creatorUserId: ctx.meUserId, personId: null, orgId: null, pipelineId: 1,
        stageId: 1, value: 0, currency: 'BRL', status: 'open', wonTime: null, lostTime: null, closeTime: null,
        lostReason: null, expectedCloseDate: null, probability: null, stageChangeTime: null, addTime: ctx.now,
        updateTime: ctx.now, isDeleted: false, visibleTo: 3, labelIds: [], cf: {}, isArchived: false, archiveTime: null,
      };
  if (!existing && body.title === undefined) fail('title', 'is required');
  // Archived deals are not editable through the API (changelog 2025-07-15): only unarchiving is.
  if (existing?.isArchived && !ctx.admin && !(body.is_archived === false && Object.keys(body).every((k) => k === 'is_archived' || k === 'archive_time'))) {
    fail('is_archived', 'the deal is archived and cannot be edited: unarchive it first (is_archived: false)');
  }
  if (body.title !== undefined) rec.title = str(body, 'title', { nonEmpty: true, max: 255 })!;
  if (body.owner_id !== undefined) rec.ownerId = owner(body, ctx);
  if (body.person_id !== undefined) rec.personId = ref(body, 'person_id', (i) => ctx.personExists(i), 'person');
  if (body.org_id !== undefined) rec.orgId = ref(body, 'org_id', (i) => ctx.orgExists(i), 'organization');
  if (body.pipeline_id !== undefined) rec.pipelineId = int(body, 'pipeline_id')!;
  if (body.stage_id !== undefined) {
    const s = int(body, 'stage_id')!;
    if (s !== rec.stageId) rec.stageChangeTime = ctx.now;
    rec.stageId = s;
  }
  if (body.value !== undefined) {
    if (body.value !== null && (typeof body.value !== 'number' || !Number.isFinite(body.value))) fail('value', 'expected a JSON number');
    rec.value = body.value as number | null;
  }
  if (body.currency !== undefined) {
    const c = str(body, 'currency')!;
    if (!/^[A-Z]{3}$/.test(c)) fail('currency', 'expected a 3-letter currency code');
    rec.currency = c;
  }
  if (body.is_deleted !== undefined && !ctx.admin && bool(body, 'is_deleted')) fail('is_deleted', 'use DELETE to delete a deal');
  if (body.is_archived !== undefined) {
    const archived = bool(body, 'is_archived');
    if (archived !== rec.isArchived) {
      rec.isArchived = archived;
      rec.archiveTime = archived ? ctx.now : null;
    }
  }
  if (body.archive_time !== undefined) {
    if (!rec.isArchived) fail('archive_time', 'only allowed when is_archived is true');
    rec.archiveTime = time(body, 'archive_time');
  }
  applyDealStatus(body, rec, ctx);
  if (body.probability !== undefined) rec.probability = int(body, 'probability', true);
  if (body.visible_to !== undefined) rec.visibleTo = visibleTo(body);
  if (body.label_ids !== undefined) rec.labelIds = intArray(body, 'label_ids');
  if (body.expected_close_date !== undefined) {
    if (body.expected_close_date !== null && !isValidDate(body.expected_close_date)) fail('expected_close_date', 'expected YYYY-MM-DD or null');
    rec.expectedCloseDate = body.expected_close_date as string | null;
  }
  rec.cf = applyCustomFields(body, 'deal', rec.cf, ctx);
  rec.updateTime = ctx.now;
  adminCommon(body, rec, ctx);
  return rec;
}

/** `status` and the times and reason that go with it (won, lost, close time, lost reason). */
function applyDealStatus(body: Body, rec: DealRec, ctx: WriteContext): void {
  if (body.status !== undefined) {
    const s = str(body, 'status')!;
    if (s !== 'open' && s !== 'won' && s !== 'lost') fail('status', 'must be open, won or lost');
    if (s !== rec.status) {
      rec.status = s;
      rec.wonTime = s === 'won' ? ctx.now : null;
      rec.lostTime = s === 'lost' ? ctx.now : null;
      rec.closeTime = s === 'open' ? null : ctx.now;
      if (s !== 'lost') rec.lostReason = null;
    }
  }
  if (body.won_time !== undefined) {
    if (rec.status !== 'won') fail('won_time', 'only allowed when status is won');
    rec.wonTime = time(body, 'won_time');
    rec.closeTime = rec.wonTime;
  }
  if (body.lost_time !== undefined) {
    if (rec.status !== 'lost') fail('lost_time', 'only allowed when status is lost');
    rec.lostTime = time(body, 'lost_time');
    rec.closeTime = rec.lostTime;
  }
  if (body.close_time !== undefined) {
    if (rec.status === 'open') fail('close_time', 'only allowed when status is won or lost');
    rec.closeTime = time(body, 'close_time');
  }
  if (body.lost_reason !== undefined) {
    if (rec.status !== 'lost') fail('lost_reason', 'only allowed when status is lost');
    rec.lostReason = str(body, 'lost_reason', { nullable: true, max: 255 });
  }
}

// ---- activities ----------------------------------------------------------------------------------

const ACTIVITY_KEYS = new Set([
  'subject', 'type', 'owner_id', 'deal_id', 'lead_id', 'org_id', 'project_id', 'person_id', 'due_date', 'due_time',
  'duration', 'busy', 'done', 'location', 'participants', 'attendees', 'public_description', 'priority', 'note',
]);
const HHMM = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;

export function writeActivity(body: Body, existing: ActivityRec | null, id: number, ctx: WriteContext): ActivityRec {
  const adminKeys = [...ADMIN_KEYS, 'marked_as_done_time'];
  checkKeys(body, ctx.admin ? new Set([...ACTIVITY_KEYS, ...adminKeys]) : ACTIVITY_KEYS, 'activity');
  const rec: ActivityRec = existing
    ? { ...existing }
    : {
        id, subject: '', type: 'call', ownerId: ctx.meUserId, creatorUserId: ctx.meUserId, dealId: null, orgId: null,
        participants: [], primaryPersonId: null, done: false, dueDate: null, dueTime: null, duration: null, busy: false,
        note: null, publicDescription: null, priority: null, location: null, markedAsDoneTime: null, addTime: ctx.now,
        updateTime: ctx.now, isDeleted: false,
      };
  if (body.type !== undefined || !existing) {
    const key = body.type === undefined ? 'call' : str(body, 'type')!;
    const t = ctx.activityType(key);
    if (!t) fail('type', `'${key}' is not an activity type key_string (see GET /v1/activityTypes)`);
    if (!t.active) fail('type', `activity type '${key}' is not active`);
    rec.type = key;
    if (!existing && body.subject === undefined) rec.subject = t.name;
  }
  if (body.subject !== undefined) rec.subject = str(body, 'subject', { max: 255 })!;
  if (body.owner_id !== undefined) rec.ownerId = owner(body, ctx);
  if (body.deal_id !== undefined) rec.dealId = ref(body, 'deal_id', (i) => ctx.dealExists(i), 'deal');
  if (body.org_id !== undefined) rec.orgId = ref(body, 'org_id', (i) => ctx.orgExists(i), 'organization');
  if (body.project_id !== undefined && body.project_id !== null) fail('project_id', 'projects are not supported by the sandbox');
  if (body.lead_id !== undefined && body.lead_id !== null) fail('lead_id', 'leads are not supported by the sandbox');
  // person_id is read-only in v2 (set through a primary participant); admin upserts may set it directly.
  if (body.person_id !== undefined && ctx.admin) {
    const p = ref(body, 'person_id', (i) => ctx.personExists(i), 'person');
    rec.primaryPersonId = p;
    if (p !== null && !rec.participants.includes(p)) rec.participants = [p, ...rec.participants];
  }
  if (body.participants !== undefined) applyParticipants(body.participants, rec, ctx);
  if (body.due_date !== undefined) {
    if (body.due_date !== null && !isValidDate(body.due_date)) fail('due_date', 'expected YYYY-MM-DD or null');
    rec.dueDate = body.due_date as string | null;
  }
  if (body.due_time !== undefined) {
    if (body.due_time !== null && (typeof body.due_time !== 'string' || !HHMM.test(body.due_time))) fail('due_time', 'expected HH:MM (UTC) or null');
    rec.dueTime = body.due_time === null || body.due_time === '' ? null : normalizeTime(body.due_time as string);
  }
  if (body.duration !== undefined) {
    if (body.duration !== null && (typeof body.duration !== 'string' || !/^\d{2}:[0-5]\d(:[0-5]\d)?$/.test(body.duration))) {
      fail('duration', 'expected HH:MM or null');
    }
    rec.duration = body.duration === null ? null : normalizeTime(body.duration as string);
  }
  if (body.busy !== undefined) rec.busy = bool(body, 'busy');
  if (body.done !== undefined) {
    const d = bool(body, 'done');
    if (d && !rec.done) rec.markedAsDoneTime = ctx.now;
    if (!d) rec.markedAsDoneTime = null;
    rec.done = d;
  }
  if (body.location !== undefined) {
    if (body.location !== null && !isObj(body.location)) fail('location', 'expected an object or null');
    rec.location = body.location as Record<string, unknown> | null;
  }
  if (body.attendees !== undefined && !Array.isArray(body.attendees)) fail('attendees', 'expected an array');
  if (body.public_description !== undefined) rec.publicDescription = str(body, 'public_description', { nullable: true });
  if (body.priority !== undefined) rec.priority = int(body, 'priority', true);
  if (body.note !== undefined) rec.note = str(body, 'note', { nullable: true, max: 100_000 });
  rec.updateTime = ctx.now;
  adminCommon(body, rec, ctx);
  if (ctx.admin && body.marked_as_done_time !== undefined) rec.markedAsDoneTime = time(body, 'marked_as_done_time');
  return rec;
}

/** `participants`: the people of the activity, the primary one (or the first) as its person. */
function applyParticipants(v: unknown, rec: ActivityRec, ctx: WriteContext): void {
  if (v === null) {
    rec.participants = [];
    rec.primaryPersonId = null;
  } else {
    if (!Array.isArray(v)) fail('participants', 'expected [{person_id, primary}]');
    const ids: number[] = [];
    let primary: number | null = null;
    v.forEach((item: unknown, i) => {
      if (!isObj(item) || !isInt(item.person_id)) fail(`participants[${i}].person_id`, 'expected a JSON integer');
      if (!ctx.personExists(item.person_id)) fail(`participants[${i}].person_id`, `person ${item.person_id} does not exist`);
      if (item.primary !== undefined && typeof item.primary !== 'boolean') fail(`participants[${i}].primary`, 'expected a boolean');
      if (item.primary === true) {
        if (primary !== null) fail('participants', 'at most one participant may be primary');
        primary = item.person_id;
      }
      if (!ids.includes(item.person_id)) ids.push(item.person_id);
    });
    rec.participants = ids;
    rec.primaryPersonId = primary ?? ids[0] ?? null;
  }
}

export const WRITERS: { [K in Kind]: (body: Body, existing: never, id: number, ctx: WriteContext) => AnyRec } = {
  organization: writeOrganization as never,
  person: writePerson as never,
  deal: writeDeal as never,
  activity: writeActivity as never,
};
