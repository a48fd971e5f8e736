/**
 * The files are written from the lazy report view (rows built when read, issue #15); the tests and small
 * callers read `buildJsonReport`'s whole object. On a seeded mirror (the benchmark's generator at a small
 * scale), in both locales, the streamed files must be exactly what the whole object gives: report.json
 * byte for byte and valid against ReportV1, report.html (with lists cut at maxRows) and findings.csv.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateMirror } from '../../../bench/mirror-generator.js';
import { parsePolicy } from '../../../src/config/load-config.js';
import type { Locale } from '../../../src/i18n/locales.js';
import { buildPlan } from '../../../src/plan/build-plan.js';
import { buildJsonReport, buildReportView, type BuildReportInput } from '../../../src/report/build-json-report.js';
import { findingsCsvLines, renderFindingsCsv } from '../../../src/report/findings-csv.js';
import { batchChunks, reportJsonChunks } from '../../../src/report/json-chunks.js';
import { renderHtml } from '../../../src/report/render-html.js';
import { ReportV1 } from '../../../src/report/report-schema.js';
import { LazyRows } from '../../../src/report/rows.js';
import { writeReports } from '../../../src/report/write-reports.js';
import { assessCompany } from '../../../src/rules/assess-company.js';

const NOW = new Date('2026-03-10T15:00:00Z');
const RUN = { startedAt: NOW.toISOString(), finishedAt: NOW.toISOString(), durationMs: 1, recordsSynced: { organization: 150 }, requests: 3, retries: 0, rate429: 0 };

function seededInput(locale: Locale): BuildReportInput {
  const policy = { ...parsePolicy(readFileSync('config/policy.yaml', 'utf8'), 'config/policy.yaml'), locale };
  const snapshot = generateMirror(20260310, 0.003, NOW);
  const result = assessCompany(policy, snapshot, { now: NOW, timeZone: policy.timeZone });
  const plan = buildPlan({ policy, result, snapshot, runId: 'view', companyId: snapshot.companyId, now: NOW, escalationUserId: 999, fallbackUserId: 999 });
  return { runId: 'view', companyDomain: 'acme', policy, result, plan, applied: null, snapshot, run: RUN };
}

describe.each(['pt-BR', 'en'] as const)('the streamed report (%s)', (locale) => {
  const input = seededInput(locale);
  const whole = buildJsonReport(input);

  it('has long lists to stream (the fixture is not trivially small)', () => {
    expect(whole.organizations.length).toBeGreaterThan(100);
    expect(whole.dataQuality.findings.length).toBeGreaterThan(200);
    expect(whole.engagement.risks.length).toBeGreaterThan(10);
    for (const list of [whole.cadence.overdue, whole.cadence.missed, whole.cadence.created, whole.stalledWork!.deals]) expect(list.length).toBeGreaterThan(5);
    const view = buildReportView(input);
    for (const list of [
      view.organizations, view.dataQuality.findings, view.engagement.risks, view.cadence.overdue, view.cadence.missed, view.cadence.created,
      view.cadence.deletions, view.cadence.flagChanges, view.stalledWork!.deals,
    ]) {
      expect(list).toBeInstanceOf(LazyRows);
    }
  });

  it('writes report.json byte for byte as JSON.stringify of buildJsonReport, valid against ReportV1', () => {
    const text = [...batchChunks(reportJsonChunks(buildReportView(input)), 4096)].join('');
    expect(text).toBe(JSON.stringify(whole));
    const parsed: unknown = JSON.parse(text);
    expect(parsed).toEqual(JSON.parse(JSON.stringify(whole)));
    const checked = ReportV1.safeParse(parsed);
    expect(checked.error).toBeUndefined();
  });

  it('renders the same HTML from the view as from the whole report, lists cut at maxRows or not', () => {
    const texts = input.policy.texts[locale];
    for (const maxRows of [undefined, 25]) {
      expect(renderHtml(buildReportView(input), texts, { maxRows })).toBe(renderHtml(whole, texts, { maxRows }));
    }
  });

  it('streams the same findings.csv as the whole list renders', () => {
    expect([...findingsCsvLines(buildReportView(input).dataQuality.findings)].join('')).toBe(renderFindingsCsv(whole.dataQuality.findings));
  });

  it('writes the four files through writeReports as the whole report renders them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cadence-report-view-'));
    try {
      const written = await writeReports({ ...input, dir, retention: 1 });
      expect(await readFile(written.files.json, 'utf8')).toBe(JSON.stringify(whole) + '\n');
      expect(await readFile(written.files.csv, 'utf8')).toBe(renderFindingsCsv(whole.dataQuality.findings));
      expect(await readFile(written.files.html, 'utf8')).toBe(renderHtml(whole, input.policy.texts[locale]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('LazyRows', () => {
  it('slices like an array and builds only the rows read', () => {
    const built: number[] = [];
    const rows = new LazyRows(5, (i) => (built.push(i), i * 10));
    expect(rows.slice(0, 2)).toEqual([0, 10]);
    expect(built).toEqual([0, 1]);
    expect(rows.slice(3)).toEqual([30, 40]);
    expect(rows.slice(-2, 99)).toEqual([30, 40]);
    expect(rows.slice(4, 2)).toEqual([]);
    expect([...rows]).toEqual([0, 10, 20, 30, 40]);
  });
});
