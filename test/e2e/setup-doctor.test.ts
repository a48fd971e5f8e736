/** `cadence setup` and `cadence doctor` against the sandbox: real SDK over real HTTP. */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateDataset } from '../../sandbox/generator.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { contractRecorder } from '../contract/recorder.js';
import { parsePolicy } from '../../src/config/load-config.js';
import type { Policy } from '../../src/config/policy-schema.js';
import { formatDoctorReport, runDoctor } from '../../src/doctor/run-doctor.js';
import { createPipedriveClient, type PipedriveClient } from '../../src/pipedrive/client.js';
import { flagFieldSpecs } from '../../src/plan/flag-fields.js';
import { formatSetupReport, runSetup } from '../../src/setup/run-setup.js';

const NOW = new Date('2026-03-12T15:00:00Z');
const logger = pino({ level: 'silent' });
const basePolicy = parsePolicy(readFileSync('config/policy.yaml', 'utf8'), 'config/policy.yaml');

// Every request setup and doctor send and every answer, checked against Pipedrive's OpenAPI files.
const contract = contractRecorder();
let sb: Sandbox;
beforeEach(async () => {
  sb = await startSandbox({ dataset: generateDataset({ seed: 7, now: NOW, scale: 'demo' }), now: () => NOW, onExchange: contract.onExchange });
});
afterEach(async () => {
  await sb.close();
});
afterAll(() => contract.expectClean());

function client(token = sb.token): PipedriveClient {
  return createPipedriveClient({ connection: { baseUrl: sb.url, apiToken: token, timeoutMs: 5000, concurrency: 2 }, logger, retry: { maxAttempts: 1 } });
}

const writesTo = (pathPart: string) => sb.writes().filter((w) => w.path.includes(pathPart) && w.method !== 'GET');
/** Names of the activity types created through the API. */
const typesCreated = () => writesTo('/activityTypes').map((w) => (w.body as { name?: string }).name);

