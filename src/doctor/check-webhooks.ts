/**
 * `doctor`'s webhook checks: this company's subscriptions (ours, by name) exist for every object the
 * near-real-time path needs, point at the configured receiver URL, are active Webhooks v2, their last
 * delivery succeeded, and their Basic credentials are in the secret store and readable.
 */
import type { PipedriveClient } from '../pipedrive/client.js';
import type { SecretStatus } from '../store/secret-store.js';
import { WEBHOOK_SECRET_PASSWORD, WEBHOOK_SECRET_USER, isOurWebhook } from '../setup/webhooks.js';
import { classifyWebhooks, type SubscriptionHealth } from '../setup/webhook-health.js';
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
const UNREACHABLE_FIX =
  'check that the receiver runs (CADENCE_WEBHOOK_ADDR) and is reachable at that URL; Pipedrive bans a webhook for 30 minutes after 10 failed first attempts (events in between are lost, the nightly job catches up) and deletes it after 3 days without success';

/** One subscription's doctor line (src/setup/webhook-health.ts classifies it). */
function subscriptionCheck(sub: SubscriptionHealth, url: string, publicBaseUrl: string): DoctorCheck {
  const id = `webhook:${sub.object}`;
  switch (sub.state) {
    case 'missing':
      return { id, status: 'fail', detail: `no webhook for ${sub.object} events → ${url}: changes reach cadence only at night (Pipedrive deletes a webhook after 3 days without a successful delivery)`, fix: SETUP(publicBaseUrl) };
    case 'elsewhere':
      return { id, status: 'fail', detail: `no webhook for ${sub.object} events → ${url} (ours points at ${sub.url}): changes reach cadence only at night`, fix: SETUP(publicBaseUrl) };
    case 'inactive':
      return { id, status: 'fail', detail: `the ${sub.object} webhook (id ${sub.id}) is inactive${sub.removeReason ? ` (removed by Pipedrive: ${sub.removeReason})` : ''}`, fix: SETUP(publicBaseUrl) };
    case 'failing': {
      const got = sub.lastHttpStatus !== null ? `got HTTP ${sub.lastHttpStatus} from the receiver` : 'got no answer from the receiver (network error or timeout)';
      return { id, status: 'warn', detail: `the ${sub.object} webhook (id ${sub.id}) last ${got}${sub.lastDeliveryTime ? ` at ${sub.lastDeliveryTime}` : ''}: it may be banned`, fix: UNREACHABLE_FIX };
    }
    case 'ok':
      return { id, status: 'ok', detail: `webhook for ${sub.object} events (id ${sub.id}) → ${url}` };
  }
}

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
  const health = classifyWebhooks(ours, companyId, publicBaseUrl);
  const checks: DoctorCheck[] = health.subscriptions.map((sub) => subscriptionCheck(sub, health.receiverUrl, publicBaseUrl));
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
