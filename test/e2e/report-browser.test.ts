/**
 * The HTML report in a real headless browser: Debian's Chromium driven by playwright-core. It must load
 * from disk and from the status server without a console error, a failed or external request, or a
 * dialog (a client named `<script>alert(1)</script>` must stay text); the test also takes the README
 * screenshot (docs/report-screenshot.png).
 *
 * Chromium is not downloaded by playwright-core: install Debian's package (CI does, see .ci/run):
 *   apt-get update && apt-get install -y chromium
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_STORY } from '../../sandbox/generator.js';
import { buildJsonReport } from '../../src/report/build-json-report.js';
import { latestReportPath, writeReports, type WrittenReports } from '../../src/report/write-reports.js';
import type { ReportV1 } from '../../src/report/report-schema.js';
import { createMetrics } from '../../src/status/metrics.js';
import { startStatusServer } from '../../src/status/status-server.js';
import { DEMO_NOW, runDemo } from '../unit/report/demo-company.js';
import { buildFixture, loadShippedPolicy, XSS_NAME } from '../unit/report/fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const INSTALL_HINT = `Chromium not found at ${CHROMIUM}: the HTML report check needs Debian's package. Install it with:\n  apt-get update && apt-get install -y chromium`;
const SCREENSHOT = resolve('docs/report-screenshot.png');

let launched: Browser | undefined;
let dir: string;
let demo: WrittenReports;
let demoReport: ReportV1;

/** Every test fails (none is skipped) with the install hint when Chromium is missing. */
function browser(): Browser {
  if (!launched) throw new Error(INSTALL_HINT);
  return launched;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cadence-report-browser-'));
  const policy = loadShippedPolicy();
  const missingSegment = DEMO_STORY['missingSegment']!.orgId;
  const run = runDemo(policy, { [missingSegment]: XSS_NAME });
  const input = {
    dir: join(dir, 'demo'), runId: 'demo-2026-03-12', retention: 5, companyDomain: 'demo', policy,
    result: run.result, plan: run.plan, applied: null, snapshot: run.snapshot,
    run: {
      startedAt: new Date(DEMO_NOW.getTime() - 8_400).toISOString(), finishedAt: DEMO_NOW.toISOString(), durationMs: 8_400,
      recordsSynced: { organization: run.snapshot.organizations.size, person: run.snapshot.persons.size, deal: run.snapshot.deals.size, activity: run.snapshot.activities.size },
      requests: 14, retries: 1, rate429: 1, warnings: [], malformed: [], dryRun: true,
    },
  };
  demo = await writeReports(input);
  demoReport = buildJsonReport(input);
  if (existsSync(CHROMIUM)) {
    launched = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }
});

