/**
 * Pipedrive's published OpenAPI files as the contract: a whole night (setup, sync, rules, plan, apply) of
 * the real worker against the sandbox sends only requests the spec allows and gets only answers that fit
 * its response schemas; and the check fails when a request or a response breaks the spec (deliberate
 * breaks below). The e2e suites (sync, apply-demo, setup-doctor) run the same check on all of their runs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Configuration, DealsApi } from 'pipedrive/v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../sandbox/generator.js';
import { startSandbox, type Sandbox, type SandboxExchange } from '../../sandbox/server.js';
import { parsePolicy } from '../../src/config/load-config.js';
import { runSetup } from '../../src/setup/run-setup.js';
import { makeClient, runPipeline } from '../e2e/support/pipeline.js';
import { openApiContract, type Exchange } from './openapi-contract.js';
import { contractRecorder } from './recorder.js';

const logger = pino({ level: 'silent' });
const policy = parsePolicy(readFileSync('config/policy.yaml', 'utf8'), 'config/policy.yaml');
const NOW = new Date('2026-03-12T15:00:00Z');

const recorder = contractRecorder();
const exchanges: SandboxExchange[] = [];
let sb: Sandbox;
let dir: string;

beforeAll(async () => {
  sb = await startSandbox({
    dataset: generateDataset({ seed: 1, now: NOW, scale: 'demo' }),
    now: () => NOW,
    rateLimit: { burstLimit: 10_000, dailyTokenBudget: 10_000_000 },
    onExchange: (x) => {
      exchanges.push(x);
      recorder.onExchange(x);
    },
  });
  dir = mkdtempSync(join(tmpdir(), 'cadence-contract-'));
  await runSetup({ client: makeClient(sb.url, sb.token, logger), policy, logger });
  await runPipeline({ baseUrl: sb.url, token: sb.token, stateUrl: `sqlite://${join(dir, 'state.sqlite')}`, companyId: 'demo-firm', now: NOW, policy, logger, runId: 'contract-1', apply: true });
});
afterAll(async () => {
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
});

const find = (method: string, path: string, status = 200): SandboxExchange => {
  const x = exchanges.find((e) => e.method === method && e.path === path && e.status === status);
  if (!x) throw new Error(`no ${method} ${path} ${status} was recorded`);
  return structuredClone(x);
};
const problems = (x: Exchange) => openApiContract().check(x).map((v) => `[${v.where}] ${v.problem}`);

describe('a night of the worker, checked against the published API', () => {
  it('uses only operations of the spec, and every request and answer fits it', () => {
    const used = [...recorder.checked().keys()].sort();
    expect(used).toEqual(
      expect.arrayContaining([
        'GET /api/v1/activityTypes', 'GET /api/v1/users',
        'GET /api/v2/activities', 'GET /api/v2/dealFields', 'GET /api/v2/deals', 'GET /api/v2/deals/archived',
        'GET /api/v2/organizationFields', 'GET /api/v2/organizations', 'GET /api/v2/personFields', 'GET /api/v2/persons',
        'PATCH /api/v2/organizations/{id}', 'POST /api/v2/activities', 'POST /api/v2/organizationFields',
      ]),
    );
    recorder.expectClean();
  });
});

describe('the check fails on a deliberate break', () => {
  it('of a request: a limit above 500, a status outside the enum, an undeclared query parameter', () => {
    const list = find('GET', '/api/v2/deals');
    expect(problems(list)).toEqual([]);
    expect(problems({ ...list, query: { ...list.query, limit: '600' } })).toEqual([expect.stringContaining('query limit=600: /value must be <= 500')]);
    expect(problems({ ...list, query: { ...list.query, status: 'open,archived' } })).toEqual([expect.stringContaining('query status=open,archived: /value must be equal to one of the allowed values')]);
    expect(problems({ ...list, query: { ...list.query, sort_by: 'due_date' } })).toEqual([expect.stringContaining('query sort_by=due_date')]);
    const acts = find('GET', '/api/v2/activities');
    expect(problems({ ...acts, query: { ...acts.query, type: 'call' } })).toEqual(['[request] query parameter "type" is not declared by v2 GET /activities']);
    expect(problems({ ...acts, query: { ...acts.query, done: 'yes' } })).toEqual([expect.stringContaining('query done=yes: /value must be boolean')]);
  });

  it('of a request: a path or method the API does not have', () => {
    expect(problems({ method: 'GET', path: '/api/v2/activityTypes', query: {}, requestBody: undefined, status: 404, responseBody: {} })).toEqual([
      '[request] no v2 operation has the path /activityTypes',
    ]);
    expect(problems({ method: 'PUT', path: '/api/v2/deals/1', query: {}, requestBody: {}, status: 405, responseBody: {} })).toEqual([
      '[request] PUT is not a method of v2 /deals/{id}',
    ]);
    expect(problems({ method: 'GET', path: '/v2/deals', query: {}, requestBody: undefined, status: 404, responseBody: {} })).toEqual([
      '[request] path is not under /api/v2, /api/v1 or /v1',
    ]);
  });

  it('of a request body: an undeclared key, a wrong type', () => {
    const post = find('POST', '/api/v2/activities');
    expect(problems(post)).toEqual([]);
    const body = post.requestBody as Record<string, unknown>;
    expect(problems({ ...post, requestBody: { ...body, cadence_key: 'x' } })).toEqual(['[request] body key "cadence_key" is not declared by v2 POST /activities']);
    expect(problems({ ...post, requestBody: { ...body, done: 'false' } })).toEqual([expect.stringContaining('[request] body: /done must be boolean')]);
    const patch = exchanges.find((e) => e.method === 'PATCH' && e.path.startsWith('/api/v2/organizations/') && e.status === 200)!;
    expect(problems({ ...patch, requestBody: { custom_fields: 'not an object' } })).toEqual([expect.stringContaining('[request] body: /custom_fields must be object')]);
  });

  it('of a response: a wrong type, a value outside an enum, a required key missing', () => {
    const deals = find('GET', '/api/v2/deals');
    const d = deals.responseBody as { data: Array<Record<string, unknown>> };
    d.data[0]!.id = String(d.data[0]!.id);
    expect(problems(deals)).toEqual([expect.stringContaining('[response] body (200): /data/0/id must be integer')]);

    const fields = find('GET', '/api/v2/dealFields');
    const f = fields.responseBody as { data: Array<Record<string, unknown>> };
    delete f.data[0]!.field_name;
    f.data[1]!.field_type = 'dropdown';
    const p = problems(fields);
    expect(p).toHaveLength(1);
    expect(p[0]).toContain("/data/0 must have required property 'field_name'");
    expect(p[0]).toContain('/data/1/field_type must be equal to one of the allowed values');

    const users = find('GET', '/api/v1/users');
    (users.responseBody as { success: unknown }).success = 'yes';
    expect(problems(users)).toEqual([expect.stringContaining('/success must be boolean')]);
  });

  it('of a response: a built-in option id must be an integer or a string (overlay from the SDK 33 model), not an object', () => {
    const fields = find('GET', '/api/v2/dealFields');
    const status = (fields.responseBody as { data: Array<{ field_code: string; options: Array<{ id: unknown }> | null }> }).data.find((x) => x.field_code === 'status')!;
    expect(status.options![0]!.id).toBe('open');
    expect(problems(fields)).toEqual([]);
    status.options![0]!.id = { id: 'open' };
    expect(problems(fields)).toEqual([expect.stringContaining('/options/0/id must match exactly one schema in oneOf')]);
  });

  it('through the recorder, as the e2e suites use it: the SDK sending limit=600 fails expectClean', async () => {
    const local = contractRecorder();
    const broken = await startSandbox({ dataset: generateDataset({ seed: 1, now: NOW, scale: 'demo' }), now: () => NOW, onExchange: local.onExchange });
    try {
      // The sandbox refuses it too (400); the contract check is what this test is about.
      await new DealsApi(new Configuration({ apiKey: broken.token, basePath: `${broken.url}/api/v2` })).getDeals({ limit: 600 }).catch(() => undefined);
    } finally {
      await broken.close();
    }
    expect(local.violations()).toEqual([expect.objectContaining({ exchange: 'GET /api/v2/deals', where: 'request', problem: expect.stringContaining('limit=600') })]);
    expect(() => local.expectClean()).toThrow(/limit=600/);
  });
});
