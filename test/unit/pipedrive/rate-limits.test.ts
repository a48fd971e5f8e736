import { describe, expect, it } from 'vitest';
import { parseRateLimitHeaders, parseRetryAfter } from '../../../src/pipedrive/rate-limit-headers.js';
import { paceDelayMs, slidingDelayMs, Throttle } from '../../../src/pipedrive/throttle.js';
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
  it('does not wait without headers or with headroom above the reserve', () => {
    expect(paceDelayMs(base, 1000, 0)).toBe(0);
    expect(paceDelayMs({ ...base, limit: 40, remaining: 35, resetAtMs: 3000 }, 1000, 2)).toBe(0);
    expect(paceDelayMs({ ...base, limit: 100, remaining: 5, resetAtMs: 3000 }, 1000, 4)).toBe(0);
  });
  it('waits for the reset when the server has no slot left beyond our requests in flight (someone else spends the window)', () => {
    expect(paceDelayMs({ ...base, limit: 100, remaining: 0, resetAtMs: 3000 }, 1000, 0)).toBe(2000);
    expect(paceDelayMs({ ...base, limit: 100, remaining: 3, resetAtMs: 3000 }, 1000, 3)).toBe(2000);
  });
  it('forgets a window that has reset, and honours a 429 pause', () => {
    expect(paceDelayMs({ ...base, limit: 40, remaining: 0, resetAtMs: 3000 }, 3000, 0)).toBe(0);
    expect(paceDelayMs({ pausedUntilMs: 5000 }, 1000, 0)).toBe(4000);
  });
});

describe('slidingDelayMs', () => {
  it('lets requests go until 94 % of the limit were sent within the window', () => {
    const sent = Array.from({ length: 93 }, (_, i) => 1000 + i * 10); // 93 sends between 1000 and 1920
    expect(slidingDelayMs(sent, 2000, 100)).toBe(0);
    expect(slidingDelayMs([...sent, 1930], 2000, 100)).toBe(1000 + 2000 - 2000); // the oldest leaves at 3000
  });
  it('waits exactly until the oldest send that must go has left the window', () => {
    const sent = [0, 500, 1000, 1500, 1900];
    // limit 5 → 4 allowed per window: at t=1950 the last 4 are 500..1900, so wait until 500 + 2000
    expect(slidingDelayMs(sent, 1950, 5)).toBe(2500 - 1950);
  });
  it('does not pace before the limit is known, and forgets sends older than the window', () => {
    expect(slidingDelayMs([1, 2, 3], 4, undefined)).toBe(0);
    expect(slidingDelayMs([0, 1, 2, 3], 5000, 4)).toBe(0);
  });
  it('a throttle fed by a steady stream sends at most 94 % of the limit in any 2-s window', async () => {
    let now = 0;
    const throttle = new Throttle({ concurrency: 4, now: () => now, sleep: async (ms) => void (now += ms) });
    throttle.observe({ burstLimit: 50, burstRemaining: 50, burstResetSeconds: 2 }, 0);
    const sends: number[] = [];
    for (let i = 0; i < 400; i++) {
      const release = await throttle.acquire();
      sends.push(now);
      now += 1; // each request takes 1 ms here
      release();
    }
    const maxInWindow = Math.max(...sends.map((t) => sends.filter((u) => u >= t && u < t + 2000).length));
    expect(maxInWindow).toBeLessThanOrEqual(47);
    // and it does not under-use the window: 400 requests at 47 per 2 s take about 17 s, not much more
    expect(now).toBeLessThan(18_000);
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
    expect(requestCost('GET', '/api/v1/webhooks')).toBe(10);
    expect(requestCost('POST', '/api/v1/webhooks')).toBe(10);
    expect(requestCost('DELETE', '/api/v1/webhooks/7')).toBe(6);
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
