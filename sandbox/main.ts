/**
 * Standalone sandbox: `npm run sandbox -- --port 8787 --scale demo|small|bench --seed 1 --latency-ms 0 --burst-limit 100`.
 * Prints one JSON line `{"url":…,"token":…,"companyDomain":…}` on stdout once listening (so a parent
 * process can read it), details on stderr, and stops on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { BENCH_SCALE, generateDataset } from './generator.js';
import type { GenerateOptions } from './generator.js';
import { startSandbox } from './server.js';

function fail(message: string): never {
  console.error(`sandbox: ${message}`);
  process.exit(2);
}

function num(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) fail(`--${name} must be a non-negative number, got '${value}'`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      scale: { type: 'string' },
      seed: { type: 'string' },
      now: { type: 'string' },
      token: { type: 'string' },
      'company-domain': { type: 'string' },
      'latency-ms': { type: 'string' },
      'burst-limit': { type: 'string' },
      'daily-budget': { type: 'string' },
      'documented-headers': { type: 'boolean' },
      organizations: { type: 'string' },
    },
    allowPositionals: false,
  });
  const scaleName = values.scale ?? 'demo';
  let scale: GenerateOptions['scale'];
  if (scaleName === 'demo' || scaleName === 'small') scale = scaleName;
  else if (scaleName === 'bench') scale = { ...BENCH_SCALE, organizations: num(values.organizations, 'organizations', BENCH_SCALE.organizations) };
  else fail(`--scale must be demo, small or bench, got '${scaleName}'`);
  const now = values.now ? new Date(values.now) : new Date();
  if (Number.isNaN(now.getTime())) fail(`--now must be an ISO date-time, got '${values.now}'`);

  const t0 = performance.now();
  const dataset = generateDataset({ seed: num(values.seed, 'seed', 1), now, scale });
  const genMs = performance.now() - t0;
  const sandbox = await startSandbox({
    dataset,
    port: num(values.port, 'port', 0),
    host: values.host ?? '127.0.0.1',
    ...(values.token ? { apiToken: values.token } : {}),
    ...(values['company-domain'] ? { companyDomain: values['company-domain'] } : {}),
    rateLimit: { burstLimit: num(values['burst-limit'], 'burst-limit', 100), dailyTokenBudget: num(values['daily-budget'], 'daily-budget', 30_000 * 5 * 10) },
    knobs: { latencyMs: num(values['latency-ms'], 'latency-ms', 0) },
    ...(values['documented-headers'] ? { rateLimitHeaders: 'documented' as const } : {}),
  });
  const counts = sandbox.state.counts();
  console.error(
    `sandbox: ${scaleName} dataset (${counts.organizations} orgs, ${counts.persons} persons, ${counts.deals} deals, ${counts.activities} activities) ` +
      `generated in ${genMs.toFixed(0)} ms; heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB; admin at ${sandbox.url}/_sandbox/`,
  );
  process.stdout.write(JSON.stringify({ url: sandbox.url, token: sandbox.token, companyDomain: sandbox.companyDomain }) + '\n');

  const stop = (): void => {
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
