/**
 * `cadence setup --webhooks <public URL>` and `setup --remove-webhooks`: the Webhooks v2 subscriptions the
 * near-real-time path needs, one per object the rules read (activity, deal, person, organization), each for
 * every action (`event_action: "*"` = create, change and delete in v2: 4 subscriptions instead of 12, out
 * of Pipedrive's 40 per user).
 *
 * Idempotent: it lists the subscriptions first and creates only what is missing. A subscription is ours
 * when its name is `pipedrive-cadence <company> <object>`; nothing else is ever changed or deleted. One of
 * ours that points elsewhere or carries other credentials is replaced (the new one is created before the
 * old one is deleted, so no event falls in between).
 *
 * The HTTP Basic credentials are generated per company (random, 32 bytes for the password) and kept in the
 * encrypted SecretStore before any subscription carries them; re-running setup reuses them.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import type { PipedriveClient } from '../pipedrive/client.js';
import { passwordDigest, type WebhookSubscription } from '../pipedrive/webhook-records.js';
import type { SecretStore } from '../store/secret-store.js';

export const WEBHOOK_OBJECTS = ['activity', 'deal', 'person', 'organization'] as const;
export type WebhookObject = (typeof WEBHOOK_OBJECTS)[number];

/** Names of the two secrets in the company's SecretStore. */
export const WEBHOOK_SECRET_USER = 'webhook-basic-user';
export const WEBHOOK_SECRET_PASSWORD = 'webhook-basic-password';

export type WebhookSetupClient = Pick<PipedriveClient, 'listWebhooks' | 'createWebhook' | 'deleteWebhook'>;

export interface WebhookCredentials {
  user: string;
  password: string;
}

export function webhookName(companyId: string, object: string): string {
  return `pipedrive-cadence ${companyId} ${object}`;
}

/** Whether a subscription is one of ours for this company (by name, as setup created it). */
export function isOurWebhook(sub: Pick<WebhookSubscription, 'name' | 'eventObject'>, companyId: string): boolean {
  return sub.name === webhookName(companyId, sub.eventObject);
}

