/**
 * The webhook receiver: a small HTTP server of its own (CADENCE_WEBHOOK_ADDR, never the status server's
 * port) with one endpoint per company, `POST /webhooks/<company>`. It never makes Pipedrive wait: it checks,
 * records the event durably in the state store and answers 200; nothing calls Pipedrive inline.
 *
 * Checks, in this order, each answered without detail that would help an attacker:
 *   unknown path or company 404 · other method 405 · Basic credentials (constant time) 401 ·
 *   not `application/json` 415 · body over the size limit 413 (by Content-Length before reading, or
 *   while reading) · not JSON or not a Webhooks v2 envelope 400 · store unavailable 503 (Pipedrive retries).
 * A delivery id seen before answers 200 and records nothing. Credentials and bodies are never logged;
 * refused requests are logged at most once per 10 s with their count by reason.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.js';
import { parseHostPort } from '../config/host-port.js';
import { dateNow, systemClock, type Clock } from '../domain/clock.js';
import { WebhookEnvelope, toRecordedEvent } from './envelope.js';
import type { WebhookInbox } from './event-store.js';

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
const CREDENTIALS_TTL_MS = 30_000;
const REFUSAL_LOG_EVERY_MS = 10_000;
export const DEFAULT_RETENTION_MS = 7 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;

export interface ReceiverCompany {
  companyId: string;
  /** The stored Basic credentials (undefined: not set up, every delivery is refused). */
  credentials(): Promise<{ user: string; password: string } | undefined>;
  inbox: WebhookInbox;
}

export interface WebhookReceiverOptions {
  /** host:port or a bare port (127.0.0.1). */
  addr: string;
  companies: readonly ReceiverCompany[];
  logger: Logger;
  maxBodyBytes?: number;
  /** Receipt times, the credentials cache and the refusal log (default: the system clock). */
  clock?: Pick<Clock, 'now'>;
  /** Events older than this are pruned from the inbox (default 7 days), checked at start and hourly. */
  retentionMs?: number;
  /** Called for every answered request (metrics): the company when known, and what became of it. */
  onRequest?: (companyId: string | null, outcome: 'recorded' | 'duplicate' | RefusalReason) => void;
}

export type RefusalReason = 'not_found' | 'method' | 'unauthorized' | 'media_type' | 'too_large' | 'malformed' | 'unavailable';

export interface ReceiverStats {
  recorded: number;
  duplicates: number;
  refused: Record<RefusalReason, number>;
}

export interface WebhookReceiver {
  url: string;
  stats(): ReceiverStats;
  close(): Promise<void>;
}

const STATUS: Record<RefusalReason, number> = { not_found: 404, method: 405, unauthorized: 401, media_type: 415, too_large: 413, malformed: 400, unavailable: 503 };
const MESSAGE: Record<RefusalReason, string> = {
  not_found: 'not found', method: 'method not allowed', unauthorized: 'unauthorized', media_type: 'unsupported media type',
  too_large: 'payload too large', malformed: 'bad request', unavailable: 'unavailable',
};

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time check of an `Authorization: Basic …` header against the expected credentials. */
export function basicMatches(authorization: string | undefined, expected: { user: string; password: string } | undefined): boolean {
  const m = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  const presented = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
  const want = expected ? `${expected.user}:${expected.password}` : '';
  // Digests of equal length are always compared, so a missing header or missing credentials take as long as a wrong one.
  const same = timingSafeEqual(digest(presented), digest(want));
  return same && m !== null && expected !== undefined;
}

class TooLarge extends Error {}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new TooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

type Credentials = { user: string; password: string } | undefined;

/** The receiver's running state, passed to each handler (the credentials cache and the counters change). */
interface ReceiverRuntime {
  options: WebhookReceiverOptions;
  logger: WebhookReceiverOptions['logger'];
  limit: number;
  clock: Pick<Clock, 'now'>;
  now: () => Date;
  companies: Map<string, ReceiverCompany>;
  creds: Map<string, { value: Credentials; at: number }>;
  stats: ReceiverStats;
  refusedSinceLog: Partial<Record<RefusalReason, number>>;
  lastRefusalLog: number;
}

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const { logger } = options;
  const clock = options.clock ?? systemClock();
  const rt: ReceiverRuntime = {
    options,
    logger,
    limit: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    clock,
    now: (): Date => dateNow(clock),
    companies: new Map(options.companies.map((c) => [c.companyId, c])),
    creds: new Map(),
    stats: { recorded: 0, duplicates: 0, refused: { not_found: 0, method: 0, unauthorized: 0, media_type: 0, too_large: 0, malformed: 0, unavailable: 0 } },
    refusedSinceLog: {},
    lastRefusalLog: -Infinity,
  };
  const server = http.createServer((req, res) => {
    handle(rt, req, res).catch((err: unknown) => {
      logger.error({ err: (err as Error).message }, 'webhook receiver failed a request');
      if (!res.headersSent) send(res, 500, { error: 'error' });
      else res.destroy();
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  const a = await listen(server, options.addr);
  const shownHost = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  logger.info({ addr: `${shownHost}:${a.port}`, companies: [...rt.companies.keys()] }, 'webhook receiver listening');
  const pruning = startPruning(rt);
  const { stats } = rt;
  return {
    url: `http://${shownHost}:${a.port}`,
    stats: () => ({ recorded: stats.recorded, duplicates: stats.duplicates, refused: { ...stats.refused } }),
    close: async () => {
      pruning.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pruning.settled();
    },
  };
}

async function listen(server: http.Server, addr: string): Promise<AddressInfo> {
  let host: string;
  let port: number;
  try {
    ({ host, port } = parseHostPort(addr));
  } catch {
    throw new Error(`CADENCE_WEBHOOK_ADDR: expected host:port (e.g. 127.0.0.1:8788) or a port, got "${addr}"`);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`webhook receiver: cannot listen on ${addr} (${err.code ?? err.message}): choose a free address in CADENCE_WEBHOOK_ADDR`)),
    );
    server.listen(port, host, () => resolve());
  });
  return server.address() as AddressInfo;
}