afterAll(async () => {
  await launched?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface PageProblems {
  consoleErrors: string[];
  pageErrors: string[];
  dialogs: string[];
  failedRequests: string[];
  otherOrigins: string[];
}

/** Opens a page that records every console error, script error, dialog, failed or off-origin request. */
async function openPage(url: string, extraHTTPHeaders: Record<string, string> = {}): Promise<{ page: Page; problems: PageProblems }> {
  const page = await browser().newPage({ viewport: { width: 1280, height: 1400 }, deviceScaleFactor: 1, extraHTTPHeaders });
  const problems: PageProblems = { consoleErrors: [], pageErrors: [], dialogs: [], failedRequests: [], otherOrigins: [] };
  const origin = new URL(url).origin;
  page.on('console', (m) => {
    if (m.type() === 'error') problems.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => problems.pageErrors.push(e.message));
  page.on('dialog', (d) => {
    problems.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('requestfailed', (r) => problems.failedRequests.push(r.url()));
  page.on('request', (r) => {
    if (new URL(r.url()).origin !== origin) problems.otherOrigins.push(r.url());
  });
  const response = await page.goto(url, { waitUntil: 'load' });
  if (response && !response.ok()) throw new Error(`${url} answered ${response.status()}`);
  return { page, problems };
}

const NO_PROBLEMS: PageProblems = { consoleErrors: [], pageErrors: [], dialogs: [], failedRequests: [], otherOrigins: [] };

describe('HTML report in headless Chromium', () => {
  it(`finds Chromium at ${CHROMIUM}`, () => {
    expect(existsSync(CHROMIUM), INSTALL_HINT).toBe(true);
    expect(browser().version()).toMatch(/^\d+\./);
  });

  it('loads the demo report from disk without console errors, external requests or dialogs, and renders it', async () => {
    const { page, problems } = await openPage(pathToFileURL(demo.files.html).href);
    try {
      expect(problems).toEqual(NO_PROBLEMS);
      expect(await page.title()).toMatch(/^Relatório de cadência de relacionamento — demo — /);
      expect(await page.locator('script').count()).toBe(0);
      expect(await page.locator('tr.finding').count()).toBe(demoReport.dataQuality.findings.length);
      expect(await page.locator('tr.overdue').count()).toBe(demoReport.cadence.overdue.length);
      // The hostile name is visible as text, in a link to the client in Pipedrive.
      const missingSegment = DEMO_STORY['missingSegment']!.orgId;
      const link = page.locator(`a[href="https://demo.pipedrive.com/organization/${missingSegment}"]`).first();
      expect(await link.textContent()).toBe(XSS_NAME);
      // The SVG chart is laid out and has one bar per tier and week.
      const chart = page.locator('svg.chart');
      const box = await chart.boundingBox();
      expect(box && box.width > 600 && box.height > 200).toBe(true);
      expect(await chart.locator('rect[height]').count()).toBeGreaterThanOrEqual(demoReport.engagement.weeks.length * demoReport.engagement.byTier.length);
      for (const id of ['data-quality', 'cadence', 'engagement', 'run']) expect(await page.locator(`section#${id} h2`).isVisible()).toBe(true);

      await mkdir(resolve('docs'), { recursive: true });
      const shot = join(dir, 'report-full.png');
      await page.screenshot({ path: shot, fullPage: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: false });
      expect((await stat(shot)).size).toBeGreaterThan(50_000);
      expect((await stat(SCREENSHOT)).size).toBeGreaterThan(20_000);
    } finally {
      await page.close();
    }
  });

  it('keeps hostile names inert in the fixture report in English, every Unicode name intact', async () => {
    const fx = buildFixture();
    const policy = { ...fx.policy, locale: 'en' as const };
    const out = await writeReports({ ...fx, policy, dir: join(dir, 'fixture'), runId: 'fixture', retention: 1, companyDomain: 'acme' });
    const { page, problems } = await openPage(pathToFileURL(out.files.html).href);
    try {
      expect(problems).toEqual(NO_PROBLEMS);
      expect(await page.locator('script, b:text("Bold")').count()).toBe(0);
      const text = (await page.locator('body').textContent()) ?? '';
      expect(text).toContain(XSS_NAME);
      expect(text).toContain('Ação & Cia — Ñandú 日本 "Ltda", filial');
      expect(text).toContain('Ana <b>Bold</b>');
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
    } finally {
      await page.close();
    }
  });

  it('serves the latest report from the status server, under its CSP, without errors', async () => {
    const server = await startStatusServer({
      host: '127.0.0.1', port: 0, metrics: createMetrics(), readiness: () => ({ ready: true, reason: 'test' }),
      latestReportPath: () => latestReportPath(join(dir, 'demo')), token: 'browser-test-token-0123456789', logger: pino({ level: 'silent' }),
    });
    try {
      const { page, problems } = await openPage(`${server.url}/reports/latest`, { authorization: 'Bearer browser-test-token-0123456789' });
      try {
        expect(problems).toEqual(NO_PROBLEMS);
        expect(await page.locator('h1').textContent()).toBe('Relatório de cadência de relacionamento');
        expect(await page.locator('tr.finding').count()).toBe(demoReport.dataQuality.findings.length);
      } finally {
        await page.close();
      }
    } finally {
      await server.close();
    }
  });
});
