/**
 * A banned or deleted webhook subscription is reported (report, metric, doctor) and the nightly job still
 * does everything (issue 16, step 4). The sandbox delivers to a receiver that fails deal and person
 * events: 10 failed first attempts ban the deal subscription, and a failure 3 days after the last success
 * makes Pipedrive delete the person one. Activities and organizations (what the night writes) deliver fine.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateDataset } from '../../sandbox/generator.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { composeDeployment, type DeploymentParts } from '../../src/app/deployment-runner.js';
import { checkWebhooks } from '../../src/doctor/check-webhooks.js';
import { runCompanyJob, type JobOutcome } from '../../src/job/run-company-job.js';
import { composeCompany } from '../../src/app/compose.js';
import { createPipedriveClient } from '../../src/pipedrive/client.js';
import { ReportV1 } from '../../src/report/report-schema.js';
import { ensureWebhooks } from '../../src/setup/webhooks.js';
import { openStateStore } from '../../src/store/open-state-store.js';
import { encryptedSecretStore, secretKeyring } from '../../src/store/secret-store.js';

const logger = pino({ level: 'silent' });
const T0 = new Date('2026-03-12T15:00:00Z');
const COMPANY = 'demo-firm';
const KEY = randomBytes(32).toString('base64');
/** Entities the receiver refuses (503); the others get 200. */
const REFUSED = new Set(['deal', 'person']);

let clock = T0;
let sb: Sandbox;
let dir: string;
let receiver: http.Server;
let base: string;

