import { describe, expect, it } from 'vitest';
import { parseRateLimitHeaders, parseRetryAfter } from '../../../src/pipedrive/rate-limit-headers.js';
import { paceDelayMs, Throttle } from '../../../src/pipedrive/throttle.js';
import { decideBudget, estimateSyncCost, requestCost } from '../../../src/pipedrive/token-costs.js';

describe('parseRateLimitHeaders', () => {
  it('reads the burst window and the daily budget separately', () => {
    const rl = parseRateLimitHeaders(
      {
        'x-ratelimit-limit': '40',
        'x-ratelimit-remaining': '39',
        'x-ratelimit-reset': '2',
        'x-daily-ratelimit-token-limit': '300000',
        'x-daily-ratelimit-token-remaining': '123456',
      },
      0,
    );
    expect(rl).toEqual({ burstLimit: 40, burstRemaining: 39, burstResetSeconds: 2, dailyLimit: 300000, dailyRemaining: 123456 });
  });

  it('leaves absent or garbled headers undefined (the daily ones may be missing)', () => {
    expect(parseRateLimitHeaders({ 'x-ratelimit-remaining': 'lots' }, 0)).toEqual({});
    expect(parseRateLimitHeaders(undefined, 0)).toEqual({});
  });

  it('reads headers case-insensitively, from AxiosHeaders-like objects too', () => {
    const bag = { get: (n: string) => (n === 'x-ratelimit-remaining' ? '7' : undefined) };
    expect(parseRateLimitHeaders(bag, 0).burstRemaining).toBe(7);
    expect(parseRateLimitHeaders({ 'X-RateLimit-Remaining': '8' }, 0).burstRemaining).toBe(8);
  });

  it('parses Retry-After in seconds or as a date', () => {
    expect(parseRetryAfter('2', 0)).toBe(2000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4000)).toBe(6000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
});

describe('paceDelayMs', () => {
  const base = { pausedUntilMs: 0 };
  it('does not wait without headers or with plenty of headroom', () => {
    expect(paceDelayMs(base, 1000, 0)).toBe(0);
    expect(paceDelayMs({ ...base, limit: 40, remaining: 35, resetAtMs: 3000 }, 1000, 2)).toBe(0);
  });
  it('waits for the reset when the headroom is down to the 10 % reserve', () => {
    expect(paceDelayMs({ ...base, limit: 40, remaining: 4, resetAtMs: 3000 }, 1000, 0)).toBe(2000);
    expect(paceDelayMs({ ...base, limit: 40, remaining: 6, resetAtMs: 3000 }, 1000, 2)).toBe(2000);
  });
  it('spreads requests when under half the window is left', () => {
    const d = paceDelayMs({ ...base, limit: 40, remaining: 14, resetAtMs: 3000 }, 1000, 0);
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(2000);
  });
  it('forgets a window that has reset, and honours a 429 pause', () => {
    expect(paceDelayMs({ ...base, limit: 40, remaining: 0, resetAtMs: 3000 }, 3000, 0)).toBe(0);
    expect(paceDelayMs({ pausedUntilMs: 5000 }, 1000, 0)).toBe(4000);
  });
});

describe('Throttle', () => {
  it('never has more requests in flight than the concurrency bound', async () => {
    const throttle = new Throttle({ concurrency: 2, now: () => 0, sleep: async () => undefined });
    let active = 0;
    let peak = 0;
    const gates: Array<() => void> = [];
    const jobs = Array.from({ length: 5 }, async () => {
      const release = await throttle.acquire();
      active += 1;
      peak = Math.max(peak, active);
      await new Promise<void>((r) => gates.push(r));
      active -= 1;
      release();
    });
    // Let the first two in, then open the gates one at a time.
    while (gates.length < 2) await new Promise((r) => setImmediate(r));
    expect(active).toBe(2);
    let opened = 0;
    while (opened < 5) {
      while (gates.length <= opened) await new Promise((r) => setImmediate(r));
      gates[opened]?.();
      opened += 1;
    }
    await Promise.all(jobs);
    expect(peak).toBe(2);
  });

  it('rejects a concurrency that is not a whole number ≥ 1', () => {
    expect(() => new Throttle({ concurrency: 0, now: () => 0, sleep: async () => undefined })).toThrow(/CADENCE_CONCURRENCY/);
  });
});

describe('token costs', () => {
  it('prices requests from the §6.3 table', () => {
    expect(requestCost('GET', '/api/v2/deals')).toBe(10);
    expect(requestCost('GET', '/api/v2/deals/12')).toBe(1);
    expect(requestCost('POST', '/api/v2/activities')).toBe(5);
    expect(requestCost('PATCH', '/api/v2/organizations/3')).toBe(5);
    expect(requestCost('DELETE', '/api/v2/activities/3')).toBe(3);
    expect(requestCost('GET', '/api/v2/dealFields')).toBe(10);
    expect(requestCost('GET', '/api/v1/activityTypes')).toBe(20);
    expect(requestCost('GET', '/api/v1/users')).toBe(20);
    expect(requestCost('GET', '/api/v1/users/me')).toBe(2);
  });

  it('estimates a first run as every page of every entity plus reference data', () => {
    const e = estimateSyncCost({ mirrorCounts: { organization: 1000, person: 4000, deal: 0, activity: 20_000 }, firstRun: true });
    // ⌈1000/500⌉ + ⌈4000/500⌉ + 1 (empty list) + ⌈20000/500⌉ = 2 + 8 + 1 + 40 = 51 pages
    expect(e.pullTokens).toBe(510);
    expect(e.referenceTokens).toBe(20 + 20 + 4 * 10);
    expect(e.reconcileTokens).toBe(510);
    expect(e.minimumRequests).toBe(6 + 51);
  });

  it('estimates an incremental run from the pages of the last one', () => {
    const e = estimateSyncCost({
      mirrorCounts: { organization: 1000, person: 4000, deal: 4000, activity: 20_000 },
      lastIncrementalPages: { organization: 1, person: 1, deal: 2, activity: 3 },
      firstRun: false,
    });
    expect(e.pullTokens).toBe(70);
  });

  it('degrades in the stated order: reconciliation first, then the pull', () => {
    const e = estimateSyncCost({ mirrorCounts: { activity: 100_000 }, lastIncrementalPages: { activity: 2 }, firstRun: false });
    expect(decideBudget(e, undefined, true)).toMatchObject({ runPull: true, runReconcile: true });
    expect(decideBudget(e, 1_000_000, true)).toMatchObject({ runPull: true, runReconcile: true });
    expect(decideBudget(e, e.pullTokens + e.reconcileTokens, true)).toMatchObject({ runPull: true, runReconcile: true });
    const short = decideBudget(e, e.pullTokens + e.reconcileTokens - 1, true, 0);
    expect(short).toMatchObject({ runPull: true, runReconcile: false });
    expect(short.reason).toMatch(/skipping reconciliation/);
    expect(decideBudget(e, e.pullTokens, true, 1000)).toMatchObject({ runPull: true, runReconcile: false });
    expect(decideBudget(e, e.pullTokens - 1, true)).toMatchObject({ runPull: false, runReconcile: false });
  });

  it('counts the reference data when deciding before any request', () => {
    const e = estimateSyncCost({ mirrorCounts: { activity: 1000 }, firstRun: false });
    expect(decideBudget(e, e.pullTokens, false, 0, { referenceSpent: true }).runPull).toBe(true);
    expect(decideBudget(e, e.pullTokens, false, 0, { referenceSpent: false }).runPull).toBe(false);
    expect(decideBudget(e, e.minimumTokens, false, 0, { referenceSpent: false }).runPull).toBe(true);
  });
});
