/**
 * Near-real-time, end to end (issue 16 "Done when"): the deployment as `cadence schedule` builds it (receiver
 * + background processing, CADENCE_WEBHOOK_QUIET_MS in milliseconds), the sandbox delivering webhooks for
 * every write over real HTTP, the real nightly job. A meeting held on an overdue client turns its flag
 * on-track and removes its untouched follow-up within seconds; a Tier raised brings the new cadence's
 * follow-up; the worker's own writes come back as events and start nothing; no write happens twice.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_STORY } from '../../sandbox/generator.js';
import type { Sandbox } from '../../sandbox/server.js';
import { composeDeployment, type DeploymentParts } from '../../src/app/deployment-runner.js';
import { parsePolicy } from '../../src/config/load-config.js';
import { extractCadenceKey } from '../../src/domain/provenance.js';
import { ensureWebhooks } from '../../src/setup/webhooks.js';
import { encryptedSecretStore, secretKeyring } from '../../src/store/secret-store.js';
import { webhookInbox } from '../../src/webhooks/event-store.js';
import type { WebhookReceiver } from '../../src/webhooks/receiver.js';
import { startDemoWorld, type DemoWorld } from './support/demo-world.js';
import { makeClient } from './support/pipeline.js';

const logger = pino({ level: 'silent' });
const policy = parsePolicy(readFileSync('config/policy.yaml', 'utf8'), 'config/policy.yaml');
const T0 = new Date('2026-03-12T15:00:00Z');
const COMPANY = 'demo-firm';
const KEY = randomBytes(32).toString('base64');
const OVERDUE = DEMO_STORY.explicitTier4!.orgId;
const RAISED = DEMO_STORY.explicitTier1!.orgId;

let sb: Sandbox;
let world: DemoWorld;
let dir: string;
let clock: Date;
let parts: DeploymentParts;
let rxUrl: string;

beforeEach(async () => {
  clock = T0;
  world = await startDemoWorld({ at: T0, now: () => clock, prefix: 'cadence-whp-', logger, setupPolicy: policy, sandbox: { webhooks: { timeScale: 0.002 } } });
  ({ sb, dir } = world);
  const rx = await boot('127.0.0.1:0', 300);
  rxUrl = rx.url;
  const secrets = encryptedSecretStore(parts.store, COMPANY, secretKeyring({ current: KEY }));
  await ensureWebhooks({ client: makeClient(sb.url, sb.token, logger), secrets, companyId: COMPANY, publicBaseUrl: rx.url, logger });
});

/** The deployment as `cadence schedule` composes it: receiver and background processing. */
async function boot(addr: string, quietMs: number): Promise<WebhookReceiver> {
  const env = {
    PIPEDRIVE_BASE_URL: sb.url, PIPEDRIVE_API_TOKEN: sb.token, PIPEDRIVE_COMPANY_DOMAIN: COMPANY,
    CADENCE_STATE_URL: `sqlite://${join(dir, 'state.sqlite')}`, CADENCE_REPORT_DIR: join(dir, 'reports'), CADENCE_SECRET_KEY: KEY,
    CADENCE_WEBHOOK_ADDR: addr, CADENCE_WEBHOOK_QUIET_MS: String(quietMs), CADENCE_WEBHOOK_MAX_DELAY_MS: String(Math.max(2000, quietMs)), LOG_LEVEL: process.env.WHP_LOG ?? 'silent',
  };
  parts = await composeDeployment(env, {}, { clock: { now: () => clock.getTime() } });
  return (await parts.startWebhooks())!;
}
afterEach(async () => {
  await parts.close();
  await world.close();
});

const followUps = (orgId: number) =>
  sb.state.list('activity', { includeDeleted: true }).filter((a) => a.org_id === orgId && extractCadenceKey(a.note as string | null)?.startsWith(`fu:${orgId}:`));

function flagOf(orgId: number, flagName: string): unknown {
  const def = sb.state.customFieldDefs('organization').find((d) => d.name === flagName)!;
  const raw = (sb.state.list('organization').find((o) => o.id === orgId)!.custom_fields as Record<string, unknown>)[def.key];
  return def.options?.find((o) => o.id === raw)?.label ?? raw;
}

