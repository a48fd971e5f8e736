/** `setup --webhooks` / `--remove-webhooks` and doctor's webhook checks against the sandbox: real SDK over real HTTP. */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contractRecorder } from '../contract/recorder.js';
import { generateDataset } from '../../sandbox/generator.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { checkWebhooks } from '../../src/doctor/check-webhooks.js';
import { createPipedriveClient, type PipedriveClient } from '../../src/pipedrive/client.js';
import { WEBHOOK_SECRET_PASSWORD, WEBHOOK_SECRET_USER, ensureWebhooks, readWebhookCredentials, receiverUrlFor, removeWebhooks } from '../../src/setup/webhooks.js';
import { openStateStore, type StateStore } from '../../src/store/open-state-store.js';
import { encryptedSecretStore, secretKeyring, type EncryptedSecretStore } from '../../src/store/secret-store.js';

const NOW = new Date('2026-03-12T15:00:00Z');
const logger = pino({ level: 'silent' });
const COMPANY = 'demo-firm';
const BASE = 'https://cadence.example.com/hooks';

const contract = contractRecorder();
afterAll(() => contract.expectClean());

let sb: Sandbox;
let store: StateStore;
let secrets: EncryptedSecretStore;
beforeEach(async () => {
  sb = await startSandbox({ dataset: generateDataset({ seed: 7, now: NOW, scale: 'demo' }), now: () => NOW, onExchange: contract.onExchange });
  store = await openStateStore('memory://', logger);
  secrets = encryptedSecretStore(store, COMPANY, secretKeyring({ current: randomBytes(32).toString('base64') }));
});
afterEach(async () => {
  await sb.close();
  await store.close();
});

function client(): PipedriveClient {
  return createPipedriveClient({ connection: { baseUrl: sb.url, apiToken: sb.token, timeoutMs: 5000, concurrency: 2 }, logger, retry: { maxAttempts: 1 } });
}
const webhookWrites = () => sb.writes().filter((w) => w.path.includes('/webhooks'));
const doctor = (base: string | undefined) => checkWebhooks({ client: client(), companyId: COMPANY, publicBaseUrl: base, inspectSecrets: () => secrets.inspect() });

