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
import type { Activity, Deal, FieldDefinition, MirrorSnapshot, Organization, Person, User } from '../src/domain/entities.js';
import { buildPlan } from '../src/plan/build-plan.js';
import { followUpKey } from '../src/plan/keys.js';
import { buildJsonReport } from '../src/report/build-json-report.js';
import { renderFindingsCsv } from '../src/report/findings-csv.js';
import { batchChunks, jsonChunks } from '../src/report/json-chunks.js';
import { renderHtml } from '../src/report/render-html.js';
import { assessCompany } from '../src/rules/assess-company.js';

const arg = (name: string, dflt: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : dflt;
};
const SCALE = arg('scale', 1);
const RUNS = arg('runs', 2);
const N_ORGS = Math.round(50_000 * SCALE);
const N_PERSONS = Math.round(200_000 * SCALE);
const N_DEALS = Math.round(200_000 * SCALE);
const N_ACTIVITIES = Math.round(1_000_000 * SCALE);
const NOW = new Date('2026-03-10T15:00:00Z');

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(seed: number): MirrorSnapshot {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)]!;

  // Shared string pools, as a parsed mirror would intern repeated values in practice (dates, types).
  const DAYS_BACK = 800;
  const dates: string[] = [];
  for (let d = -DAYS_BACK; d <= 30; d += 1) dates.push(new Date(NOW.getTime() + d * 86_400_000).toISOString().slice(0, 10));
  const dateAt = (daysAgo: number) => dates[DAYS_BACK - daysAgo]!;
  const stamps = dates.map((d) => Array.from({ length: 24 }, (_, h) => `${d}T${String(h).padStart(2, '0')}:00:00Z`));
  const stampAt = (daysAgo: number) => stamps[DAYS_BACK - daysAgo]![int(24)]!;
  const times = Array.from({ length: 96 }, (_, q) => `${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}:00`);
  const types = ['call', 'call', 'meeting', 'meeting', 'email', 'email', 'lunch', 'task', 'deadline'];
  const subjects = ['Check-in', 'FUP mensal', 'Status meeting', 'QBR Q1', 'Planejamento estratégico 2027', 'Proposta comercial', 'Almoço', 'Feliz aniversário', 'Squad kick-off'];
  const noParticipants: number[] = [];

  const fields: FieldDefinition[] = [
    { entity: 'organization', key: 'h_tier', name: 'Tier', fieldType: 'enum', options: [1, 2, 3, 4].map((i) => ({ id: i, label: `Tier ${i}` })), isCustom: true },
    { entity: 'organization', key: 'h_segment', name: 'Segment', fieldType: 'varchar', options: null, isCustom: true },
    { entity: 'organization', key: 'h_contract_end', name: 'Contract end date', fieldType: 'date', options: null, isCustom: true },
    { entity: 'person', key: 'h_role', name: 'Stakeholder role', fieldType: 'enum', options: ['Decision maker', 'Champion', 'Influencer', 'User', 'Blocker'].map((label, i) => ({ id: 10 + i, label })), isCustom: true },
    { entity: 'person', key: 'h_strength', name: 'Relationship strength', fieldType: 'enum', options: ['Strong', 'Developing', 'Weak', 'At risk'].map((label, i) => ({ id: 20 + i, label })), isCustom: true },
    { entity: 'deal', key: 'h_service', name: 'Service line', fieldType: 'enum', options: [{ id: 30, label: 'Squad' }, { id: 31, label: 'Consulting' }], isCustom: true },
  ];

  const users = new Map<number, User>();
  for (let id = 1; id <= 200; id += 1) users.set(id, { id, name: `User ${id}`, email: `user${id}@exemplo.com.br`, active: id % 25 !== 0, isAdmin: id === 1 });
  users.set(999, { id: 999, name: 'Head of accounts', email: 'head.accounts@exemplo.com.br', active: true, isAdmin: true });

  const organizations = new Map<number, Organization>();
  for (let id = 1; id <= N_ORGS; id += 1) {
    const add = dateAt(int(DAYS_BACK));
    const custom: Record<string, unknown> = {};
    if (rnd() < 0.9) custom.h_segment = pick(['Retail', 'Banking', 'Health', 'Energy']);
    if (rnd() < 0.2) custom.h_tier = 1 + int(4);
    if (rnd() < 0.3) custom.h_contract_end = dates[int(dates.length)];
    organizations.set(id, {
      id,
      name: `Org ${id}`,
      ownerId: rnd() < 0.03 ? null : 1 + int(200),
      address: rnd() < 0.9 ? 'Av. Paulista 1000' : null,
      addTime: `${add}T12:00:00Z`,
      updateTime: `${add}T12:00:00Z`,
      isDeleted: rnd() < 0.01,
      customFields: custom,
    });
  }

  const persons = new Map<number, Person>();
  for (let id = 1; id <= N_PERSONS; id += 1) {
    const custom: Record<string, unknown> = {};
    if (rnd() < 0.8) custom.h_role = 10 + int(5);
    if (rnd() < 0.8) custom.h_strength = 20 + int(4);
    persons.set(id, {
      id,
      name: `Person ${id}`,
      orgId: rnd() < 0.97 ? 1 + int(N_ORGS) : null,
      ownerId: 1 + int(200),
      emails: rnd() < 0.9 ? [`p${id}@cliente.com.br`] : [],
      phones: rnd() < 0.7 ? ['+55 11 91234-5678'] : [],
      addTime: '2024-01-01T00:00:00Z',
      updateTime: '2024-01-01T00:00:00Z',
      isDeleted: rnd() < 0.02,
      customFields: custom,
    });
  }

  const deals = new Map<number, Deal>();
  for (let id = 1; id <= N_DEALS; id += 1) {
    const r = rnd();
    const status = r < 0.3 ? 'open' : r < 0.75 ? 'won' : 'lost';
    const closed = stampAt(int(DAYS_BACK));
    deals.set(id, {
      id,
      title: rnd() < 0.03 ? `Squad ${id}` : `Project ${id}`,
      orgId: rnd() < 0.98 ? 1 + int(N_ORGS) : null,
      personId: 1 + int(N_PERSONS),
      ownerId: 1 + int(200),
      status,
      value: Math.round(rnd() * rnd() * 2_000_000),
      currency: rnd() < 0.9 ? 'BRL' : pick(['USD', 'EUR', 'JPY']),
      wonTime: status === 'won' ? closed : null,
      lostTime: status === 'lost' ? closed : null,
      expectedCloseDate: rnd() < 0.8 ? dates[int(dates.length)]! : null,
      labelIds: noParticipants,
      addTime: closed,
      updateTime: closed,
      isDeleted: rnd() < 0.01,
      customFields: rnd() < 0.7 ? { h_service: pick([30, 31]) } : {},
      isArchived: false,
    });
  }

  const activities = new Map<number, Activity>();
  for (let id = 1; id <= N_ACTIVITIES; id += 1) {
    // Activities mostly hang off an organization, else off a deal or a person of one.
    const orgId = 1 + int(N_ORGS);
    const link = rnd();
    const pid = rnd() < 0.6 ? 1 + int(N_PERSONS) : null;
    const daysAgo = Math.floor(rnd() * rnd() * DAYS_BACK) - 20; // skewed to recent, a few in the future
    const done = daysAgo >= 0 ? rnd() < 0.9 : false;
    const due = dateAt(Math.max(-30, daysAgo));
    activities.set(id, {
      id,
      subject: pick(subjects),
      type: pick(types),
      ownerId: 1 + int(200),
      orgId: link < 0.7 ? orgId : null,
      dealId: link >= 0.7 && link < 0.85 ? 1 + int(N_DEALS) : null,
      personId: pid,
      participantPersonIds: pid === null ? noParticipants : [pid],
      done,
      dueDate: due,
      dueTime: rnd() < 0.5 ? times[int(96)]! : null,
      markedAsDoneTime: done ? stampAt(Math.max(0, daysAgo - int(3))) : null,
      addTime: stampAt(Math.max(0, daysAgo)),
      updateTime: stampAt(Math.max(0, daysAgo)),
      isDeleted: rnd() < 0.02,
      cadenceKey: null,
    });
  }
  const activityTypes = [...new Set(types)].map((keyString, i) => ({ id: i + 1, name: keyString, keyString, active: true, isCustom: false }));
  return { companyId: 'bench', organizations, persons, deals, activities, users, activityTypes, fields };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const gc = (globalThis as { gc?: () => void }).gc;

