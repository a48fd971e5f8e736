/**
 * A tiny HTTP proxy between the CLI child and the sandbox, for faults that must hit an exact request: it
 * numbers the API requests (the sandbox's `/_sandbox/*` admin surface is not counted) and asks `decide`
 * what to do with each one:
 *
 * - `before`: run an action, then drop the request unanswered (e.g. SIGKILL the client: the request never
 *   reached Pipedrive), or with `forward: true` run it and forward (e.g. revoke the token first);
 * - `after`: forward it, let the sandbox act, run the action, then drop the answer (e.g. SIGKILL the client
 *   after its write landed but before it heard about it);
 * - `respond`: answer with a given status and raw body without asking the sandbox (e.g. a non-JSON 200);
 * - `transform`: forward it and edit the JSON body of the answer (e.g. a record with unexpected types).
 *
 * Deterministic: the decision depends only on the request number and the request, so a seed picks the
 * fault point and the test awaits the outcome, never a timer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
}

export type ProxyDecision =
  | { kind: 'before'; run: () => void; forward?: boolean }
  | { kind: 'after'; run: () => void }
  | { kind: 'respond'; status: number; body: string; contentType?: string }
  | { kind: 'transform'; edit: (body: unknown) => unknown };

export type Decide = (n: number, req: ProxiedRequest) => ProxyDecision | undefined | void;

export interface FaultProxy {
  url: string;
  /** API requests received so far. */
  count(): number;
  /** Replaces the decision function (and restarts the count when `reset`). */
  setDecide(decide: Decide | undefined, opts?: { reset?: boolean }): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const to = new URL(target);
  let n = 0;
  let decide: Decide | undefined;

  const forward = (req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const upstream = http.request(
        { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host, connection: 'close' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });

  const server = http.createServer((req, res) => {
    res.on('error', () => undefined);
    req.on('error', () => undefined);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const admin = (req.url ?? '').startsWith('/_sandbox/');
      const d = admin ? undefined : (decide?.(++n, { method: req.method ?? 'GET', url: req.url ?? '/' }) ?? undefined);
      const drop = () => req.socket.destroy();
      void (async () => {
        try {
          if (d?.kind === 'respond') {
            res.writeHead(d.status, { 'content-type': d.contentType ?? 'application/json', 'content-length': String(Buffer.byteLength(d.body)) });
            res.end(d.body);
            return;
          }
          if (d?.kind === 'before') {
            d.run();
            if (!d.forward) return drop();
          }
          const answer = await forward(req, body);
          if (d?.kind === 'after') {
            d.run();
            return drop();
          }
          let out = answer.body;
          if (d?.kind === 'transform') out = Buffer.from(JSON.stringify(d.edit(JSON.parse(out.toString('utf8')))));
          const headers = { ...answer.headers, 'content-length': String(out.length) };
          delete headers['transfer-encoding'];
          delete headers.connection;
          res.writeHead(answer.status, headers);
          res.end(out);
        } catch {
          drop();
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => n,
    setDecide(next, opts = {}) {
      decide = next;
      if (opts.reset) n = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