describe('cadence setup --webhooks', () => {
  it('subscribes activity/deal/person/organization (every action, v2, Basic auth) once; a second run lists and changes nothing', async () => {
    const first = await ensureWebhooks({ client: client(), secrets, companyId: COMPANY, publicBaseUrl: BASE, logger });
    expect(first.created).toBe(4);
    const subs = sb.webhooks.list();
    expect(subs.map((s) => s.event_object).sort()).toEqual(['activity', 'deal', 'organization', 'person']);
    const creds = await readWebhookCredentials(secrets);
    expect(creds).toBeDefined();
    expect(creds!.password.length).toBeGreaterThanOrEqual(40);
    for (const s of subs) {
      expect(s).toMatchObject({ subscription_url: `${BASE}/webhooks/${COMPANY}`, event_action: '*', version: '2.0', http_auth_user: creds!.user, http_auth_password: creds!.password, name: `pipedrive-cadence ${COMPANY} ${s.event_object}` });
    }
    // The credentials are encrypted at rest: the raw store value does not contain the password.
    expect(JSON.stringify(await store.keyv.get(`c:${COMPANY}:secret:${WEBHOOK_SECRET_PASSWORD}`))).not.toContain(creds!.password);

    sb.clearWrites();
    const second = await ensureWebhooks({ client: client(), secrets, companyId: COMPANY, publicBaseUrl: BASE, logger });
    expect(second.created).toBe(0);
    expect(second.actions.map((a) => a.kind)).toEqual(['webhook_ok', 'webhook_ok', 'webhook_ok', 'webhook_ok']);
    expect(webhookWrites()).toEqual([]);
    expect(sb.webhooks.list()).toHaveLength(4);
    expect(await readWebhookCredentials(secrets)).toEqual(creds);
  });

  it('leaves other subscriptions alone, replaces ours when the URL changed (new first, then old deleted)', async () => {
    const foreign = sb.webhooks.create({ subscription_url: 'https://zapier.example/x', event_action: '*', event_object: 'deal', name: 'Zapier' });
    await ensureWebhooks({ client: client(), secrets, companyId: COMPANY, publicBaseUrl: BASE, logger });
    const moved = await ensureWebhooks({ client: client(), secrets, companyId: COMPANY, publicBaseUrl: 'https://new.example.com', logger });
    expect(moved.created).toBe(4);
    expect(moved.removed).toBe(4);
    const subs = sb.webhooks.list();
    expect(subs).toHaveLength(5);
    expect(subs.filter((s) => s.name !== 'Zapier').every((s) => s.subscription_url === `https://new.example.com/webhooks/${COMPANY}`)).toBe(true);
    expect(subs.find((s) => s.id === foreign.id)).toBeDefined();
    const deletes = webhookWrites().filter((w) => w.method === 'DELETE').map((w) => w.seq);
    const posts = webhookWrites().filter((w) => w.method === 'POST').map((w) => w.seq);
    expect(Math.min(...deletes)).toBeGreaterThan(Math.min(...posts.slice(4)));
  });

  it('re-subscribes when the stored credentials are gone (the old subscriptions could not be authenticated)', async () => {
    await ensureWebhooks({ client: client(), secrets, companyId: COMPANY, publicBaseUrl: BASE, logger });
    const oldIds = sb.webhooks.list().map((s) => s.id);
    await secrets.delete(WEBHOOK_SECRET_USER);
    await secrets.delete(WEBHOOK_SECRET_PASSWORD);
    const r = await ensureWebhooks({ client: client(), secrets, companyId: COMPANY, publicBaseUrl: BASE, logger });
    expect(r.created).toBe(4);
    const creds = await readWebhookCredentials(secrets);
    expect(sb.webhooks.list().every((s) => !oldIds.includes(s.id) && s.http_auth_user === creds!.user)).toBe(true);
  });

  it('refuses to store credentials without CADENCE_SECRET_KEY and creates no subscription', async () => {
    const keyless = encryptedSecretStore(store, COMPANY, secretKeyring({}));
    await expect(ensureWebhooks({ client: client(), secrets: keyless, companyId: COMPANY, publicBaseUrl: BASE, logger })).rejects.toThrow(/CADENCE_SECRET_KEY/);
    expect(sb.webhooks.list()).toEqual([]);
  });

  it('dry run changes nothing', async () => {
    const r = await ensureWebhooks({ client: client(), secrets, companyId: COMPANY, publicBaseUrl: BASE, logger, dryRun: true });
    expect(r.actions.filter((a) => a.kind === 'webhook_created')).toHaveLength(4);
    expect(sb.webhooks.list()).toEqual([]);
    expect(await readWebhookCredentials(secrets)).toBeUndefined();
  });

  it('--remove-webhooks deletes ours only, and the credentials', async () => {
    const foreign = sb.webhooks.create({ subscription_url: 'https://zapier.example/x', event_action: '*', event_object: 'deal', name: 'Zapier' });
    const otherCompany = sb.webhooks.create({ subscription_url: 'https://x.example/webhooks/other', event_action: '*', event_object: 'deal', name: 'pipedrive-cadence other deal' });
    await ensureWebhooks({ client: client(), secrets, companyId: COMPANY, publicBaseUrl: BASE, logger });
    const r = await removeWebhooks({ client: client(), secrets, companyId: COMPANY, logger });
    expect(r.removed).toBe(4);
    expect(sb.webhooks.list().map((s) => s.id).sort()).toEqual([foreign.id, otherCompany.id].sort());
    expect(await readWebhookCredentials(secrets)).toBeUndefined();
  });
});