/** The subscription URL of a company: `<public base URL>/webhooks/<company>`. */
export function receiverUrlFor(publicBaseUrl: string, companyId: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/webhooks/${encodeURIComponent(companyId)}`;
}

export async function readWebhookCredentials(secrets: SecretStore): Promise<WebhookCredentials | undefined> {
  const [user, password] = await Promise.all([secrets.get(WEBHOOK_SECRET_USER), secrets.get(WEBHOOK_SECRET_PASSWORD)]);
  return user !== undefined && password !== undefined ? { user, password } : undefined;
}

function generateCredentials(): WebhookCredentials {
  return { user: `cadence-${randomBytes(6).toString('hex')}`, password: randomBytes(32).toString('base64url') };
}

export type WebhookActionKind = 'webhook_ok' | 'webhook_created' | 'webhook_replaced' | 'webhook_removed' | 'credentials_created';

export interface WebhookAction {
  kind: WebhookActionKind;
  /** The object (activity, deal, …) or `credentials`. */
  name: string;
  detail: string;
}

export interface WebhookSetupReport {
  url: string;
  actions: WebhookAction[];
  created: number;
  removed: number;
  dryRun: boolean;
}

export interface EnsureWebhooksInput {
  client: WebhookSetupClient;
  secrets: SecretStore;
  companyId: string;
  /** Public base URL of the receiver (CADENCE_WEBHOOK_URL or `--webhooks`). */
  publicBaseUrl: string;
  logger: Logger;
  dryRun?: boolean;
}

function matches(sub: WebhookSubscription, url: string, creds: WebhookCredentials | undefined): boolean {
  return (
    sub.url === url &&
    sub.eventAction === '*' &&
    sub.version === '2.0' &&
    sub.active &&
    creds !== undefined &&
    sub.authUser === creds.user &&
    (sub.authPasswordDigest === null || sub.authPasswordDigest === passwordDigest(creds.password))
  );
}

export async function ensureWebhooks({ client, secrets, companyId, publicBaseUrl, logger, dryRun = false }: EnsureWebhooksInput): Promise<WebhookSetupReport> {
  const url = receiverUrlFor(publicBaseUrl, companyId);
  const actions: WebhookAction[] = [];
  const act = (a: WebhookAction): void => {
    actions.push(a);
    logger.info({ setup: a.kind, name: a.name }, a.detail);
  };
  const existing = (await client.listWebhooks()).filter((s) => isOurWebhook(s, companyId));

  let creds = await readWebhookCredentials(secrets);
  if (!creds) {
    creds = generateCredentials();
    if (dryRun) act({ kind: 'credentials_created', name: 'credentials', detail: 'would generate the webhook Basic credentials and keep them in the encrypted secret store' });
    else {
      // Stored before any subscription carries them: a crash here leaves no subscription we cannot authenticate.
      await secrets.set(WEBHOOK_SECRET_USER, creds.user);
      await secrets.set(WEBHOOK_SECRET_PASSWORD, creds.password);
      act({ kind: 'credentials_created', name: 'credentials', detail: 'generated the webhook Basic credentials (kept encrypted in the state store)' });
    }
  }

  let created = 0;
  let removed = 0;
  for (const object of WEBHOOK_OBJECTS) {
    const ours = existing.filter((s) => s.eventObject === object);
    const good = ours.find((s) => matches(s, url, creds));
    if (good) act({ kind: 'webhook_ok', name: object, detail: `webhook for ${object} events exists (id ${good.id}) → ${url}` });
    else if (dryRun) act({ kind: 'webhook_created', name: object, detail: `would subscribe ${object} create/change/delete → ${url}` });
    else {
      const sub = await client.createWebhook({ url, eventAction: '*', eventObject: object, name: webhookName(companyId, object), authUser: creds.user, authPassword: creds.password });
      created++;
      act({ kind: 'webhook_created', name: object, detail: `subscribed ${object} create/change/delete → ${url} (id ${sub.id})` });
    }
    for (const stale of ours.filter((s) => s !== good)) {
      const why = stale.url !== url ? `it pointed at ${stale.url}` : !stale.active ? 'it was inactive' : 'its credentials or version differed';
      if (dryRun) act({ kind: 'webhook_replaced', name: object, detail: `would delete the old ${object} webhook (id ${stale.id}): ${why}` });
      else {
        await client.deleteWebhook(stale.id);
        removed++;
        act({ kind: 'webhook_replaced', name: object, detail: `deleted the old ${object} webhook (id ${stale.id}): ${why}` });
      }
    }
  }
  return { url, actions, created, removed, dryRun };
}

export interface RemoveWebhooksInput {
  client: WebhookSetupClient;
  secrets: SecretStore;
  companyId: string;
  logger: Logger;
  dryRun?: boolean;
}

/** Deletes this company's subscriptions (ours only) and their stored credentials. */
export async function removeWebhooks({ client, secrets, companyId, logger, dryRun = false }: RemoveWebhooksInput): Promise<WebhookSetupReport> {
  const actions: WebhookAction[] = [];
  let removed = 0;
  const ours = (await client.listWebhooks()).filter((s) => isOurWebhook(s, companyId));
  for (const sub of ours) {
    if (!dryRun) {
      await client.deleteWebhook(sub.id);
      removed++;
    }
    const a: WebhookAction = { kind: 'webhook_removed', name: sub.eventObject, detail: `${dryRun ? 'would delete' : 'deleted'} the ${sub.eventObject} webhook (id ${sub.id}) → ${sub.url}` };
    actions.push(a);
    logger.info({ setup: a.kind, name: a.name }, a.detail);
  }
  if (!dryRun) {
    await secrets.delete(WEBHOOK_SECRET_USER);
    await secrets.delete(WEBHOOK_SECRET_PASSWORD);
  }
  return { url: ours[0]?.url ?? '', actions, created: 0, removed, dryRun };
}

export function formatWebhookReport(report: WebhookSetupReport): string {
  const mark: Record<WebhookActionKind, string> = { webhook_ok: '✓', webhook_created: '+', credentials_created: '+', webhook_replaced: '-', webhook_removed: '-' };
  const lines = report.actions.map((a) => `${mark[a.kind]} ${a.detail}`);
  if (report.actions.length === 0) lines.push('no webhook of ours to remove');
  const verb = report.dryRun ? 'would create' : 'created';
  lines.push('', `webhooks: ${verb} ${report.created}, ${report.dryRun ? 'would remove' : 'removed'} ${report.removed}`);
  return lines.join('\n');
}
