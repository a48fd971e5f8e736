/**
 * Webhooks as Pipedrive delivers them (PIPEDRIVE.md §8.1; Pipedrive's "Guide for Webhooks v2"; the v1
 * OpenAPI `/webhooks`; the Webhooks v2 AsyncAPI description):
 *
 * - subscriptions: `GET /v1/webhooks` (10 tokens), `POST /v1/webhooks` (10, answers 201), `DELETE
 *   /v1/webhooks/{id}` (6); at most 40 per user (422 "Webhooks limit reached");
 * - every record write of the sandbox (API or admin) becomes one v2 event per matching subscription:
 *   `{ meta, data, previous }`, meta ids as strings (as in real payloads), `data` null on delete,
 *   `previous` = the changed fields on change, the last state on delete, null on create; custom fields
 *   type-tagged as in real v2 payloads (monetary, enum, user/people/org);
 * - delivery: JSON `POST`, HTTP Basic when the subscription has credentials, any 2xx is success, 10 s
 *   timeout; failed attempts retried after 3, 30 and 150 s (`meta.attempt` 1–4, same `meta.id`);
 * - 10 first-attempt failures in a row ban the subscription for 30 minutes; events during the ban are lost;
 * - a subscription with no successful delivery for 3 days is deleted (`remove_reason`).
 *
 * `timeScale` multiplies the real-time delays (retries, timeout, ban) so tests run in milliseconds; the
 * 3-day rule is measured on the sandbox clock, which tests move.
 */
import { randomUUID } from 'node:crypto';
import type { FieldRec, Kind } from './model.js';
import { HttpError } from './http-error.js';

export const RETRY_DELAYS_S = [3, 30, 150] as const;
export const DELIVERY_TIMEOUT_S = 10;
export const BAN_AFTER_FIRST_ATTEMPT_FAILURES = 10;
export const BAN_S = 30 * 60;
export const DELETE_AFTER_S = 3 * 24 * 3600;
export const MAX_WEBHOOKS_PER_USER = 40;
/** The scaled 10 s timeout never drops below this, so a loaded test machine does not fail deliveries. */
const MIN_TIMEOUT_MS = 1000;

const ACTIONS = ['create', 'change', 'delete', '*'] as const;
const OBJECTS = ['activity', 'deal', 'lead', 'note', 'organization', 'person', 'pipeline', 'product', 'stage', 'user', '*'] as const;

/** The v1 BaseWebhook shape (OpenAPI v1 `GET /webhooks`). */
export interface WebhookSubscription {
  id: number;
  company_id: number;
  owner_id: number;
  user_id: number;
  event_action: string;
  event_object: string;
  subscription_url: string;
  version: string;
  is_active: 0 | 1;
  add_time: string;
  remove_time: string | null;
  type: 'general';
  http_auth_user: string | null;
  http_auth_password: string | null;
  remove_reason: string | null;
  last_delivery_time: string | null;
  last_http_status: number | null;
  admin_id: number;
  name: string;
}

/** One record write, as the sandbox state reports it. */
export interface RecordChange {
  kind: Kind;
  action: 'create' | 'change' | 'delete';
  id: number;
  /** REST v2 shape before (undefined on create) and after the write. */
  before: Record<string, unknown> | undefined;
  after: Record<string, unknown>;
  /** `api` for writes through the API, `app` for admin writes (a person in the Pipedrive app). */
  source: 'api' | 'app';
  userId: number;
}

export interface DeliveryAttempt {
  webhookId: number;
  deliveryId: string;
  attempt: number;
  action: string;
  entity: string;
  entityId: string;
  /** HTTP status, or 0 for a network error or timeout. */
  status: number;
  ok: boolean;
  at: string;
}

export interface WebhookHubOptions {
  companyId: number;
  meUserId: number;
  companyDomain: string;
  clock: () => Date;
  customFieldDefs: (kind: Kind) => FieldRec[];
  /** Multiplies retry delays, the timeout and the ban; 1 = real time. */
  timeScale?: number;
}

interface Pending {
  timer: NodeJS.Timeout;
}