/** Waits until every delivery is made and every batch processed (the echoes of the batch's own writes too). */
async function settle(): Promise<void> {
  const inbox = webhookInbox(parts.store.keyv, COMPANY);
  for (let quiet = 0; quiet < 2; ) {
    await sb.webhooks.idle();
    await new Promise((r) => setTimeout(r, 400)); // past the 300 ms quiet period
    await parts.webhookProcessor()!.idle();
    quiet = (await inbox.pending({ limit: 1 })).length === 0 ? quiet + 1 : 0;
  }
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every write to Pipedrive, as `METHOD path body`: none may appear twice. */
const writeLines = () => sb.writes().filter((w) => !w.path.includes('/webhooks')).map((w) => `${w.method} ${w.path} ${JSON.stringify(w.body)}`);

async function night(): Promise<void> {
  const outcome = await parts.runCompany(COMPANY, new AbortController().signal);
  expect(outcome.status).toBe('ok');
  await settle();
}

describe('webhook events processed in the background', () => {
  it('a meeting held on an overdue client: flag on-track and its untouched follow-up removed within seconds; nothing written twice', async () => {
    await night();
    const t = policy.texts[policy.locale].status;
    const status = policy.flags.cadenceStatus.name;
    expect(flagOf(OVERDUE, status)).toBe(t.overdue);
    const [followUp] = followUps(OVERDUE).filter((a) => !a.is_deleted && a.done === false);
    expect(followUp, 'the night created the follow-up').toBeDefined();
    const rule = policy.cadenceRules[extractCadenceKey(followUp!.note as string)!.split(':')[2]!.split('.')[0]!]!;
    const afterNight = writeLines();

    // 10:00 the next day: the owner holds the meeting and records it, done (a person, in the app).
    clock = new Date(T0.getTime() + 19 * 3600_000);
    const org = sb.state.list('organization').find((o) => o.id === OVERDUE)!;
    const subject = `Reunião com o cliente${rule.category === 'executive' ? ' (QBR)' : rule.category === 'strategic' ? ' (FUP)' : ''}`;
    sb.state.upsert('activity', { subject, type: rule.followUpType, org_id: OVERDUE, owner_id: org.owner_id, due_date: '2026-03-13', done: true });

    await until('the follow-up is deleted', () => followUps(OVERDUE).find((a) => a.id === followUp!.id)?.is_deleted === true || !sb.state.list('activity').some((a) => a.id === followUp!.id));
    await until('the flag reads on-track', () => flagOf(OVERDUE, status) === t.on_track);
    await settle();
    const lines = writeLines();
    expect(new Set(lines).size, 'no write twice').toBe(lines.length);
    const batchWrites = lines.slice(afterNight.length);
    // Only the client the meeting touched was written: its follow-up deleted, its flags patched once.
    expect(batchWrites.every((l) => l.includes(`/activities/${followUp!.id}`) || l.includes(`/organizations/${OVERDUE}`))).toBe(true);
    expect(batchWrites.filter((l) => l.startsWith('DELETE'))).toHaveLength(1);
    expect(batchWrites.filter((l) => l.startsWith('PATCH'))).toHaveLength(1);

    // The echoes of the batch's own writes were recognized and ignored: waiting longer writes nothing more.
    const metrics = await parts.metrics.render();
    expect(metrics).toMatch(/cadence_webhook_events_total\{company="demo-firm",class="own_write"\} [1-9]/);
    expect(metrics).toMatch(/cadence_webhook_lag_seconds_count\{company="demo-firm"\} [1-9]/);
    // The next night has nothing left to do for this client.
    const before = writeLines().length;
    await night();
    expect(writeLines().slice(before).filter((l) => l.includes(`/organizations/${OVERDUE}`) || l.includes(`org_id":${OVERDUE}`))).toEqual([]);
  }, 60_000);

  it('a Tier raised by management: the new cadence\'s follow-up appears, once', async () => {
    await night();
    expect(followUps(RAISED).filter((a) => !a.is_deleted)).toEqual([]);
    const tier = sb.state.customFieldDefs('organization').find((d) => d.name === policy.tierField!.name)!;
    const tier4 = tier.options!.find((o) => o.label === 'Tier 4')!.id;
    clock = new Date(T0.getTime() + 19 * 3600_000);
    sb.state.upsert('organization', { id: RAISED, custom_fields: { [tier.key]: tier4 } });
    await until('a follow-up for the raised client', () => followUps(RAISED).some((a) => !a.is_deleted));
    await settle();
    expect(followUps(RAISED).filter((a) => !a.is_deleted)).toHaveLength(1);
    const lines = writeLines();
    expect(new Set(lines).size).toBe(lines.length);
  }, 60_000);

  it('events recorded but not processed when the process stops are processed after the restart', async () => {
    await night();
    const [followUp] = followUps(OVERDUE).filter((a) => !a.is_deleted && a.done === false);
    const rule = policy.cadenceRules[extractCadenceKey(followUp!.note as string)!.split(':')[2]!.split('.')[0]!]!;
    const addr = new URL(rxUrl).host; // the subscriptions point here
    // A process with a long quiet period records the meeting, then stops before processing it.
    await parts.close();
    await boot(addr, 60_000);
    clock = new Date(T0.getTime() + 19 * 3600_000);
    const org = sb.state.list('organization').find((o) => o.id === OVERDUE)!;
    sb.state.upsert('activity', { subject: `Reunião${rule.category === 'executive' ? ' (QBR)' : ' (FUP)'}`, type: rule.followUpType, org_id: OVERDUE, owner_id: org.owner_id, due_date: '2026-03-13', done: true });
    await sb.webhooks.idle();
    expect((await webhookInbox(parts.store.keyv, COMPANY).pending()).length).toBe(1);
    await parts.close();
    expect(sb.state.list('activity').some((a) => a.id === followUp!.id)).toBe(true);
    // The restart finds the event in the inbox and processes it.
    await boot(addr, 300);
    await until('the follow-up is deleted after the restart', () => !sb.state.list('activity').some((a) => a.id === followUp!.id));
    await settle();
    expect(await webhookInbox(parts.store.keyv, COMPANY).pending()).toEqual([]);
  }, 60_000);
});
