import { describe, expect, it } from 'vitest';
import { backoffMs, decideRetry, DEFAULT_RETRY_POLICY, type AttemptOutcome } from '../../../src/pipedrive/decide-retry.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const get = (o: Partial<AttemptOutcome>): AttemptOutcome => ({ method: 'GET', path: '/api/v2/deals', ...o });
const post = (o: Partial<AttemptOutcome>): AttemptOutcome => ({ method: 'POST', path: '/api/v2/activities', ...o });
const decide = (o: AttemptOutcome, attempt = 1) => decideRetry(o, attempt, { nowMs: NOW, random: () => 1 });

describe('decideRetry', () => {
  it('waits Retry-After (seconds) plus a margin on a burst 429', () => {
    const d = decide(get({ status: 429, headers: { 'retry-after': '3', 'x-ratelimit-remaining': '0' } }));
    expect(d).toMatchObject({ retry: true, kind: 'rate-limit', waitMs: 3000 + DEFAULT_RETRY_POLICY.serverWaitMarginMs });
  });

  it('accepts Retry-After as an HTTP date', () => {
    const at = new Date(NOW + 5000).toUTCString();
    const d = decide(get({ status: 429, headers: { 'retry-after': at } }));
    expect(d.retry && d.waitMs).toBe(5000 + DEFAULT_RETRY_POLICY.serverWaitMarginMs);
  });

  it('falls back to x-ratelimit-reset, then to a backoff of at least 2 s', () => {
    expect(decide(get({ status: 429, headers: { 'x-ratelimit-reset': '2' } }))).toMatchObject({ retry: true, waitMs: 2250 });
    const d = decide(get({ status: 429, headers: {} }));
    expect(d.retry && d.waitMs).toBeGreaterThanOrEqual(2000);
  });

  it('retries a 429 even for a POST (the server did not act)', () => {
    expect(decide(post({ status: 429, headers: { 'retry-after': '1' } })).retry).toBe(true);
  });

  it('stops on a daily-budget 429 instead of retrying into the wall', () => {
    const d = decide(get({ status: 429, headers: { 'x-daily-ratelimit-token-remaining': '0', 'x-daily-ratelimit-token-limit': '300000', 'retry-after': '3' } }));
    expect(d).toMatchObject({ retry: false, kind: 'daily-budget' });
  });

  it('treats a daily remaining below the request cost as the daily budget', () => {
    // A list costs 10 tokens (PIPEDRIVE.md §6.3): 5 left cannot pay for it.
    expect(decide(get({ status: 429, headers: { 'x-daily-ratelimit-token-remaining': '5' } }))).toMatchObject({ retry: false, kind: 'daily-budget' });
  });

  it('treats a server wait of more than five minutes as the daily budget', () => {
    expect(decide(get({ status: 429, headers: { 'retry-after': '36000' } }))).toMatchObject({ retry: false, kind: 'daily-budget' });
  });

  it('presumes the daily budget after repeated 429s while the burst window has room', () => {
    const o = get({ status: 429, headers: { 'x-ratelimit-remaining': '30' } });
    expect(decide(o, 1).retry).toBe(true);
    expect(decide(o, 2)).toMatchObject({ retry: false, kind: 'daily-budget' });
  });

  it('presumes the daily budget when a 429 without any rate-limit header comes back after a full window', () => {
    const o = get({ status: 429, headers: {} });
    expect(decide(o, 1)).toMatchObject({ retry: true, kind: 'rate-limit' });
    expect(decide(o, 2)).toMatchObject({ retry: false, kind: 'daily-budget' });
    // x-ratelimit-remaining: 0 says the window is full: that is the burst limit, retried until the last attempt.
    const burst = get({ status: 429, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2' } });
    expect(decide(burst, 5)).toMatchObject({ retry: true, kind: 'rate-limit' });
    expect(decide(burst, 6)).toMatchObject({ retry: false, kind: 'gave-up' });
  });

  it('stops a write at once on x-daily-requests-left: 0 (documented: POST/PUT left today); a read is not stopped by it', () => {
    expect(decide(post({ status: 429, headers: { 'x-daily-requests-left': '0', 'x-ratelimit-remaining': '0' } }))).toMatchObject({ retry: false, kind: 'daily-budget' });
    expect(decide(get({ status: 429, headers: { 'x-daily-requests-left': '0', 'x-ratelimit-remaining': '0' } }))).toMatchObject({ retry: true });
  });

  it.each([500, 502, 503, 504])('retries %i on GET, PATCH and DELETE', (status) => {
    for (const method of ['GET', 'PATCH', 'DELETE']) expect(decide({ method, path: '/api/v2/activities/1', status }).retry).toBe(true);
  });

  it('never retries a POST after a 5xx, timeout or dropped connection: ambiguous write', () => {
    for (const o of [post({ status: 500 }), post({ code: 'ECONNABORTED', message: 'timeout of 50ms exceeded' }), post({ code: 'ECONNRESET', message: 'socket hang up' })]) {
      expect(decide(o)).toMatchObject({ retry: false, kind: 'ambiguous-write' });
    }
  });

  it('retries a POST whose connection was refused (never reached the server)', () => {
    expect(decide(post({ code: 'ECONNREFUSED' })).retry).toBe(true);
  });

  it('retries timeouts and dropped connections on GET', () => {
    expect(decide(get({ code: 'ETIMEDOUT' }))).toMatchObject({ retry: true, kind: 'network' });
    expect(decide(get({ message: 'socket hang up' }))).toMatchObject({ retry: true, kind: 'network' });
  });

  it('retries a malformed 2xx body on GET but not on POST', () => {
    expect(decide(get({ status: 200, malformedBody: true }))).toMatchObject({ retry: true, kind: 'malformed-body' });
    expect(decide(post({ status: 201, malformedBody: true }))).toMatchObject({ retry: false, kind: 'ambiguous-write' });
  });

  it.each([
    [400, 'invalid-request'],
    [401, 'auth'],
    [402, 'account'],
    [403, 'forbidden'],
    [404, 'not-found'],
    [410, 'not-found'],
    [422, 'invalid-request'],
  ])('never retries %i (%s)', (status, kind) => {
    expect(decide(get({ status }))).toEqual(expect.objectContaining({ retry: false, kind }));
  });

  it('recognises the Cloudflare HTML 403', () => {
    expect(decide(get({ status: 403, htmlBody: true }))).toMatchObject({ retry: false, kind: 'cloudflare' });
  });

  it('gives up after maxAttempts', () => {
    expect(decide(get({ status: 503 }), DEFAULT_RETRY_POLICY.maxAttempts)).toMatchObject({ retry: false, kind: 'gave-up' });
  });

  it('reads an AxiosError-like object', () => {
    const err = { config: { method: 'get', url: 'http://x/api/v2/deals?limit=500' }, response: { status: 503, headers: {}, data: '' }, message: 'x' };
    expect(decideRetry(err, 1, { nowMs: NOW, random: () => 0 })).toMatchObject({ retry: true, kind: 'server-error' });
  });
});

describe('backoffMs', () => {
  it('doubles per attempt, is capped and jittered between 50 % and 100 %', () => {
    const p = DEFAULT_RETRY_POLICY;
    expect(backoffMs(1, p, () => 1)).toBe(500);
    expect(backoffMs(3, p, () => 1)).toBe(2000);
    expect(backoffMs(3, p, () => 0)).toBe(1000);
    expect(backoffMs(30, p, () => 1)).toBe(p.maxDelayMs);
  });
});