describe('doctor: webhooks', () => {
  it('off when not configured and none of ours exist; warns when ours exist without CADENCE_WEBHOOK_URL', async () => {
    expect(await doctor(undefined)).toMatchObject([{ id: 'webhooks', status: 'ok' }]);
    await ensureWebhooks({ client: client(), secrets, companyId: COMPANY, publicBaseUrl: BASE, logger });
    expect(await doctor(undefined)).toMatchObject([{ id: 'webhooks', status: 'warn' }]);
  });

  it('a token that may not list webhooks fails the check only when near-real-time is configured', async () => {
    const denied = { listWebhooks: () => Promise.reject(new Error('Pipedrive refused: 403 Forbidden')) };
    const run = (base: string | undefined) => checkWebhooks({ client: denied, companyId: COMPANY, publicBaseUrl: base, inspectSecrets: () => secrets.inspect() });
    expect(await run(undefined)).toMatchObject([{ id: 'webhooks', status: 'ok' }]);
    expect(await run(BASE)).toMatchObject([{ id: 'webhooks', status: 'fail', fix: expect.stringContaining('admin') }]);
  });

  it('ok when all exist and point at the configured URL; fails for a missing one, another URL, or missing credentials', async () => {
    await ensureWebhooks({ client: client(), secrets, companyId: COMPANY, publicBaseUrl: BASE, logger });
    const ok = await doctor(BASE);
    expect(ok.map((c) => c.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);

    const deal = sb.webhooks.list().find((s) => s.event_object === 'deal')!;
    sb.webhooks.delete(deal.id);
    const gone = await doctor(BASE);
    expect(gone.find((c) => c.id === 'webhook:deal')).toMatchObject({ status: 'fail', fix: expect.stringContaining(`cadence setup --webhooks ${BASE}`) });

    const elsewhere = await doctor('https://other.example.com');
    expect(elsewhere.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['webhook:activity', 'webhook:deal', 'webhook:person', 'webhook:organization']);
    expect(elsewhere[0]!.detail).toContain(receiverUrlFor(BASE, COMPANY));

    await secrets.delete(WEBHOOK_SECRET_PASSWORD);
    expect((await doctor(BASE)).find((c) => c.id === 'webhook:credentials')).toMatchObject({ status: 'fail' });
  });

  it('warns when the receiver did not answer (no status: what a ban after network errors looks like); fails for one removed by Pipedrive', async () => {
    await ensureWebhooks({ client: client(), secrets, companyId: COMPANY, publicBaseUrl: BASE, logger });
    const listing = (await client().listWebhooks()).map((s) =>
      s.eventObject === 'deal' ? { ...s, lastHttpStatus: null, lastDeliveryTime: '2026-03-12T14:00:00.000Z' } : s.eventObject === 'person' ? { ...s, active: false, removeReason: 'no successful delivery for 3 days' } : s,
    );
    const checks = await checkWebhooks({ client: { listWebhooks: () => Promise.resolve(listing) }, companyId: COMPANY, publicBaseUrl: BASE, inspectSecrets: () => secrets.inspect() });
    expect(checks.find((c) => c.id === 'webhook:deal')).toMatchObject({ status: 'warn', detail: expect.stringContaining('no answer'), fix: expect.stringContaining('bans') });
    expect(checks.find((c) => c.id === 'webhook:person')).toMatchObject({ status: 'fail', detail: expect.stringContaining('no successful delivery for 3 days'), fix: expect.stringContaining(`cadence setup --webhooks ${BASE}`) });
    expect(checks.find((c) => c.id === 'webhook:activity')).toMatchObject({ status: 'ok' });
  });

  it('warns when the receiver answered the last delivery with an error status', async () => {
    const failing = http.createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
    try {
      sb.webhooks.setTimeScale(1000); // the first attempt only: retries far away
      await ensureWebhooks({ client: client(), secrets, companyId: COMPANY, publicBaseUrl: base, logger });
      sb.state.upsert('organization', { id: (sb.state.list('organization')[0] as { id: number }).id, name: 'Poke' });
      while (sb.webhooks.deliveries().length === 0) await new Promise((r) => setTimeout(r, 5));
      const checks = await doctor(base);
      expect(checks.find((c) => c.id === 'webhook:organization')).toMatchObject({ status: 'warn', detail: expect.stringContaining('HTTP 503') });
      expect(checks.find((c) => c.id === 'webhook:deal')).toMatchObject({ status: 'ok' });
    } finally {
      sb.webhooks.close();
      await new Promise<void>((r) => failing.close(() => r()));
    }
  });
});
