/**
 * The baseline: the nightly job written the obvious way with the official `pipedrive` SDK, for the
 * benchmark to compare against (bench/run.ts). Only the I/O strategy differs from the real job; the rules
 * and the plan are ours (bench/plan-for.ts), computed on what it fetched.
 *
 * What "the obvious way" means here:
 * - the SDK's default API classes (`new DealsApi(config)`), so no access to status codes or rate-limit
 *   headers (PIPEDRIVE.md §9) and therefore no pacing;
 * - every list walked with the default page size (100) following `next_cursor` (SDK ≥ 32 has no offset
 *   pagination left for these entities), one request at a time, everything kept in arrays;
 * - deals listed with the default status filter (no deleted ones), everything pulled every night;
 * - writes one by one in plan order: POST for activities, PATCH for flags, DELETE for cleared follow-ups;
 * - naive retry: any error is retried after one second, up to five attempts (a timed-out POST is resent).
 *
 *   node --import tsx bench/baseline.ts <baseUrl> <token> [policyFile]
 *
 * Prints `{"progress":…}` lines every 50 pages and one `{"done":…}` line at the end.
 */
import { readFileSync } from 'node:fs';
import {
  ActivitiesApi,
  ActivityFieldsApi,
  Configuration,
  DealFieldsApi,
  DealsApi,
  OrganizationFieldsApi,
  OrganizationsApi,
  PersonFieldsApi,
  PersonsApi,
} from 'pipedrive/v2';
import { ActivityTypesApi, Configuration as V1Configuration, UsersApi } from 'pipedrive/v1';
import { parsePolicy } from '../src/config/load-config.js';
import { SYNCED_ENTITIES, type EntityKind, type FieldDefinition, type MirrorSnapshot } from '../src/domain/entities.js';
import {
  ActivityTypeRecord,
  FieldRecord,
  UserRecord,
  parseEntityRecords,
  parseRecords,
  toActivityType,
  toFieldDefinition,
  toUser,
} from '../src/pipedrive/records.js';
import { planFor } from './plan-for.js';

const [baseUrl, token, policyFile = 'config/policy.yaml'] = process.argv.slice(2);
if (!baseUrl || !token) {
  console.error('usage: baseline.ts <baseUrl> <token> [policyFile]');
  process.exit(2);
}
// Let a wall-time cap (SIGTERM) still report peak memory through bench/rss-hook.ts.
process.once('SIGTERM', () => process.exit(143));

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const stats = { requests: 0, retries: 0, failedWrites: 0 };
const t0 = performance.now();
const elapsed = () => Math.round(performance.now() - t0);

async function naiveRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    stats.requests++;
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 5) throw err;
      stats.retries++;
      await sleep(1000);
    }
  }
}

interface Page {
  data?: unknown[] | null;
  additional_data?: { next_cursor?: string | null } | null;
}

const pages: Record<string, number> = {};
async function listAll(name: string, fetchPage: (cursor: string | undefined) => Promise<Page>): Promise<unknown[]> {
  const all: unknown[] = [];
  let cursor: string | undefined;
  pages[name] = 0;
  do {
    const page = await naiveRetry(() => fetchPage(cursor));
    for (const item of page.data ?? []) all.push(item);
    cursor = page.additional_data?.next_cursor ?? undefined;
    pages[name]++;
    if (pages[name] % 50 === 0) process.stdout.write(`${JSON.stringify({ progress: { entity: name, pages: pages[name], requests: stats.requests, ms: elapsed() } })}\n`);
  } while (cursor);
  return all;
}

const cfg = new Configuration({ apiKey: token, basePath: `${baseUrl}/api/v2` });
const v1cfg = new V1Configuration({ apiKey: token, basePath: `${baseUrl}/api/v1` });
const policy = parsePolicy(readFileSync(policyFile, 'utf8'), policyFile);
const phaseMs: Record<string, number> = {};

