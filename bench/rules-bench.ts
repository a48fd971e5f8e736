/**
 * Benchmark of the pure rules pass (src/rules/assess-company.ts) over a large in-memory mirror:
 * 50k organizations, 200k persons, 200k deals, 1M activities (sizes scale with --scale=0.1 etc.).
 * The mirror comes from a small seeded generator (no sandbox, no network), so runs are comparable.
 *
 *   node --expose-gc --import tsx bench/rules-bench.ts [--scale=1] [--runs=2]
 *   node --expose-gc --single-threaded-gc --import tsx bench/rules-bench.ts   # CPU time = all the work, on one thread
 *
 * Peak RSS is a high-water mark of the whole process: read it from run 1 (a worker runs one pass per
 * company); later runs add the previous result's pages, which V8 keeps committed.
 * After the rules, the planner (buildPlan) runs twice: on the fresh mirror, and with an open auto-created
 * follow-up for every overdue cadence rule (the state after a first night, which the planner scans to
 * find cleared gaps).
 * Prints generation time, each pass's wall and CPU time (CPU time is the steadier figure on a shared
 * machine; it includes the GC and JIT threads), heap after the mirror and after the result, and the
 * process's peak RSS (which includes the mirror itself).
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parsePolicy } from '../src/config/load-config.js';
import type { Activity } from '../src/domain/entities.js';
import { generateMirror } from './mirror-generator.js';
import { buildPlan } from '../src/plan/build-plan.js';
import { followUpKey } from '../src/plan/keys.js';
import { buildReportView } from '../src/report/build-json-report.js';
import { findingsCsvLines } from '../src/report/findings-csv.js';
import { batchChunks, reportJsonChunks } from '../src/report/json-chunks.js';
import { renderHtml } from '../src/report/render-html.js';
import { REPORT_WRITE_BUFFER } from '../src/report/write-reports.js';
import { assessCompany } from '../src/rules/assess-company.js';

const arg = (name: string, dflt: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : dflt;
};
const SCALE = arg('scale', 1);
const RUNS = arg('runs', 2);
const N_ACTIVITIES = Math.round(1_000_000 * SCALE);
const NOW = new Date('2026-03-10T15:00:00Z');

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const gc = (globalThis as { gc?: () => void }).gc;

const policyText = readFileSync(fileURLToPath(new URL('../config/policy.yaml', import.meta.url)), 'utf8');
const policy = parsePolicy(policyText, 'config/policy.yaml');

let t0 = performance.now();
const snapshot = generateMirror(20260310, SCALE, NOW);
const activities = snapshot.activities as Map<number, Activity>;
const genMs = performance.now() - t0;
gc?.();
const heapMirror = process.memoryUsage().heapUsed;
const rssBeforeKiB = process.resourceUsage().maxRSS;
console.log(
  `mirror: ${snapshot.organizations.size} orgs, ${snapshot.persons.size} persons, ${snapshot.deals.size} deals, ${snapshot.activities.size} activities — generated in ${(genMs / 1000).toFixed(1)} s, heap ${mib(heapMirror)}, peak RSS so far ${mib(rssBeforeKiB * 1024)}`,
);

for (let run = 1; run <= RUNS; run += 1) {
  gc?.();
  t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const result = assessCompany(policy, snapshot, { now: NOW, timeZone: policy.timeZone });
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - t0;
  const heapWithResult = process.memoryUsage().heapUsed;
  const findings = result.organizations.reduce((s, o) => s + o.findings.length, 0) + result.otherFindings.length;
  const overdue = result.organizations.filter((o) => o.overallStatus === 'overdue').length;
  console.log(
    `run ${run}: assessCompany ${(ms / 1000).toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU — ${result.organizations.length} assessments, ${findings} findings, ${overdue} overdue; ` +
      `heap with result ${mib(heapWithResult)} (+${mib(heapWithResult - heapMirror)} over the mirror), peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}`,
  );
}
// The planner, on the same mirror: first as is, then after a first night left a follow-up open for every gap.
const result = assessCompany(policy, snapshot, { now: NOW, timeZone: policy.timeZone });
const timePlan = (label: string) => {
  gc?.();
  const t = performance.now();
  const plan = buildPlan({ policy, result, snapshot, runId: 'bench', companyId: snapshot.companyId, now: NOW, escalationUserId: 999, fallbackUserId: 999 });
  const kinds = plan.writes.reduce<Record<string, number>>((acc, w) => ({ ...acc, [w.kind]: (acc[w.kind] ?? 0) + 1 }), {});
  console.log(`plan (${label}): buildPlan ${((performance.now() - t) / 1000).toFixed(2)} s wall — ${plan.writes.length} writes ${JSON.stringify(kinds)}, ${plan.skipped.length} skipped; peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}`);
  return plan;
};
timePlan('fresh mirror');
let nextId = N_ACTIVITIES + 1;
let opened = 0;
for (const org of result.organizations) {
  for (const cr of org.cadence) {
    if (cr.status !== 'overdue') continue;
    const id = nextId++;
    opened += 1;
    activities.set(id, {
      id, subject: 'FUP', type: 'call', ownerId: org.assigneeId ?? 999, orgId: org.orgId, dealId: null, personId: null,
      participantPersonIds: [], done: false, dueDate: NOW.toISOString().slice(0, 10), dueTime: null, markedAsDoneTime: null,
      addTime: NOW.toISOString(), updateTime: NOW.toISOString(), isDeleted: false, cadenceKey: followUpKey(org.orgId, cr.ruleId, cr.nextDueDate),
    });
  }
}
const plan = timePlan(`${opened} open auto follow-ups`);

// The reports of that night (src/report/write-reports.ts does the same steps, plus the folder swap).
const reportDir = mkdtempSync(join(tmpdir(), 'cadence-rules-bench-'));
const step = async <R>(label: string, fn: () => R | Promise<R>, file?: string): Promise<R> => {
  gc?.();
  const t = performance.now();
  const out = await fn();
  const size = file ? `, ${mib(statSync(file).size)}` : '';
  console.log(`report: ${label} ${((performance.now() - t) / 1000).toFixed(2)} s${size}; heap ${mib(process.memoryUsage().heapUsed)}, peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}`);
  return out;
};
const run = { startedAt: NOW.toISOString(), finishedAt: NOW.toISOString(), durationMs: 1, recordsSynced: {}, requests: 0, retries: 0, rate429: 0 };
const report = await step('buildReportView', () => buildReportView({ runId: 'bench', companyDomain: 'bench', policy, result, plan, applied: null, snapshot, run }));
const htmlFile = join(reportDir, 'report.html');
await step('report.html', () => writeFileSync(htmlFile, renderHtml(report, policy.texts[policy.locale])), htmlFile);
const csvFile = join(reportDir, 'findings.csv');
await step('findings.csv', () => pipeline(Readable.from(batchChunks(findingsCsvLines(report.dataQuality.findings))), createWriteStream(csvFile, { highWaterMark: REPORT_WRITE_BUFFER })), csvFile);
const jsonFile = join(reportDir, 'report.json');
await step('report.json', () => pipeline(Readable.from(batchChunks(reportJsonChunks(report))), createWriteStream(jsonFile, { highWaterMark: REPORT_WRITE_BUFFER })), jsonFile);
rmSync(reportDir, { recursive: true, force: true });
if (!gc) console.log('(run with node --expose-gc for steadier heap figures)');
