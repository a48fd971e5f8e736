import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { createMetrics, observeRun } from '../../../src/status/metrics.js';
import type { Readiness } from '../../../src/status/readiness.js';
import { bearerMatches, isLoopback, startStatusServer, type StatusServer } from '../../../src/status/status-server.js';
import { checkPrometheusText } from './prometheus-strict.js';
import { parseHostPort } from '../../../src/config/host-port.js';

let dir: string;
let server: StatusServer;
let ready: Readiness;
let reportPath: string | null;
let readinessError: Error | null;
const logLines: string[] = [];
const TOKEN = 'status-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cadence-status-'));
  ready = { ready: false, reason: 'no run has succeeded yet' };
  reportPath = null;
  readinessError = null;
  logLines.length = 0;
  const metrics = createMetrics();
  observeRun(metrics, { companyId: 'acme', ok: true, finishedAt: '2026-11-20T13:00:00Z', durationMs: 5_000, requestsByStatus: { '200': 12 } });
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(chunk.toString());
      cb();
    },
  });
  server = await startStatusServer({
    host: '127.0.0.1',
    port: 0,
    metrics,
    readiness: () => {
      if (readinessError) throw readinessError;
      return ready;
    },
    latestReportPath: () => reportPath,
    token: TOKEN,
    logger: createLogger({ level: 'info', destination, secrets: [TOKEN] }),
  });
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function get(path: string, init: RequestInit = {}) {
  const res = await fetch(server.url + path, init);
  return { status: res.status, headers: res.headers, body: await res.text() };
}

