/**
 * Rules + plan on the mirror the real job left in its state store, in its own process so its peak RSS is
 * its own: loads the mirror (as the job does), then runs the rules and the planner, timing each step and
 * the heap they hold. bench/rules-bench.ts measures the rules alone on a synthetic mirror; this one uses
 * the mirror a real sync produced and includes the planner.
 *
 *   node --expose-gc --import tsx bench/rules-plan-child.ts <stateUrl> <companyId> [policyFile]
 *
 * Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { parsePolicy } from '../src/config/load-config.js';
import { openStateStore } from '../src/store/open-state-store.js';
import { resolveUserRef } from '../src/rules/resolve-user-ref.js';
import { assessCompany } from '../src/rules/assess-company.js';
import { buildPlan } from '../src/plan/build-plan.js';

const [stateUrl, companyId, policyFile = 'config/policy.yaml'] = process.argv.slice(2);
if (!stateUrl || !companyId) {
  console.error('usage: rules-plan-child.ts <stateUrl> <companyId> [policyFile]');
  process.exit(2);
}
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const heap = () => process.memoryUsage().heapUsed;
const policy = parsePolicy(readFileSync(policyFile, 'utf8'), policyFile);
const store = await openStateStore(stateUrl, pino({ level: 'silent' }));
try {
  const state = store.company(companyId);
  gc();
  const heap0 = heap();
  let t = performance.now();
  const snapshot = await state.mirror.load();
  const loadMs = performance.now() - t;
  gc();
  const heapMirror = heap();

  const now = new Date();
  const fallbackUserId = resolveUserRef(policy.owners.fallbackUser, snapshot.users)?.id ?? null;
  const escalationUserId = resolveUserRef(policy.owners.escalationUser, snapshot.users)?.id ?? null;
  t = performance.now();
  const cpu0 = process.cpuUsage();
  const result = assessCompany(policy, snapshot, { now, timeZone: policy.timeZone }, { fallbackUserId });
  const rulesMs = performance.now() - t;
  t = performance.now();
  const plan = buildPlan({ policy, result, snapshot, runId: 'bench', companyId, now, escalationUserId, fallbackUserId });
  const planMs = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  gc();
  const heapResult = heap();
  process.stdout.write(
    `${JSON.stringify({
      records: { organizations: snapshot.organizations.size, persons: snapshot.persons.size, deals: snapshot.deals.size, activities: snapshot.activities.size },
      loadMs: Math.round(loadMs),
      rulesMs: Math.round(rulesMs),
      planMs: Math.round(planMs),
      rulesPlanCpuMs: Math.round((cpu.user + cpu.system) / 1000),
      heapMirror: heapMirror - heap0,
      heapRulesPlan: heapResult - heapMirror,
      assessments: result.organizations.length,
      planned: plan.writes.length,
    })}\n`,
  );
} finally {
  await store.close();
}