/** REST v2 custom field value → the type-tagged webhook v2 shape (PIPEDRIVE.md §3.2). */
export function webhookCustomFields(values: unknown, defs: readonly FieldRec[]): unknown {
  if (typeof values !== 'object' || values === null) return values;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(values as Record<string, unknown>)) {
    const type = defs.find((d) => d.key === key)?.fieldType;
    if (v === null || v === undefined) out[key] = null;
    else if (type === 'monetary' && typeof v === 'object') out[key] = { ...(v as object), type: 'monetary' };
    else if (type === 'enum') out[key] = { id: v, type: 'enum' };
    else if (type === 'user' || type === 'people' || type === 'org') out[key] = { id: v, type };
    else out[key] = v;
  }
  return out;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The fields that differ (custom fields: only the keys that differ), with their values in `from`. */
export function changedFields(from: Record<string, unknown>, to: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
    if (key === 'update_time') continue;
    if (key === 'custom_fields' && typeof from[key] === 'object' && typeof to[key] === 'object' && from[key] && to[key]) {
      const f = from[key] as Record<string, unknown>;
      const t = to[key] as Record<string, unknown>;
      const cf: Record<string, unknown> = {};
      for (const k of new Set([...Object.keys(f), ...Object.keys(t)])) if (!same(f[k], t[k])) cf[k] = f[k] ?? null;
      if (Object.keys(cf).length > 0) out[key] = cf;
      continue;
    }
    if (!same(from[key], to[key])) out[key] = from[key] ?? null;
  }
  return out;
}

export class WebhookHub {
  private readonly subs = new Map<number, WebhookSubscription>();
  private readonly state = new Map<number, { firstAttemptFailures: number; bannedUntil: number; lastSuccess: number }>();
  private readonly pending = new Set<Pending>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly log: DeliveryAttempt[] = [];
  private readonly removed: WebhookSubscription[] = [];
  private nextId = 1;
  private lost = 0;
  private closed = false;
  private scale: number;

  constructor(private readonly opts: WebhookHubOptions) {
    this.scale = opts.timeScale ?? 1;
  }

  setTimeScale(scale: number): void {
    this.scale = scale;
  }

  private nowMs(): number {
    return this.opts.clock().getTime();
  }

  /** Real milliseconds for a documented number of seconds, under the time scale (retries, timeout, ban). */
  private ms(seconds: number): number {
    return Math.max(0, Math.round(seconds * 1000 * this.scale));
  }

  // ---- v1 subscriptions API ----------------------------------------------------------------

  list(): WebhookSubscription[] {
    return [...this.subs.values()].map((s) => ({ ...s }));
  }

  get(id: number): WebhookSubscription | undefined {
    const s = this.subs.get(id);
    return s ? { ...s } : undefined;
  }

