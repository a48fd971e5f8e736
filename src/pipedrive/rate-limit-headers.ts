/**
 * Reads Pipedrive's rate-limit headers (PIPEDRIVE.md §6.5).
 * Documented (the rate-limiting page): the burst window `x-ratelimit-limit/-remaining/-reset` (requests per
 * rolling 2 s, reset in seconds) and `x-daily-requests-left` (POST/PUT requests left today for an API token).
 * Undocumented, used only when present: the company's daily token budget
 * (`x-daily-ratelimit-token-limit/-remaining`) and `Retry-After` (seconds or an HTTP date).
 */

export interface RateLimitHeaders {
  burstLimit?: number;
  burstRemaining?: number;
  /** Seconds until the burst window resets. */
  burstResetSeconds?: number;
  dailyLimit?: number;
  dailyRemaining?: number;
  /** POST/PUT requests this API token may still send today (`x-daily-requests-left`, documented). */
  dailyRequestsLeft?: number;
  /** Milliseconds the server asked us to wait (Retry-After), if it said. */
  retryAfterMs?: number;
}

/** Header bags come as axios' AxiosHeaders, a plain object, or undefined. */
export type HeaderBag = { get?: (name: string) => unknown } | Record<string, unknown> | undefined | null;

export function headerValue(headers: HeaderBag, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  let v: unknown;
  if (typeof (headers as { get?: unknown }).get === 'function') v = (headers as { get: (n: string) => unknown }).get(lower);
  if (v === undefined || v === null) {
    const rec = headers as Record<string, unknown>;
    v = rec[lower] ?? rec[name];
    if (v === undefined) {
      const k = Object.keys(rec).find((key) => key.toLowerCase() === lower);
      v = k === undefined ? undefined : rec[k];
    }
  }
  if (Array.isArray(v)) v = v[0];
  if (v === undefined || v === null) return undefined;
  return String(v);
}

function num(headers: HeaderBag, name: string): number | undefined {
  const raw = headerValue(headers, name);
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** `Retry-After: 3` or `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT` → milliseconds from `nowMs`. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

export function parseRateLimitHeaders(headers: HeaderBag, nowMs: number): RateLimitHeaders {
  const out: RateLimitHeaders = {};
  const set = <K extends keyof RateLimitHeaders>(k: K, v: RateLimitHeaders[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('burstLimit', num(headers, 'x-ratelimit-limit'));
  set('burstRemaining', num(headers, 'x-ratelimit-remaining'));
  set('burstResetSeconds', num(headers, 'x-ratelimit-reset'));
  set('dailyLimit', num(headers, 'x-daily-ratelimit-token-limit'));
  set('dailyRemaining', num(headers, 'x-daily-ratelimit-token-remaining'));
  set('dailyRequestsLeft', num(headers, 'x-daily-requests-left'));
  set('retryAfterMs', parseRetryAfter(headerValue(headers, 'retry-after'), nowMs));
  return out;
}
