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
import { parseHostPort, startStatusServer, type StatusServer } from '../../../src/status/status-server.js';
import { checkPrometheusText } from './prometheus-strict.js';

let dir: string;
let server: StatusServer;
let ready: Readiness;
let reportPath: string | null;
let readinessError: Error | null;
const logLines: string[] = [];

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
    logger: createLogger({ level: 'info', destination }),
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
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    checkPrometheusText(res.body);
    const families = parsePrometheusTextFormat(res.body);
    expect(families.find((f) => f.name === 'cadence_runs_total')!.metrics).toEqual([{ labels: { company: 'acme', outcome: 'success' }, value: '1' }]);
    expect(families.find((f) => f.name === 'cadence_pipedrive_requests_total')!.metrics).toEqual([{ labels: { company: 'acme', status: '200' }, value: '12' }]);
  });

  it('serves the latest HTML report, 404 before the first one', async () => {
    const none = await get('/reports/latest');
    expect(none.status).toBe(404);
    expect(none.body).toMatch(/no report yet/);
    const html = '<!doctype html><html lang="pt-BR"><title>Relatório — ação</title></html>\n';
    reportPath = join(dir, 'report.html');
    await writeFile(reportPath, html);
    const res = await get('/reports/latest');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(html)));
    expect(res.body).toBe(html);
    reportPath = join(dir, 'deleted.html');
    expect((await get('/reports/latest')).status).toBe(404);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await get('/metrics', { method: 'HEAD' });
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

describe('parseHostPort', () => {
  it('reads host:port and bracketed IPv6, and rejects anything else', () => {
    expect(parseHostPort('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseHostPort('0.0.0.0:0')).toEqual({ host: '0.0.0.0', port: 0 });
    expect(parseHostPort('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(() => parseHostPort('9464')).toThrow(/expected host:port/);
    expect(() => parseHostPort('host:70000')).toThrow(/expected host:port/);
  });
});
