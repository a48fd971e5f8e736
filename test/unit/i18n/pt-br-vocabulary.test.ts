/**
 * Everything a person reads is in the policy's language (docs/policy.md §8): a full demo run in pt-BR,
 * every subject and note it writes into Pipedrive and every text of its report, scanned against the policy's
 * own vocabulary: no cadence rule id, no activity-type key, no word that only the English templates use.
 * Words of the account's own data (client, people, deal and field names, subjects) are the account's.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../../src/config/policy-schema.js';
import type { MirrorSnapshot } from '../../../src/domain/entities.js';
import { writeReports } from '../../../src/report/write-reports.js';
import { DEMO_NOW, runDemo } from '../report/demo-company.js';
import { loadShippedPolicy } from '../report/fixtures.js';

const WORD = /[\p{L}][\p{L}'-]*/gu;
const words = (text: string): string[] => text.match(WORD) ?? [];

/** Every string inside a value (templates are nested records and lists). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/**
 * Words a pt-BR text may share with the English templates: the product, its commands and policy keys (named
 * in the notices), the tier word, quoted seed terms and words spelled the same in both languages.
 */
const SHARED = new Set([
  'tier', 'tiers', 'squad', 'status', 'total', 'regular', 'data', 'e-mail', 'retainer', 'stakeholder', 'pipedrive', 'pipedrive-cadence',
  'cadence', 'setup', 'plan', 'json', 'force', 'max-writes', 'maxwrites', 'writes', 'currencyrates', 'owners', 'fallbackuser', 'escalationuser', 'user',
]);

/** Words of the English templates (placeholders and plural keywords aside) that a Portuguese text does not use. */
function englishOnly(policy: Policy): Set<string> {
  const clean = (t: string) => t.replace(/\{[A-Za-z0-9_]+(,\s*plural,)?/g, ' ').replace(/\b(one|other|zero|two|few|many)\s*\{/g, ' ');
  return new Set(strings(policy.texts.en).flatMap((t) => words(clean(t)).map((w) => w.toLowerCase())).filter((w) => w.length >= 4 && !SHARED.has(w)));
}

/** Words of the account's data: what the account itself spells, in whatever language it chose. */
function accountWords(policy: Policy, s: MirrorSnapshot): Set<string> {
  const texts = [
    ...[...s.organizations.values()].map((o) => o.name),
    ...[...s.persons.values()].map((p) => p.name),
    ...[...s.deals.values()].map((d) => d.title),
    ...[...s.activities.values()].map((a) => a.subject),
    ...[...s.users.values()].map((u) => u.name),
    ...s.activityTypes.map((t) => t.name),
    ...s.fields.flatMap((f) => [f.name, ...(f.options ?? []).map((o) => o.label)]),
    ...Object.values(policy.flags).map((f) => f.name),
  ];
  return new Set(texts.flatMap((t) => words(t).map((w) => w.toLowerCase())));
}

/** Visible text of an HTML page or note: no tags, styles, scripts, attributes or the worker's key marker. */
function visible(html: string): string[] {
  return html
    .replace(/<(style|script)[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, '\n')
    .replace(/cadence-key:\S+/g, ' ')
    .replace(/&[a-z]+;|&#\d+;/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

let policy: Policy;
let written: string[];
let report: string[];
let dir: string;
let demo: ReturnType<typeof runDemo>;

beforeAll(async () => {
  policy = loadShippedPolicy();
  demo = runDemo(policy);
  dir = await mkdtemp(join(tmpdir(), 'cadence-vocabulary-'));
  const out = await writeReports({
    dir, runId: 'demo-2026-03-12', retention: 5, companyDomain: 'demo', policy,
    result: demo.result, plan: demo.plan, applied: null, snapshot: demo.snapshot,
    run: {
      startedAt: new Date(DEMO_NOW.getTime() - 8_000).toISOString(), finishedAt: DEMO_NOW.toISOString(), durationMs: 8_000,
      recordsSynced: { organization: 1, person: 1, deal: 1, activity: 1 }, requests: 1, retries: 0, rate429: 0, warnings: [], malformed: [], dryRun: true,
    },
  });
  written = demo.plan.writes.flatMap((w) => (w.kind === 'create_activity' ? [w.activity.subject, ...visible(w.activity.note)] : []));
  report = visible(await readFile(out.files.html, 'utf8'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function offenders(lines: readonly string[]): string[] {
  const ruleIds = Object.keys(policy.cadenceRules);
  const typeKeys = demo.snapshot.activityTypes.map((t) => t.keyString);
  const english = englishOnly(policy);
  const account = accountWords(policy, demo.snapshot);
  const out = new Set<string>();
  for (const line of lines) {
    for (const id of [...ruleIds, ...typeKeys]) if (new RegExp(`(^|[^\\p{L}-])${id}($|[^\\p{L}-])`, 'u').test(line)) out.add(`id "${id}" in: ${line}`);
    for (const w of words(line)) {
      const lower = w.toLowerCase();
      if (english.has(lower) && !account.has(lower)) out.add(`English "${w}" in: ${line}`);
    }
  }
  return [...out];
}

describe('a full demo run in pt-BR speaks Portuguese', () => {
  it('writes activities (subjects and notes) with no rule id, no activity-type key and no English word', () => {
    expect(written.length).toBeGreaterThan(50);
    expect(offenders(written)).toEqual([]);
  });

  it('writes a report with no rule id, no activity-type key and no English word', () => {
    expect(report.length).toBeGreaterThan(200);
    expect(offenders(report)).toEqual([]);
  });

  it('the scan finds what it looks for (an English sentence, a rule id, a type key)', () => {
    const found = offenders(['Riscos: open risks', 'regra strategic', 'tipo meeting']);
    expect(found).toEqual(expect.arrayContaining(['English "risks" in: Riscos: open risks', 'id "strategic" in: regra strategic', 'id "meeting" in: tipo meeting']));
  });
});
