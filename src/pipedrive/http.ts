/**
 * The one axios instance every SDK call goes through (DEPENDENCIES.md §4: `…ApiFactory(config, undefined,
 * ourAxios)`). Its adapter wraps axios' own HTTP adapter with the whole request policy, so no call can
 * bypass it: pacing and bounded concurrency (throttle.ts), a timeout, JSON parsing we control (a truncated
 * body is a retryable failure, not a silently returned string), p-retry driven by the pure `decideRetry`,
 * typed errors that say what to fix, debug logging without secrets, and counters.
 */
import axios, { AxiosError, type AxiosAdapter, type AxiosInstance, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import pRetry from 'p-retry';
import type { Logger } from '../log/logger.js';
import {
  AmbiguousWriteError,
  DailyBudgetExhaustedError,
  MalformedResponseError,
  PipedriveAuthError,
  PipedriveError,
  PipedriveForbiddenError,
  PipedriveNetworkError,
  PipedriveNotFoundError,
  PipedriveRateLimitError,
  PipedriveRequestError,
  PipedriveServerError,
  type RequestInfo,
} from './errors.js';
import { decideRetry, DEFAULT_RETRY_POLICY, toAttemptOutcome, type RetryDecision, type RetryPolicy } from './decide-retry.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { headerValue, parseRateLimitHeaders } from './rate-limit-headers.js';
import { Throttle } from './throttle.js';
import { requestCost } from './token-costs.js';

export interface HttpOptions {
  timeoutMs: number;
  concurrency: number;
  logger: Logger;
  /** `oauth` changes the 401 message: the fix is a token refresh, not a new API token. */
  authKind: 'api-token' | 'oauth';
  retry?: Partial<RetryPolicy>;
  clock?: Pick<Clock, 'now'>;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  userAgent?: string;
  /**
   * OAuth: called once per request when it is answered 401, with the Authorization header it carried;
   * returns the new header value after a token refresh (the request is then sent again), or null. A refused
   * refresh throws (PipedriveAuthError).
   */
  onUnauthorized?: (rejectedAuthorization: string | undefined) => Promise<string | null>;
}

/** The rate-limit figures the client last saw (both limits are tracked separately). */
export interface BudgetSnapshot {
  burstLimit?: number;
  burstRemaining?: number;
  burstResetSeconds?: number;
  dailyLimit?: number;
  dailyRemaining?: number;
  /** POST/PUT requests the API token may still send today (`x-daily-requests-left`). */
  dailyRequestsLeft?: number;
  /** ISO time of the response these figures came from. */
  observedAt?: string;
}

export interface HttpStats {
  /** Requests sent (every attempt counts). */
  requests: number;
  /** Responses by HTTP status; failures without a response under their error code (`ECONNRESET`, `timeout`). */
  byStatus: Record<string, number>;
  retries: number;
  retriesByKind: Record<string, number>;
  /** 429 responses received. */
  rateLimited: number;
  /** Estimated tokens spent (PIPEDRIVE.md §6.3), for every request that was not rejected with 429. */
  tokensSpent: number;
  /** Time spent waiting for pacing and retries. */
  waitedMs: number;
  lastRateLimit: BudgetSnapshot;
}

export interface PipedriveHttp {
  axios: AxiosInstance;
  stats(): HttpStats;
  budget(): BudgetSnapshot;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function pathOf(config: InternalAxiosRequestConfig): string {
  try {
    return new URL(config.url ?? '', config.baseURL || 'http://x').pathname;
  } catch {
    return (config.url ?? '').split('?')[0] ?? '';
  }
}

/** A 2xx whose body we could not read: thrown inside the attempt so decideRetry sees it. */
class MalformedBody extends Error {
  override name = 'MalformedBody';
  readonly malformedBody = true;
  constructor(readonly config: InternalAxiosRequestConfig, readonly status: number, readonly headers: unknown, detail: string) {
    super(detail);
  }
}

function providerMessageOf(data: unknown): string | undefined {
  let body = data;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof body === 'object' && body !== null) {
    const err = (body as { error?: unknown }).error;
    if (typeof err === 'string') return err.slice(0, 300);
  }
  return undefined;
}

/** What every request of one client reads and updates: its options, clock, throttle and counters. */
interface HttpRuntime {
  options: HttpOptions;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  policy: RetryPolicy;
  log: HttpOptions['logger'];
  throttle: Throttle;
  stats: HttpStats;
  inner: AxiosAdapter;
}

export function createPipedriveHttp(options: HttpOptions): PipedriveHttp {
  const clock = options.clock ?? systemClock();
  const now = (): number => clock.now();
  const sleep = options.sleep ?? realSleep;
  const rt: HttpRuntime = {
    options,
    now,
    sleep,
    random: options.random ?? Math.random,
    policy: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    log: options.logger,
    throttle: new Throttle({ concurrency: options.concurrency, now, sleep }),
    stats: { requests: 0, byStatus: {}, retries: 0, retriesByKind: {}, rateLimited: 0, tokensSpent: 0, waitedMs: 0, lastRateLimit: {} },
    inner: axios.getAdapter(axios.defaults.adapter),
  };
  const adapter: AxiosAdapter = (config) => sendRequest(rt, config);
  const instance = axios.create({
    adapter,
    timeout: options.timeoutMs,
    // We parse JSON ourselves (below) so that a truncated body is an error we can retry.
    responseType: 'text',
    transitional: { silentJSONParsing: true, forcedJSONParsing: false, clarifyTimeoutError: true },
    headers: { 'User-Agent': options.userAgent ?? 'pipedrive-cadence/0.1' },
  });
  // The SDK's factories are typed as returning the body: unwrap like its own instances do.
  instance.interceptors.response.use((r) => r.data as never);

  return {
    axios: instance,
    stats: () => structuredClone(rt.stats),
    budget: () => ({ ...rt.stats.lastRateLimit }),
  };
}

function bump(stats: HttpStats, key: string): void {
  stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
}

/** The rate-limit headers of an answer: to the throttle, into the last figures seen, and the cost counted. */
function observe(rt: HttpRuntime, headers: unknown, method: string, path: string, status: number): void {
  const { stats } = rt;
  const at = rt.now();
  const rl = parseRateLimitHeaders(headers as never, at);
  rt.throttle.observe(rl, at);
  // Keep the last value of each figure: the daily headers may be missing on some responses (§6.5).
  const last = stats.lastRateLimit;
  if (rl.burstLimit !== undefined) last.burstLimit = rl.burstLimit;
  if (rl.burstRemaining !== undefined) last.burstRemaining = rl.burstRemaining;
  if (rl.burstResetSeconds !== undefined) last.burstResetSeconds = rl.burstResetSeconds;
  if (rl.dailyLimit !== undefined) last.dailyLimit = rl.dailyLimit;
  if (rl.dailyRemaining !== undefined) last.dailyRemaining = rl.dailyRemaining;
  if (rl.dailyRequestsLeft !== undefined) last.dailyRequestsLeft = rl.dailyRequestsLeft;
  last.observedAt = new Date(at).toISOString();
  if (status === 429) stats.rateLimited += 1;
  else stats.tokensSpent += requestCost(method, path);
}

/** One attempt: through the throttle, counted and logged, its body parsed as JSON (a bad body is retryable). */
async function attemptOnce(rt: HttpRuntime, config: InternalAxiosRequestConfig, method: string, path: string): Promise<AxiosResponse> {
  const { now, log, stats } = rt;
  const release = await rt.throttle.acquire();
  const started = now();
  let response: AxiosResponse;
  stats.requests += 1;
  try {
    response = await rt.inner(config);
  } catch (err) {
    const e = err as AxiosError;
    const status = e.response?.status;
    if (status !== undefined) observe(rt, e.response?.headers, method, path, status);
    bump(stats, status !== undefined ? String(status) : (e.code ?? 'network'));
    log.debug({ method, path, status: status ?? e.code ?? 'error', ms: now() - started }, 'pipedrive request failed');
    throw err;
  } finally {
    release();
  }
  observe(rt, response.headers, method, path, response.status);
  bump(stats, String(response.status));
  log.debug({ method, path, status: response.status, ms: now() - started }, 'pipedrive request');
  const data: unknown = response.data;
  let parsed: unknown = data;
  if (typeof data === 'string') {
    if (data === '' && method !== 'GET') parsed = null;
    else {
      try {
        parsed = JSON.parse(data);
      } catch {
        throw new MalformedBody(config, response.status, response.headers, `body is not valid JSON (${data.length} bytes, starts ${JSON.stringify(data.slice(0, 40))})`);
      }
    }
  }
  if (method === 'GET' && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))) {
    throw new MalformedBody(config, response.status, response.headers, 'body is not a JSON object envelope');
  }
  response.data = parsed;
  return response;
}