  create(body: unknown): WebhookSubscription {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'Validation failed: body: expected a JSON object');
    const b = body as Record<string, unknown>;
    const known = new Set(['subscription_url', 'event_action', 'event_object', 'name', 'user_id', 'http_auth_user', 'http_auth_password', 'version']);
    for (const k of Object.keys(b)) if (!known.has(k)) throw new HttpError(400, `Validation failed: ${k}: unknown parameter`);
    const url = b.subscription_url;
    if (typeof url !== 'string' || !/^https?:\/\/[^\s/]+/.test(url)) throw new HttpError(400, 'Validation failed: subscription_url: invalid or non-reachable URL');
    if (!ACTIONS.includes(b.event_action as never)) throw new HttpError(400, `Validation failed: event_action: must be one of ${ACTIONS.join(', ')}`);
    if (!OBJECTS.includes(b.event_object as never)) throw new HttpError(400, `Validation failed: event_object: must be one of ${OBJECTS.join(', ')}`);
    if (typeof b.name !== 'string' || b.name.length === 0 || b.name.length > 255) throw new HttpError(400, 'Validation failed: name: required, at most 255 characters');
    const version = b.version ?? '2.0';
    if (version !== '1.0' && version !== '2.0') throw new HttpError(400, 'Validation failed: version: must be 1.0 or 2.0');
    if (version !== '2.0') throw new HttpError(400, 'Validation failed: version: the sandbox delivers Webhooks v2 only');
    for (const k of ['http_auth_user', 'http_auth_password'] as const) {
      if (b[k] !== undefined && b[k] !== null && typeof b[k] !== 'string') throw new HttpError(400, `Validation failed: ${k}: expected a string`);
    }
    const userId = typeof b.user_id === 'number' ? b.user_id : this.opts.meUserId;
    if ([...this.subs.values()].filter((s) => s.user_id === userId).length >= MAX_WEBHOOKS_PER_USER) throw new HttpError(422, 'Webhooks limit reached');
    const id = this.nextId++;
    const sub: WebhookSubscription = {
      id,
      company_id: this.opts.companyId,
      owner_id: this.opts.meUserId,
      user_id: userId,
      event_action: b.event_action as string,
      event_object: b.event_object as string,
      subscription_url: url,
      version,
      is_active: 1,
      add_time: this.opts.clock().toISOString(),
      remove_time: null,
      type: 'general',
      http_auth_user: (b.http_auth_user as string | null | undefined) ?? null,
      http_auth_password: (b.http_auth_password as string | null | undefined) ?? null,
      remove_reason: null,
      last_delivery_time: null,
      last_http_status: null,
      admin_id: this.opts.meUserId,
      name: b.name,
    };
    this.subs.set(id, sub);
    this.state.set(id, { firstAttemptFailures: 0, bannedUntil: 0, lastSuccess: this.nowMs() });
    return { ...sub };
  }

  delete(id: number): void {
    if (!this.subs.delete(id)) throw new HttpError(404, 'Webhook not found');
    this.state.delete(id);
  }

  // ---- delivery --------------------------------------------------------------------------------

  /** Whether the subscription is banned now (10 first-attempt failures, for 30 minutes). */
  bannedUntil(id: number): Date | null {
    const s = this.state.get(id);
    return s && s.bannedUntil > Date.now() ? new Date(s.bannedUntil) : null;
  }

  /** Every delivery attempt so far, oldest first. */
  deliveries(): DeliveryAttempt[] {
    return this.log.map((d) => ({ ...d }));
  }

  /** Events not sent because their subscription was banned. */
  lostEvents(): number {
    return this.lost;
  }

  /** Whether any subscription listens to this event (the state skips serialising otherwise). */
  wants(kind: Kind, action: RecordChange['action']): boolean {
    if (this.closed) return false;
    for (const s of this.subs.values()) {
      if ((s.event_action === '*' || s.event_action === action) && (s.event_object === '*' || s.event_object === kind)) return true;
    }
    return false;
  }

  /** Called by the sandbox state for every record write. */
  emit(change: RecordChange): void {
    if (this.closed) return;
    const correlationId = randomUUID();
    const timestamp = this.opts.clock().toISOString();
    const defs = this.opts.customFieldDefs(change.kind);
    const shape = (r: Record<string, unknown> | undefined): Record<string, unknown> | null =>
      r ? { ...r, ...('custom_fields' in r ? { custom_fields: webhookCustomFields(r.custom_fields, defs) } : {}) } : null;
    let data: Record<string, unknown> | null;
    let previous: Record<string, unknown> | null;
    if (change.action === 'create') {
      data = shape(change.after);
      previous = null;
    } else if (change.action === 'delete') {
      data = null;
      previous = shape(change.before);
    } else {
      const diff = changedFields(change.before ?? {}, change.after);
      if (Object.keys(diff).length === 0) return; // nothing changed: Pipedrive sends nothing
      data = shape(change.after);
      previous = 'custom_fields' in diff ? { ...diff, custom_fields: webhookCustomFields(diff.custom_fields, defs) } : diff;
    }
    for (const sub of this.subs.values()) {
      if (sub.event_action !== '*' && sub.event_action !== change.action) continue;
      if (sub.event_object !== '*' && sub.event_object !== change.kind) continue;
      const st = this.state.get(sub.id)!;
      if (st.bannedUntil > Date.now()) {
        this.lost++;
        continue;
      }
      const meta = {
        action: change.action,
        entity: change.kind,
        company_id: String(this.opts.companyId),
        correlation_id: correlationId,
        entity_id: String(change.id),
        id: randomUUID(),
        is_bulk_edit: false,
        timestamp,
        type: 'general',
        user_id: String(change.userId),
        version: '2.0',
        webhook_id: String(sub.id),
        webhook_owner_id: String(sub.owner_id),
        change_source: change.source,
        permitted_user_ids: [String(change.userId)],
        attempt: 1,
        host: `${this.opts.companyDomain}.pipedrive.com`,
      };
      this.attempt(sub.id, { meta, data, previous }, 1);
    }
  }

  private attempt(subId: number, payload: { meta: Record<string, unknown>; data: unknown; previous: unknown }, attempt: number): void {
    const sub = this.subs.get(subId);
    if (!sub || this.closed) return;
    const body = JSON.stringify({ ...payload, meta: { ...payload.meta, attempt } });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (sub.http_auth_user !== null || sub.http_auth_password !== null) {
      headers.authorization = `Basic ${Buffer.from(`${sub.http_auth_user ?? ''}:${sub.http_auth_password ?? ''}`).toString('base64')}`;
    }
    const p = (async (): Promise<void> => {
      let status = 0;
      try {
        const res = await fetch(sub.subscription_url, { method: 'POST', headers, body, signal: AbortSignal.timeout(Math.max(MIN_TIMEOUT_MS, this.ms(DELIVERY_TIMEOUT_S))), redirect: 'manual' });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
      } catch {
        status = 0;
      }
      this.settle(sub.id, payload, attempt, status);
    })();
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private settle(subId: number, payload: { meta: Record<string, unknown>; data: unknown; previous: unknown }, attempt: number, status: number): void {
    const ok = status >= 200 && status < 300;
    const meta = payload.meta;
    this.log.push({
      webhookId: subId, deliveryId: String(meta.id), attempt, action: String(meta.action), entity: String(meta.entity),
      entityId: String(meta.entity_id), status, ok, at: this.opts.clock().toISOString(),
    });
    const sub = this.subs.get(subId);
    const st = this.state.get(subId);
    if (!sub || !st) return;
    sub.last_delivery_time = this.opts.clock().toISOString();
    sub.last_http_status = status === 0 ? null : status;
    if (ok) {
      st.lastSuccess = this.nowMs();
      if (attempt === 1) st.firstAttemptFailures = 0;
      return;
    }
    if (attempt === 1 && ++st.firstAttemptFailures >= BAN_AFTER_FIRST_ATTEMPT_FAILURES) {
      st.bannedUntil = Date.now() + this.ms(BAN_S);
      st.firstAttemptFailures = 0;
    }
    // Measured on the sandbox clock (tests move it), not scaled.
    if (this.nowMs() - st.lastSuccess >= DELETE_AFTER_S * 1000) {
      this.remove(sub, 'no successful delivery for 3 days');
      return;
    }
    const delay = RETRY_DELAYS_S[attempt - 1];
    if (delay === undefined) return;
    const pending: Pending = {
      timer: setTimeout(() => {
        this.pending.delete(pending);
        this.attempt(subId, payload, attempt + 1);
      }, this.ms(delay)),
    };
    this.pending.add(pending);
  }

  private remove(sub: WebhookSubscription, reason: string): void {
    this.subs.delete(sub.id);
    this.state.delete(sub.id);
    this.removed.push({ ...sub, is_active: 0, remove_time: this.opts.clock().toISOString(), remove_reason: reason });
  }

  /** Subscriptions Pipedrive deleted (3 days without a successful delivery), with their reason. */
  removedSubscriptions(): WebhookSubscription[] {
    return this.removed.map((s) => ({ ...s }));
  }

  /** Resolves when no delivery is in flight or waiting for a retry. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.pending.size > 0) {
      await Promise.race([...this.inFlight, new Promise((r) => setTimeout(r, 5))]);
    }
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending) clearTimeout(p.timer);
    this.pending.clear();
  }
}
