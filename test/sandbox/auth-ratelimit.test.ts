import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/server.js';
import type { Sandbox, SandboxOptions } from '../../sandbox/server.js';
import { generateDataset } from '../../sandbox/generator.js';
import { api } from './helpers.js';

const NOW = new Date('2026-11-25T12:00:00Z');
let sb: Sandbox | undefined;
async function start(opts: SandboxOptions = {}): Promise<Sandbox> {
  sb = await startSandbox({ dataset: generateDataset({ seed: 1, now: NOW, scale: 'demo' }), now: () => NOW, ...opts });
  return sb;
}
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

const RATE_HEADERS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-daily-ratelimit-token-limit', 'x-daily-ratelimit-token-remaining'];

describe('auth', () => {
  it('answers a missing, wrong or revoked token with the 401 envelope', async () => {
    const s = await start({ apiToken: 'secret' });
    const expected = { success: false, error: 'unauthorized access', errorCode: 401, error_info: 'Please check developers.pipedrive.com' };
    const missing = await fetch(`${s.url}/api/v2/deals`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual(expected);
    for (const h of RATE_HEADERS) expect(missing.headers.get(h)).toMatch(/^\d+$/);
    expect((await api(s, 'GET', '/api/v2/deals', undefined, { 'x-api-token': 'wrong' })).status).toBe(401);
    // api_token in the query string is not accepted (PIPEDRIVE.md §1: use the header).
    expect((await fetch(`${s.url}/api/v2/deals?api_token=secret`)).status).toBe(401);
    expect((await fetch(`${s.url}/api/v2/deals`, { headers: { authorization: 'Bearer secret' } })).status).toBe(200);
    expect((await api(s, 'GET', '/v1/users/me')).json.data).toMatchObject({ company_domain: 'demo-firm', email: 'head.accounts@exemplo.com.br' });
    s.revokeToken();
    const revoked = await fetch(`${s.url}/api/v2/deals`, { headers: { 'x-api-token': 'secret' } });
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toEqual(expected);
    s.setToken('new');
    expect((await fetch(`${s.url}/v1/users`, { headers: { 'x-api-token': 'new' } })).status).toBe(200);
  });

  it('answers unknown routes with a 404 envelope', async () => {
    const s = await start();
    for (const path of ['/api/v2/nope', '/v2/deals', '/api/v1/deals']) {
      const r = await api(s, 'GET', path);
      expect(r.status, path).toBe(404);
      expect(r.json).toMatchObject({ success: false, error: expect.any(String), error_info: 'Please check developers.pipedrive.com', data: null });
    }
  });
});

describe('rate limits', () => {
  it('sends the rate-limit headers and charges the §6.3 token cost per operation', async () => {
    const s = await start();
    const steps: Array<[string, string, number]> = [
      ['GET', '/api/v2/deals', 10], ['GET', '/api/v2/deals/1', 1], ['PATCH', '/api/v2/deals/1', 5], ['POST', '/api/v2/deals', 5],
      ['DELETE', '/api/v2/deals/2', 3], ['GET', '/api/v2/dealFields', 10], ['GET', '/v1/users', 20], ['GET', '/v1/activityTypes', 20],
      ['GET', '/v1/dealFields', 20], ['GET', '/v1/users/me', 2],
    ];
    let remaining = 1_500_000;
    for (const [i, [method, path, cost]] of steps.entries()) {
      const body = method === 'PATCH' || method === 'POST' ? { title: 'x' } : undefined;
      const r = await api(s, method, path, body);
      expect(r.status).toBeLessThan(300);
      remaining -= cost;
      expect(r.headers.get('x-daily-ratelimit-token-remaining'), path).toBe(String(remaining));
      expect(r.headers.get('x-daily-ratelimit-token-limit')).toBe('1500000');
      expect(r.headers.get('x-ratelimit-limit')).toBe('100');
      expect(r.headers.get('x-ratelimit-remaining')).toBe(String(100 - i - 1));
      expect(Number(r.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    }
    expect(s.stats().tokensSpent).toBe(1_500_000 - remaining);
  });

  it('answers requests over the burst limit with 429, Retry-After and remaining 0', async () => {
    const s = await start({ rateLimit: { burstLimit: 3, dailyTokenBudget: 1_000_000 } });
    for (let i = 0; i < 3; i++) expect((await api(s, 'GET', '/api/v2/deals/1')).status).toBe(200);
    const r = await api(s, 'GET', '/api/v2/deals/1');
    expect(r.status).toBe(429);
    expect(r.json).toEqual({ success: false, error: 'Request over limit', errorCode: 429, error_info: 'Please check developers.pipedrive.com' });
    expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
    const reset = Number(r.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThanOrEqual(1);
    expect(reset).toBeLessThanOrEqual(2);
    expect(r.headers.get('retry-after')).toBe(String(reset));
    expect(s.stats().rateLimited.burst).toBe(1);
    expect(s.stats().byRoute['GET /api/v2/deals/:id 429']).toBe(1);
    s.resetRateLimits();
    expect((await api(s, 'GET', '/api/v2/deals/1')).status).toBe(200);
  });

  it('answers with 429 and daily remaining 0 once the daily token budget is spent', async () => {
    const s = await start({ rateLimit: { burstLimit: 100, dailyTokenBudget: 25 } });
    expect((await api(s, 'GET', '/api/v2/deals')).status).toBe(200);
    expect((await api(s, 'GET', '/api/v2/deals')).status).toBe(200);
    const r = await api(s, 'GET', '/api/v2/deals');
    expect(r.status).toBe(429);
    expect(r.json).toMatchObject({ success: false, errorCode: 429 });
    expect(r.headers.get('x-daily-ratelimit-token-remaining')).toBe('0');
    expect(Number(r.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    // A cheaper request still fits in the 5 tokens left.
    expect((await api(s, 'GET', '/api/v2/deals/1')).status).toBe(200);
    expect(s.stats().rateLimited.daily).toBe(1);
  });

  it('documented headers only: no daily-token headers, no Retry-After; x-daily-requests-left counts writes down', async () => {
    const s = await start({ rateLimit: { burstLimit: 100, dailyTokenBudget: 25, dailyWriteRequests: 1 }, rateLimitHeaders: 'documented' });
    const first = await api(s, 'GET', '/api/v2/deals');
    expect(first.status).toBe(200);
    for (const h of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) expect(first.headers.get(h)).toMatch(/^\d+$/);
    expect(first.headers.get('x-daily-requests-left')).toBe('1');
    for (const h of ['x-daily-ratelimit-token-limit', 'x-daily-ratelimit-token-remaining', 'retry-after']) expect(first.headers.get(h)).toBeNull();
    const owner = (s.state.list('organization')[0] as { owner_id: number }).owner_id;
    const write = await api(s, 'POST', '/api/v2/activities', { subject: 'x', type: 'call', owner_id: owner });
    expect(write.status).toBe(200);
    expect(write.headers.get('x-daily-requests-left')).toBe('0');
    // The day's writes are used up: the next write is refused with 429 and x-daily-requests-left: 0.
    const refused = await api(s, 'PATCH', '/api/v2/activities/1', { subject: 'y' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-daily-requests-left')).toBe('0');
    expect(refused.headers.get('retry-after')).toBeNull();
    // The token budget (25): 10 + 5 spent; the next list (10) fits, the one after does not.
    expect((await api(s, 'GET', '/api/v2/deals')).status).toBe(200);
    const daily = await api(s, 'GET', '/api/v2/deals');
    expect(daily.status).toBe(429);
    expect(Number(daily.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
    for (const h of ['x-daily-ratelimit-token-remaining', 'retry-after']) expect(daily.headers.get(h)).toBeNull();
    // x-daily-requests-left is for API-token requests only.
    expect((await fetch(`${s.url}/api/v2/deals/1`, { headers: { authorization: `Bearer ${s.token}` } })).headers.get('x-daily-requests-left')).toBeNull();
  });

  it('force429 answers the next N requests with a burst 429', async () => {
    const s = await start({ knobs: { force429: 2 } });
    expect((await api(s, 'GET', '/api/v2/deals/1')).status).toBe(429);
    const r = await api(s, 'GET', '/api/v2/deals/1');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('2');
    expect((await api(s, 'GET', '/api/v2/deals/1')).status).toBe(200);
  });
});

describe('fault knobs', () => {
  async function outcomes(s: Sandbox, n: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      try {
        const res = await fetch(`${s.url}/api/v2/deals/1`, { headers: { 'x-api-token': s.token } });
        const text = await res.text();
        try {
          JSON.parse(text);
          out.push(String(res.status));
        } catch {
          out.push(`${res.status}-malformed`);
        }
      } catch {
        out.push('dropped');
      }
    }
    return out;
  }

  it('injects 5xx, dropped connections and malformed bodies deterministically from the seed', async () => {
    const s = await start({ knobs: { serverErrorRate: 0.2, dropRate: 0.2, malformedRate: 0.2, seed: 42 } });
    const first = await outcomes(s, 40);
    expect(first.some((o) => o === '500' || o === '503')).toBe(true);
    expect(first).toContain('dropped');
    expect(first).toContain('200-malformed');
    expect(first).toContain('200');
    s.setKnobs({ seed: 42 });
    expect(await outcomes(s, 40)).toEqual(first);
    s.setKnobs({ serverErrorRate: 0, dropRate: 0, malformedRate: 0 });
    expect(new Set(await outcomes(s, 10))).toEqual(new Set(['200']));
    const st = s.stats();
    expect(st.faults.dropped).toBe(first.filter((o) => o === 'dropped').length * 2);
    expect(st.faults.malformed).toBe(first.filter((o) => o === '200-malformed').length * 2);
    s.setKnobs({ slowRate: 1, slowMs: 1, latencyMs: 1 });
    expect(await outcomes(s, 3)).toEqual(['200', '200', '200']);
    expect(s.stats().faults.slow).toBe(3);
    expect(s.knobs()).toMatchObject({ slowRate: 1, slowMs: 1, latencyMs: 1, seed: 42 });
  });

  it('logs a write whose connection was dropped, saying whether it was applied', async () => {
    const s = await start({ knobs: { dropRate: 1, seed: 7 } });
    const results: string[] = [];
    for (let i = 0; i < 8; i++) {
      try {
        await fetch(`${s.url}/api/v2/organizations`, { method: 'POST', headers: { 'x-api-token': s.token, 'content-type': 'application/json' }, body: JSON.stringify({ name: `Org ${i}` }) });
        results.push('answered');
      } catch {
        results.push('dropped');
      }
    }
    expect(results.every((r) => r === 'dropped')).toBe(true);
    const w = s.writes();
    expect(w).toHaveLength(8);
    expect(w.every((x) => x.status === 0 && x.fault === 'drop')).toBe(true);
    const applied = w.filter((x) => x.applied).length;
    expect(applied).toBeGreaterThan(0);
    expect(applied).toBeLessThan(8);
    expect(s.state.counts().organizations).toBe(40 + applied);
  });

  it('can be driven from another process through the loopback admin surface', async () => {
    const s = await start();
    const post = (path: string, body: unknown): Promise<Response> => fetch(`${s.url}/_sandbox${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/knobs', { force429: 1 })).status).toBe(200);
    expect((await api(s, 'GET', '/api/v2/deals/1')).status).toBe(429);
    await post('/activities/1/done', {});
    await post('/users/3/deactivate', {});
    expect(s.state.user(3)!.active).toBe(false);
    const up = (await (await post('/upsert', { kind: 'organization', record: { name: 'Nova' } })).json()) as { data: { id: number } };
    expect(up.data.id).toBe(41);
    const counts = (await (await fetch(`${s.url}/_sandbox/counts`)).json()) as { data: { organizations: number } };
    expect(counts.data.organizations).toBe(41);
    await post('/revoke-token', {});
    expect((await api(s, 'GET', '/api/v2/deals/1')).status).toBe(401);
    const stats = (await (await fetch(`${s.url}/_sandbox/stats`)).json()) as { data: { rateLimited: { forced: number } } };
    expect(stats.data.rateLimited.forced).toBe(1);
  });
});