/** Prunes every inbox now and every hour; `stop` ends the timer, `settled` waits for the prune under way. */
function startPruning(rt: ReceiverRuntime): { stop: () => void; settled: () => Promise<void> } {
  const { logger, now, companies } = rt;
  const retention = rt.options.retentionMs ?? DEFAULT_RETENTION_MS;
  const prune = async (): Promise<void> => {
    for (const c of companies.values()) {
      try {
        const removed = await c.inbox.prune(new Date(now().getTime() - retention));
        if (removed > 0) logger.info({ company: c.companyId, removed }, 'webhook inbox pruned');
      } catch (err) {
        logger.warn({ company: c.companyId, err: (err as Error).message }, 'webhook inbox could not be pruned; will try again in an hour');
      }
    }
  };
  let pruning = prune();
  const pruneTimer = setInterval(() => {
    pruning = pruning.then(prune);
  }, PRUNE_EVERY_MS);
  pruneTimer.unref();
  return { stop: () => clearInterval(pruneTimer), settled: () => pruning };
}

async function credentialsOf(rt: ReceiverRuntime, c: ReceiverCompany): Promise<Credentials> {
  const cached = rt.creds.get(c.companyId);
  if (cached && rt.clock.now() - cached.at < CREDENTIALS_TTL_MS) return cached.value;
  const value = await c.credentials();
  rt.creds.set(c.companyId, { value, at: rt.clock.now() });
  return value;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function refuse(rt: ReceiverRuntime, req: IncomingMessage, res: ServerResponse, reason: RefusalReason, headers: Record<string, string> = {}, companyId: string | null = null): void {
  rt.stats.refused[reason]++;
  rt.options.onRequest?.(companyId, reason);
  rt.refusedSinceLog[reason] = (rt.refusedSinceLog[reason] ?? 0) + 1;
  const t = rt.clock.now();
  if (t - rt.lastRefusalLog >= REFUSAL_LOG_EVERY_MS) {
    rt.logger.warn({ refused: rt.refusedSinceLog, remote: req.socket.remoteAddress ?? null }, 'webhook receiver refused requests');
    rt.lastRefusalLog = t;
    rt.refusedSinceLog = {};
  }
  send(res, STATUS[reason], { error: MESSAGE[reason] }, headers);
}

/** The company a request's path names, or undefined. */
function companyOf(rt: ReceiverRuntime, req: IncomingMessage): ReceiverCompany | undefined {
  const path = (req.url ?? '/').split('?')[0]!;
  const m = /^\/webhooks\/([^/]+)\/?$/.exec(path);
  let companyId: string | undefined;
  try {
    companyId = m ? decodeURIComponent(m[1]!) : undefined;
  } catch {
    companyId = undefined;
  }
  return companyId === undefined ? undefined : rt.companies.get(companyId);
}

/** The body of an authorized request as text, or undefined once refused (wrong type, too large). */
async function acceptBody(rt: ReceiverRuntime, req: IncomingMessage, res: ServerResponse, companyId: string): Promise<string | undefined> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    refuse(rt, req, res, 'media_type', {}, companyId);
    return undefined;
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > rt.limit) {
    refuse(rt, req, res, 'too_large', { connection: 'close' }, companyId);
    return undefined;
  }
  try {
    return await readBody(req, rt.limit);
  } catch (err) {
    if (err instanceof TooLarge) {
      refuse(rt, req, res, 'too_large', { connection: 'close' }, companyId);
      req.destroy();
      return undefined;
    }
    throw err;
  }
}

async function handle(rt: ReceiverRuntime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { logger } = rt;
  const company = companyOf(rt, req);
  if (!company) return refuse(rt, req, res, 'not_found');
  if (req.method !== 'POST') return refuse(rt, req, res, 'method', { allow: 'POST' }, company.companyId);
  let expected;
  try {
    expected = await credentialsOf(rt, company);
  } catch (err) {
    logger.error({ company: company.companyId, err: (err as Error).message }, 'webhook receiver cannot read the stored credentials');
    return refuse(rt, req, res, 'unavailable', { 'retry-after': '30' }, company.companyId);
  }
  if (!basicMatches(req.headers.authorization, expected)) return refuse(rt, req, res, 'unauthorized', { 'www-authenticate': 'Basic realm="cadence-webhooks"' }, company.companyId);
  const text = await acceptBody(rt, req, res, company.companyId);
  if (text === undefined) return;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return refuse(rt, req, res, 'malformed', {}, company.companyId);
  }
  const parsed = WebhookEnvelope.safeParse(json);
  if (!parsed.success) return refuse(rt, req, res, 'malformed', {}, company.companyId);
  const event = toRecordedEvent(parsed.data, rt.now());
  let result;
  try {
    result = await company.inbox.record(event);
  } catch (err) {
    logger.error({ company: company.companyId, err: (err as Error).message }, 'webhook receiver cannot record an event: Pipedrive will retry');
    return refuse(rt, req, res, 'unavailable', { 'retry-after': '30' }, company.companyId);
  }
  if (result.duplicate) rt.stats.duplicates++;
  else rt.stats.recorded++;
  rt.options.onRequest?.(company.companyId, result.duplicate ? 'duplicate' : 'recorded');
  logger.debug({ company: company.companyId, delivery: event.deliveryId, entity: event.entity, action: event.action, entityId: event.entityId, duplicate: result.duplicate }, 'webhook event');
  send(res, 200, { ok: true });
}
