/**
 * Retry is a decision, then an action (STYLE.md habit 1). `decideRetry` is pure: it looks at one failed
 * attempt (an AxiosError, a response, or our own malformed-body error) and says whether to try again, how
 * long to wait and why. The HTTP layer (http.ts) does the sleeping and counting.
 *
 * Policy (PIPEDRIVE.md §6.6, §7, §11.9–11.11):
 * - 429 burst: wait Retry-After, else x-ratelimit-reset, else backoff; then retry (any method: a 429 was
 *   not acted on).
 * - 429 daily budget: stop. Recognized from the documented signals (the rate-limiting page: once the budget
 *   is spent "all further API requests will be rejected with a 429 … until the budget resets"): a 429 again
 *   after waiting out the 2-s window while the window has room (`x-ratelimit-remaining` > 0) or while
 *   nothing says the window is full (no `x-ratelimit-remaining`); `x-daily-requests-left: 0` on a write.
 *   The undocumented headers decide sooner when present: `x-daily-ratelimit-token-remaining` below the
 *   request's cost, a `Retry-After` of more than five minutes.
 * - 5xx, timeouts, dropped connections, truncated/malformed JSON: retry GET/PATCH/PUT/DELETE with jittered,
 *   capped exponential backoff. A POST is not retried when the server may have acted (no idempotency keys):
 *   the caller gets an AmbiguousWriteError and reconciles.
 * - 400/401/402/403/404/405/410/415/422: never retried.
 */
import { headerValue, parseRateLimitHeaders, type HeaderBag } from './rate-limit-headers.js';
import { requestCost } from './token-costs.js';

export type StopKind =
  | 'auth'
  | 'forbidden'
  | 'cloudflare'
  | 'not-found'
  | 'invalid-request'
  | 'account'
  | 'daily-budget'
  | 'ambiguous-write'
  | 'gave-up'
  | 'not-retryable';

export type RetryKind = 'rate-limit' | 'server-error' | 'network' | 'malformed-body';

export type RetryDecision =
  | { retry: true; waitMs: number; reason: string; kind: RetryKind }
  | { retry: false; reason: string; kind: StopKind };

export interface RetryPolicy {
  /** Total attempts including the first (default 6). */
  maxAttempts: number;
  /** First backoff step (default 500 ms), doubled per attempt. */
  baseDelayMs: number;
  /** Cap of one backoff wait (default 30 s). */
  maxDelayMs: number;
  /** A server-requested wait longer than this is taken as "the daily budget is spent" (default 5 min). */
  maxServerWaitMs: number;
  /** Margin added to server-given waits, so we arrive after the window has reset (default 250 ms). */
  serverWaitMarginMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxServerWaitMs: 5 * 60_000,
  serverWaitMarginMs: 250,
};

/** What one attempt produced, reduced to the facts the decision needs. */
export interface AttemptOutcome {
  method: string;
  path: string;
  status?: number;
  headers?: HeaderBag;
  /** Node/axios error code for failures without a response (ECONNRESET, ECONNABORTED, ETIMEDOUT…). */
  code?: string;
  message?: string;
  /** A 2xx whose body was not parseable JSON (truncated, HTML, empty). */
  malformedBody?: boolean;
  /** The body was HTML (Cloudflare's 403 page). */
  htmlBody?: boolean;
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'ECONNREFUSED',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
  'ERR_BAD_RESPONSE',
]);
/** Codes where the request never reached the server, so even a POST is safe to resend. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'DELETE']);
/** Requests `x-daily-requests-left` counts (POST/PUT; v2 updates are PATCH). */
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

function pathOf(url: unknown, baseURL: unknown): string {
  const raw = typeof url === 'string' ? url : '';
  try {
    return new URL(raw, typeof baseURL === 'string' && baseURL !== '' ? baseURL : 'http://x').pathname;
  } catch {
    return raw.split('?')[0] ?? raw;
  }
}