beforeEach(async () => {
  clock = T0;
  dir = mkdtempSync(join(tmpdir(), 'cadence-wh-health-'));
  // timeScale 0.01: retries after 30 ms, 300 ms and 1.5 s; the 30-minute ban lasts 18 s.
  sb = await startSandbox({ dataset: generateDataset({ seed: 7, now: T0, scale: 'demo' }), now: () => clock, webhooks: { timeScale: 0.01 }, rateLimit: { burstLimit: 10_000, dailyTokenBudget: 10_000_000 } });
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const entity = (JSON.parse(body) as { meta: { entity: string } }).meta.entity;
      res.writeHead(REFUSED.has(entity) ? 503 : 200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await sb.close();
  await new Promise<void>((r) => receiver.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({
  PIPEDRIVE_BASE_URL: sb.url, PIPEDRIVE_API_TOKEN: sb.token, PIPEDRIVE_COMPANY_DOMAIN: COMPANY,
  CADENCE_STATE_URL: `sqlite://${join(dir, 'state.sqlite')}`, CADENCE_REPORT_DIR: join(dir, 'reports'),
  CADENCE_SECRET_KEY: KEY, CADENCE_WEBHOOK_URL: base, LOG_LEVEL: 'silent',
});
const client = () => createPipedriveClient({ connection: { baseUrl: sb.url, apiToken: sb.token, timeoutMs: 5000, concurrency: 2 }, logger, retry: { maxAttempts: 1 } });
const subOf = (object: string) => sb.webhooks.list().find((s) => s.event_object === object);

/** `setup --webhooks`, then: the deal subscription banned, the person one deleted by the 3-day rule. */
async function subscribeThenBreak(): Promise<void> {
  const store = await openStateStore(env().CADENCE_STATE_URL, logger);
  try {
    await ensureWebhooks({ client: client(), secrets: encryptedSecretStore(store, COMPANY, secretKeyring({ current: KEY })), companyId: COMPANY, publicBaseUrl: base, logger });
  } finally {
    await store.close();
  }
  const deal = subOf('deal')!;
  const dealIds = (sb.state.list('deal') as Array<{ id: number }>).slice(0, 10).map((d) => d.id);
  for (const [i, id] of dealIds.entries()) sb.state.upsert('deal', { id, title: `Renamed in the app ${i}` });
  await sb.webhooks.idle();
  expect(sb.webhooks.bannedUntil(deal.id)).not.toBeNull();
  // Three days later (sandbox clock), a failed person delivery: Pipedrive deletes the subscription.
  clock = new Date(T0.getTime() + 3 * 86_400_000 + 3_600_000);
  const person = sb.state.list('person')[0] as { id: number };
  sb.state.upsert('person', { id: person.id, name: 'Renamed in the app' });
  await sb.webhooks.idle();
  expect(subOf('person')).toBeUndefined();
  expect(sb.webhooks.removedSubscriptions().map((s) => s.event_object)).toEqual(['person']);
  clock = T0;
}

async function night(parts: DeploymentParts): Promise<JobOutcome> {
  const outcome = await parts.runCompany(COMPANY, new AbortController().signal);
  parts.observe({ companyId: COMPANY, status: outcome.status === 'ok' ? 'succeeded' : 'failed', outcome, consecutiveFailures: 0 });
  return outcome;
}

describe('webhook subscription health in the nightly job', () => {
  it('a banned and a deleted subscription: notices in the report (JSON and HTML), the gauge, doctor — and the night writes everything', async () => {
    await subscribeThenBreak();
    sb.clearWrites();
    const parts = await composeDeployment(env(), {}, { clock: { now: () => clock.getTime() } });
    try {
      const outcome = await night(parts);

      // The night did its work: writes went out and the run is ok.
      expect(outcome.status).toBe('ok');
      expect(outcome.apply!.counts.created).toBeGreaterThan(0);
      expect(sb.writes().filter((w) => w.method === 'POST' && w.path.includes('/activities')).length).toBe(outcome.apply!.counts.created);

      // What it read of the subscriptions, and said about them.
      const states = Object.fromEntries(outcome.webhooks!.subscriptions.map((s) => [s.object, s.state]));
      expect(states).toEqual({ activity: 'ok', deal: 'failing', person: 'missing', organization: 'ok' });
      expect(outcome.webhooks!.subscriptions.find((s) => s.object === 'deal')).toMatchObject({ lastHttpStatus: 503, url: `${base}/webhooks/${COMPANY}` });
      expect(outcome.notices.filter((n) => n.code.startsWith('webhook_')).map((n) => [n.code, n.params.object])).toEqual([
        ['webhook_failing', 'deal'],
        ['webhook_missing', 'person'],
      ]);

      // The report: versioned JSON with the subscriptions, the notices in the policy's language (pt-BR), the HTML banner and table.
      const report = ReportV1.parse(JSON.parse(readFileSync(outcome.reports!.files.json, 'utf8')));
      expect(report.run.webhooks).toEqual(outcome.webhooks);
      expect(report.run.warnings.some((w) => w.startsWith('A última entrega do webhook de deal recebeu HTTP 503'))).toBe(true);
      expect(report.run.warnings.some((w) => w.includes(`cadence setup --webhooks ${base}`))).toBe(true);
      const html = readFileSync(outcome.reports!.files.html, 'utf8');
      expect(html).toContain('id="webhooks-notice"');
      expect(html).toContain('data-webhook="deal" data-state="failing"');
      expect(html).toContain('data-webhook="person" data-state="missing"');

      // The gauge.
      const metrics = await parts.metrics.render();
      const gauge = (state: string) => new RegExp(`^cadence_webhook_subscriptions\\{company="${COMPANY}",state="${state}"\\} (\\d+)$`, 'm').exec(metrics)?.[1];
      expect(['ok', 'failing', 'inactive', 'missing', 'elsewhere', 'unknown'].map(gauge)).toEqual(['2', '1', '0', '1', '0', '0']);

      // doctor says the same.
      const checks = await checkWebhooks({ client: client(), companyId: COMPANY, publicBaseUrl: base, inspectSecrets: () => Promise.resolve([]) });
      expect(checks.find((c) => c.id === 'webhook:deal')).toMatchObject({ status: 'warn', detail: expect.stringContaining('HTTP 503') });
      expect(checks.find((c) => c.id === 'webhook:person')).toMatchObject({ status: 'fail', fix: expect.stringContaining(`cadence setup --webhooks ${base}`) });
    } finally {
      await parts.close();
    }
  }, 90_000);

  it('a listing that fails is a notice, never a failed night; the gauge says unknown', async () => {
    const deployment = await composeDeployment(env(), {}, { clock: { now: () => clock.getTime() } });
    const parts = await composeCompany(deployment.deployment.configFor(COMPANY), logger, deployment.store);
    parts.client.listWebhooks = () => Promise.reject(new Error('Pipedrive answered 403 Forbidden'));
    try {
      const outcome = await runCompanyJob(parts, { clock: { now: () => clock.getTime() } });
      deployment.observe({ companyId: COMPANY, status: 'succeeded', outcome, consecutiveFailures: 0 });
      expect(outcome.status).toBe('ok');
      expect(outcome.apply!.counts.created).toBeGreaterThan(0);
      expect(outcome.webhooks).toEqual({ receiverUrl: `${base}/webhooks/${COMPANY}`, error: 'Pipedrive answered 403 Forbidden', subscriptions: [] });
      expect(outcome.notices.map((n) => n.code)).toContain('webhook_check_failed');
      expect(await deployment.metrics.render()).toMatch(new RegExp(`^cadence_webhook_subscriptions\\{company="${COMPANY}",state="unknown"\\} 4$`, 'm'));
    } finally {
      await parts.close();
      await deployment.close();
    }
  }, 90_000);
});
