/**
 * The receiver SIGKILLed with webhook events recorded but not processed (issue 16 "Done when"), with real
 * processes: `cadence schedule` as a child (CADENCE_WEBHOOK_ADDR, SQLite state in a file), the sandbox
 * delivering webhooks for every change over real HTTP to the receiver's fixed address, the worker's API
 * requests through the fault proxy.
 *
 * 1. A child with a 10-minute quiet period records a meeting held on an overdue client (the delivery is in
 *    the inbox) and is SIGKILLed before it processes anything.
 * 2. A second child, with a short quiet period, processes the recorded event on start: the untouched
 *    follow-up deleted, the flag on-track, each written exactly once, the inbox marked processed.
 * 3. That child is SIGKILLed as the first write of the next batch (another overdue client's meeting) lands
 *    in Pipedrive, unheard of; a third child (after the dead one's lock lease runs out) finishes the batch:
 *    no write twice, the inbox processed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../sandbox/generator.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { extractCadenceKey } from '../../src/domain/provenance.js';
import { runSetup } from '../../src/setup/run-setup.js';
import { ensureWebhooks } from '../../src/setup/webhooks.js';
import { openStateStore } from '../../src/store/open-state-store.js';
import { encryptedSecretStore, secretKeyring } from '../../src/store/secret-store.js';
import { webhookInbox } from '../../src/webhooks/event-store.js';
import { makeClient } from '../e2e/support/pipeline.js';
import { runCli, startCli, type CliRun } from './support/cli.js';
import { policy, quiet } from './support/company.js';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { freePort } from './support/redis-server.js';

const COMPANY = 'demo-firm';
const KEY = randomBytes(32).toString('base64');
const NOW = new Date();

let sb: Sandbox;
let proxy: FaultProxy;
let dir: string;
let stateUrl: string;
let addr: string;
const children: CliRun[] = [];

beforeAll(async () => {
  sb = await startSandbox({ dataset: generateDataset({ seed: 1, now: NOW, scale: 'demo' }), rateLimit: { burstLimit: 10_000, dailyTokenBudget: 10_000_000 }, webhooks: { timeScale: 0.002 } });
  await runSetup({ client: makeClient(sb.url, sb.token, quiet), policy, logger: quiet });
  proxy = await startFaultProxy(sb.url);
  dir = mkdtempSync(join(tmpdir(), 'cadence-whkill-'));
  stateUrl = `sqlite://${join(dir, 'state.sqlite')}`;
  // A fixed address: the subscriptions point at it, every child listens on it.
  addr = `127.0.0.1:${await freePort()}`;
});

/** The subscriptions and their credentials (`cadence setup --webhooks` does the same), pointing at `addr`. */
async function subscribe(): Promise<void> {
  const store = await openStateStore(stateUrl, quiet);
  try {
    const secrets = encryptedSecretStore(store, COMPANY, secretKeyring({ current: KEY }));
    await ensureWebhooks({ client: makeClient(sb.url, sb.token, quiet), secrets, companyId: COMPANY, publicBaseUrl: `http://${addr}`, logger: quiet });
  } finally {
    await store.close();
  }
}
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.done.catch(() => undefined)));
  await proxy?.close();
  await sb?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}): Record<string, string> => ({
  PIPEDRIVE_API_TOKEN: sb.token,
  PIPEDRIVE_BASE_URL: proxy.url,
  PIPEDRIVE_COMPANY_DOMAIN: COMPANY,
  CADENCE_STATE_URL: stateUrl,
  CADENCE_REPORT_DIR: join(dir, 'reports'),
  CADENCE_POLICY_FILE: 'config/policy.yaml',
  CADENCE_SECRET_KEY: KEY,
  ...extra,
});

/** `cadence schedule` with the receiver on `addr` (no night falls during the test: New Year's only); resolves once it answers. */
async function schedule(quietMs: number): Promise<CliRun> {
  const run = startCli(['schedule'], env({
    CADENCE_WEBHOOK_ADDR: addr,
    CADENCE_WEBHOOK_QUIET_MS: String(quietMs),
    CADENCE_WEBHOOK_MAX_DELAY_MS: String(Math.max(quietMs, 1_000)),
    CADENCE_LOCK_TTL_MS: '3000',
    CADENCE_SCHEDULE: '0 3 1 1 *',
  }));
  children.push(run);
  let exited = false;
  void run.done.then(() => (exited = true));
  await until('the receiver answers', async () => {
    if (exited) throw new Error(`cadence schedule exited: ${(await run.done).stderr}`);
    return fetch(`http://${addr}/healthz`).then(() => true, () => false);
  });
  return run;
}