/** The retry decision on the last failed attempt, read by the caller once the retries end. */
interface DecisionHolder {
  last: RetryDecision | undefined;
}

/** The attempts of one request under the retry policy; waits are counted, a burst 429 pauses every request. */
function withRetries(rt: HttpRuntime, config: InternalAxiosRequestConfig, method: string, path: string, decision: DecisionHolder): Promise<AxiosResponse> {
  const { policy, stats, log } = rt;
  return pRetry(() => attemptOnce(rt, config, method, path), {
    retries: Math.max(0, policy.maxAttempts - 1),
    minTimeout: 0,
    factor: 1,
    randomize: false,
    onFailedAttempt: async ({ error, attemptNumber }) => {
      const at = rt.now();
      const d = decideRetry(error, attemptNumber, { policy, nowMs: at, random: rt.random });
      decision.last = d;
      if (!d.retry) return;
      stats.retries += 1;
      stats.retriesByKind[d.kind] = (stats.retriesByKind[d.kind] ?? 0) + 1;
      stats.waitedMs += d.waitMs;
      log.warn({ method, path, attempt: attemptNumber, waitMs: d.waitMs, reason: d.reason }, 'pipedrive request retried');
      // A burst 429 pauses every request, not just this one; the next attempt waits in acquire().
      if (d.kind === 'rate-limit') rt.throttle.pause(d.waitMs, at);
      else await rt.sleep(d.waitMs);
    },
    shouldRetry: () => decision.last?.retry === true,
  });
}

