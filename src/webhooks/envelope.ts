/**
 * The Webhooks v2 envelope (Pipedrive's AsyncAPI `WebhookEnvelope` and the "Guide for Webhooks v2"):
 * `{ meta, data, previous }`. Ids in `meta` are strings in real payloads and integers in the AsyncAPI:
 * both are accepted. Only what the worker needs is required; the rest of `meta` passes through.
 */
import { z } from 'zod';
import { extractCadenceKey } from '../domain/provenance.js';

const Id = z.union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative()]).transform((v) => String(v));

export const WebhookMeta = z
  .object({
    action: z.enum(['create', 'change', 'delete']),
    entity: z.string().min(1).max(64),
    entity_id: Id,
    /** Unique per delivery; the same on its retries: the deduplication key. */
    id: z.string().min(1).max(200),
    version: z.literal('2.0'),
    timestamp: z.string().max(64).nullish(),
    change_source: z.string().max(64).nullish(),
    user_id: Id.nullish(),
    is_bulk_edit: z.boolean().nullish(),
    attempt: z.number().int().min(1).max(10).nullish(),
    correlation_id: z.string().max(200).nullish(),
    webhook_id: Id.nullish(),
    merged_to_id: Id.nullish(),
    merged_from_id: Id.nullish(),
  })
  .loose();

export const WebhookEnvelope = z.object({
  meta: WebhookMeta,
  data: z.record(z.string(), z.unknown()).nullable(),
  previous: z.record(z.string(), z.unknown()).nullish(),
});
export type WebhookEnvelope = z.infer<typeof WebhookEnvelope>;

/** What is kept of a delivery: enough to know what to pull again, no personal data. */
export const RecordedEvent = z.object({
  deliveryId: z.string(),
  receivedAt: z.string(),
  action: z.enum(['create', 'change', 'delete']),
  entity: z.string(),
  entityId: z.string(),
  timestamp: z.string().nullable(),
  changeSource: z.string().nullable(),
  userId: z.string().nullable(),
  isBulkEdit: z.boolean(),
  attempt: z.number().int().nullable(),
  correlationId: z.string().nullable(),
  /** Names of the fields that changed (`custom_fields.<key>` for custom fields); empty on create/delete. */
  changedFields: z.array(z.string()),
  mergedToId: z.string().nullable(),
  mergedFromId: z.string().nullable(),
  /**
   * The worker's provenance key (`cadence-key:…`) when the activity's note carries one (its new note on
   * create and change, its last note on delete): how an echo of the worker's own write is recognized.
   * Absent on events recorded before it was kept.
   */
  cadenceKey: z.string().nullable().optional(),
});
export type RecordedEvent = z.infer<typeof RecordedEvent>;

export function toRecordedEvent(env: WebhookEnvelope, receivedAt: Date): RecordedEvent {
  const m = env.meta;
  const changed: string[] = [];
  if (m.action === 'change' && env.previous) {
    for (const [k, v] of Object.entries(env.previous)) {
      if (k === 'custom_fields' && v && typeof v === 'object') for (const ck of Object.keys(v)) changed.push(`custom_fields.${ck}`);
      else changed.push(k);
    }
  }
  return {
    deliveryId: m.id,
    receivedAt: receivedAt.toISOString(),
    action: m.action,
    entity: m.entity,
    entityId: m.entity_id,
    timestamp: m.timestamp ?? null,
    changeSource: m.change_source ?? null,
    userId: m.user_id ?? null,
    isBulkEdit: m.is_bulk_edit ?? false,
    attempt: m.attempt ?? null,
    correlationId: m.correlation_id ?? null,
    changedFields: changed.slice(0, 200),
    mergedToId: m.merged_to_id ?? null,
    mergedFromId: m.merged_from_id ?? null,
    cadenceKey: m.entity === 'activity' ? noteKey(env.data) ?? noteKey(env.previous) : null,
  };
}

function noteKey(record: Record<string, unknown> | null | undefined): string | null {
  const note = record?.note;
  return typeof note === 'string' ? extractCadenceKey(note) : null;
}