async function kill(run: CliRun): Promise<void> {
  run.child.kill('SIGKILL');
  expect((await run.done).signal).toBe('SIGKILL');
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The inbox as the children left it (read through the SQLite file, while a child may be running). */
async function inbox(): Promise<{ recorded: number; pending: number }> {
  const store = await openStateStore(stateUrl, quiet);
  try {
    const i = webhookInbox(store.keyv, COMPANY);
    return { recorded: await i.count(), pending: (await i.pending()).length };
  } finally {
    await store.close();
  }
}

const flagOf = (orgId: number): unknown => {
  const def = sb.state.customFieldDefs('organization').find((d) => d.name === policy.flags.cadenceStatus.name)!;
  const raw = (sb.state.list('organization').find((o) => o.id === orgId)!.custom_fields as Record<string, unknown>)[def.key];
  return def.options?.find((o) => o.id === raw)?.label ?? raw;
};
const texts = policy.texts[policy.locale].status;

/** The client's open follow-ups created by the worker. */
const openFollowUps = (orgId: number) => sb.state.list('activity').filter((a) => a.org_id === orgId && a.done === false && extractCadenceKey(a.note as string | null)?.startsWith(`fu:${orgId}:`));

/** Every write to Pipedrive (subscriptions aside), as `METHOD path body`. */
const writeLines = () => sb.writes().filter((w) => !w.path.includes('/webhooks')).map((w) => `${w.method} ${w.path} ${JSON.stringify(w.body)}`);

/** A person holds the meeting with the client today and records it, done, in the app. */
function meetingHeld(orgId: number): void {
  const followUp = openFollowUps(orgId)[0]!;
  const org = sb.state.list('organization').find((o) => o.id === orgId)!;
  const today = NOW.toLocaleDateString('sv-SE', { timeZone: policy.timeZone });
  sb.state.upsert('activity', { subject: `Reunião com o cliente (${String(followUp.subject)})`, type: followUp.type, org_id: orgId, owner_id: org.owner_id, due_date: today, done: true });
}

/** Waits for the deliveries, then until the inbox has nothing pending. */
async function processed(): Promise<void> {
  await until('the inbox is processed', async () => {
    await sb.webhooks.idle();
    return (await inbox()).pending === 0;
  });
}

describe('the receiver SIGKILLed with events recorded but not processed', () => {
  it('processed after the restart, each write once; killed again mid-batch: still no write twice', { timeout: 120_000 }, async () => {
    const night = await runCli(['run-once'], env());
    expect(night.code, night.stderr).toBe(0);
    const overdue = sb.state.list('organization').filter((o) => flagOf(o.id as number) === texts.overdue && openFollowUps(o.id as number).length === 1).map((o) => o.id as number);
    expect(overdue.length, 'the night left two overdue clients with one follow-up each').toBeGreaterThanOrEqual(2);
    const [first, second] = overdue as [number, number];
    const firstFollowUp = openFollowUps(first)[0]!.id;
    const secondFollowUp = openFollowUps(second)[0]!.id;
    // Subscribed after the night: its writes are not delivered to a receiver that is not up yet.
    await subscribe();
    const afterNight = writeLines().length;

    // 1. Recorded, then killed before the 10-minute quiet period ends.
    const a = await schedule(600_000);
    meetingHeld(first);
    await sb.webhooks.idle();
    await kill(a);
    expect(await inbox()).toEqual({ recorded: 1, pending: 1 });
    expect(writeLines().length, 'nothing processed before the kill').toBe(afterNight);

    // 2. A new process finds the event and processes it.
    const b = await schedule(300);
    await until('the follow-up is deleted', () => !sb.state.list('activity').some((x) => x.id === firstFollowUp));
    await until('the flag reads on-track', () => flagOf(first) === texts.on_track);
    await processed();
    const batch = writeLines().slice(afterNight);
    expect(batch.filter((l) => l.startsWith(`DELETE /api/v2/activities/${firstFollowUp} `))).toHaveLength(1);
    expect(batch.filter((l) => l.startsWith(`PATCH /api/v2/organizations/${first} `))).toHaveLength(1);
    expect(batch.every((l) => l.includes(`/activities/${firstFollowUp} `) || l.includes(`/organizations/${first} `)), batch.join('\n')).toBe(true);

    // 3. Killed as the first write of the next batch lands (Pipedrive acted, the worker never heard).
    const beforeSecond = writeLines().length;
    let landed = '';
    proxy.setDecide((_, req) => {
      if (req.method === 'GET' || landed !== '') return undefined;
      landed = `${req.method} ${req.url.split('?')[0]}`;
      return { kind: 'after', run: () => b.child.kill('SIGKILL') };
    });
    meetingHeld(second);
    expect((await b.done).signal).toBe('SIGKILL');
    proxy.setDecide(undefined);
    expect(landed).not.toBe('');
    expect(writeLines().length - beforeSecond, `only ${landed} landed`).toBe(1);
    expect((await inbox()).pending).toBeGreaterThan(0);

    await schedule(300);
    await until('the second flag reads on-track', () => flagOf(second) === texts.on_track, 30_000);
    await until('the second follow-up is gone', () => openFollowUps(second).length === 0);
    await processed();
    const lines = writeLines();
    // The follow-up deleted and the flags written, once each: the write that landed was not sent again.
    const lastBatch = lines.slice(beforeSecond);
    expect(lastBatch.map((l) => l.split(' ').slice(0, 2).join(' ')).sort(), lastBatch.join('\n')).toEqual([`DELETE /api/v2/activities/${secondFollowUp}`, `PATCH /api/v2/organizations/${second}`].sort());
    expect(lastBatch.filter((l) => `${l.split(' ')[0]} ${l.split(' ')[1]}` === landed)).toHaveLength(1);
    expect(new Set(lines).size, `no write twice:\n${lines.slice(afterNight).join('\n')}`).toBe(lines.length);
  });
});
