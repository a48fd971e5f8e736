import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/server.js';
import type { Sandbox } from '../../sandbox/server.js';
import { generateDataset } from '../../sandbox/generator.js';
import { RETRY_DELAYS_S } from '../../sandbox/webhooks.js';
import { api } from './helpers.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const SCALE = 0.002; // retries after 6, 60, 300 ms
let t = NOW;
let sb: Sandbox;

interface Received {
  at: number;
  authorization: string | undefined;
  contentType: string | undefined;
  body: { meta: Record<string, unknown>; data: Record<string, unknown> | null; previous: Record<string, unknown> | null };
}

/** A subscriber endpoint: records every request; `fail` decides the status per request. */
async function receiver(): Promise<{ url: string; got: Received[]; fail: (n: number) => boolean; setFail(f: (n: number) => boolean): void; close(): Promise<void> }> {
  const got: Received[] = [];
  let fail: (n: number) => boolean = () => false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = got.length;
      got.push({ at: Date.now(), authorization: req.headers.authorization, contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'] });
      res.writeHead(fail(n) ? 500 : 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/acme`,
    got,
    get fail() {
      return fail;
    },
    setFail(f) {
      fail = f;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let rx: Awaited<ReturnType<typeof receiver>>;
beforeEach(async () => {
  t = NOW;
  sb = await startSandbox({ dataset: generateDataset({ seed: 1, now: new Date(NOW), scale: 'demo' }), now: () => new Date(t), webhooks: { timeScale: SCALE } });
  rx = await receiver();
});
afterEach(async () => {
  await sb.close();
  await rx.close();
});

const subscribe = (extra: Record<string, unknown> = {}) =>
  api(sb, 'POST', '/v1/webhooks', { subscription_url: rx.url, event_action: '*', event_object: 'organization', name: 'cadence', version: '2.0', http_auth_user: 'u', http_auth_password: 'p4ss', ...extra });

describe('subscriptions API (v1 /webhooks)', () => {
  it('creates (201), lists and deletes subscriptions in the BaseWebhook shape, and validates the body', async () => {
    const created = await subscribe();
    expect(created.status).toBe(201);
    const data = created.json.data as Record<string, unknown>;
    expect(data).toMatchObject({ id: expect.any(Number), event_action: '*', event_object: 'organization', subscription_url: rx.url, version: '2.0', is_active: 1, type: 'general', http_auth_user: 'u', name: 'cadence', remove_time: null });
    const list = await api(sb, 'GET', '/v1/webhooks');
    expect((list.json.data as unknown[]).length).toBe(1);
    expect((await api(sb, 'DELETE', `/v1/webhooks/${String(data.id)}`)).status).toBe(200);
    expect((await api(sb, 'GET', '/v1/webhooks')).json.data).toEqual([]);
    expect((await api(sb, 'DELETE', `/v1/webhooks/${String(data.id)}`)).status).toBe(404);
    expect((await subscribe({ subscription_url: 'not a url' })).status).toBe(400);
    expect((await subscribe({ event_object: 'planet' })).status).toBe(400);
    expect((await subscribe({ name: undefined })).status).toBe(400);
    expect((await api(sb, 'GET', '/_sandbox/stats')).json.data).toMatchObject({ byRoute: expect.objectContaining({ 'POST /v1/webhooks 201': 1, 'GET /v1/webhooks 200': 2 }) });
  });

  it('refuses the 41st subscription of a user with 422', async () => {
    for (let i = 0; i < 40; i++) expect((await subscribe({ name: `w${i}` })).status).toBe(201);
    const r = await subscribe({ name: 'one too many' });
    expect(r.status).toBe(422);
    expect(r.json.error).toBe('Webhooks limit reached');
  });
});

describe('deliveries', () => {
  it('sends a v2 payload per write with Basic auth: create, change (only the changed fields), delete; api vs app source', async () => {
    await subscribe();
    const created = await api(sb, 'POST', '/api/v2/organizations', { name: 'Hook Co' });
    const id = (created.json.data as { id: number }).id;
    await sb.webhooks.idle();
    t += 60_000;
    expect((await api(sb, 'PATCH', `/api/v2/organizations/${id}`, { name: 'Hook Co Ltd' })).status).toBe(200);
    await sb.webhooks.idle();
    sb.state.upsert('organization', { id, name: 'Renamed in the app' });
    await sb.webhooks.idle();
    expect((await api(sb, 'DELETE', `/api/v2/organizations/${id}`)).status).toBe(200);
    await sb.webhooks.idle();

    expect(rx.got.map((g) => g.body.meta.action)).toEqual(['create', 'change', 'change', 'delete']);
    for (const g of rx.got) {
      expect(g.authorization).toBe(`Basic ${Buffer.from('u:p4ss').toString('base64')}`);
      expect(g.contentType).toBe('application/json');
      expect(g.body.meta).toMatchObject({ entity: 'organization', entity_id: String(id), version: '2.0', attempt: 1, company_id: String(sb.state.companyId), is_bulk_edit: false });
      expect(typeof g.body.meta.id).toBe('string');
    }
    const [c, ch, app, del] = rx.got as [Received, Received, Received, Received];
    expect(c.body.previous).toBeNull();
    expect(c.body.data).toMatchObject({ id, name: 'Hook Co' });
    expect(ch.body.previous).toEqual({ name: 'Hook Co' });
    expect(ch.body.data).toMatchObject({ name: 'Hook Co Ltd' });
    expect(ch.body.meta.change_source).toBe('api');
    expect(app.body.meta.change_source).toBe('app');
    expect(del.body.data).toBeNull();
    expect(del.body.previous).toMatchObject({ id, name: 'Renamed in the app' });
    expect(new Set(rx.got.map((g) => g.body.meta.id)).size).toBe(4);
  });

  it('type-tags enum custom fields in data and previous, as real v2 payloads do', async () => {
    const field = (await api(sb, 'POST', '/api/v2/organizationFields', { field_name: 'Stage X', field_type: 'enum', options: [{ label: 'A' }, { label: 'B' }] })).json.data as { field_code: string; options: Array<{ id: number }> };
    await subscribe({ event_action: 'change' });
    const orgId = (sb.state.list('organization')[0] as { id: number }).id;
    await api(sb, 'PATCH', `/api/v2/organizations/${orgId}`, { custom_fields: { [field.field_code]: field.options[0]!.id } });
    await api(sb, 'PATCH', `/api/v2/organizations/${orgId}`, { custom_fields: { [field.field_code]: field.options[1]!.id } });
    await sb.webhooks.idle();
    const last = rx.got.at(-1)!.body;
    expect((last.data!.custom_fields as Record<string, unknown>)[field.field_code]).toEqual({ id: field.options[1]!.id, type: 'enum' });
    expect(last.previous).toEqual({ custom_fields: { [field.field_code]: { id: field.options[0]!.id, type: 'enum' } } });
  });

  it('only matching subscriptions receive an event; a write that changes nothing sends nothing', async () => {
    await subscribe({ event_action: 'delete', event_object: 'deal' });
    const orgId = (sb.state.list('organization')[0] as { id: number; name: string }).id;
    await api(sb, 'PATCH', `/api/v2/organizations/${orgId}`, { name: 'Changed' });
    await sb.webhooks.idle();
    expect(rx.got).toEqual([]);
    await subscribe({ event_action: 'change' });
    await api(sb, 'PATCH', `/api/v2/organizations/${orgId}`, { name: 'Changed' });
    await sb.webhooks.idle();
    expect(rx.got).toEqual([]);
  });

  it('retries a failed delivery after 3, 30 and 150 s (scaled), same meta.id, attempt 1 to 4, then gives up', async () => {
    rx.setFail(() => true);
    await subscribe();
    const orgId = (sb.state.list('organization')[0] as { id: number }).id;
    await api(sb, 'PATCH', `/api/v2/organizations/${orgId}`, { name: 'Retry me' });
    await sb.webhooks.idle();
    expect(rx.got.map((g) => g.body.meta.attempt)).toEqual([1, 2, 3, 4]);
    expect(new Set(rx.got.map((g) => g.body.meta.id)).size).toBe(1);
    for (let i = 1; i < 4; i++) expect(rx.got[i]!.at - rx.got[i - 1]!.at).toBeGreaterThanOrEqual(Math.floor(RETRY_DELAYS_S[i - 1]! * 1000 * SCALE) - 1);
    expect(sb.webhooks.deliveries().map((d) => d.ok)).toEqual([false, false, false, false]);
  });

  it('stops retrying once an attempt succeeds', async () => {
    rx.setFail((n) => n === 0);
    await subscribe();
    const orgId = (sb.state.list('organization')[0] as { id: number }).id;
    await api(sb, 'PATCH', `/api/v2/organizations/${orgId}`, { name: 'Second time lucky' });
    await sb.webhooks.idle();
    expect(rx.got.map((g) => g.body.meta.attempt)).toEqual([1, 2]);
  });

  it('bans a subscription after 10 first-attempt failures: events during the ban are lost', async () => {
    rx.setFail(() => true);
    sb.webhooks.setTimeScale(1); // real retry delays: the retries stay pending, only first attempts happen
    const sub = (await subscribe()).json.data as { id: number };
    const orgId = (sb.state.list('organization')[0] as { id: number }).id;
    for (let i = 0; i < 10; i++) {
      await api(sb, 'PATCH', `/api/v2/organizations/${orgId}`, { name: `Attempt ${i}` });
      while (sb.webhooks.deliveries().length < i + 1) await new Promise((r) => setTimeout(r, 5));
    }
    expect(sb.webhooks.bannedUntil(sub.id)).not.toBeNull();
    const before = rx.got.length;
    await api(sb, 'PATCH', `/api/v2/organizations/${orgId}`, { name: 'During the ban' });
    await new Promise((r) => setTimeout(r, 50));
    expect(rx.got.length).toBe(before);
    expect(sb.webhooks.lostEvents()).toBe(1);
  });

  it('deletes a subscription with no successful delivery for 3 days', async () => {
    rx.setFail(() => true);
    const sub = (await subscribe()).json.data as { id: number };
    const orgId = (sb.state.list('organization')[0] as { id: number }).id;
    t += 3 * 24 * 3600 * 1000;
    await api(sb, 'PATCH', `/api/v2/organizations/${orgId}`, { name: 'Nobody listens' });
    await sb.webhooks.idle();
    expect(rx.got.length).toBe(1);
    expect((await api(sb, 'GET', '/v1/webhooks')).json.data).toEqual([]);
    expect(sb.webhooks.removedSubscriptions()).toMatchObject([{ id: sub.id, is_active: 0, remove_reason: 'no successful delivery for 3 days' }]);
  });
});
