/**
 * The composition root of a deployment (one company from the environment, or several from a companies
 * file): one shared state store, one logger that censors every company's token, the status server and
 * its metrics, and the per-company job handed to the operations layer (locks, ticks, shutdown).
 */
import { Counter } from 'prom-client';
import { ConfigError } from '../config/config-error.js';
import { loadDeployment, type Deployment } from '../ops/deployment.js';
import type { CompanyResult, RunSummary } from '../ops/run-all-companies.js';
import type { ConfigOverrides } from '../config/load-config.js';
import { createLogger, type Logger } from '../log/logger.js';
import { setFatalLogger } from '../ops/last-defence.js';
import { openStateStore, type StateStore } from '../store/open-state-store.js';
import { composeCompany } from './compose.js';
import { runCompanyJob, type JobOptions, type JobOutcome } from '../job/run-company-job.js';
import { createMetrics, observeRun, type CadenceMetrics } from '../status/metrics.js';
import { assessReadiness, type RunHistory } from '../status/readiness.js';
import { startStatusServer, type StatusServer } from '../status/status-server.js';
import { latestReportPath } from '../report/write-reports.js';
import { encryptedSecretStore, secretKeyring } from '../store/secret-store.js';
import { readWebhookCredentials } from '../setup/webhooks.js';
import { countByState } from '../setup/webhook-health.js';
import { webhookInbox } from '../webhooks/event-store.js';
import { startWebhookReceiver, type WebhookReceiver } from '../webhooks/receiver.js';
import { startWebhookProcessor, type WebhookProcessor } from '../ops/webhook-processor.js';
import { runWebhookBatch } from '../job/run-webhook-batch.js';
import { createWebhookMetrics, observeWebhookBatch } from '../status/webhook-metrics.js';
import { lockBackendFor } from '../store/lock-for-store.js';
import type { FindingProblem } from '../domain/vocabulary.js';
import { parseHostPort } from '../config/host-port.js';
import { dateNow, systemClock, type Clock } from '../domain/clock.js';

export interface DeploymentParts {
  deployment: Deployment;
  logger: Logger;
  store: StateStore;
  metrics: CadenceMetrics;
  /** The job for one company, as the operations layer calls it. */
  runCompany(companyId: string, signal: AbortSignal): Promise<JobOutcome>;
  /** Feeds metrics and readiness from a finished company run. */
  observe(result: CompanyResult<JobOutcome>): void;
  readiness(): ReturnType<typeof assessReadiness>;
  /** Starts the status server when CADENCE_STATUS_ADDR is set. */
  startStatus(): Promise<StatusServer | null>;
  /**
   * Starts the webhook receiver (every company's endpoint) and the background processing of the events it
   * records when CADENCE_WEBHOOK_ADDR is set.
   */
  startWebhooks(): Promise<WebhookReceiver | null>;
  /** The background processing started by startWebhooks (null before or without it). */
  webhookProcessor(): WebhookProcessor | null;
  close(): Promise<void>;
}

/** How old the last success may be before /readyz says not ready: a nightly job plus slack. */
const READY_MAX_AGE_MS = 26 * 3600_000;