describe('cadence setup', () => {
  it('creates the eight flag fields with their pt-BR options and the FUP activity type, then nothing on a second run', async () => {
    const first = await runSetup({ client: client(), policy: basePolicy, logger });
    expect(first.created).toBe(9);
    // docs/policy.md §10.3: the FUP type the policy names (categories.strategic.fupActivityType), with its name and key.
    expect(sb.state.activityType('fup')).toMatchObject({ name: 'FUP', active: true, isCustom: true });
    expect(first.actions).toContainEqual({ kind: 'type_created', name: 'fup', detail: 'created activity type "FUP" (key fup) for categories.executive.match[0].activityTypes, categories.strategic.fupActivityType' });
    expect(first.problems).toBe(0);
    for (const spec of flagFieldSpecs(basePolicy)) {
      const f = sb.state.fieldByName('organization', spec.name);
      expect(f, spec.name).toBeDefined();
      expect(f!.fieldType).toBe(spec.fieldType);
      expect(f!.options?.map((o) => o.label) ?? null).toEqual(spec.options);
    }
    expect(sb.state.fieldByName('organization', 'Cadence status')!.options!.map((o) => o.label)).toEqual(['Em dia', 'Vence em breve', 'Atrasado', 'Sem contato', 'Não se aplica']);
    expect(formatSetupReport(first)).toMatch(/created 9, 0 problems/);

    sb.clearWrites();
    const second = await runSetup({ client: client(), policy: basePolicy, logger });
    expect(second.created).toBe(0);
    expect(second.actions.every((a) => a.kind === 'field_ok' || a.kind === 'type_ok')).toBe(true);
    expect(sb.writes().filter((w) => w.method !== 'GET')).toEqual([]);
  });

  it('en policy: options in English', async () => {
    await runSetup({ client: client(), policy: { ...basePolicy, locale: 'en' }, logger });
    expect(sb.state.fieldByName('organization', 'Engagement trend')!.options!.map((o) => o.label)).toEqual(['Rising', 'Stable', 'Falling']);
  });

  it('creates an activity type the policy lists in setup.createActivityTypes and the company lacks, with the same key', async () => {
    const policy: Policy = { ...basePolicy, escalation: { ...basePolicy.escalation, activityType: 'escalation' }, setup: { createActivityTypes: ['escalation'] } };
    const report = await runSetup({ client: client(), policy, logger });
    expect(report.actions).toContainEqual(expect.objectContaining({ kind: 'type_created', name: 'escalation' }));
    expect(sb.state.activityType('escalation')).toMatchObject({ name: 'Escalation', active: true });
    expect(typesCreated()).toEqual(['Escalation', 'FUP']);
  });

  it('creates only what the policy asks for explicitly: a missing type it does not list is reported, not created', async () => {
    const policy: Policy = { ...basePolicy, escalation: { ...basePolicy.escalation, activityType: 'escalation' } };
    const report = await runSetup({ client: client(), policy, logger });
    expect(report.actions).toContainEqual(
      expect.objectContaining({ kind: 'type_problem', name: 'escalation', detail: expect.stringContaining('list it in setup.createActivityTypes') }),
    );
    expect(sb.state.activityType('escalation')).toBeUndefined();
    expect(typesCreated()).toEqual(['FUP']); // the FUP type is the policy's own ask (categories.strategic.fupActivityType)
  });

  it('refuses a near-miss of an existing type ("meating" for meeting), even when listed, saying which one exists', async () => {
    const policy: Policy = {
      ...basePolicy,
      cadenceRules: { ...basePolicy.cadenceRules, strategic: { ...basePolicy.cadenceRules.strategic!, followUpType: 'meating' } },
      setup: { createActivityTypes: ['meating', 'Emial'] },
      categories: { ...basePolicy.categories, maintenance: { ...basePolicy.categories.maintenance, match: [{ activityTypes: ['call', 'Emial'] }] } },
    };
    const report = await runSetup({ client: client(), policy, logger });
    const problems = report.actions.filter((a) => a.kind === 'type_problem');
    expect(problems).toEqual([
      expect.objectContaining({ name: 'meating', detail: 'refusing to create activity type "meating": it nearly matches the existing "meeting" (Reunião); fix cadenceRules.strategic.followUpType in the policy' }),
      expect.objectContaining({ name: 'Emial', detail: expect.stringMatching(/^refusing to create activity type "Emial": it nearly matches the existing "email" \(/) }),
    ]);
    expect(sb.state.activityType('meating')).toBeUndefined();
    expect(typesCreated()).toEqual(['FUP']);
  });

  it('refuses a flag field whose name nearly matches an existing field, naming it', async () => {
    await client().createField('organization', { name: 'Cadence Statuss', fieldType: 'enum', options: ['Em dia'] });
    sb.clearWrites();
    const again = await runSetup({ client: client(), policy: basePolicy, logger });
    expect(again.actions).toContainEqual(expect.objectContaining({ kind: 'field_problem', name: 'Cadence status', detail: expect.stringContaining('nearly matches the existing "Cadence Statuss"') }));
    expect(sb.state.fieldByName('organization', 'Cadence status')).toBeUndefined();
  });

  it('reports, never changes, an existing field of the wrong shape', async () => {
    await client().createField('organization', { name: 'Health score', fieldType: 'date' });
    await client().createField('organization', { name: 'Cadence status', fieldType: 'enum', options: ['Em dia'] });
    sb.clearWrites();
    const report = await runSetup({ client: client(), policy: basePolicy, logger });
    expect(report.problems).toBe(2);
    expect(report.created).toBe(7); // 6 fields + the FUP type
    const details = report.actions.filter((a) => a.kind === 'field_problem').map((a) => a.detail);
    expect(details[0]).toMatch(/"Cadence status" lacks the options "Vence em breve", "Atrasado", "Sem contato", "Não se aplica": add them/);
    expect(details[1]).toMatch(/"Health score" is of type date, expected double: delete or rename it/);
    expect(writesTo('/organizationFields')).toHaveLength(6);
  });

  it('dry run creates nothing', async () => {
    const report = await runSetup({ client: client(), policy: basePolicy, logger, dryRun: true });
    expect(report.created).toBe(9);
    expect(sb.writes().filter((w) => w.method !== 'GET')).toEqual([]);
    expect(formatSetupReport(report)).toMatch(/would create 9/);
  });
});

describe('cadence doctor', () => {
  it('before setup: token, users, fields and types ok; flag fields and the FUP type fail with "run cadence setup"', async () => {
    const report = await runDoctor({ client: client(), policy: basePolicy, logger });
    const byId = new Map(report.checks.map((c) => [c.id, c]));
    expect(byId.get('token')).toMatchObject({ status: 'ok', detail: expect.stringContaining('Helena Prado') });
    expect(byId.get('permissions')!.status).toBe('ok');
    expect(byId.get('time-zone')!.status).toBe('ok');
    expect(byId.get('user:fallback')).toMatchObject({ status: 'ok' });
    expect(byId.get('user:escalation')).toMatchObject({ status: 'ok' });
    expect(byId.get('field:organization:Tier')!.status).toBe('ok');
    expect(byId.get('field:person:Email')!.status).toBe('ok');
    expect(byId.get('activity-type:meeting')!.status).toBe('ok');
    expect(byId.get('flag:cadenceStatus')).toMatchObject({ status: 'fail', fix: 'run `cadence setup` to create the flag fields' });
    expect(report.ok).toBe(false);
    expect(byId.get('activity-type:fup')).toMatchObject({ status: 'fail', fix: 'run `cadence setup` to create it (it is listed in categories.strategic.fupActivityType)' });
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.id).sort()).toEqual(['activity-type:fup', ...flagFieldSpecs(basePolicy).map((s) => `flag:${s.flag}`)].sort());
  });

  it('after setup every check passes', async () => {
    await runSetup({ client: client(), policy: basePolicy, logger });
    const report = await runDoctor({ client: client(), policy: basePolicy, logger });
    expect(report.checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(formatDoctorReport(report)).toMatch(/all checks passed/);
  });

  it('says exactly what to fix: bad field name, missing option, deactivated user, unknown type, bad time zone', async () => {
    await runSetup({ client: client(), policy: basePolicy, logger });
    sb.state.deactivateUser(1); // the head of accounts: fallback and escalation user
    const policy: Policy = {
      ...basePolicy,
      timeZone: 'America/Sao_Paulo_X',
      renewal: { ...basePolicy.renewal, contractEndField: 'Contract end', activityType: 'renewal_planning' },
      stakeholders: { ...basePolicy.stakeholders, atRiskStrengths: ['Endangered'] },
    };
    const report = await runDoctor({ client: client(), policy, logger });
    const byId = new Map(report.checks.map((c) => [c.id, c]));
    expect(byId.get('time-zone')).toMatchObject({ status: 'fail', fix: expect.stringContaining('America/Sao_Paulo') });
    expect(byId.get('field:organization:Contract end')).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/create the organization field "Contract end".*renewal\.contractEndField.*similar: "Contract end date"/),
    });
    expect(byId.get('field:person:Relationship strength')).toMatchObject({ status: 'fail', fix: expect.stringContaining('"At risk"') });
    expect(byId.get('user:fallback')).toMatchObject({ status: 'fail', detail: expect.stringContaining('deactivated') });
    expect(byId.get('activity-type:renewal_planning')).toMatchObject({ status: 'fail', fix: expect.stringContaining('setup.createActivityTypes') });
    expect(report.ok).toBe(false);
    const text = formatDoctorReport(report);
    expect(text).toMatch(/✗ owners\.fallbackUser Helena Prado <head\.accounts@exemplo\.com\.br> is deactivated\n {4}fix: /);
  });

  it('a typo in a category\'s activity types fails, says what is lost and names the type that exists; setup is not advised', async () => {
    await runSetup({ client: client(), policy: basePolicy, logger });
    const policy: Policy = { ...basePolicy, categories: { ...basePolicy.categories, operational: { ...basePolicy.categories.operational, match: [{ activityTypes: ['call', 'meeting', 'emial'] }] } } };
    const report = await runDoctor({ client: client(), policy, logger });
    const check = report.checks.find((c) => c.id === 'activity-type:emial')!;
    expect(check).toMatchObject({ status: 'fail', detail: expect.stringContaining('touchpoints of that type are not counted') });
    expect(check.fix).toMatch(/did you mean "email"/);
    expect(check.fix).not.toMatch(/cadence setup/);
    expect(report.ok).toBe(false);
  });

  it('a rejected token stops at the first check with the fix', async () => {
    const report = await runDoctor({ client: client('wrong-token'), policy: basePolicy, logger });
    const token = report.checks.find((c) => c.id === 'token')!;
    expect(token).toMatchObject({ status: 'fail', detail: expect.stringContaining('401') });
    expect(token.fix).toMatch(/PIPEDRIVE_API_TOKEN/);
    expect(report.checks.map((c) => c.id)).toEqual(['time-zone', 'token']);
  });
});
