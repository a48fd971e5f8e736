/**
 * Does the nightly job fit a smaller heap than the benchmark gives it? Runs a full night and an
 * incremental night (1 % changed) of the benchmark company with `--max-old-space-size=<MiB>` and prints
 * each run's exit code, wall time and peak RSS.
 *
 *   npx tsx bench/heap-probe.ts [--heap-mib 2048] [--organizations 50000] [--latency-ms 0]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cadenceEnv, changeOnePercent, mib, runMeasured, secs, startSandboxChild } from './support.js';

const { values } = parseArgs({
  options: { 'heap-mib': { type: 'string', default: '2048' }, organizations: { type: 'string', default: '50000' }, 'latency-ms': { type: 'string', default: '0' } },
});
const heap = Number(values['heap-mib']);
const tmp = mkdtempSync(join(tmpdir(), 'cadence-heap-probe-'));
const sb = await startSandboxChild({ organizations: Number(values.organizations), latencyMs: Number(values['latency-ms']), burstLimit: 100, steadyShare: 0.01 });
const stateFile = join(tmp, 'state.sqlite');
const env = cadenceEnv(sb, stateFile, join(tmp, 'reports'));
const night = async (label: string): Promise<void> => {
  const r = await runMeasured('bench/job-child.ts', [], { env, tmpDir: tmp, label, heapMiB: heap });
  // A process killed by V8 for want of memory reports no peak RSS of its own (rss-hook runs on exit).
  console.log(`${label}: heap limit ${heap} MiB → exit ${r.code ?? r.signal}, ${secs(r.wallMs)}, peak RSS ${mib(r.maxRss)}; ${r.stdout.trim().split('\n').pop() ?? ''}`);
  // On a failure, V8's last GCs and message (the native stack frames left out).
  if (r.code !== 0) console.log(r.stderr.split('\n').filter((l) => !/^ *[0-9]+: 0x/.test(l)).join('\n').slice(0, 6000));
};
try {
  await night('full night');
  await changeOnePercent(sb, stateFile);
  await night('incremental night');
} finally {
  await sb.stop();
  rmSync(tmp, { recursive: true, force: true });
}
