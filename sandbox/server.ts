/**
 * A local HTTP server that behaves like Pipedrive's API for what pipedrive-cadence uses (PIPEDRIVE.md):
 * REST v2 records and fields, v1 users / activity types / fields, auth, error envelopes, rate-limit
 * headers and 429s, plus deterministic fault injection and a write log for tests.
 * Plain node:http, no framework, so the wire format is exactly what we write here.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dataset, Kind } from './model.js';
import { generateDataset } from './generator.js';
import { createPrng } from './prng.js';
import type { Prng } from './prng.js';
import { RateLimiter, type RateLimitHeaderMode } from './rate-limiter.js';
import { HttpError, ERROR_INFO, errorEnvelope } from './http-error.js';
import { SandboxState } from './state.js';
import { WebhookHub } from './webhooks.js';
import { SandboxOAuth, type OAuthServerOptions } from './oauth.js';

export interface SandboxKnobs {
  latencyMs: number;
  /** 0..1: share of requests answered 500/503 (JSON envelope) before doing anything. */
  serverErrorRate: number;
  /** 0..1: share of requests whose socket is destroyed (half of the writes after being applied). */
  dropRate: number;
  /** 0..1: share of successful responses sent as truncated JSON with status 200. */
  malformedRate: number;
  slowMs: number;
  slowRate: number;
  /** The next N API requests get a burst 429. */
  force429: number;
  /** Seed of the fault PRNG; setting it restarts the fault sequence. */
  seed: number;
  /**
   * At most this many records per v2 entity list page, whatever `limit` asks (0: no cap). Pipedrive may
   * return fewer items than `limit`; the client follows `next_cursor`. Lets a small dataset span many pages.
   */
  maxPageItems: number;
}

export interface SandboxOptions {
  dataset?: Dataset;
  apiToken?: string;
  companyDomain?: string;
  port?: number;
  host?: string;
  /** Sandbox clock for add_time/update_time on writes (not used for rate limiting). */
  now?: () => Date;
  rateLimit?: { burstLimit: number; dailyTokenBudget: number; dailyWriteRequests?: number };
  /**
   * `observed` (default): the documented rate-limit headers plus the daily-token headers and `Retry-After`
   * that real accounts send but the docs do not promise. `documented`: only the documented headers.
   */
  rateLimitHeaders?: RateLimitHeaderMode;
  knobs?: Partial<SandboxKnobs>;
  /** Webhook delivery (sandbox/webhooks.ts): `timeScale` multiplies retry delays, timeout and ban (default 1). */
  webhooks?: { timeScale?: number };
  /** An OAuth server for an installed app (sandbox/oauth.ts): /oauth/token, /oauth/revoke, Bearer access tokens. */
  oauth?: OAuthServerOptions;
  /** Called with every API request and the answer sent (not for dropped or truncated ones): contract tests. */
  onExchange?: (x: SandboxExchange) => void;
}

export interface SandboxExchange {
  method: string;
  /** The path as requested, without the query. */
  path: string;
  query: Record<string, string>;
  /** The request body as JSON (undefined when empty or not JSON). */
  requestBody: unknown;
  status: number;
  responseBody: unknown;
}

export interface WriteRecord {
  seq: number;
  /** Sandbox-clock time of the request (ISO). */
  at: string;
  method: string;
  path: string;
  entity: string;
  id: number | string | null;
  body: unknown;
  /** HTTP status sent, or 0 when the connection was dropped. */
  status: number;
  /** Whether the write changed the sandbox state (a dropped or malformed response may hide an applied write). */
  applied: boolean;
  fault?: 'server_error' | 'drop' | 'malformed';
}

export interface SandboxStats {
  requests: number;
  /** `${METHOD} ${route template} ${status}` → count (status 0 = dropped). */
  byRoute: Record<string, number>;
  rateLimited: { burst: number; daily: number; forced: number };
  tokensSpent: number;
  dailyTokensRemaining: number;
  faults: { serverErrors: number; dropped: number; malformed: number; slow: number };
}

