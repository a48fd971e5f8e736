/**
 * The webhook receiver: the sandbox delivers to it (real HTTP, Basic credentials from `setup --webhooks`),
 * plus hand-made requests for the refusals. Events land in the state store, deduplicated by delivery id.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateDataset } from '../../sandbox/generator.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { createLogger } from '../../src/log/logger.js';
import { createPipedriveClient } from '../../src/pipedrive/client.js';
import { ensureWebhooks, readWebhookCredentials, type WebhookCredentials } from '../../src/setup/webhooks.js';
import { openStateStore, type StateStore } from '../../src/store/open-state-store.js';
import { encryptedSecretStore, secretKeyring, type EncryptedSecretStore } from '../../src/store/secret-store.js';
import { webhookInbox, type WebhookInbox } from '../../src/webhooks/event-store.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/webhooks/receiver.js';

const NOW = new Date('2026-03-12T15:00:00Z');
const COMPANY = 'demo-firm';
const KEY = randomBytes(32).toString('base64');

let dir: string;
let logLines: string[];
let sb: Sandbox;
let store: StateStore;
let secrets: EncryptedSecretStore;
let inbox: WebhookInbox;
let rx: WebhookReceiver;
let creds: WebhookCredentials;
const logger = () => createLogger({ level: 'debug', destination: { write: (s: string) => void logLines.push(s) } });

async function openAll(): Promise<void> {
  store = await openStateStore(`sqlite://${join(dir, 'state.sqlite')}`, logger());
  secrets = encryptedSecretStore(store, COMPANY, secretKeyring({ current: KEY }));
  inbox = webhookInbox(store.keyv, COMPANY);
  rx = await startWebhookReceiver({
    addr: '127.0.0.1:0',
    companies: [{ companyId: COMPANY, credentials: () => readWebhookCredentials(secrets), inbox }],
    logger: logger(),
    maxBodyBytes: 64 * 1024,
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cadence-wh-'));
  logLines = [];
  sb = await startSandbox({ dataset: generateDataset({ seed: 7, now: NOW, scale: 'demo' }), now: () => NOW, webhooks: { timeScale: 0.002 } });
  await openAll();
  const client = createPipedriveClient({ connection: { baseUrl: sb.url, apiToken: sb.token, timeoutMs: 5000, concurrency: 2 }, logger: logger(), retry: { maxAttempts: 1 } });
  await ensureWebhooks({ client, secrets, companyId: COMPANY, publicBaseUrl: rx.url, logger: logger() });
  creds = (await readWebhookCredentials(secrets))!;
});
afterEach(async () => {
  await sb.close();
  await rx.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const endpoint = () => `${rx.url}/webhooks/${COMPANY}`;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function envelope(id: string = randomUUID(), attempt = 1): Record<string, unknown> {
  return {
    meta: { action: 'change', entity: 'activity', entity_id: '42', id, version: '2.0', attempt, change_source: 'app', user_id: '7', timestamp: NOW.toISOString(), is_bulk_edit: false },
    data: { id: 42, done: true },
    previous: { done: false },
  };
}

async function post(body: unknown, headers: Record<string, string> = {}, path = endpoint()): Promise<{ status: number; text: string }> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(creds.user, creds.password), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

describe('webhook receiver', () => {
  it('records what the sandbox delivers for its own writes: one event per write, with the changed fields', async () => {
    const act = sb.state.list('activity').find((a) => a.done === false) as { id: number };
    const org = sb.state.list('organization')[0] as { id: number };
    const r1 = await fetch(`${sb.url}/api/v2/activities/${act.id}`, { method: 'PATCH', headers: { 'x-api-token': sb.token, 'content-type': 'application/json' }, body: JSON.stringify({ done: true }) });
    expect(r1.status).toBe(200);
    sb.state.upsert('organization', { id: org.id, name: 'Renamed by a person' });
    await sb.webhooks.idle();
    expect(sb.webhooks.deliveries().every((d) => d.ok && d.status === 200)).toBe(true);
    // The two deliveries travel concurrently, and neither Pipedrive nor the inbox promises their order.
    const events = (await inbox.pending()).sort((a, b) => a.entity.localeCompare(b.entity));
    expect(events.map((e) => [e.entity, e.action, e.entityId, e.changeSource])).toEqual([
      ['activity', 'change', String(act.id), 'api'],
      ['organization', 'change', String(org.id), 'app'],
    ]);
    expect(events[0]!.changedFields).toContain('done');
    expect(events[1]!.changedFields).toEqual(['name']);
    expect(rx.stats()).toMatchObject({ recorded: 2, duplicates: 0 });
  });

  it('the same delivery 4 times (attempts 1-4) is recorded once and answered 200 each time', async () => {
    const id = randomUUID();
    for (let attempt = 1; attempt <= 4; attempt++) expect((await post(envelope(id, attempt))).status).toBe(200);
    expect(await inbox.count()).toBe(1);
    expect(await inbox.pending()).toHaveLength(1);
    expect(rx.stats()).toMatchObject({ recorded: 1, duplicates: 3 });
  });

  it('concurrent copies of one delivery are recorded once', async () => {
    const id = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, () => post(envelope(id))));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(await inbox.count()).toBe(1);
  });

  it('refuses wrong or missing credentials (401), unknown companies (404), other methods (405), non-JSON types (415), malformed bodies (400) — without detail, recording nothing', async () => {
    const cases: Array<[Promise<{ status: number; text: string }>, number, string]> = [
      [post(envelope(), { authorization: basic(creds.user, 'wrong-password') }), 401, 'unauthorized'],
      [post(envelope(), { authorization: basic('someone', creds.password) }), 401, 'unauthorized'],
      [post(envelope(), { authorization: '' }), 401, 'unauthorized'],
      [post(envelope(), { authorization: `Bearer ${creds.password}` }), 401, 'unauthorized'],
      [post(envelope(), {}, `${rx.url}/webhooks/other-company`), 404, 'not found'],
      [post(envelope(), {}, `${rx.url}/metrics`), 404, 'not found'],
      [post(envelope(), { 'content-type': 'text/plain' }), 415, 'unsupported media type'],
      [post('{"meta": {', {}), 400, 'bad request'],
      [post({ meta: { action: 'merge', entity: 'deal', entity_id: '1', id: 'x', version: '2.0' }, data: {} }), 400, 'bad request'],
      [post({ meta: { action: 'change', entity: 'deal', entity_id: '1', version: '2.0' }, data: {} }), 400, 'bad request'],
      [post([1, 2, 3]), 400, 'bad request'],
    ];
    for (const [p, status, message] of cases) {
      const r = await p;
      expect(r.status).toBe(status);
      expect(JSON.parse(r.text)).toEqual({ error: message });
    }
    const get = await fetch(endpoint(), { headers: { authorization: basic(creds.user, creds.password) } });
    expect(get.status).toBe(405);
    expect(await inbox.count()).toBe(0);
    expect(rx.stats().refused).toMatchObject({ unauthorized: 4, not_found: 2, media_type: 1, malformed: 4, method: 1 });
  });

  it('refuses a body over the size limit with 413 (declared or streamed) and records nothing', async () => {
    const big = { ...envelope(), data: { id: 42, note: 'x'.repeat(70 * 1024) } };
    const r = await post(big);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text)).toEqual({ error: 'payload too large' });

    // Chunked, no Content-Length: refused while reading.
    const streamed = await new Promise<number | 'reset'>((resolve) => {
      const req = http.request(endpoint(), { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic(creds.user, creds.password), 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve('reset'));
      const chunk = 'x'.repeat(16 * 1024);
      req.write('{"meta":{},"data":"');
      for (let i = 0; i < 8; i++) req.write(chunk);
      req.end('"}');
    });
    expect([413, 'reset']).toContain(streamed);
    expect(await inbox.count()).toBe(0);
    expect(rx.stats().refused.too_large).toBe(2);
  });

  it('keeps recorded events across a restart (durable in the state store)', async () => {
    for (let i = 0; i < 3; i++) expect((await post(envelope())).status).toBe(200);
    await rx.close();
    await store.close();
    await openAll();
    expect(await inbox.count()).toBe(3);
    expect((await inbox.pending()).map((e) => e.seq)).toEqual([1, 2, 3]);
    // The same deliveries after the restart are still duplicates.
    const again = await inbox.pending();
    expect((await post(envelope(again[0]!.deliveryId))).status).toBe(200);
    expect(await inbox.count()).toBe(3);
  });

  it('prunes events older than the retention when it starts', async () => {
    for (let i = 0; i < 3; i++) expect((await post(envelope())).status).toBe(200);
    const later = await startWebhookReceiver({
      addr: '127.0.0.1:0',
      companies: [{ companyId: COMPANY, credentials: () => readWebhookCredentials(secrets), inbox }],
      logger: logger(),
      clock: { now: () => Date.now() + 8 * 24 * 3600_000 },
    });
    await later.close(); // waits for the start-up pruning
    expect(await inbox.pending({ afterSeq: 0 })).toEqual([]);
    expect(logLines.join('\n')).toContain('webhook inbox pruned');
  });

  it('answers well under a second per delivery and never logs the credentials', async () => {
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      expect((await post(envelope())).status).toBe(200);
      times.push(performance.now() - t0);
    }
    await post(envelope(), { authorization: basic(creds.user, 'wrong') });
    expect(Math.max(...times)).toBeLessThan(1000);
    const logs = logLines.join('\n');
    expect(logs).toContain('webhook event');
    expect(logs).not.toContain(creds.password);
    expect(logs).not.toContain(Buffer.from(`${creds.user}:${creds.password}`).toString('base64'));
    expect(logs).not.toContain('wrong');
  });
});

describe('schedule mode', () => {
  it('composeDeployment starts the receiver on CADENCE_WEBHOOK_ADDR for every company, reading the credentials setup stored, counted in /metrics', async () => {
    const { composeDeployment } = await import('../../src/app/deployment-runner.js');
    await rx.close();
    await store.close();
    const parts = await composeDeployment({
      PIPEDRIVE_BASE_URL: sb.url,
      PIPEDRIVE_COMPANY_DOMAIN: COMPANY,
      PIPEDRIVE_API_TOKEN: sb.token,
      CADENCE_STATE_URL: `sqlite://${join(dir, 'state.sqlite')}`,
      CADENCE_SECRET_KEY: KEY,
      CADENCE_WEBHOOK_ADDR: '127.0.0.1:0',
      LOG_LEVEL: 'silent',
    });
    try {
      const receiver = (await parts.startWebhooks())!;
      const url = `${receiver.url}/webhooks/${COMPANY}`;
      expect((await post(envelope(), {}, url)).status).toBe(200);
      expect((await post(envelope(), { authorization: basic(creds.user, 'nope') }, url)).status).toBe(401);
      expect((await post(envelope(), {}, `${receiver.url}/webhooks/elsewhere`)).status).toBe(404);
      expect(await webhookInbox(parts.store.keyv, COMPANY).count()).toBe(1);
      const metrics = await parts.metrics.render();
      expect(metrics).toContain(`cadence_webhook_requests_total{company="${COMPANY}",outcome="recorded"} 1`);
      expect(metrics).toContain(`cadence_webhook_requests_total{company="${COMPANY}",outcome="unauthorized"} 1`);
      expect(metrics).toContain('cadence_webhook_requests_total{company="unknown",outcome="not_found"} 1');
    } finally {
      await parts.close();
      await openAll(); // afterEach closes these
    }
  });
});