// 1. Reference data.
let t = performance.now();
const usersRaw = (await naiveRetry(() => new UsersApi(v1cfg).getUsers())).data ?? [];
const typesRaw = (await naiveRetry(() => new ActivityTypesApi(v1cfg).getActivityTypes())).data ?? [];
const fieldApis: Record<EntityKind, (cursor: string | undefined) => Promise<Page>> = {
  organization: (cursor) => new OrganizationFieldsApi(cfg).getOrganizationFields(cursor ? { cursor } : {}) as Promise<Page>,
  person: (cursor) => new PersonFieldsApi(cfg).getPersonFields(cursor ? { cursor } : {}) as Promise<Page>,
  deal: (cursor) => new DealFieldsApi(cfg).getDealFields(cursor ? { cursor } : {}) as Promise<Page>,
  activity: (cursor) => new ActivityFieldsApi(cfg).getActivityFields(cursor ? { cursor } : {}) as Promise<Page>,
};
const fields: FieldDefinition[] = [];
for (const e of SYNCED_ENTITIES) {
  fields.push(...parseRecords(`${e}Field`, await listAll(`${e}Fields`, fieldApis[e]), FieldRecord, (r) => toFieldDefinition(e, r)).records);
}
phaseMs.reference = performance.now() - t;

// 2. Everything, every night.
t = performance.now();
const organizationsRaw = await listAll('organization', (cursor) => new OrganizationsApi(cfg).getOrganizations(cursor ? { cursor } : {}) as Promise<Page>);
const personsRaw = await listAll('person', (cursor) => new PersonsApi(cfg).getPersons(cursor ? { cursor } : {}) as Promise<Page>);
const dealsRaw = await listAll('deal', (cursor) => new DealsApi(cfg).getDeals(cursor ? { cursor } : {}) as Promise<Page>);
const activitiesRaw = await listAll('activity', (cursor) => new ActivitiesApi(cfg).getActivities(cursor ? { cursor } : {}) as Promise<Page>);
phaseMs.pull = performance.now() - t;

// 3. The same rules and plan as the real job.
t = performance.now();
const byId = <E extends EntityKind>(e: E, raw: unknown[]) => new Map(parseEntityRecords(e, raw).records.map((r) => [r.id, r]));
const users = parseRecords('user', usersRaw, UserRecord, toUser).records;
const snapshot = {
  companyId: 'baseline',
  organizations: byId('organization', organizationsRaw),
  persons: byId('person', personsRaw),
  deals: byId('deal', dealsRaw),
  activities: byId('activity', activitiesRaw),
  users: new Map(users.map((u) => [u.id, u])),
  activityTypes: parseRecords('activityType', typesRaw, ActivityTypeRecord, toActivityType).records,
  fields,
} as MirrorSnapshot;
const plan = planFor(policy, snapshot, new Date(), `baseline-${Date.now()}`);
phaseMs.plan = performance.now() - t;
process.stdout.write(`${JSON.stringify({ progress: { planned: plan.writes.length, requests: stats.requests, ms: elapsed() } })}\n`);

// 4. Writes, one by one.
t = performance.now();
const activitiesApi = new ActivitiesApi(cfg);
const organizationsApi = new OrganizationsApi(cfg);
let written = 0;
for (const w of plan.writes) {
  try {
    if (w.kind === 'create_activity') await naiveRetry(() => activitiesApi.addActivity({ AddActivityRequest: w.activity as never }));
    else if (w.kind === 'update_org_flags') await naiveRetry(() => organizationsApi.updateOrganization({ id: w.orgId, UpdateOrganizationRequest: { custom_fields: w.customFields } as never }));
    else await naiveRetry(() => activitiesApi.deleteActivity({ id: w.activityId }));
    written++;
  } catch {
    stats.failedWrites++;
  }
}
phaseMs.apply = performance.now() - t;

const records = Object.fromEntries(
  [
    ['organization', organizationsRaw],
    ['person', personsRaw],
    ['deal', dealsRaw],
    ['activity', activitiesRaw],
  ].map(([e, raw]) => [e, (raw as unknown[]).length]),
);
process.stdout.write(
  `${JSON.stringify({
    done: {
      pages,
      records,
      planned: plan.writes.length,
      written,
      ...stats,
      phaseMs: Object.fromEntries(Object.entries(phaseMs).map(([k, v]) => [k, Math.round(v)])),
      ms: elapsed(),
    },
  })}\n`,
);