export interface Sandbox {
  url: string;
  token: string;
  companyDomain: string;
  state: SandboxState;
  /** Webhook subscriptions and deliveries (sandbox/webhooks.ts). */
  webhooks: WebhookHub;
  setKnobs(k: Partial<SandboxKnobs>): void;
  knobs(): SandboxKnobs;
  writes(): WriteRecord[];
  clearWrites(): void;
  stats(): SandboxStats;
  /** Clears the burst window and the spent daily tokens. */
  resetRateLimits(): void;
  /** Sets the daily token budget (`tokensSpent()` of `stats()` makes the next request the first refused). */
  setDailyTokenBudget(tokens: number): void;
  revokeToken(): void;
  setToken(t: string): void;
  /** The OAuth server, when `oauth` was given. */
  oauth: SandboxOAuth | undefined;
  close(): Promise<void>;
}

const DEFAULT_KNOBS: SandboxKnobs = {
  latencyMs: 0, serverErrorRate: 0, dropRate: 0, malformedRate: 0, slowMs: 0, slowRate: 0, force429: 0, seed: 1, maxPageItems: 0,
};

const UNAUTHORIZED = { success: false, error: 'unauthorized access', errorCode: 401, error_info: ERROR_INFO };
const OVER_LIMIT = { success: false, error: 'Request over limit', errorCode: 429, error_info: ERROR_INFO };

const V2_ENTITIES: Record<string, Kind> = { deals: 'deal', persons: 'person', organizations: 'organization', activities: 'activity' };
const FIELD_ENTITIES: Record<string, Kind> = { deal: 'deal', person: 'person', organization: 'organization', activity: 'activity' };

interface Reply {
  status: number;
  body: unknown;
  /** For the write log: the id the write addressed or created. */
  id?: number | string | null;
  applied?: boolean;
}

interface Route {
  template: string;
  cost: number;
  entity?: string;
  handle(req: { query: URLSearchParams; body: unknown }): Reply;
}

function ok(data: unknown, additional?: unknown, status = 200): Reply {
  return { status, body: additional === undefined ? { success: true, data } : { success: true, data, additional_data: additional } };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function isLoopback(addr: string | undefined): boolean {
  return addr === '127.0.0.1' || addr === '::1' || addr === '::ffff:127.0.0.1';
}

/** The running server's state, passed to each handler (knobs, token, fault PRNG, write log and counters change). */
interface Runtime {
  opts: SandboxOptions;
  clock: () => Date;
  state: SandboxState;
  companyDomain: string;
  initialToken: string | null;
  token: string | null;
  webhooks: WebhookHub;
  headerMode: RateLimitHeaderMode;
  limiter: RateLimiter;
  knobs: SandboxKnobs;
  baseUrl: string;
  oauth: SandboxOAuth | undefined;
  prng: Prng;
  writeLog: WriteRecord[];
  seq: number;
  byRoute: Map<string, number>;
  stats: { requests: number; rateLimited: SandboxStats['rateLimited']; faults: SandboxStats['faults'] };
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const rt = createRuntime(opts);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox.local');
    readBody(req)
      .then((raw) =>
        url.pathname.startsWith('/_sandbox/')
          ? handleAdmin(rt, sandbox, req, res, url, raw)
          : url.pathname === '/oauth/token' || url.pathname === '/oauth/revoke'
            ? handleOAuth(rt, req, res, url, raw)
            : handleApi(rt, req, res, url, raw),
      )
      .catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          const status = err instanceof HttpError ? err.status : 500;
          send(res, status, errorEnvelope(err instanceof Error ? err.message : 'error'), {});
        }
      });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolveListen());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  rt.baseUrl = `http://${host}:${addr.port}`;
  const sandbox = sandboxHandle(rt, server);
  return sandbox;
}