const policyText = readFileSync(fileURLToPath(new URL('../config/policy.yaml', import.meta.url)), 'utf8');
const policy = parsePolicy(policyText, 'config/policy.yaml');

let t0 = performance.now();
const snapshot = generate(20260310);
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
  console.log(`plan (${label}): buildPlan ${((performance.now() - t) / 1000).toFixed(2)} s wall — ${plan.writes.length} writes ${JSON.stringify(kinds)}, ${plan.skipped.length} skipped`);
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
const report = await step('buildJsonReport', () => buildJsonReport({ runId: 'bench', companyDomain: 'bench', policy, result, plan, applied: null, snapshot, run }));
const htmlFile = join(reportDir, 'report.html');
await step('report.html', () => writeFileSync(htmlFile, renderHtml(report, policy.texts[policy.locale])), htmlFile);
const csvFile = join(reportDir, 'findings.csv');
await step('findings.csv', () => writeFileSync(csvFile, renderFindingsCsv(report.dataQuality.findings)), csvFile);
const jsonFile = join(reportDir, 'report.json');
await step('report.json', () => pipeline(Readable.from(batchChunks(jsonChunks(report))), createWriteStream(jsonFile)), jsonFile);
rmSync(reportDir, { recursive: true, force: true });
if (!gc) console.log('(run with node --expose-gc for steadier heap figures)');
