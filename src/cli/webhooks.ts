/**
 * The webhook parts of `setup` (`--webhooks <public URL>`, `--remove-webhooks`) and of `doctor`.
 */
import type { AppConfig } from '../config/load-config.js';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from '../log/logger.js';
import { checkWebhooks } from '../doctor/check-webhooks.js';
import type { DoctorReport } from '../doctor/run-doctor.js';
import type { PipedriveClient } from '../pipedrive/client.js';
import type { SecretStatus } from '../store/secret-store.js';
import { ensureWebhooks, formatWebhookReport, removeWebhooks, type WebhookSetupReport } from '../setup/webhooks.js';
import type { CompanyParts } from '../job/company-parts.js';

/** The public base URL for `setup --webhooks`: the flag's value, else CADENCE_WEBHOOK_URL. */
export function webhookBaseUrl(flag: string | undefined, config: Pick<AppConfig, 'webhookUrl'>): string {
  const raw = flag ?? config.webhookUrl;
  if (!raw) throw new ConfigError(['setup: --webhooks: expected the public base URL of the webhook receiver, e.g. --webhooks https://cadence.example.com (or set CADENCE_WEBHOOK_URL)']);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError([`setup: --webhooks: expected a URL like https://cadence.example.com, got "${raw}"`]);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError([`setup: --webhooks: expected an https:// URL, got "${raw}"`]);
  if (url.search || url.hash || url.username || url.password) throw new ConfigError(['setup: --webhooks: expected a base URL without query, fragment or credentials (the Basic credentials are generated)']);
  if (config.webhookUrl && flag && config.webhookUrl.replace(/\/+$/, '') !== flag.replace(/\/+$/, '')) {
    throw new ConfigError([`setup: --webhooks ${flag} differs from CADENCE_WEBHOOK_URL (${config.webhookUrl}): doctor would report the subscriptions as wrong; use one URL`]);
  }
  return raw;
}

/** Before anything is created: the URL is usable and the credentials can be stored encrypted. */
export function checkWebhookSetup(flag: string | undefined, config: Pick<AppConfig, 'webhookUrl' | 'secretKeys'>, dryRun: boolean): void {
  webhookBaseUrl(flag, config);
  if (!dryRun && config.secretKeys.current === undefined) {
    throw new ConfigError([
      'environment: CADENCE_SECRET_KEY: missing: setup --webhooks keeps the webhook credentials encrypted in the state store; set it to 32 random bytes in base64 (`openssl rand -base64 32`)',
    ]);
  }
}

export async function runWebhookSetup(parts: CompanyParts, opts: { url?: string; remove: boolean; dryRun: boolean }): Promise<WebhookSetupReport> {
  const { client, secrets, config, logger } = parts;
  const report = opts.remove
    ? await removeWebhooks({ client, secrets, companyId: config.companyId, logger, dryRun: opts.dryRun })
    : await ensureWebhooks({ client, secrets, companyId: config.companyId, publicBaseUrl: webhookBaseUrl(opts.url, config), logger, dryRun: opts.dryRun });
  process.stdout.write(`${formatWebhookReport(report)}\n`);
  return report;
}

/** Adds the webhook checks to a doctor report. */
export async function withWebhookChecks(
  report: DoctorReport,
  input: { client: Pick<PipedriveClient, 'listWebhooks'>; config: AppConfig; logger: Logger; inspectSecrets: () => Promise<SecretStatus[]> },
): Promise<DoctorReport> {
  if (report.checks.some((c) => c.id === 'token' && c.status === 'fail')) return report;
  const checks = await checkWebhooks({ client: input.client, companyId: input.config.companyId, publicBaseUrl: input.config.webhookUrl, inspectSecrets: input.inspectSecrets });
  for (const c of checks) {
    const level = c.status === 'ok' ? 'debug' : c.status === 'warn' ? 'warn' : 'error';
    input.logger[level]({ check: c.id, status: c.status }, c.detail);
  }
  const all = [...report.checks, ...checks];
  return { ok: all.every((c) => c.status !== 'fail'), checks: all };
}