function createRuntime(opts: SandboxOptions): Runtime {
  const clock = opts.now ?? (() => new Date());
  const dataset = opts.dataset ?? generateDataset({ seed: 1, now: clock(), scale: 'demo' });
  const state = new SandboxState(dataset, clock);
  const companyDomain = opts.companyDomain ?? 'demo-firm';
  const token: string | null = opts.apiToken ?? 'sandbox-token';
  const webhooks = new WebhookHub({
    companyId: state.companyId, meUserId: state.meUserId, companyDomain, clock,
    customFieldDefs: (kind) => state.customFieldDefs(kind), timeScale: opts.webhooks?.timeScale ?? 1,
  });
  state.webhookSink = webhooks;
  const headerMode = opts.rateLimitHeaders ?? 'observed';
  const limiter = new RateLimiter(
    opts.rateLimit?.burstLimit ?? 100,
    opts.rateLimit?.dailyTokenBudget ?? 30_000 * 5 * 10,
    undefined,
    headerMode,
    opts.rateLimit?.dailyWriteRequests,
  );
  const knobs: SandboxKnobs = { ...DEFAULT_KNOBS, ...opts.knobs };
  const rt: Runtime = {
    opts, clock, state, companyDomain, initialToken: token, token, webhooks, headerMode, limiter, knobs,
    baseUrl: '', oauth: undefined, prng: createPrng(knobs.seed), writeLog: [], seq: 0, byRoute: new Map(),
    stats: { requests: 0, rateLimited: { burst: 0, daily: 0, forced: 0 }, faults: { serverErrors: 0, dropped: 0, malformed: 0, slow: 0 } },
  };
  rt.oauth = opts.oauth ? new SandboxOAuth(opts.oauth, clock, () => rt.baseUrl) : undefined;
  return rt;
}

