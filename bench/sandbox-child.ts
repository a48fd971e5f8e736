/**
 * The benchmark's Pipedrive company, in its own process so that its CPU and memory are not counted as the
 * measured job's. It is `sandbox/main.ts` (same generator, same server) plus two steps a benchmark needs:
 *
 * 1. `cadence setup` over HTTP (the flag fields and activity types), as an operator does once;
 * 2. with `--steady-share S` (0 < S ≤ 1), the state earlier nights leave behind: the first-night plan
 *    (computed with the real rules and planner on the sandbox's own records) is written straight into the
 *    sandbox state for every organization except a share S of them (ids ≡ 0 mod round(1/S)). The measured
 *    night then has a realistic amount of write-back instead of a first night's ~1.7 writes per client.
 *
 * Seeding is not measured: the rate limits are reset and the write log cleared before the ready line.
 *
 *   node --import tsx bench/sandbox-child.ts --organizations 50000 --latency-ms 80 --burst-limit 100 [--steady-share 0.01]
 *
 * Prints one JSON line `{"url","token","counts","seeding"}` on stdout when ready; stops on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { BENCH_SCALE, generateDataset } from '../sandbox/generator.js';
import type { Kind } from '../sandbox/model.js';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import { parsePolicy } from '../src/config/load-config.js';
import type { Policy } from '../src/config/policy-schema.js';
import { SYNCED_ENTITIES, type MirrorSnapshot } from '../src/domain/entities.js';
import { createPipedriveClient, type PipedriveClient } from '../src/pipedrive/client.js';
import { parseEntityRecords } from '../src/pipedrive/records.js';
import { runSetup } from '../src/setup/run-setup.js';
import { planFor } from './plan-for.js';
import type { SandboxReady, SeedingSummary } from './support.js';

/** The mirror the job would load, built from the sandbox's live records through the real edge parser. */
async function snapshotOf(sandbox: Sandbox, client: PipedriveClient): Promise<MirrorSnapshot> {
  const maps = Object.fromEntries(
    SYNCED_ENTITIES.map((e) => {
      const { records } = parseEntityRecords(e, sandbox.state.list(e as Kind));
      return [e, new Map(records.map((r) => [r.id, r]))];
    }),
  );
  const users = await client.listUsers();
  const fields = [];
  for (const e of SYNCED_ENTITIES) fields.push(...(await client.getFields(e)));
  return {
    companyId: 'bench',
    organizations: maps.organization,
    persons: maps.person,
    deals: maps.deal,
    activities: maps.activity,
    users: new Map(users.map((u) => [u.id, u])),
    activityTypes: await client.listActivityTypes(),
    fields,
  } as MirrorSnapshot;
}

async function seedSteadyState(sandbox: Sandbox, client: PipedriveClient, policy: Policy, share: number): Promise<SeedingSummary> {
  const t0 = performance.now();
  const every = Math.max(1, Math.round(1 / share));
  const reserved = (orgId: number): boolean => orgId % every === 0;
  const snapshot = await snapshotOf(sandbox, client);
  note(`seeding: mirror built in ${Math.round(performance.now() - t0)} ms`);
  const plan = planFor(policy, snapshot, new Date(), 'seed');
  note(`seeding: first-night plan of ${plan.writes.length} writes after ${Math.round(performance.now() - t0)} ms`);
  // One pass is enough: what a client needs depends only on its own records, so writing the plan of the
  // other clients does not change the reserved clients' plan (the measured runs report their real plan).
  // Stamped as last night's run wrote them (24 h ago, 50 ms apart), not all within the same second: the
  // measured nights must not see them as fresh changes (a sync re-reads the minute before its bookmark).
  const lastNight = Date.now() - 86_400_000;
  let applied = 0;
  for (const w of plan.writes) {
    if (reserved(w.orgId)) continue;
    const at = new Date(lastNight + applied * 50).toISOString();
    if (w.kind === 'create_activity') sandbox.state.upsert('activity', { ...w.activity, add_time: at, update_time: at });
    else if (w.kind === 'update_org_flags') sandbox.state.upsert('organization', { id: w.orgId, custom_fields: w.customFields, update_time: at });
    else sandbox.state.remove('activity', w.activityId, { bumpUpdateTime: false });
    applied++;
  }
  const left = plan.writes.filter((w) => reserved(w.orgId));
  return {
    share,
    reservedOrgs: [...snapshot.organizations.keys()].filter(reserved).length,
    seeded: applied,
    nightPlan: {
      writes: left.length,
      creates: left.filter((w) => w.kind === 'create_activity').length,
      flagUpdates: left.filter((w) => w.kind === 'update_org_flags').length,
      deletes: left.filter((w) => w.kind === 'delete_activity').length,
    },
    ms: Math.round(performance.now() - t0),
  };
}

const note = (s: string): void => void process.stderr.write(`[bench sandbox] ${s}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      organizations: { type: 'string', default: String(BENCH_SCALE.organizations) },
      seed: { type: 'string', default: '1' },
      'latency-ms': { type: 'string', default: '80' },
      'burst-limit': { type: 'string', default: '100' },
      'daily-budget': { type: 'string', default: String(30_000 * 5 * 50) },
      'steady-share': { type: 'string' },
      policy: { type: 'string', default: 'config/policy.yaml' },
    },
  });
  const organizations = Number(values.organizations);
  const t0 = performance.now();
  const dataset = generateDataset({ seed: Number(values.seed), now: new Date(), scale: { ...BENCH_SCALE, organizations } });
  const sandbox = await startSandbox({
    dataset,
    rateLimit: { burstLimit: Number(values['burst-limit']), dailyTokenBudget: Number(values['daily-budget']) },
    knobs: { latencyMs: 0 },
  });
  const logger = pino({ level: 'silent' });
  const client = createPipedriveClient({ connection: { baseUrl: sandbox.url, apiToken: sandbox.token, timeoutMs: 60_000, concurrency: 1 }, logger });
  const policyFile = values.policy;
  const policy = parsePolicy(readFileSync(policyFile, 'utf8'), policyFile);
  note(`${organizations} organizations generated and served in ${Math.round(performance.now() - t0)} ms`);
  await runSetup({ client, policy, logger });
  const seeding = values['steady-share'] ? await seedSteadyState(sandbox, client, policy, Number(values['steady-share'])) : null;
  sandbox.resetRateLimits();
  sandbox.clearWrites();
  sandbox.setKnobs({ latencyMs: Number(values['latency-ms']) });
  global.gc?.();
  const ready: SandboxReady = { url: sandbox.url, token: sandbox.token, companyDomain: sandbox.companyDomain, counts: sandbox.state.counts(), seeding };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  const stop = (): void => {
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`bench sandbox: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
