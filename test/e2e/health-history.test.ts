/**
 * Health over time through the real nightly job (docs/policy.md §10.5): sandbox over HTTP, real SQLite state
 * store. Two nights a week apart leave two weeks in the store, and the second night's report.json carries
 * both scores for each strategic client.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoWorld, type DemoWorld } from './support/demo-world.js';
import { DEMO_STORY } from '../../sandbox/generator.js';
import type { Sandbox } from '../../sandbox/server.js';
import { composeCompany } from '../../src/app/compose.js';
import { runCompanyJob } from '../../src/job/run-company-job.js';
import { loadDeployment } from '../../src/ops/deployment.js';
import { ReportV1 } from '../../src/report/report-schema.js';
import { openStateStore } from '../../src/store/open-state-store.js';

const logger = pino({ level: 'silent' });
const T0 = new Date('2026-03-12T15:00:00Z'); // Thursday of 2026-W11 in São Paulo
const T1 = new Date('2026-03-19T15:00:00Z'); // a week later: 2026-W12

let sb: Sandbox;
let world: DemoWorld;
let dir: string;
let clock = T0;

beforeAll(async () => {
  world = await startDemoWorld({ at: T0, now: () => clock, prefix: 'cadence-health-e2e-', logger });
  ({ sb, dir } = world);
});
afterAll(async () => {
  await world.close();
});

describe('health history across nights', () => {
  it('records each night in its ISO week and the report draws them', async () => {
    const env = {
      PIPEDRIVE_BASE_URL: sb.url, PIPEDRIVE_API_TOKEN: sb.token, PIPEDRIVE_COMPANY_DOMAIN: 'demo-firm',
      CADENCE_STATE_URL: `sqlite://${join(dir, 'state.sqlite')}`, CADENCE_REPORT_DIR: join(dir, 'reports'), CADENCE_DRY_RUN: 'true',
    };
    const deployment = loadDeployment(env);
    const config = deployment.configFor(deployment.companyIds[0]!);
    const store = await openStateStore(config.stateUrl, logger);
    try {
      const night = async (at: Date) => {
        clock = at;
        const parts = await composeCompany(config, logger, store);
        const outcome = await runCompanyJob(parts, { clock: { now: () => at.getTime() }, steps: { apply: false } });
        expect(outcome.status).toBe('ok');
        return outcome;
      };
      await night(T0);
      const second = await night(T1);

      expect(await store.company(config.companyId).health.weeks()).toEqual(['2026-W11', '2026-W12']);
      const report = ReportV1.parse(JSON.parse(readFileSync(second.reports!.files.json, 'utf8')));
      const trend = report.healthTrend!;
      expect(trend.weeks.slice(-2)).toEqual(['2026-W11', '2026-W12']);
      const anchor = trend.clients.find((c) => c.orgId === DEMO_STORY['anchorByRevenue']!.orgId)!;
      expect(anchor.scores.slice(-2).every((s) => typeof s === 'number')).toBe(true);
      expect(anchor.scores.slice(0, -2).every((s) => s === null)).toBe(true);
      // Every strategic client of the run is drawn, and only those.
      expect(trend.clients.map((c) => c.orgId).sort((a, b) => a - b)).toEqual(
        second.result!.organizations.filter((o) => o.tier.level >= 3).map((o) => o.orgId).sort((a, b) => a - b),
      );
    } finally {
      await store.close();
    }
  }, 60_000);
});
