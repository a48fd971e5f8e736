/**
 * The optional status server of the daemon: liveness, readiness, Prometheus metrics and the latest HTML
 * report, over plain node:http. Read-only: GET and HEAD only, anything else is 405. Bind it to a private
 * address (CADENCE_STATUS_ADDR); it has no authentication because it exposes nothing that writes.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.js';
import type { Readiness } from './readiness.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The report has no script; the header repeats the page's own CSP for clients that ignore meta tags. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

export interface StatusServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  metrics: { render(): string };
  readiness: () => Readiness | Promise<Readiness>;
  /** Path of the newest report.html, or null before the first report. */
  latestReportPath: () => string | null | Promise<string | null>;
  logger: Logger;
}

export interface StatusServer {
  /** Base URL, e.g. http://127.0.0.1:9464 */
  url: string;
  close(): Promise<void>;
}

const ROUTES = ['/healthz', '/readyz', '/metrics', '/reports/latest'] as const;

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** "host:port" → its parts; IPv6 literals may be given in brackets. */
export function parseHostPort(addr: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(addr.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`invalid status address "${addr}": expected host:port, e.g. 127.0.0.1:9464`);
  return { host: m[1]!, port };
}

export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const { metrics, readiness, latestReportPath, logger } = options;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
        const r = await readiness();
        send(res, r.ready ? 200 : 503, 'application/json; charset=utf-8', JSON.stringify({ ready: r.ready, reason: r.reason }) + '\n');
        return;
      }
      case '/metrics':
        send(res, 200, PROMETHEUS_CONTENT_TYPE, metrics.render());
        return;
      case '/reports/latest':
        await serveReport(res);
        return;
      case '/':
        send(res, 200, 'text/plain; charset=utf-8', `pipedrive-cadence status\n${ROUTES.join('\n')}\n`);
        return;
      default:
        send(res, 404, 'text/plain; charset=utf-8', `not found: try ${ROUTES.join(', ')}\n`);
    }
  }

  async function serveReport(res: ServerResponse): Promise<void> {
    const file = await latestReportPath();
    const info = file ? await stat(file).catch(() => null) : null;
    if (!file || !info?.isFile()) {
      send(res, 404, 'text/plain; charset=utf-8', 'no report yet: one is written after the first run\n');
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': info.size,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': REPORT_CSP,
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

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err: { message: (err as Error).message }, path: req.url }, 'status server request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url }, 'status server listening');

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