/** Normalizes an AxiosError, an AxiosResponse or an AttemptOutcome into an AttemptOutcome. */
export function toAttemptOutcome(x: unknown): AttemptOutcome {
  if (isObject(x) && typeof x.method === 'string' && typeof x.path === 'string' && !('config' in x)) {
    return x as unknown as AttemptOutcome;
  }
  const obj = isObject(x) ? x : {};
  const config = isObject(obj.config) ? obj.config : {};
  const response = isObject(obj.response) ? obj.response : 'status' in obj && 'headers' in obj ? obj : undefined;
  const out: AttemptOutcome = {
    method: String(config.method ?? 'GET').toUpperCase(),
    path: pathOf(config.url, config.baseURL),
  };
  if (response && typeof response.status === 'number') {
    out.status = response.status;
    out.headers = response.headers as HeaderBag;
    const ct = headerValue(out.headers, 'content-type') ?? '';
    const data = response.data;
    if (/text\/html/i.test(ct) || (typeof data === 'string' && /^\s*<(!doctype|html)/i.test(data))) out.htmlBody = true;
  }
  if (typeof obj.code === 'string') out.code = obj.code;
  if (typeof obj.message === 'string') out.message = obj.message;
  if (obj.malformedBody === true) out.malformedBody = true;
  return out;
}

/** Capped exponential backoff with jitter in [50 %, 100 %] of the step, so replicas do not retry in lockstep. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step * (0.5 + 0.5 * random()));
}

export interface DecideRetryOptions {
  policy?: Partial<RetryPolicy>;
  /** The instant of the decision (epoch ms), from the caller's clock. */
  nowMs: number;
  random?: () => number;
}

/**
 * @param errorOrResponse the failed attempt: AxiosError, AxiosResponse (e.g. a 2xx with a malformed body) or AttemptOutcome
 * @param attempt 1 for the first attempt
 */
