/**
 * The optional status server of the daemon: liveness, readiness, Prometheus metrics and the latest HTML
 * report, over plain node:http. Read-only: GET and HEAD only, anything else is 405.
 *
 * Who may read what: `/healthz` and `/readyz` are open (probes; they say nothing about clients).
 * `/metrics` and everything under `/reports/` need `Authorization: Bearer <CADENCE_STATUS_TOKEN>`,
 * compared in constant time; without a configured token those routes are off and say how to turn them
 * on. The report holds every client's risks, revenue and data-quality findings: reading is the harm.
 * Every response carries a strict Content-Security-Policy, nosniff, no-referrer and no-store.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.js';
import type { Readiness } from './readiness.js';
import { systemClock, type Clock } from '../domain/clock.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The report has no script; the header repeats the page's own CSP (and forbids framing) for every
 * response, so even a plain-text answer cannot be turned into a page that runs anything.
 */
export const STATUS_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Headers every answer of the status server carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': STATUS_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface StatusServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  metrics: { render(): Promise<string> };
  readiness: () => Readiness | Promise<Readiness>;
  /** Path of the newest report.html, or null before the first report. */
  latestReportPath: () => string | null | Promise<string | null>;
  /**
   * CADENCE_STATUS_TOKEN: the bearer token `/metrics` and `/reports/*` require. Without one those routes
   * are off (they answer 404 and say how to turn them on); `/healthz` and `/readyz` stay open.
   */
  token?: string;
  logger: Logger;
  /** Paces the refusal log (default: the system clock). */
  clock?: Pick<Clock, 'now'>;
}

export interface StatusServer {
  /** Base URL, e.g. http://127.0.0.1:9464 */
  url: string;
  close(): Promise<void>;
}

const ROUTES = ['/healthz', '/readyz', '/metrics', '/reports/latest'] as const;

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** True for addresses only this host can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Constant-time comparison of a presented bearer token with the configured one (hashes first, so lengths do not leak either). */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
  const given = createHash('sha256').update(m?.[1] ?? '').digest();
  const expected = createHash('sha256').update(token).digest();
  // Both digests are compared even without a Bearer header, so a missing header takes as long as a wrong one.
  return timingSafeEqual(given, expected) && m !== null;
}

const REFUSAL_LOG_EVERY_MS = 10_000;

const PROTECTED_OFF =
  'is off: no CADENCE_STATUS_TOKEN is set. To turn it on, set CADENCE_STATUS_TOKEN to a long random value ' +
  '(e.g. `openssl rand -hex 32`) and send it as the header "Authorization: Bearer <token>".\n';

/** One status server's settings and the refusal-log counters its requests share (an explicit record, not closures). */
interface StatusRuntime {
  options: StatusServerOptions;
  token: string | null;
  refusals: { lastLogAt: number; sinceLog: number };
}

export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const { logger } = options;
  const token = options.token !== undefined && options.token !== '' ? options.token : null;
  const rt: StatusRuntime = { options, token, refusals: { lastLogAt: -Infinity, sinceLog: 0 } };
  const server = createServer((req, res) => {
    handle(rt, req, res).catch((err: unknown) => {
      logger.error({ err: { message: (err as Error).message }, path: req.url }, 'status server request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  const address = await listen(server, options.port, options.host);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url, protectedRoutes: token === null ? 'off (no CADENCE_STATUS_TOKEN)' : 'bearer token' }, 'status server listening');
  if (token === null && !isLoopback(address.address)) {
    logger.warn({ url }, 'status server on a non-loopback address without CADENCE_STATUS_TOKEN: /metrics and /reports are off; set the token to scrape or read them');
  }
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive connections would hold close() open until they time out.
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number, host: string | undefined): Promise<AddressInfo> {
  return new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** For `/metrics` and `/reports/*`: true when the request may go on; otherwise the answer is sent. */
function authorized(rt: StatusRuntime, req: IncomingMessage, res: ServerResponse, path: string): boolean {
  if (rt.token === null) {
    send(res, 404, 'text/plain; charset=utf-8', `${path.startsWith('/reports') ? 'the report route' : '/metrics'} ${PROTECTED_OFF}`);
    return false;
  }
  if (bearerMatches(req.headers.authorization, rt.token)) return true;
  // One line per REFUSAL_LOG_EVERY_MS at most, with the count since the last: a scanner must not flood the logs.
  rt.refusals.sinceLog += 1;
  const now = (rt.options.clock ?? systemClock()).now();
  if (now - rt.refusals.lastLogAt >= REFUSAL_LOG_EVERY_MS) {
    rt.options.logger.warn(
      { path, remote: req.socket.remoteAddress ?? null, presented: req.headers.authorization ? 'wrong' : 'none', refused: rt.refusals.sinceLog },
      'status server refused a request without the right token',
    );
    rt.refusals.lastLogAt = now;
    rt.refusals.sinceLog = 0;
  }
  send(res, 401, 'text/plain; charset=utf-8', 'unauthorized: send the header "Authorization: Bearer <CADENCE_STATUS_TOKEN>"\n', {
    'www-authenticate': 'Bearer realm="cadence-status"',
  });
  return false;
}

async function handle(rt: StatusRuntime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed: the status server is read-only (GET, HEAD)\n', { allow: 'GET, HEAD' });
    return;
  }
  const path = new URL(req.url ?? '/', 'http://status.invalid').pathname;
  switch (path) {
    case '/healthz':
      send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      return;
    case '/readyz': {
      const r = await rt.options.readiness();
      send(res, r.ready ? 200 : 503, 'application/json; charset=utf-8', JSON.stringify({ ready: r.ready, reason: r.reason }) + '\n');
      return;
    }
    case '/metrics':
      if (authorized(rt, req, res, path)) send(res, 200, PROMETHEUS_CONTENT_TYPE, await rt.options.metrics.render());
      return;
    case '/':
      send(res, 200, 'text/plain; charset=utf-8', `pipedrive-cadence status\n${ROUTES.join('\n')}\n`);
      return;
    default:
      // Everything under /reports is behind the token, unknown paths too: nothing to probe without it.
      if (path === '/reports' || path.startsWith('/reports/')) {
        if (!authorized(rt, req, res, path)) return;
        if (path === '/reports/latest') await serveReport(rt, res);
        else send(res, 404, 'text/plain; charset=utf-8', 'not found: the report is at /reports/latest\n');
        return;
      }
      send(res, 404, 'text/plain; charset=utf-8', `not found: try ${ROUTES.join(', ')}\n`);
  }
}

async function serveReport(rt: StatusRuntime, res: ServerResponse): Promise<void> {
  const file = await rt.options.latestReportPath();
  const info = file ? await stat(file).catch(() => null) : null;
  if (!file || !info?.isFile()) {
    send(res, 404, 'text/plain; charset=utf-8', 'no report yet: one is written after the first run\n');
    return;
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-length': info.size,
  });
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  // Streamed: a large company's report is several megabytes.
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file);
    stream.on('error', reject);
    res.on('close', resolve);
    stream.pipe(res);
  });
}
