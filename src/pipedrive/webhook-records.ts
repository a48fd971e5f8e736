/**
 * The v1 `/webhooks` subscription objects (Pipedrive OpenAPI v1 `BaseWebhook`), parsed at the edge.
 * Only the fields the setup and doctor read are required; the rest may be absent or null.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const WebhookRecord = z
  .object({
    id: z.number().int(),
    event_action: z.string(),
    event_object: z.string(),
    subscription_url: z.string(),
    version: z.string().nullish(),
    name: z.string().nullish(),
    is_active: z.union([z.number(), z.boolean()]).nullish(),
    http_auth_user: z.string().nullish(),
    http_auth_password: z.string().nullish(),
    last_delivery_time: z.string().nullish(),
    last_http_status: z.number().nullish(),
    remove_reason: z.string().nullish(),
  })
  .loose();
export type WebhookRecord = z.infer<typeof WebhookRecord>;

/** A subscription as the worker sees it (never carries the password). */
export interface WebhookSubscription {
  id: number;
  eventAction: string;
  eventObject: string;
  url: string;
  version: string | null;
  name: string | null;
  active: boolean;
  authUser: string | null;
  /** SHA-256 hex of the Basic password when the listing shows it: compared, never kept or logged. */
  authPasswordDigest: string | null;
  lastDeliveryTime: string | null;
  lastHttpStatus: number | null;
  /** Why Pipedrive removed it (a removed subscription may still be listed, inactive): e.g. 3 days without a successful delivery. */
  removeReason: string | null;
}

/** SHA-256 hex of a password. */
export function passwordDigest(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('hex');
}

export function toWebhookSubscription(r: WebhookRecord): WebhookSubscription {
  return {
    id: r.id,
    eventAction: r.event_action,
    eventObject: r.event_object,
    url: r.subscription_url,
    version: r.version ?? null,
    name: r.name ?? null,
    active: r.is_active === undefined || r.is_active === null ? true : Boolean(r.is_active),
    authUser: r.http_auth_user ?? null,
    authPasswordDigest: r.http_auth_password ? passwordDigest(r.http_auth_password) : null,
    lastDeliveryTime: r.last_delivery_time ?? null,
    lastHttpStatus: r.last_http_status ?? null,
    removeReason: r.remove_reason ?? null,
  };
}

export interface NewWebhook {
  url: string;
  eventAction: 'create' | 'change' | 'delete' | '*';
  eventObject: 'activity' | 'deal' | 'person' | 'organization';
  name: string;
  authUser: string;
  authPassword: string;
}
