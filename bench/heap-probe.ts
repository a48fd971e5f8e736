/**
 * Does the nightly job fit a smaller heap than the benchmark gives it? Runs a full night and an
 * incremental night (1 % changed) of the benchmark company with `--max-old-space-size=<MiB>` and prints
 * each run's exit code, wall time and peak RSS.
 *
 *   npx tsx bench/heap-probe.ts [--heap-mib 2048] [--organizations 50000] [--latency-ms 0]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { SYNCED_ENTITIES, type EntityKind } from '../src/domain/entities.js';
import { openStateStore } from '../src/store/open-state-store.js';
import { startSandboxChild } from './support.js';

const { values } = parseArgs({
  options: { 'heap-mib': { type: 'string', default: '2048' }, organizations: { type: 'string', default: '50000' }, 'latency-ms': { type: 'string', default: '0' } },
});
const heap = Number(values['heap-mib']);
const tmp = mkdtempSync(join(tmpdir(), 'cadence-heap-probe-'));
const sb = await startSandboxChild({ organizations: Number(values.organizations), latencyMs: Number(values['latency-ms']), burstLimit: 100, steadyShare: 0.01 });
const stateFile = join(tmp, 'state.sqlite');
const env = {
  ...process.env,
  PIPEDRIVE_API_TOKEN: sb.token,
  PIPEDRIVE_BASE_URL: sb.url,
  CADENCE_STATE_URL: `sqlite://${stateFile}`,
  CADENCE_REPORT_DIR: join(tmp, 'reports'),
  CADENCE_POLICY_FILE: 'config/policy.yaml',
  LOG_LEVEL: 'warn',
  CI: 'true',
};
const night = (label: string): void => {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, `--max-old-space-size=${heap}`, '--stack-trace-limit=30', '--import', 'tsx', 'bench/job-child.ts'], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const peakKiB = Number(r.stderr.trim().split('\n').pop());
  const tail = r.stdout.trim().split('\n').pop();
  console.log(`${label}: heap limit ${heap} MiB → exit ${r.status}, ${((performance.now() - t0) / 1000).toFixed(1)} s, peak RSS ${(peakKiB / 1024).toFixed(0)} MiB; ${tail}`);
  // On a failure, V8's last GCs and message (the native stack frames left out).
  if (r.status !== 0) console.log(r.stderr.split('\n').filter((l) => !/^ *[0-9]+: 0x/.test(l)).join('\n').slice(0, 6000));
};
try {
  night('full night');
  const store = await openStateStore(`sqlite://${stateFile}`, pino({ level: 'silent' }));
  const field: Record<EntityKind, string> = { organization: 'name', person: 'name', deal: 'title', activity: 'subject' };
  try {
    const state = store.company(new URL(sb.url).host);
    for (const e of SYNCED_ENTITIES) {
      const ids = [...(await state.mirror.loadColumns(e, ['updateTime'])).keys()].filter((_, i) => i % 100 === 50);
      for (let i = 0; i < ids.length; i += 32) await Promise.all(ids.slice(i, i + 32).map((id) => sb.admin.upsert(e, { id, [field[e]]: `probe change ${id}` })));
    }
  } finally {
    await store.close();
  }
  night('incremental night');
} finally {
  await sb.stop();
  rmSync(tmp, { recursive: true, force: true });
}