export async function composeDeployment(
  env: Record<string, string | undefined>,
  overrides: ConfigOverrides = {},
  jobOptions: Omit<JobOptions, 'signal'> = {},
): Promise<DeploymentParts> {
  const deployment = loadDeployment(env, overrides);
  const logger = createLogger({ level: deployment.logLevel, secrets: deployment.secrets });
  setFatalLogger(logger);
  const store = await openStateStore(deployment.stateUrl, logger.child({ component: 'store' }));
  await refuseSecretsWithoutKey(store, deployment.companyIds, deployment.shared.secretKeys).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const metrics = createMetrics();
  const clock = jobOptions.clock ?? systemClock();
  const history: RunHistory = { lastSuccessAt: null, lastFailure: null };
  let status: StatusServer | null = null;
  let receiver: WebhookReceiver | null = null;
  let processor: WebhookProcessor | null = null;

  return {
    deployment,
    logger,
    store,
    metrics,
    async runCompany(companyId, signal) {
      const parts = await composeCompany(deployment.configFor(companyId), logger, store);
      try {
        return await runCompanyJob(parts, { ...jobOptions, signal });
      } finally {
        await parts.close();
      }
    },
    observe: (result) => observeResult(metrics, history, clock, result),
    readiness: () => assessReadiness(history, clock.now(), READY_MAX_AGE_MS),
    async startStatus() {
      const addr = deployment.shared.statusAddr;
      if (!addr) return null;
      const { host, port } = parseHostPort(addr);
      const reportDir = deployment.shared.reportDir;
      status = await startStatusServer({
        host,
        port,
        metrics,
        readiness: () => assessReadiness(history, clock.now(), READY_MAX_AGE_MS),
        clock,
        latestReportPath: () => latestReportPath(reportDir),
        ...(deployment.shared.statusToken ? { token: deployment.shared.statusToken } : {}),
        logger: logger.child({ component: 'status' }),
      });
      logger.info({ url: status.url }, 'status server listening');
      return status;
    },
    async startWebhooks() {
      if (!deployment.shared.webhookAddr) return null;
      processor = startProcessing(deployment, store, metrics, logger, jobOptions.clock);
      const p = processor;
      receiver = await startWebhooks(deployment, store, metrics, logger, clock, (id) => p.notify(id)).catch(async (err: unknown) => {
        await p.close();
        processor = null;
        throw err;
      });
      return receiver;
    },
    webhookProcessor: () => processor,
    async close() {
      await receiver?.close();
      await processor?.close();
      await status?.close();
      await store.close();
    },
  };
}

/** What one company's run tells /readyz (the history) and /metrics. */
function observeResult(metrics: ReturnType<typeof createMetrics>, history: RunHistory, clock: Pick<Clock, 'now'>, result: Parameters<DeploymentParts['observe']>[0]): void {
  const o = result.outcome;
  const ok = result.status === 'succeeded';
  const finishedAt = o?.finishedAt ?? dateNow(clock).toISOString();
  if (result.status === 'done-elsewhere' || result.status === 'locked-elsewhere' || result.status === 'not-started') return;
  const budgetStop = result.status === 'stopped-budget';
  if (ok) history.lastSuccessAt = Date.parse(finishedAt);
  // Not ready until a night completes: a budget stop says why.
  else history.lastFailure = { at: Date.parse(finishedAt), reason: `${result.companyId}: ${budgetStop ? `stopped on the daily API budget (${result.stopReason ?? ''})` : (result.failure?.reason ?? result.status)}` };
  const findingsByKind: Partial<Record<FindingProblem, number>> = {};
  for (const f of [...(o?.result?.organizations.flatMap((x) => x.findings) ?? []), ...(o?.result?.otherFindings ?? [])]) {
    findingsByKind[f.problem] = (findingsByKind[f.problem] ?? 0) + 1;
  }
  const stats = o?.sync;
  observeRun(metrics, {
    companyId: result.companyId,
    ok,
    ...(budgetStop ? { stoppedBudget: true } : {}),
    finishedAt,
    durationMs: o?.durationMs ?? result.durationMs ?? 0,
    recordsSynced: stats ? Object.fromEntries(Object.entries(stats.entities).map(([k, v]) => [k, v.records])) : {},
    ...(o ? { retries: o.http.retries, rate429: o.http.rateLimited, requestsByStatus: o.http.byStatus } : {}),
    activitiesCreated: o?.apply?.counts.created ?? 0,
    flagsWritten: o?.apply?.results.filter((r) => r.kind === 'update_org_flags' && r.outcome === 'updated').length ?? 0,
    ...(o?.result ? { findingsByKind } : {}),
    ...(o?.webhooks ? { webhookSubscriptions: countByState(o.webhooks.error === null ? o.webhooks : null) } : {}),
  });
}

