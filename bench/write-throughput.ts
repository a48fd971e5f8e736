/**
 * Write-back pace against the advertised burst limit, measured over the whole apply (wall time from its
 * first request to its return, so nothing outside the write-back is counted and nothing inside is left
 * out): `npx tsx bench/write-throughput.ts [--orgs 500] [--latency-ms 80] [--burst-limit 100]`.
 * The sandbox runs in-process here; the state store is a SQLite file, as in production.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateDataset, SMALL_SCALE } from '../sandbox/generator.js';
import { startSandbox } from '../sandbox/server.js';
import { composeCompany } from '../src/app/compose.js';
import { parseConfig } from '../src/config/load-config.js';
import { runCompanyJob } from '../src/job/run-company-job.js';
import { createLogger } from '../src/log/logger.js';
import { runSetup } from '../src/setup/run-setup.js';

const { values } = parseArgs({
  options: { orgs: { type: 'string', default: '500' }, 'latency-ms': { type: 'string', default: '80' }, 'burst-limit': { type: 'string', default: '100' } },
});
const orgs = Number(values.orgs);
const latencyMs = Number(values['latency-ms']);
const burstLimit = Number(values['burst-limit']);
const dir = mkdtempSync(join(tmpdir(), 'cadence-writes-'));
const sb = await startSandbox({
  dataset: generateDataset({ seed: 1, now: new Date(), scale: { ...SMALL_SCALE, organizations: orgs } }),
  rateLimit: { burstLimit, dailyTokenBudget: 1e9 },
  knobs: { latencyMs },
});
try {
  const config = parseConfig({
    env: {
      PIPEDRIVE_API_TOKEN: sb.token,
      PIPEDRIVE_BASE_URL: sb.url,
      PIPEDRIVE_COMPANY_DOMAIN: 'bench',
      CADENCE_STATE_URL: `sqlite://${join(dir, 'state.sqlite')}`,
      CADENCE_REPORT_DIR: join(dir, 'reports'),
      CADENCE_MAX_WRITES: '1000000',
    },
    policyText: readFileSync('config/policy.yaml', 'utf8'),
  });
  const logger = createLogger({ level: 'silent' });
  const parts = await composeCompany(config, logger);
  try {
    await runSetup({ client: parts.client, policy: config.policy, logger });
    await runCompanyJob(parts, { steps: { apply: false, report: false } }); // the sync, so the apply has a mirror
    const started = performance.now();
    const night = await runCompanyJob(parts, { steps: { sync: false, report: false } });
    const ms = performance.now() - started;
    const limitPerS = burstLimit / 2;
    const perS = (night.http.requests / ms) * 1000;
    console.log(`| clients | latency | writes | requests | apply wall time | requests/s | share of ${limitPerS} req/s | 429s received | failed writes |`);
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    console.log(
      `| ${orgs} | ${latencyMs} ms | ${night.plan?.writes.length ?? 0} | ${night.http.requests} | ${(ms / 1000).toFixed(1)} s | ${perS.toFixed(1)} | ${Math.round((perS / limitPerS) * 100)} % | ${night.http.rateLimited} | ${night.apply?.counts.failed ?? 0} |`,
    );
  } finally {
    await parts.close();
  }
} finally {
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
}
