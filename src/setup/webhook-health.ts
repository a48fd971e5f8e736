/**
 * The state of this company's webhook subscriptions, read from one `GET /v1/webhooks` (10 tokens): what
 * `doctor` checks and what the nightly job reports (report, metric `cadence_webhook_subscriptions`).
 *
 * Pure: the listing in, one entry per object the near-real-time path needs (activity, deal, person,
 * organization) out. The listing (Pipedrive OpenAPI v1 `BaseWebhook`) has no "banned" field: a ban (10
 * first-attempt failures, 30 minutes) shows only as a last delivery that failed (`last_http_status` not
 * 2xx, or no status at all when the receiver did not answer), so `failing` covers failing and banned. A
 * subscription Pipedrive deleted (3 days without a successful delivery) is either gone from the listing
 * (`missing`) or listed inactive with a `remove_reason` (`inactive`).
 */
import type { NoticeRef } from '../i18n/notice.js';
import type { WebhookSubscription } from '../pipedrive/webhook-records.js';
import { WEBHOOK_OBJECTS, isOurWebhook, receiverUrlFor, type WebhookObject } from './webhooks.js';

/**
 * - `ok`: ours, active, delivering to this receiver (Webhooks v2, every action), last delivery 2xx or none yet;
 * - `failing`: the last delivery got an error status or no answer (Pipedrive bans it after 10 such first attempts);
 * - `inactive`: listed but not active (disabled, or removed by Pipedrive: `removeReason`);
 * - `missing`: none of ours for this object;
 * - `elsewhere`: ours exists but delivers to another URL (or not as v2 for every action);
 * - `unknown`: the listing could not be read (the gauge only).
 */
export const SUBSCRIPTION_STATES = ['ok', 'failing', 'inactive', 'missing', 'elsewhere', 'unknown'] as const;
export type SubscriptionState = (typeof SUBSCRIPTION_STATES)[number];

export interface SubscriptionHealth {
  object: WebhookObject;
  state: Exclude<SubscriptionState, 'unknown'>;
  /** The subscription looked at (null when missing). */
  id: number | null;
  /** Where it delivers (null when missing). */
  url: string | null;
  lastHttpStatus: number | null;
  lastDeliveryTime: string | null;
  removeReason: string | null;
}

export interface WebhookHealth {
  /** `<public base URL>/webhooks/<company>`: where the subscriptions should deliver. */
  receiverUrl: string;
  subscriptions: SubscriptionHealth[];
}

function delivers(s: WebhookSubscription, url: string): boolean {
  return s.url === url && s.eventAction === '*' && s.version === '2.0';
}

/** The last delivery failed: an error status, or a delivery time without any status (no answer, timeout). */
export function lastDeliveryFailed(s: Pick<WebhookSubscription, 'lastHttpStatus' | 'lastDeliveryTime'>): boolean {
  if (s.lastHttpStatus !== null) return s.lastHttpStatus < 200 || s.lastHttpStatus >= 300;
  return s.lastDeliveryTime !== null;
}

function classifyOne(object: WebhookObject, ours: readonly WebhookSubscription[], url: string): SubscriptionHealth {
  const mine = ours.filter((s) => s.eventObject === object);
  // Prefer an active one that delivers here, then any that delivers here, then any of ours.
  const here = mine.filter((s) => delivers(s, url));
  const sub = here.find((s) => s.active && s.removeReason === null) ?? here[0] ?? mine[0];
  if (!sub) return { object, state: 'missing', id: null, url: null, lastHttpStatus: null, lastDeliveryTime: null, removeReason: null };
  const state: SubscriptionHealth['state'] = !delivers(sub, url) ? 'elsewhere' : !sub.active || sub.removeReason !== null ? 'inactive' : lastDeliveryFailed(sub) ? 'failing' : 'ok';
  return { object, state, id: sub.id, url: sub.url, lastHttpStatus: sub.lastHttpStatus, lastDeliveryTime: sub.lastDeliveryTime, removeReason: sub.removeReason };
}

/** One entry per object the near-real-time path needs, from the company's listing (others' subscriptions ignored). */
export function classifyWebhooks(listing: readonly WebhookSubscription[], companyId: string, publicBaseUrl: string): WebhookHealth {
  const receiverUrl = receiverUrlFor(publicBaseUrl, companyId);
  const ours = listing.filter((s) => isOurWebhook(s, companyId));
  return { receiverUrl, subscriptions: WEBHOOK_OBJECTS.map((object) => classifyOne(object, ours, receiverUrl)) };
}

/** Subscriptions per state, every state present (0 when none), for the gauge; a listing not read counts all as `unknown`. */
export function countByState(health: { subscriptions: ReadonlyArray<{ state: SubscriptionState }> } | null): Record<SubscriptionState, number> {
  const counts = Object.fromEntries(SUBSCRIPTION_STATES.map((s) => [s, 0])) as Record<SubscriptionState, number>;
  if (health === null) counts.unknown = WEBHOOK_OBJECTS.length;
  else for (const s of health.subscriptions) counts[s.state] += 1;
  return counts;
}

/**
 * What the nightly job says about one subscription (a notice in the report, the CLI and the run history),
 * or null when it is fine. `publicBaseUrl` goes into the command that fixes it.
 */
export function subscriptionNotice(sub: SubscriptionHealth, receiverUrl: string, publicBaseUrl: string): NoticeRef | null {
  const object = sub.object;
  switch (sub.state) {
    case 'ok':
      return null;
    case 'missing':
      return { code: 'webhook_missing', params: { object, url: receiverUrl, base: publicBaseUrl } };
    case 'elsewhere':
      return { code: 'webhook_elsewhere', params: { object, url: receiverUrl, other: sub.url ?? '', base: publicBaseUrl } };
    case 'inactive':
      return { code: 'webhook_inactive', params: { object, base: publicBaseUrl } };
    case 'failing':
      return sub.lastHttpStatus !== null ? { code: 'webhook_failing', params: { object, status: sub.lastHttpStatus } } : { code: 'webhook_unanswered', params: { object } };
  }
}
