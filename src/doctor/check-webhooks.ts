/**
 * `doctor`'s webhook checks: this company's subscriptions (ours, by name) exist for every object the
 * near-real-time path needs, point at the configured receiver URL, are active Webhooks v2, their last
 * delivery succeeded, and their Basic credentials are in the secret store and readable.
 */
import type { PipedriveClient } from '../pipedrive/client.js';
import type { SecretStatus } from '../store/secret-store.js';
import { WEBHOOK_OBJECTS, WEBHOOK_SECRET_PASSWORD, WEBHOOK_SECRET_USER, isOurWebhook, receiverUrlFor } from '../setup/webhooks.js';
import type { DoctorCheck } from './run-doctor.js';

export interface CheckWebhooksInput {
  client: Pick<PipedriveClient, 'listWebhooks'>;
  companyId: string;
  /** CADENCE_WEBHOOK_URL; undefined when near-real-time is not configured. */
  publicBaseUrl: string | undefined;
  /** The secret store's inspection (names and readability, never values). */
  inspectSecrets: () => Promise<SecretStatus[]>;
}

const SETUP = (base: string): string => `run \`cadence setup --webhooks ${base}\``;

export async function checkWebhooks({ client, companyId, publicBaseUrl, inspectSecrets }: CheckWebhooksInput): Promise<DoctorCheck[]> {
  let ours;
  try {
    ours = (await client.listWebhooks()).filter((s) => isOurWebhook(s, companyId));
  } catch (err) {
    // Near-real-time off: a token that may not list webhooks (not an admin) is no problem.
    if (publicBaseUrl === undefined) return [{ id: 'webhooks', status: 'ok', detail: `near-real-time is off (CADENCE_WEBHOOK_URL not set); webhook subscriptions not checked: ${(err as Error).message}` }];
    return [{ id: 'webhooks', status: 'fail', detail: `cannot list the webhook subscriptions: ${(err as Error).message}`, fix: 'the token needs the admin scope (OAuth) or an admin user (API token) to manage webhooks' }];
  }
  if (publicBaseUrl === undefined) {
    if (ours.length === 0) return [{ id: 'webhooks', status: 'ok', detail: 'near-real-time is off (CADENCE_WEBHOOK_URL not set, no webhook of ours): the nightly job does everything' }];
    return [{ id: 'webhooks', status: 'warn', detail: `${ours.length} webhook subscription(s) of ours exist (→ ${ours[0]!.url}) but CADENCE_WEBHOOK_URL is not set`, fix: 'set CADENCE_WEBHOOK_URL to the public base URL they should use, or run `cadence setup --remove-webhooks`' }];
  }
  const url = receiverUrlFor(publicBaseUrl, companyId);
  const checks: DoctorCheck[] = [];
  for (const object of WEBHOOK_OBJECTS) {
    const id = `webhook:${object}`;
    const mine = ours.filter((s) => s.eventObject === object);
    const good = mine.find((s) => s.url === url && s.eventAction === '*' && s.version === '2.0');
    if (!good) {
      const elsewhere = mine[0] ? ` (ours points at ${mine[0].url})` : '';
      checks.push({ id, status: 'fail', detail: `no webhook for ${object} events → ${url}${elsewhere}: changes reach cadence only at night`, fix: SETUP(publicBaseUrl) });
    } else if (!good.active) {
      checks.push({ id, status: 'fail', detail: `the ${object} webhook (id ${good.id}) is inactive`, fix: SETUP(publicBaseUrl) });
    } else if (good.lastHttpStatus !== null && (good.lastHttpStatus < 200 || good.lastHttpStatus >= 300)) {
      checks.push({ id, status: 'warn', detail: `the ${object} webhook (id ${good.id}) last got HTTP ${good.lastHttpStatus} from the receiver${good.lastDeliveryTime ? ` at ${good.lastDeliveryTime}` : ''}`, fix: 'check that the receiver runs (CADENCE_WEBHOOK_ADDR) and is reachable at that URL; Pipedrive bans a webhook after 10 failures and deletes it after 3 days without success' });
    } else {
      checks.push({ id, status: 'ok', detail: `webhook for ${object} events (id ${good.id}) → ${url}` });
    }
  }
  let secrets: SecretStatus[];
  try {
    secrets = await inspectSecrets();
  } catch (err) {
    secrets = [];
    checks.push({ id: 'webhook:credentials', status: 'fail', detail: `cannot read the secret store: ${(err as Error).message}`, fix: 'check CADENCE_STATE_URL' });
    return checks;
  }
  const missing = [WEBHOOK_SECRET_USER, WEBHOOK_SECRET_PASSWORD].filter((n) => !secrets.some((s) => s.name === n && s.problem === null));
  if (missing.length > 0) {
    checks.push({ id: 'webhook:credentials', status: 'fail', detail: 'the webhook Basic credentials are missing or unreadable in the secret store: the receiver would refuse every delivery', fix: `${SETUP(publicBaseUrl)} (with CADENCE_SECRET_KEY set)` });
  } else {
    checks.push({ id: 'webhook:credentials', status: 'ok', detail: 'webhook Basic credentials stored encrypted' });
  }
  return checks;
}