describe('status server', () => {
  it('listens on the given host with a free port', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(logLines.some((l) => l.includes('status server listening'))).toBe(true);
  });

  it('answers /healthz while the process lives', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toBe('ok\n');
    expect((await get('/healthz?probe=kubelet')).status).toBe(200);
  });

  it('answers /readyz with 503 and the reason until a run succeeds, then 200', async () => {
    const before = await get('/readyz');
    expect(before.status).toBe(503);
    expect(before.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(JSON.parse(before.body)).toEqual({ ready: false, reason: 'no run has succeeded yet' });
    ready = { ready: true, reason: 'the latest run succeeded at 2026-11-20T13:00:00.000Z' };
    const after = await get('/readyz');
    expect(after.status).toBe(200);
    expect(JSON.parse(after.body)).toEqual({ ready: true, reason: 'the latest run succeeded at 2026-11-20T13:00:00.000Z' });
  });

  it('serves /metrics in the Prometheus text format', async () => {
    const res = await get('/metrics', { headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    checkPrometheusText(res.body);
    const families = parsePrometheusTextFormat(res.body);
    expect(families.find((f) => f.name === 'cadence_runs_total')!.metrics).toEqual([{ labels: { company: 'acme', outcome: 'success' }, value: '1' }]);
    expect(families.find((f) => f.name === 'cadence_pipedrive_requests_total')!.metrics).toEqual([{ labels: { company: 'acme', status: '200' }, value: '12' }]);
  });

  it('serves the default process metrics (memory, event-loop lag, GC, handles) beside the worker\'s own', async () => {
    const { families } = checkPrometheusText((await get('/metrics', { headers: AUTH })).body);
    expect(families.get('cadence_runs_total')).toBe('counter');
    expect(families.get('process_resident_memory_bytes')).toBe('gauge');
    expect(families.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(families.get('nodejs_gc_duration_seconds')).toBe('histogram');
    expect(families.get('nodejs_active_handles_total')).toBe('gauge');
  });

  it('serves the latest HTML report, 404 before the first one', async () => {
    const none = await get('/reports/latest', { headers: AUTH });
    expect(none.status).toBe(404);
    expect(none.body).toMatch(/no report yet/);
    const html = '<!doctype html><html lang="pt-BR"><title>Relatório — ação</title></html>\n';
    reportPath = join(dir, 'report.html');
    await writeFile(reportPath, html);
    const res = await get('/reports/latest', { headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'unsafe-inline'; img-src data:/);
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(html)));
    expect(res.body).toBe(html);
    reportPath = join(dir, 'deleted.html');
    expect((await get('/reports/latest', { headers: AUTH })).status).toBe(404);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await get('/metrics', { method: 'HEAD', headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(100);
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('is read-only: %s is 405 with Allow', async (method) => {
    for (const path of ['/healthz', '/metrics', '/reports/latest', '/anything']) {
      const res = await get(path, { method, body: method === 'DELETE' ? undefined : 'x' });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('answers 404 for unknown paths, listing the real ones', async () => {
    const res = await get('/admin');
    expect(res.status).toBe(404);
    expect(res.body).toContain('/healthz, /readyz, /metrics, /reports/latest');
  });

  it('turns a failing handler into a 500, logs it, and keeps serving', async () => {
    readinessError = new Error('state store unreachable');
    const res = await get('/readyz');
    expect(res.status).toBe(500);
    expect(res.body).toBe('internal error\n');
    expect(logLines.some((l) => l.includes('state store unreachable'))).toBe(true);
    expect((await get('/healthz')).status).toBe(200);
  });

  it('closes promptly even with a keep-alive connection open', async () => {
    const agentRes = await new Promise<number>((resolve, reject) => {
      const req = request(server.url + '/healthz', { headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    expect(agentRes).toBe(200);
    await server.close();
    await expect(fetch(server.url + '/healthz')).rejects.toThrow();
    // afterEach closes again: closing twice must not hang.
    server = { url: server.url, close: async () => {} };
  });
});

describe('status server: who may read what', () => {
  const REPORT = '<!doctype html><html><title>Relatório</title><body>Acme Ltda — At risk — R$ 1.200.000</body></html>\n';
  const WRONG = [
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer status-token-0123456789abcdeX' }],
    ['the token as Basic', { authorization: `Basic ${TOKEN}` }],
    ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['the token with a suffix', { authorization: `Bearer ${TOKEN}0` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ] as const;

  beforeEach(async () => {
    reportPath = join(dir, 'report.html');
    await writeFile(reportPath, REPORT);
  });

  it.each(WRONG)('refuses /reports/latest and /metrics with %s: 401, nothing of the report or the metrics in the body', async (_label, headers) => {
    for (const path of ['/reports/latest', '/metrics', '/reports/latest/report.json', '/reports']) {
      for (const method of ['GET', 'HEAD']) {
        const res = await get(path, { method, headers });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="cadence-status"');
        expect(res.body).not.toContain('Acme');
        expect(res.body).not.toContain('cadence_runs_total');
        if (method === 'GET') expect(res.body).toMatch(/Authorization: Bearer <CADENCE_STATUS_TOKEN>/);
      }
    }
    // The refusal is logged without the token, whatever was presented, and once for the burst (no log flood).
    expect(logLines.filter((l) => l.includes('refused a request without the right token'))).toHaveLength(1);
    expect(logLines.join('')).not.toContain(TOKEN);
  });

  it('serves the report and the metrics with the right token (the scheme is case-insensitive)', async () => {
    expect((await get('/reports/latest', { headers: AUTH })).body).toBe(REPORT);
    expect((await get('/reports/latest', { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
    expect((await get('/metrics', { headers: AUTH })).body).toContain('cadence_runs_total');
    // Other paths under /reports are still behind the token, then not found.
    expect((await get('/reports/other', { headers: AUTH })).status).toBe(404);
  });

  it('keeps /healthz, /readyz and the index open without a token', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(503);
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('/reports/latest');
  });

  it('sends the security headers on every answer: open, refused, served, not found, 405', async () => {
    const answers = [
      await get('/healthz'),
      await get('/readyz'),
      await get('/metrics'),
      await get('/metrics', { headers: AUTH }),
      await get('/reports/latest'),
      await get('/reports/latest', { headers: AUTH }),
      await get('/nowhere'),
      await get('/healthz', { method: 'POST', body: 'x' }),
    ];
    for (const res of answers) {
      expect(res.headers.get('content-security-policy')).toBe(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      );
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });
});

describe('status server without CADENCE_STATUS_TOKEN', () => {
  let open: StatusServer;
  const lines: string[] = [];
  beforeEach(async () => {
    lines.length = 0;
    const file = join(dir, 'report.html');
    await writeFile(file, '<html><body>Acme Ltda — At risk</body></html>');
    open = await startStatusServer({
      host: '127.0.0.1',
      port: 0,
      metrics: createMetrics(),
      readiness: () => ({ ready: true, reason: 'ok' }),
      latestReportPath: () => file,
      logger: createLogger({ level: 'info', destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) }),
    });
  });
  afterEach(() => open.close());

  it('turns the report route and /metrics off and says how to turn them on; a presented token changes nothing', async () => {
    for (const headers of [{}, AUTH]) {
      for (const path of ['/reports/latest', '/metrics']) {
        const res = await fetch(open.url + path, { headers });
        const body = await res.text();
        expect(res.status).toBe(404);
        expect(body).toMatch(/is off: no CADENCE_STATUS_TOKEN is set\. To turn it on, set CADENCE_STATUS_TOKEN/);
        expect(body).not.toContain('Acme');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      }
    }
    expect((await fetch(open.url + '/healthz')).status).toBe(200);
    expect((await fetch(open.url + '/readyz')).status).toBe(200);
    expect(lines.some((l) => l.includes('off (no CADENCE_STATUS_TOKEN)'))).toBe(true);
  });
});

describe('bearerMatches and isLoopback', () => {
  it('accepts only "Bearer <the token>"', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`Bearer  ${TOKEN} `, TOKEN)).toBe(true);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
    expect(bearerMatches('', TOKEN)).toBe(false);
    expect(bearerMatches(TOKEN, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN} extra`, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN.toUpperCase()}`, TOKEN)).toBe(false);
  });

  it('knows which addresses only this host reaches', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.5', '192.168.1.2'].some(isLoopback)).toBe(false);
  });
});

describe('parseHostPort', () => {
  it('binds a bare port to 127.0.0.1', () => {
    expect(parseHostPort('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseHostPort(':9464')).toEqual({ host: '127.0.0.1', port: 9464 });
  });

  it('reads host:port and bracketed IPv6, and rejects anything else', () => {
    expect(parseHostPort('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseHostPort('0.0.0.0:0')).toEqual({ host: '0.0.0.0', port: 0 });
    expect(parseHostPort('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(() => parseHostPort('host')).toThrow(/expected host:port/);
    expect(() => parseHostPort('host:70000')).toThrow(/expected host:port/);
  });
});