export function decideRetry(errorOrResponse: unknown, attempt: number, options: DecideRetryOptions): RetryDecision {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const random = options.random ?? Math.random;
  const { nowMs } = options;
  const o = toAttemptOutcome(errorOrResponse);
  const idempotent = IDEMPOTENT.has(o.method);
  const where = `${o.method} ${o.path}`;
  const exhausted = attempt >= policy.maxAttempts;
  const backoff = () => backoffMs(attempt, policy, random);

  if (o.status === 429) {
    const rl = parseRateLimitHeaders(o.headers, nowMs);
    const cost = requestCost(o.method, o.path);
    if (rl.dailyRemaining !== undefined && rl.dailyRemaining < cost) {
      return { retry: false, kind: 'daily-budget', reason: `${where}: 429 with the daily token budget spent (${rl.dailyRemaining} of ${rl.dailyLimit ?? '?'} tokens left)` };
    }
    const serverWait = rl.retryAfterMs ?? (rl.burstResetSeconds !== undefined ? rl.burstResetSeconds * 1000 : undefined);
    if (serverWait !== undefined && serverWait > policy.maxServerWaitMs) {
      return { retry: false, kind: 'daily-budget', reason: `${where}: 429 asking to wait ${Math.round(serverWait / 1000)} s: that is the daily budget, not the burst window` };
    }
    // x-daily-requests-left (documented): the API token's POST/PUT requests for the day are used up.
    if (rl.dailyRequestsLeft === 0 && WRITE_METHODS.has(o.method)) {
      return { retry: false, kind: 'daily-budget', reason: `${where}: 429 with x-daily-requests-left: 0: today's write requests for this API token are used up` };
    }
    // Burst window still has room, yet 429 again: the other limit (the daily budget) is what we hit.
    if (rl.dailyRemaining === undefined && rl.burstRemaining !== undefined && rl.burstRemaining > 0 && attempt >= 2) {
      return { retry: false, kind: 'daily-budget', reason: `${where}: repeated 429 while the 2-s window has ${rl.burstRemaining} requests left: daily budget presumed spent` };
    }
    // Nothing says the window is full (no x-ratelimit-remaining, no Retry-After), and a 429 again after a
    // wait of at least the whole 2-s window: the daily budget, not the burst limit.
    if (rl.dailyRemaining === undefined && rl.burstRemaining === undefined && rl.retryAfterMs === undefined && attempt >= 2) {
      return { retry: false, kind: 'daily-budget', reason: `${where}: repeated 429 without any burst-window header after waiting out the 2-s window: daily budget presumed spent` };
    }
    if (exhausted) return { retry: false, kind: 'gave-up', reason: `${where}: still 429 after ${attempt} attempts` };
    const waitMs = serverWait !== undefined ? Math.max(serverWait, 0) + policy.serverWaitMarginMs : Math.max(2000, backoff());
    return { retry: true, kind: 'rate-limit', waitMs, reason: `${where}: 429 rate limited, waiting ${waitMs} ms` };
  }

  if (o.status !== undefined && o.status >= 200 && o.status < 300) {
    if (!o.malformedBody) return { retry: false, kind: 'not-retryable', reason: `${where}: ${o.status} is a success` };
    if (o.method === 'POST') {
      return { retry: false, kind: 'ambiguous-write', reason: `${where}: ${o.status} with an unreadable body: the record may have been created` };
    }
    if (exhausted) return { retry: false, kind: 'gave-up', reason: `${where}: malformed body after ${attempt} attempts` };
    return { retry: true, kind: 'malformed-body', waitMs: backoff(), reason: `${where}: ${o.status} with a malformed/truncated JSON body` };
  }

  if (o.status !== undefined && o.status >= 500) {
    if (!idempotent) {
      return { retry: false, kind: 'ambiguous-write', reason: `${where}: ${o.status} on a create: the server may have acted` };
    }
    if (exhausted) return { retry: false, kind: 'gave-up', reason: `${where}: ${o.status} after ${attempt} attempts` };
    const rl = parseRateLimitHeaders(o.headers, nowMs);
    const waitMs = rl.retryAfterMs !== undefined && rl.retryAfterMs <= policy.maxServerWaitMs ? rl.retryAfterMs + policy.serverWaitMarginMs : backoff();
    return { retry: true, kind: 'server-error', waitMs, reason: `${where}: ${o.status} server error` };
  }

  if (o.status !== undefined) {
    const s = o.status;
    if (s === 401) return { retry: false, kind: 'auth', reason: `${where}: 401 the API token was rejected` };
    if (s === 403) return { retry: false, kind: o.htmlBody ? 'cloudflare' : 'forbidden', reason: `${where}: 403${o.htmlBody ? ' (Cloudflare HTML block)' : ''}` };
    if (s === 402) return { retry: false, kind: 'account', reason: `${where}: 402 the company account is not open` };
    if (s === 404 || s === 410) return { retry: false, kind: 'not-found', reason: `${where}: ${s} not found` };
    if (s === 408 && idempotent && !exhausted) return { retry: true, kind: 'network', waitMs: backoff(), reason: `${where}: 408 request timeout` };
    return { retry: false, kind: 'invalid-request', reason: `${where}: ${s} request rejected` };
  }

  // No response: timeout or dropped connection.
  const code = o.code ?? '';
  const message = o.message ?? '';
  const dropped = RETRYABLE_CODES.has(code) || /socket hang up|timeout|ECONNRESET|network error|aborted/i.test(message);
  if (!dropped) return { retry: false, kind: 'not-retryable', reason: `${where}: ${message || code || 'unknown error'}` };
  if (!idempotent && !NOT_SENT_CODES.has(code)) {
    return { retry: false, kind: 'ambiguous-write', reason: `${where}: ${code || message} on a create: the server may have acted` };
  }
  if (exhausted) return { retry: false, kind: 'gave-up', reason: `${where}: ${code || message} after ${attempt} attempts` };
  return { retry: true, kind: 'network', waitMs: backoff(), reason: `${where}: ${code || message}` };
}