/** A request with its retries; under OAuth a 401 refreshes the token once and sends again. Errors become ours. */
async function sendRequest(rt: HttpRuntime, config: InternalAxiosRequestConfig): Promise<AxiosResponse> {
  const { options, log } = rt;
  const method = (config.method ?? 'get').toUpperCase();
  const path = pathOf(config);
  const decision: DecisionHolder = { last: undefined };
  let refreshed = false;
  for (;;) {
    try {
      return await withRetries(rt, config, method, path, decision);
    } catch (err) {
      const lastDecision = decision.last;
      // OAuth: a 401 means the access token expired or was revoked: refresh once and send again.
      if (options.onUnauthorized && !refreshed && lastDecision?.retry === false && lastDecision.kind === 'auth') {
        refreshed = true;
        const rejected = headerValue(config.headers as never, 'authorization');
        const next = await options.onUnauthorized(rejected);
        if (next !== null) {
          config.headers.set('Authorization', next);
          decision.last = undefined;
          log.info({ method, path }, 'pipedrive request answered 401: OAuth token refreshed, sending again');
          continue;
        }
      }
      throw toPipedriveError(err, lastDecision, { method, path, nowMs: rt.now() }, options.authKind);
    }
  }
}

/**
 * The cause kept on our errors: the original's name, message and code only. An AxiosError carries the
 * request config, whose headers hold the API token; it must not ride along into logs (STYLE.md habit 9).
 */
export function sanitizeCause(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  const clean = new Error(err.message);
  clean.name = err.name;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') (clean as Error & { code?: string }).code = code;
  return clean;
}

/** What showed the daily budget spent: the token headers when Pipedrive sent them, else the documented signal. */
function dailyEvidence(rl: ReturnType<typeof parseRateLimitHeaders>, decision: RetryDecision | undefined): string {
  if (rl.dailyRemaining !== undefined) return `${rl.dailyRemaining} of ${rl.dailyLimit ?? '?'} tokens left`;
  if (rl.dailyRequestsLeft === 0) return 'x-daily-requests-left: 0';
  if (rl.burstRemaining !== undefined && rl.burstRemaining > 0) return `429 again while the 2-s window had ${rl.burstRemaining} requests left`;
  if (rl.retryAfterMs !== undefined) return `asked to wait ${Math.round(rl.retryAfterMs / 1000)} s`;
  return decision && !decision.retry ? 'repeated 429 after waiting out the 2-s window' : '429';
}

