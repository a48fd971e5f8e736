/**
 * Internal records → the exact wire shapes of PIPEDRIVE.md (REST v2 records §4.1, §5.1–5.3; v1 users
 * and activity types §4.4). Every custom field of the entity is present in `custom_fields` (null when
 * unset), as observed in real payloads (§3.2).
 */
import type { ActivityRec, ActivityTypeRec, DealRec, OrganizationRec, PersonRec, UserRec } from './model.js';
import { isoDate, rfc3339, v1Time } from './model.js';
import { v2Time } from './fields.js';

/** Builds `custom_fields` from a record's stored values, for the given field codes in catalogue order. */
export function customFieldsOut(keys: readonly string[], cf: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = cf[k] ?? null;
  return out;
}

export function organizationOut(r: OrganizationRec, cfKeys: readonly string[]): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    owner_id: r.ownerId,
    add_time: rfc3339(r.addTime),
    update_time: rfc3339(r.updateTime),
    address: r.address,
    is_deleted: r.isDeleted,
    visible_to: r.visibleTo,
    label_ids: r.labelIds,
    picture_id: null,
    custom_fields: customFieldsOut(cfKeys, r.cf),
  };
}

export function personOut(r: PersonRec, cfKeys: readonly string[]): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    first_name: r.firstName,
    last_name: r.lastName,
    owner_id: r.ownerId,
    org_id: r.orgId,
    add_time: rfc3339(r.addTime),
    update_time: rfc3339(r.updateTime),
    emails: r.emails,
    phones: r.phones,
    is_deleted: r.isDeleted,
    visible_to: r.visibleTo,
    label_ids: r.labelIds,
    picture_id: null,
    custom_fields: customFieldsOut(cfKeys, r.cf),
  };
}

export function dealOut(r: DealRec, cfKeys: readonly string[]): Record<string, unknown> {
  return {
    id: r.id,
    title: r.title,
    creator_user_id: r.creatorUserId,
    owner_id: r.ownerId,
    value: r.value,
    person_id: r.personId,
    org_id: r.orgId,
    stage_id: r.stageId,
    pipeline_id: r.pipelineId,
    currency: r.currency,
    archive_time: v2Time(r.archiveTime),
    add_time: rfc3339(r.addTime),
    update_time: rfc3339(r.updateTime),
    stage_change_time: v2Time(r.stageChangeTime),
    // A deleted deal reads `deleted` (the v2 `status` filter value it is listed under), as the API sends it.
    status: r.isDeleted ? 'deleted' : r.status,
    is_archived: r.isArchived,
    is_deleted: r.isDeleted,
    probability: r.probability,
    lost_reason: r.lostReason,
    visible_to: r.visibleTo,
    close_time: v2Time(r.closeTime),
    won_time: v2Time(r.wonTime),
    lost_time: v2Time(r.lostTime),
    local_won_date: r.wonTime === null ? null : isoDate(r.wonTime),
    local_lost_date: r.lostTime === null ? null : isoDate(r.lostTime),
    local_close_date: r.closeTime === null ? null : isoDate(r.closeTime),
    expected_close_date: r.expectedCloseDate,
    label_ids: r.labelIds,
    origin: 'ManuallyCreated',
    origin_id: null,
    channel: null,
    channel_id: null,
    acv: null,
    arr: null,
    mrr: null,
    custom_fields: customFieldsOut(cfKeys, r.cf),
  };
}

export function activityOut(r: ActivityRec, withAttendees: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: r.id,
    subject: r.subject,
    type: r.type,
    owner_id: r.ownerId,
    creator_user_id: r.creatorUserId,
    is_deleted: r.isDeleted,
    add_time: rfc3339(r.addTime),
    update_time: rfc3339(r.updateTime),
    deal_id: r.dealId,
    lead_id: null,
    person_id: r.primaryPersonId,
    org_id: r.orgId,
    project_id: null,
    due_date: r.dueDate,
    due_time: r.dueTime,
    duration: r.duration,
    busy: r.busy,
    done: r.done,
    marked_as_done_time: v2Time(r.markedAsDoneTime),
    location: r.location,
    participants: r.participants.map((p) => ({ person_id: p, primary: p === r.primaryPersonId })),
    conference_meeting_client: null,
    conference_meeting_url: null,
    conference_meeting_id: null,
    public_description: r.publicDescription,
    priority: r.priority,
    note: r.note,
  };
  if (withAttendees) out.attendees = [];
  return out;
}

export function v1UserOut(u: UserRec, meId: number): Record<string, unknown> {
  return {
    id: u.id,
    name: u.name,
    default_currency: 'BRL',
    locale: 'pt_BR',
    lang: 1,
    email: u.email,
    phone: u.phone,
    activated: u.active,
    last_login: v1Time(u.modified),
    created: v1Time(u.created),
    modified: v1Time(u.modified),
    has_created_company: u.id === meId,
    access: [
      { app: 'global', admin: u.isAdmin, permission_set_id: u.isAdmin ? 'global-admin' : 'global-regular' },
      { app: 'sales', admin: u.isAdmin, permission_set_id: u.isAdmin ? 'sales-admin' : 'sales-regular' },
    ],
    active_flag: u.active,
    timezone_name: 'America/Sao_Paulo',
    timezone_offset: '-03:00',
    role_id: 1,
    icon_url: null,
    is_you: u.id === meId,
    is_deleted: false,
    // Legacy v1 flag (1/0), still sent alongside `access`.
    is_admin: u.isAdmin ? 1 : 0,
  };
}

export function v1ActivityTypeOut(t: ActivityTypeRec): Record<string, unknown> {
  return {
    id: t.id,
    order_nr: t.orderNr,
    name: t.name,
    key_string: t.keyString,
    icon_key: t.iconKey,
    active_flag: t.active,
    color: t.color,
    is_custom_flag: t.isCustom,
    add_time: v1Time(t.addTime),
    update_time: v1Time(t.updateTime),
  };
}