/** The webhook receiver (every company's endpoint) when CADENCE_WEBHOOK_ADDR is set, else null. */
async function startWebhooks(
  deployment: ReturnType<typeof loadDeployment>,
  store: Awaited<ReturnType<typeof openStateStore>>,
  metrics: ReturnType<typeof createMetrics>,
  logger: ReturnType<typeof createLogger>,
  clock: Pick<Clock, 'now'>,
  onRecorded: (companyId: string) => void,
): Promise<WebhookReceiver | null> {
  const addr = deployment.shared.webhookAddr;
  if (!addr) return null;
  const keyring = secretKeyring(deployment.shared.secretKeys);
  const received = new Counter({
    name: 'cadence_webhook_requests_total',
    help: 'Webhook deliveries answered by the receiver: recorded, duplicate, or the refusal reason.',
    labelNames: ['company', 'outcome'],
    registers: [metrics.registry],
  });
  return startWebhookReceiver({
    onRequest: (company, outcome) => {
      received.inc({ company: company ?? 'unknown', outcome });
      if (company !== null && outcome === 'recorded') onRecorded(company);
    },
    addr,
    companies: deployment.companyIds.map((id) => {
      const secrets = encryptedSecretStore(store, id, keyring);
      return { companyId: id, credentials: () => readWebhookCredentials(secrets), inbox: webhookInbox(store.keyv, id) };
    }),
    logger: logger.child({ component: 'webhooks' }),
    clock,
  });
}

/**
 * The background processing of every company's webhook events (ops/webhook-processor.ts): each batch runs
 * on the company's own parts, composed for it and closed after it, like a nightly run.
 */
function startProcessing(deployment: Deployment, store: StateStore, metrics: CadenceMetrics, logger: Logger, jobClock: Pick<Clock, 'now'> | undefined): WebhookProcessor {
  const m = createWebhookMetrics(metrics.registry);
  const me = new Map<string, number>();
  // Batches read the time where the nightly job does; the coalescing timers run on the system clock.
  const timers = systemClock();
  const clock = jobClock ?? timers;
  const inboxes = new Map(deployment.companyIds.map((id) => [id, webhookInbox(store.keyv, id)]));
  return startWebhookProcessor({
    companies: deployment.companyIds,
    hasPending: async (id) => (await inboxes.get(id)!.count()) > (await inboxes.get(id)!.processedUpTo()),
    runBatch: async (id, signal) => {
      const parts = await composeCompany(deployment.configFor(id), logger, store);
      try {
        if (!me.has(id)) {
          const user = await parts.client.getMe().catch(() => null);
          if (user) me.set(id, user.user.id);
        }
        return await runWebhookBatch(parts, { inbox: inboxes.get(id)!, meUserId: me.get(id) ?? null, signal, clock });
      } finally {
        await parts.close();
      }
    },
    locks: lockBackendFor(store),
    logger: logger.child({ component: 'webhook-processing' }),
    clock: timers,
    ...(deployment.shared.webhookQuietMs !== undefined ? { quietMs: deployment.shared.webhookQuietMs } : {}),
    ...(deployment.shared.webhookMaxDelayMs !== undefined ? { maxDelayMs: deployment.shared.webhookMaxDelayMs } : {}),
    ...(deployment.shared.lockTtlMs !== undefined ? { lockTtlMs: deployment.shared.lockTtlMs } : {}),
    onBatch: (id, outcome) => observeWebhookBatch(m, id, outcome),
    onLockBusy: (id) => m.lockBusy.inc({ company: id }),
    onError: (id) => m.failures.inc({ company: id }),
  });
}

/**
 * Start-up refuses to run when a company has secrets stored (OAuth tokens, webhook credentials) and
 * CADENCE_SECRET_KEY is not set: they could neither be read nor written back, and nothing may fall
 * back to storing them in clear.
 */
async function refuseSecretsWithoutKey(store: StateStore, companyIds: readonly string[], keys: Deployment['shared']['secretKeys']): Promise<void> {
  if (keys.current) return;
  const problems: string[] = [];
  for (const id of companyIds) {
    const n = (await store.keysWithPrefix(`c:${id}:secret:`)).length;
    if (n > 0) {
      problems.push(
        `environment: CADENCE_SECRET_KEY: missing: company "${id}" has ${n} secret(s) stored encrypted (OAuth tokens, webhook credentials); set it to the key they were stored with (\`cadence doctor\` shows its key id)`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

/** One line per company for the terminal. */
export function formatRunSummary(summary: RunSummary<JobOutcome>): string {
  return summary.results
    .map((r) => `${r.companyId}: ${r.status}${r.failure ? ` — ${r.failure.reason}` : r.stopReason ? ` — ${r.stopReason}` : ''}${r.consecutiveFailures > 1 ? ` (${r.consecutiveFailures} failures in a row)` : ''}`)
    .join('\n');
}