const FIX: Record<string, string> = {
  'api-token': 'the API token was rejected: check PIPEDRIVE_API_TOKEN',
  oauth: 'the OAuth access token was rejected: refresh it or check PIPEDRIVE_OAUTH_ACCESS_TOKEN',
};

/** Maps the final failure of a request onto one error class per intent, without headers or secrets. */
export function toPipedriveError(err: unknown, decision: RetryDecision | undefined, base: { method: string; path: string; nowMs: number }, authKind: 'api-token' | 'oauth'): Error {
  if (err instanceof PipedriveError) return err;
  const outcome = toAttemptOutcome(err);
  const status = outcome.status ?? (err instanceof MalformedBody ? err.status : undefined);
  const data = err instanceof AxiosError ? err.response?.data : undefined;
  const providerMessage = providerMessageOf(data);
  const info: RequestInfo = { ...base, ...(status !== undefined ? { status } : {}), ...(providerMessage ? { providerMessage } : {}) };
  const where = `${base.method} ${base.path}`;
  const said = providerMessage ? ` (Pipedrive said: "${providerMessage}")` : '';
  const kind = decision?.retry === false ? decision.kind : 'not-retryable';
  const cause = { cause: sanitizeCause(err) };

  switch (kind) {
    case 'auth':
      return new PipedriveAuthError(`${FIX[authKind]} (401 on ${where})`, info, cause);
    case 'cloudflare':
      return new PipedriveForbiddenError(
        `Pipedrive's Cloudflare protection blocked this token with an HTML 403 (${where}), usually after requests kept coming despite 429s: stop every integration using this token, wait, and run again later`,
        info,
        true,
        cause,
      );
    case 'forbidden':
      return new PipedriveForbiddenError(`403 forbidden on ${where}${said}: the token's user lacks permission for this, or an account limit was reached`, info, false, cause);
    case 'account':
      return new PipedriveRequestError(`402 on ${where}: the Pipedrive company account is not open (trial expired or payment due)${said}`, info, cause);
    case 'not-found':
      return new PipedriveNotFoundError(`${status} on ${where}: not found or not visible to this token${said}`, info, cause);
    case 'invalid-request':
      return new PipedriveRequestError(`${status} on ${where}: Pipedrive rejected the request${said}`, info, cause);
    case 'daily-budget': {
      const rl = parseRateLimitHeaders(outcome.headers, base.nowMs);
      return new DailyBudgetExhaustedError(
        `the company's daily Pipedrive API token budget is spent (${dailyEvidence(rl, decision)}, on ${where}): the run stopped early and kept its checkpoint; it resumes after the budget resets at midnight (Pipedrive server time)`,
        info,
        { ...(rl.dailyLimit !== undefined ? { dailyLimit: rl.dailyLimit } : {}), ...(rl.dailyRemaining !== undefined ? { dailyRemaining: rl.dailyRemaining } : {}) },
        cause,
      );
    }
    case 'ambiguous-write':
      return new AmbiguousWriteError(
        `${where}: ${status !== undefined ? `${status}` : (outcome.code ?? 'connection lost')} on a create: Pipedrive may or may not have created the record; reconcile (look for its provenance key) before creating it again`,
        info,
        cause,
      );
    default:
      break;
  }
  if (err instanceof MalformedBody) return new MalformedResponseError(`${where}: ${err.message} after ${decision ? 'every retry' : 'one attempt'}`, info, cause);
  if (status === 429) return new PipedriveRateLimitError(`${where}: still rate limited (429) after every retry: lower CADENCE_CONCURRENCY or run later`, info, cause);
  if (status !== undefined && status >= 500) return new PipedriveServerError(`${where}: Pipedrive answered ${status} on every attempt${said}: it may be down or in maintenance; run again later`, info, cause);
  if (status === undefined) {
    const code = outcome.code ?? (err instanceof Error ? err.message : 'network error');
    return new PipedriveNetworkError(`${where}: ${code} on every attempt: check the network and PIPEDRIVE_BASE_URL / CADENCE_REQUEST_TIMEOUT_MS`, info, outcome.code, cause);
  }
  return new PipedriveError(`${where}: ${status}${said}`, info, cause);
}