/** The handle tests and the CLI hold: knobs, write log, stats, token and rate-limit controls, close. */
function sandboxHandle(rt: Runtime, server: http.Server): Sandbox {
  const { limiter, webhooks } = rt;
  return {
    oauth: rt.oauth,
    url: rt.baseUrl,
    get token() {
      return rt.token ?? '';
    },
    companyDomain: rt.companyDomain,
    state: rt.state,
    webhooks,
    setKnobs(k) {
      const reseed = k.seed !== undefined && k.seed !== rt.knobs.seed;
      rt.knobs = { ...rt.knobs, ...k };
      if (reseed || k.seed !== undefined) rt.prng = createPrng(rt.knobs.seed);
    },
    knobs: () => ({ ...rt.knobs }),
    writes: () => rt.writeLog.map((w) => ({ ...w })),
    clearWrites() {
      rt.writeLog = [];
    },
    stats: () => ({
      requests: rt.stats.requests,
      byRoute: Object.fromEntries(rt.byRoute),
      rateLimited: { ...rt.stats.rateLimited },
      tokensSpent: limiter.tokensSpent,
      dailyTokensRemaining: limiter.dailyRemaining(),
      faults: { ...rt.stats.faults },
    }),
    resetRateLimits: () => limiter.reset(),
    setDailyTokenBudget(tokens) {
      limiter.dailyTokenBudget = tokens;
    },
    revokeToken() {
      rt.token = null;
    },
    setToken(t) {
      rt.token = t;
    },
    close: () =>
      new Promise<void>((resolveClose) => {
        webhooks.close();
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

function countRoute(rt: Runtime, method: string, template: string, status: number): void {
  const k = `${method} ${template} ${status}`;
  rt.byRoute.set(k, (rt.byRoute.get(k) ?? 0) + 1);
}

type Resolved = Route | { notFound: true } | { badMethod: true };

function resolve(rt: Runtime, method: string, pathname: string): Resolved {
  let rest: string;
  let version: 'v1' | 'v2';
  if (pathname.startsWith('/api/v2/')) {
    version = 'v2';
    rest = pathname.slice(8);
  } else if (pathname.startsWith('/api/v1/')) {
    version = 'v1';
    rest = pathname.slice(8);
  } else if (pathname.startsWith('/v1/')) {
    version = 'v1';
    rest = pathname.slice(4);
  } else return { notFound: true };
  rest = rest.replace(/\/+$/, '');
  if (version === 'v2') {
    const seg = rest.split('/');
    return resolveV2Records(rt, method, seg) ?? resolveV2Fields(rt, method, seg);
  }
  return resolveV1(rt, method, rest);
}

/** /api/v2/{deals,persons,organizations,activities}[/:id] and /api/v2/deals/archived; undefined for other paths. */
function resolveV2Records(rt: Runtime, method: string, seg: string[]): Resolved | undefined {
  const { state } = rt;
  const prefix = '/api/v2';
  const kind = V2_ENTITIES[seg[0] ?? ''];
  if (kind && seg.length === 1) {
    const t = `${prefix}/${seg[0]}`;
    if (method === 'GET') {
      return { template: t, cost: 10, handle: ({ query }) => {
        let q = query;
        const asked = query.get('limit') || '100';
        // Only a valid limit is capped: an invalid one still gets the API's 400.
        if (rt.knobs.maxPageItems > 0 && /^\d+$/.test(asked) && Number(asked) > rt.knobs.maxPageItems && Number(asked) <= 500) {
          q = new URLSearchParams(query);
          q.set('limit', String(rt.knobs.maxPageItems));
        }
        const r = state.listV2(kind, q);
        return ok(r.data, { next_cursor: r.nextCursor });
      } };
    }
    if (method === 'POST') {
      return { template: t, cost: 5, entity: kind, handle: ({ body }) => {
        const data = state.create(kind, body);
        return { ...ok(data), id: data.id as number, applied: true };
      } };
    }
    return { badMethod: true };
  }
  if (kind === 'deal' && seg.length === 2 && seg[1] === 'archived') {
    if (method === 'GET') {
      return { template: `${prefix}/deals/archived`, cost: 20, handle: ({ query }) => {
        const r = state.listV2('deal', query, { archived: true });
        return ok(r.data, { next_cursor: r.nextCursor });
      } };
    }
    return { badMethod: true };
  }
  if (kind && seg.length === 2 && /^\d+$/.test(seg[1]!)) {
    const id = Number(seg[1]);
    const t = `${prefix}/${seg[0]}/:id`;
    if (method === 'GET') return { template: t, cost: 1, handle: ({ query }) => ok(state.getV2(kind, id, query)) };
    if (method === 'PATCH') {
      return { template: t, cost: 5, entity: kind, handle: ({ body }) => ({ ...ok(state.update(kind, id, body)), id, applied: true }) };
    }
    if (method === 'DELETE') {
      return { template: t, cost: 3, entity: kind, handle: () => ({ ...ok(state.delete(kind, id)), id, applied: true }) };
    }
    return { badMethod: true };
  }
  return undefined;
}

/** /api/v2/{deal,person,organization,activity}Fields[/:field_code]. */
function resolveV2Fields(rt: Runtime, method: string, seg: string[]): Resolved {
  const { state } = rt;
  const prefix = '/api/v2';
  const fm = /^(deal|person|organization|activity)Fields$/.exec(seg[0] ?? '');
  const fkind = fm ? FIELD_ENTITIES[fm[1]!] : undefined;
  if (fkind && seg.length === 1) {
    const t = `${prefix}/${seg[0]}`;
    if (method === 'GET') {
      return { template: t, cost: 10, handle: ({ query }) => {
        const r = state.listFieldsV2(fkind, query);
        return ok(r.data, { next_cursor: r.nextCursor });
      } };
    }
    if (method === 'POST' && fkind !== 'activity') {
      return { template: t, cost: 5, entity: `${fkind}Field`, handle: ({ body }) => {
        const data = state.addField(fkind, body);
        return { ...ok(data), id: data.field_code as string, applied: true };
      } };
    }
    return { badMethod: true };
  }
  if (fkind && seg.length === 2) {
    if (method === 'GET') return { template: `${prefix}/${seg[0]}/:field_code`, cost: 1, handle: () => ok(state.getFieldV2(fkind, seg[1]!)) };
    return { badMethod: true };
  }
  return { notFound: true };
}

/** The v1 routes: users, activity types, webhooks and the v1 field lists. */
function resolveV1(rt: Runtime, method: string, rest: string): Resolved {
  const { state, webhooks } = rt;
  if (rest === 'users') {
    if (method === 'GET') return { template: '/v1/users', cost: 20, handle: () => ok(state.usersV1()) };
    return { badMethod: true };
  }
  if (rest === 'users/me') {
    if (method === 'GET') return { template: '/v1/users/me', cost: 2, handle: () => ok(state.meV1(rt.companyDomain)) };
    return { badMethod: true };
  }
  if (rest === 'activityTypes') {
    if (method === 'GET') return { template: '/v1/activityTypes', cost: 20, handle: () => ok(state.activityTypesV1()) };
    if (method === 'POST') {
      return { template: '/v1/activityTypes', cost: 10, entity: 'activityType', handle: ({ body }) => {
        const data = state.addActivityType(body);
        return { ...ok(data), id: data.id as number, applied: true };
      } };
    }
    return { badMethod: true };
  }
  if (rest === 'webhooks') {
    if (method === 'GET') return { template: '/v1/webhooks', cost: 10, handle: () => ok(webhooks.list()) };
    if (method === 'POST') {
      return { template: '/v1/webhooks', cost: 10, entity: 'webhook', handle: ({ body }) => {
        const data = webhooks.create(body);
        return { ...ok(data, undefined, 201), id: data.id, applied: true };
      } };
    }
    return { badMethod: true };
  }
  if (/^webhooks\/\d+$/.test(rest)) {
    const id = Number(rest.slice('webhooks/'.length));
    if (method === 'DELETE') return { template: '/v1/webhooks/:id', cost: 6, entity: 'webhook', handle: () => ({ ...ok(null), id, applied: (webhooks.delete(id), true) }) };
    return { badMethod: true };
  }
  const fm = /^(deal|person|organization|activity)Fields$/.exec(rest);
  if (fm) {
    const fkind = FIELD_ENTITIES[fm[1]!]!;
    if (method === 'GET') {
      return { template: `/v1/${rest}`, cost: 20, handle: ({ query }) => {
        const r = state.listFieldsV1(fkind, query);
        return ok(r.data, { pagination: r.pagination });
      } };
    }
    return { badMethod: true };
  }
  return { notFound: true };
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string>, truncate = false): void {
  let text = JSON.stringify(body);
  if (truncate) text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 10 * 1024 * 1024) throw new HttpError(413, 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string, contentType: string | undefined, allowForm: boolean): unknown {
  if (text === '') return undefined;
  if (allowForm && contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'Validation failed: body: invalid JSON');
  }
}

/** One API request being answered: what the write log, the route counters and `onExchange` record of it. */
interface ApiExchange {
  req: http.IncomingMessage;
  method: string;
  url: URL;
  rawBody: string;
  route: Resolved;
  template: string;
  isWrite: boolean;
  /** The parsed body once parsed (the raw text before), for the write log. */
  body: unknown;
}

/** Fault decisions, drawn up front so the sequence depends only on the request order. */
interface FaultDraw {
  server: number;
  drop: number;
  dropAfter: number;
  malformed: number;
  slow: number;
}

function logWrite(rt: Runtime, x: ApiExchange, status: number, extra: Partial<WriteRecord> = {}): void {
  if (!x.isWrite) return;
  rt.writeLog.push({
    seq: ++rt.seq, at: rt.clock().toISOString(), method: x.method, path: x.url.pathname + x.url.search,
    entity: 'template' in x.route ? (x.route.entity ?? 'unknown') : 'unknown', id: null, body: x.body, status, applied: false, ...extra,
  });
}

function reply(rt: Runtime, res: http.ServerResponse, x: ApiExchange, status: number, payload: unknown, headers: Record<string, string>, extra: Partial<WriteRecord> = {}, truncate = false): void {
  countRoute(rt, x.method, x.template, status);
  logWrite(rt, x, status, extra);
  send(res, status, payload, headers, truncate);
  if (rt.opts.onExchange && !truncate) {
    let requestBody: unknown;
    try {
      requestBody = x.rawBody === '' ? undefined : (JSON.parse(x.rawBody) as unknown);
    } catch {
      requestBody = undefined;
    }
    rt.opts.onExchange({ method: x.method, path: x.url.pathname, query: Object.fromEntries(x.url.searchParams), requestBody, status, responseBody: payload });
  }
}

function dropConnection(rt: Runtime, x: ApiExchange, extra: Partial<WriteRecord>): void {
  rt.stats.faults.dropped++;
  countRoute(rt, x.method, x.template, 0);
  logWrite(rt, x, 0, { ...extra, fault: 'drop' });
  x.req.socket.destroy();
}

async function handleApi(rt: Runtime, req: http.IncomingMessage, res: http.ServerResponse, url: URL, rawBody: string): Promise<void> {
  const method = req.method ?? 'GET';
  const p = rt.prng;
  const faults: FaultDraw = { server: p.next(), drop: p.next(), dropAfter: p.next(), malformed: p.next(), slow: p.next() };
  const route = resolve(rt, method, url.pathname);
  const x: ApiExchange = {
    req, method, url, rawBody, route, body: rawBody,
    template: 'template' in route ? route.template : url.pathname,
    isWrite: method === 'POST' || method === 'PATCH' || method === 'DELETE' || method === 'PUT',
  };
  rt.stats.requests++;

  let delay = rt.knobs.latencyMs;
  if (rt.knobs.slowRate > 0 && faults.slow < rt.knobs.slowRate) {
    delay += rt.knobs.slowMs;
    rt.stats.faults.slow++;
  }
  if (delay > 0) await sleep(delay);

  const headers = admit(rt, res, x);
  if (headers === null) return;
  const { knobs } = rt;
  if (knobs.serverErrorRate > 0 && faults.server < knobs.serverErrorRate) {
    rt.stats.faults.serverErrors++;
    const status = faults.server < knobs.serverErrorRate / 2 ? 503 : 500;
    const msg = status === 503 ? 'Service temporarily unavailable' : 'Internal server error';
    reply(rt, res, x, status, { success: false, error: msg, errorCode: status, error_info: ERROR_INFO }, headers, { fault: 'server_error' });
    return;
  }
  const drop = knobs.dropRate > 0 && faults.drop < knobs.dropRate;
  const dropAfter = drop && x.isWrite && faults.dropAfter < 0.5;
  if (drop && !dropAfter) return dropConnection(rt, x, {});

  const result = runRoute(x);
  const extra: Partial<WriteRecord> = { id: result.id ?? null, applied: result.applied ?? false };
  if (dropAfter) return dropConnection(rt, x, extra);
  const malformed = result.status < 300 && knobs.malformedRate > 0 && faults.malformed < knobs.malformedRate;
  if (malformed) {
    rt.stats.faults.malformed++;
    reply(rt, res, x, 200, result.body, headers, { ...extra, fault: 'malformed' }, true);
    return;
  }
  reply(rt, res, x, result.status, result.body, headers, extra);
}

/**
 * Authentication, forced 429s and the rate limiter: the headers of an admitted request, or null once a
 * 401 or 429 has been sent.
 */
function admit(rt: Runtime, res: http.ServerResponse, x: ApiExchange): Record<string, string> | null {
  const { req } = x;
  const { limiter } = rt;
  const apiKey = req.headers['x-api-token'];
  const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const presented = typeof apiKey === 'string' ? apiKey : bearer;
  const oauthOk = typeof apiKey !== 'string' && bearer !== undefined && rt.oauth?.acceptsAccessToken(bearer) === true;
  if (!oauthOk && (rt.token === null || presented !== rt.token)) {
    reply(rt, res, x, 401, UNAUTHORIZED, { ...limiter.headers(), 'x-401-by-gw': 'true' });
    return null;
  }
  // `x-daily-requests-left` (documented): API-token requests only, the POST/PUT requests left today.
  const writesLeft = (): Record<string, string> => (typeof apiKey === 'string' ? { 'x-daily-requests-left': String(limiter.dailyRequestsLeft()) } : {});
  const retryAfter = (sec: number): Record<string, string> => (rt.headerMode === 'observed' ? { 'retry-after': String(sec) } : {});
  if (rt.knobs.force429 > 0) {
    rt.knobs = { ...rt.knobs, force429: rt.knobs.force429 - 1 };
    rt.stats.rateLimited.forced++;
    reply(rt, res, x, 429, OVER_LIMIT, { ...limiter.headers(0), 'x-ratelimit-reset': '2', ...retryAfter(2), ...writesLeft() });
    return null;
  }
  const cost = 'template' in x.route ? x.route.cost : 0;
  const admission = limiter.admit(cost, x.isWrite && 'template' in x.route);
  if (!admission.ok) {
    rt.stats.rateLimited[admission.reason]++;
    const headers: Record<string, string> = { ...admission.headers, ...retryAfter(admission.retryAfterSec), ...writesLeft() };
    if (admission.reason === 'burst') headers['x-ratelimit-reset'] = String(admission.retryAfterSec);
    reply(rt, res, x, 429, OVER_LIMIT, headers);
    return null;
  }
  return { ...admission.headers, ...writesLeft() };
}

/** The route's answer, or the API's error envelope (404, 405, 400 for a bad body, 500 for a handler bug). */
function runRoute(x: ApiExchange): Reply {
  const { route, method, url } = x;
  try {
    if ('notFound' in route) throw new HttpError(404, `Unknown method ${method} ${url.pathname}`);
    if ('badMethod' in route) throw new HttpError(405, `Incorrect request method ${method} for ${url.pathname}`);
    x.body = parseBody(x.rawBody, x.req.headers['content-type'], url.pathname.endsWith('activityTypes'));
    return route.handle({ query: url.searchParams, body: x.body });
  } catch (err) {
    if (err instanceof HttpError) return { status: err.status, body: errorEnvelope(err.message) };
    console.error('[sandbox] handler error', err);
    return { status: 500, body: { success: false, error: 'Internal server error', errorCode: 500, error_info: ERROR_INFO } };
  }
}

function handleAdmin(rt: Runtime, sandbox: Sandbox, req: http.IncomingMessage, res: http.ServerResponse, url: URL, rawBody: string): void {
  const { state, webhooks } = rt;
  const j = (status: number, data: unknown): void => send(res, status, { success: status < 300, data }, {});
  if (!isLoopback(req.socket.remoteAddress)) {
    j(403, 'the admin surface is loopback-only');
    return;
  }
  const method = req.method ?? 'GET';
  const path = url.pathname.slice('/_sandbox'.length);
  let body: Record<string, unknown> = {};
  try {
    body = rawBody ? (JSON.parse(rawBody) as Record<string, unknown>) : {};
  } catch {
    j(400, 'invalid JSON');
    return;
  }
  try {
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/writes') return j(200, rt.writeLog);
    if (method === 'POST' && path === '/clear-writes') return j(200, (sandbox.clearWrites(), null));
    if (method === 'GET' && path === '/stats') return j(200, sandbox.stats());
    if (method === 'GET' && path === '/knobs') return j(200, rt.knobs);
    if (method === 'POST' && path === '/knobs') return j(200, (sandbox.setKnobs(body as Partial<SandboxKnobs>), rt.knobs));
    if (method === 'POST' && path === '/revoke-token') return j(200, (sandbox.revokeToken(), null));
    if (method === 'POST' && path === '/token') return j(200, (sandbox.setToken(String(body.token ?? rt.initialToken)), null));
    if (method === 'POST' && path === '/reset-rate-limits') return j(200, (sandbox.resetRateLimits(), null));
    if (method === 'GET' && path === '/counts') return j(200, state.counts());
    if (method === 'GET' && path === '/webhook-deliveries') return j(200, webhooks.deliveries());
    if (method === 'POST' && (m = /^\/activities\/(\d+)\/done$/.exec(path))) return j(200, (state.markActivityDone(Number(m[1])), null));
    if (method === 'POST' && (m = /^\/users\/(\d+)\/deactivate$/.exec(path))) return j(200, (state.deactivateUser(Number(m[1])), null));
    if (method === 'POST' && path === '/upsert') {
      const kind = body.kind as Kind;
      return j(200, state.upsert(kind, body.record as Record<string, unknown>, { bumpUpdateTime: body.bumpUpdateTime !== false }));
    }
    if (method === 'POST' && path === '/remove') {
      return j(200, (state.remove(body.kind as Kind, Number(body.id), { bumpUpdateTime: body.bumpUpdateTime !== false }), null));
    }
    if (method === 'POST' && path === '/merge-organizations') {
      return j(200, (state.mergeOrganizations(Number(body.fromId), Number(body.toId)), null));
    }
    if (method === 'GET' && (m = /^\/entity\/(organization|person|deal|activity)\/(\d+)$/.exec(path))) {
      const r = state.get(m[1] as Kind, Number(m[2]));
      return r ? j(200, r) : j(404, null);
    }
    j(404, `unknown admin route ${method} ${path}`);
  } catch (err) {
    j(400, err instanceof Error ? err.message : String(err));
  }
}

function handleOAuth(rt: Runtime, req: http.IncomingMessage, res: http.ServerResponse, url: URL, raw: string): void {
  const { oauth } = rt;
  if (!oauth || req.method !== 'POST') return send(res, 404, { error: 'not_found' }, {});
  const form = new URLSearchParams(raw);
  const r = url.pathname === '/oauth/token' ? oauth.token(req.headers.authorization, form) : oauth.revoke(req.headers.authorization, form);
  send(res, r.status, r.body, {});
}
