/**
 * The background processing of webhook events under faults (issue 16 "Done when"), in process against the
 * seeded fault company (100 clients): real v2 payloads captured from the sandbox's own deliveries, posted to
 * the real receiver (deduplication by delivery id), batches run by the real job over real HTTP.
 *
 * - the same delivery 4 times, deliveries out of order, replayed: processed once, and the next night ends
 *   exactly where a night without any event processing ends (the nightly sweep is the truth);
 * - a 10,000-event bulk edit: one batch, pulled through the incremental list, ≤ ⌈changed / 500⌉ + 1 list
 *   pages plus the writes (prints the figures);
 * - the process dying mid-batch (writes landed, the processed mark not moved): after a restart the events
 *   are processed again, nothing is written twice;
 * - Redis (the state store) killed mid-batch: the batch fails with the store's error, the events stay in the
 *   inbox, and with Redis back they are processed without a duplicate write.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateDataset, type ScaleNumbers } from '../../sandbox/generator.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { composeCompany } from '../../src/app/compose.js';
import { runCompanyJob } from '../../src/job/run-company-job.js';
import { runWebhookBatch, type WebhookBatchOutcome } from '../../src/job/run-webhook-batch.js';
import { loadDeployment } from '../../src/ops/deployment.js';
import { runSetup } from '../../src/setup/run-setup.js';
import { openStateStore, type StateStore } from '../../src/store/open-state-store.js';
import { toRecordedEvent, WebhookEnvelope } from '../../src/webhooks/envelope.js';
import { webhookInbox, type WebhookInbox } from '../../src/webhooks/event-store.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/webhooks/receiver.js';
import { makeClient } from '../e2e/support/pipeline.js';
import { COMPANY, FAULT_SCALE, TOKEN, endState, expectSameEndState, policy, quiet } from './support/company.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

const NOW = new Date('2026-03-12T15:00:00Z');
const LATER = new Date('2026-03-13T13:00:00Z');
const CREDS = { user: 'cadence-fault', password: 'fault-password-0123456789abcdef' };

interface Company {
  sb: Sandbox;
  store: StateStore;
  inbox: WebhookInbox;
  clock: { at: Date };
  night(): Promise<void>;
  batch(wrap?: (c: ReturnType<typeof makeClient>) => void, signal?: AbortSignal): Promise<WebhookBatchOutcome>;
  reopen(): Promise<void>;
  close(): Promise<void>;
}

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c();
});

async function startCompany(o: { scale?: ScaleNumbers; stateUrl?: (dir: string) => string } = {}): Promise<Company> {
  const clock = { at: NOW };
  const sb = await startSandbox({ dataset: generateDataset({ seed: 11, now: NOW, scale: o.scale ?? FAULT_SCALE }), apiToken: TOKEN, companyDomain: COMPANY, now: () => clock.at, rateLimit: { burstLimit: 100_000, dailyTokenBudget: 1_000_000_000 } });
  await runSetup({ client: makeClient(sb.url, TOKEN, quiet), policy, logger: quiet });
  const dir = mkdtempSync(join(tmpdir(), 'cadence-whfault-'));
  const stateUrl = o.stateUrl?.(dir) ?? `sqlite://${join(dir, 'state.sqlite')}`;
  const config = loadDeployment({ PIPEDRIVE_API_TOKEN: TOKEN, PIPEDRIVE_BASE_URL: sb.url, PIPEDRIVE_COMPANY_DOMAIN: COMPANY, CADENCE_STATE_URL: stateUrl, CADENCE_REPORT_DIR: join(dir, 'reports'), CADENCE_MAX_WRITES: '100000' }).configFor(COMPANY);
  let store = await openStateStore(stateUrl, quiet);
  const me = (await makeClient(sb.url, TOKEN, quiet).getMe()).user.id;
  const c: Company = {
    sb,
    store,
    inbox: webhookInbox(store.keyv, COMPANY),
    clock,
    async night() {
      const parts = await composeCompany(config, quiet, c.store);
      const outcome = await runCompanyJob(parts, { clock: { now: () => clock.at.getTime() }, steps: { report: false }, reconcile: 'skip' });
      expect(outcome.status, outcome.error?.message).toBe('ok');
    },
    async batch(wrap, signal) {
      const parts = await composeCompany(config, quiet, c.store);
      wrap?.(parts.client);
      return runWebhookBatch(parts, { inbox: c.inbox, meUserId: me, clock: { now: () => clock.at.getTime() }, ...(signal ? { signal } : {}) });
    },
    async reopen() {
      await c.store.close().catch(() => undefined);
      store = await openStateStore(stateUrl, quiet);
      c.store = store;
      c.inbox = webhookInbox(store.keyv, COMPANY);
    },
    async close() {
      await c.store.close().catch(() => undefined);
      await sb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  open.push(() => c.close());
  return c;
}

/** Receives the sandbox's deliveries and keeps their bodies (answering 200), so the test can post them to the receiver in any order. */
async function capture(sb: Sandbox): Promise<{ bodies: string[] }> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString('utf8')));
    req.on('end', () => {
      bodies.push(text);
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  open.push(() => new Promise<void>((r) => server.close(() => r())));
  sb.webhooks.create({ subscription_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, event_action: '*', event_object: '*', version: '2.0', name: 'capture' });
  return { bodies };
}

async function receiver(c: Company): Promise<{ rx: WebhookReceiver; post(body: string): Promise<number> }> {
  const rx = await startWebhookReceiver({ addr: '127.0.0.1:0', companies: [{ companyId: COMPANY, credentials: async () => CREDS, inbox: c.inbox }], logger: quiet });
  open.push(() => rx.close());
  const auth = `Basic ${Buffer.from(`${CREDS.user}:${CREDS.password}`).toString('base64')}`;
  return {
    rx,
    post: async (body) => (await fetch(`${rx.url}/webhooks/${COMPANY}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body })).status,
  };
}

/** A night, then people's work the next days, its deliveries posted to the receiver: how many events it recorded. */
async function nightThenPeopleWork(c: Company): Promise<number> {
  await c.night();
  const { bodies } = await capture(c.sb);
  c.clock.at = LATER;
  peopleWork(c.sb);
  await c.sb.webhooks.idle();
  const { post } = await receiver(c);
  for (const b of bodies) expect(await post(b)).toBe(200);
  return c.inbox.count();
}

/** After a batch died: every recorded event is still pending, the next batch processes them all, and no write went out twice. */
async function expectProcessedOnce(c: Company, recorded: number): Promise<void> {
  expect((await c.inbox.pending()).length).toBe(recorded);
  const again = await c.batch();
  expect(again.events).toBe(recorded);
  expect(await c.inbox.pending()).toEqual([]);
  const writes = writesOf(c.sb);
  expect(new Set(writes).size, 'no write twice').toBe(writes.length);
}

/** Two clients' activities marked done and renamed by people in the app, a third client's owner changed. */
function peopleWork(sb: Sandbox): void {
  const orgs = sb.state.list('organization').slice(0, 3);
  for (const org of orgs.slice(0, 2)) {
    const a = sb.state.list('activity').find((x) => x.org_id === org.id && x.done === false)!;
    sb.state.upsert('activity', { id: a.id, done: true });
    sb.state.upsert('activity', { id: a.id, subject: `${String(a.subject)} (FUP)` });
  }
  const users = sb.state.listUsers();
  const third = orgs[2]!;
  const other = users.find((u) => u.id !== third.owner_id);
  if (other) sb.state.upsert('organization', { id: third.id, owner_id: other.id });
}

const writesOf = (sb: Sandbox) => sb.writes().filter((w) => !w.path.includes('/webhooks') && w.method !== 'GET').map((w) => `${w.method} ${w.path} ${JSON.stringify(w.body)}`);

describe('webhook processing under faults', () => {
  it('the same delivery 4 times, out of order, replayed: processed once; the next night ends where a night without events ends', async () => {
    const c = await startCompany();
    const ref = await startCompany();
    for (const x of [c, ref]) await x.night();
    const captured = await capture(c.sb);
    for (const x of [c, ref]) {
      x.clock.at = LATER;
      peopleWork(x.sb);
    }
    await c.sb.webhooks.idle();
    // The people's edits only (the worker's own writes are captured too, later, and not replayed here).
    const bodies = [...captured.bodies];
    expect(bodies.length).toBeGreaterThanOrEqual(5);
    const { rx, post } = await receiver(c);
    // Newest first, each delivered 4 times (Pipedrive's retries carry the same delivery id).
    for (const body of [...bodies].reverse()) for (let i = 0; i < 4; i++) expect(await post(body)).toBe(200);
    expect(rx.stats()).toMatchObject({ recorded: bodies.length, duplicates: 3 * bodies.length });
    const first = await c.batch();
    expect(first.events).toBe(bodies.length);
    expect(first.byClass.relevant).toBe(bodies.length);
    const writes = writesOf(c.sb);
    expect(new Set(writes).size).toBe(writes.length);
    // A replay of every event (new delivery ids, the same content) changes nothing: nothing more is written.
    for (const body of bodies) {
      const env = JSON.parse(body) as { meta: Record<string, unknown> };
      expect(await post(JSON.stringify({ ...env, meta: { ...env.meta, id: randomUUID() } }))).toBe(200);
    }
    const replay = await c.batch();
    expect(replay.events).toBe(bodies.length);
    expect(writesOf(c.sb)).toEqual(writes);
    // The nightly sweep stays the truth: the night after ends exactly where the night without events ends.
    for (const x of [c, ref]) await x.night();
    expectSameEndState(endState(c.sb), endState(ref.sb));
  });

  it('a 10,000-event bulk edit: one batch through the incremental list, ≤ ⌈changed / 500⌉ + 1 list pages plus the writes', async () => {
    const c = await startCompany({ scale: { organizations: 100, personsPerOrg: 100, dealsPerOrg: 1, activitiesPerOrg: 3 } });
    await c.night();
    c.clock.at = LATER;
    const persons = c.sb.state.list('person');
    expect(persons.length).toBe(10_000);
    for (const p of persons) {
      c.sb.state.upsert('person', { id: p.id, name: `${String(p.name)} Jr.` });
      const env = WebhookEnvelope.parse({
        meta: { action: 'change', entity: 'person', entity_id: String(p.id), id: randomUUID(), version: '2.0', timestamp: LATER.toISOString(), change_source: 'app', user_id: '99', is_bulk_edit: true, attempt: 1 },
        data: { id: p.id, name: `${String(p.name)} Jr.` },
        previous: { name: p.name },
      });
      await c.inbox.record(toRecordedEvent(env, LATER));
    }
    const before = c.sb.stats();
    const t0 = performance.now();
    const out = await c.batch();
    const ms = performance.now() - t0;
    const after = c.sb.stats();
    const routes = Object.entries(after.byRoute).map(([k, v]) => [k, v - (before.byRoute[k] ?? 0)] as const).filter(([, n]) => n > 0);
    console.log(`bulk edit: ${out.events} events, 1 batch in ${Math.round(ms)} ms; requests ${JSON.stringify(Object.fromEntries(routes))}; tokens ${after.tokensSpent - before.tokensSpent}; writes ${JSON.stringify(out.apply?.counts ?? {})}`);
    expect(out.events).toBe(10_000);
    expect(out.pulled.person).toMatchObject({ route: 'list', upserted: 10_000 });
    const listPages = routes.filter(([k]) => k.startsWith('GET /api/v2/persons ')).reduce((n, [, v]) => n + v, 0);
    expect(listPages).toBeLessThanOrEqual(Math.ceil(10_000 / 500) + 1);
    // Every other request is a write (a day later, a flag of some client moves with the calendar, as it would at night).
    const writes = routes.filter(([k]) => !k.startsWith('GET /api/v2/persons '));
    expect(writes.filter(([k]) => k.startsWith('GET '))).toEqual([]);
    expect(writes.reduce((n, [, v]) => n + v, 0)).toBe((out.apply?.counts.updated ?? 0) + (out.apply?.counts.created ?? 0) + (out.apply?.counts.deleted ?? 0));
    expect(await c.inbox.pending()).toEqual([]);
  });

  it('the process dying mid-batch: the events are processed after the restart, nothing is written twice', async () => {
    const c = await startCompany();
    const recorded = await nightThenPeopleWork(c);
    // The process dies as its second flag write lands: the write is in Pipedrive; from then on nothing is
    // written anywhere (the store is gone with the process, no further request leaves).
    let writesSeen = 0;
    const death = new AbortController();
    await expect(
      c.batch((client) => {
        const patch = client.updateOrganizationCustomFields.bind(client);
        client.updateOrganizationCustomFields = async (id, cf) => {
          const r = await patch(id, cf);
          if (++writesSeen === 2) {
            await c.store.close();
            death.abort(new Error('killed'));
          }
          return r;
        };
      }, death.signal),
    ).rejects.toThrow();
    expect(writesSeen).toBe(2);
    await c.reopen();
    await expectProcessedOnce(c, recorded);
  });

  it('Redis lost mid-batch: the batch fails, the events stay, with Redis back they are processed without a duplicate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cadence-whredis-'));
    const redis: RedisServer = await startRedisServer(dir);
    open.push(async () => {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const r = await startCompany({ stateUrl: () => redis.url });
    const recorded = await nightThenPeopleWork(r);
    await new Promise((res) => setTimeout(res, 1_100)); // past Redis' once-a-second fsync of the append-only file
    await expect(
      r.batch((client) => {
        const patch = client.updateOrganizationCustomFields.bind(client);
        client.updateOrganizationCustomFields = async (id, cf) => {
          redis.kill();
          return patch(id, cf);
        };
      }),
    ).rejects.toThrow();
    await redis.restart();
    await r.reopen();
    await expectProcessedOnce(r, recorded);
  });
});
