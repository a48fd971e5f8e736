/**
 * The client over real HTTP (nock intercepts node:http under axios): header parsing, Retry-After,
 * timeouts, non-retryable errors, malformed bodies, the daily budget, ambiguous creates, pagination.
 * Time is a fake clock that the injected sleep advances: nothing here waits for real except the two
 * timeout tests (50 ms).
 */
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { createPipedriveClient, type PipedriveClientOptions } from '../../../src/pipedrive/client.js';
import {
  AmbiguousWriteError,
  DailyBudgetExhaustedError,
  MalformedResponseError,
  PipedriveAuthError,
  PipedriveForbiddenError,
  PipedriveNotFoundError,
  PipedriveRequestError,
  PipedriveServerError,
  RepeatedCursorError,
} from '../../../src/pipedrive/errors.js';
import { provenanceMarker } from '../../../src/domain/provenance.js';

const BASE = 'https://acme.pipedrive.com';
const TOKEN = 'tok-SECRET-123456';

function org(id: number, extra: Record<string, unknown> = {}) {
  return { id, name: `Org ${id}`, owner_id: 1, add_time: '2026-01-01T00:00:00Z', update_time: '2026-01-02T00:00:00Z', is_deleted: false, custom_fields: {}, ...extra };
}

function setup(overrides: Partial<PipedriveClientOptions> = {}, timeoutMs = 5000) {
  let t = Date.parse('2026-06-01T12:00:00Z');
  const sleeps: number[] = [];
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', destination: sink as never });
  const client = createPipedriveClient({
    connection: { baseUrl: BASE, apiToken: TOKEN, timeoutMs, concurrency: 2 },
    logger,
    clock: { now: () => t },
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
    random: () => 1,
    ...overrides,
  });
  return { client, sleeps, lines };
}

const api = () => nock(BASE, { reqheaders: { 'x-api-token': TOKEN } });
const list = (data: unknown[], next: string | null = null) => ({ success: true, data, additional_data: { next_cursor: next } });

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});

async function collect<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

describe('pagination', () => {
  it('walks the cursor at limit 500 until next_cursor is null', async () => {
    const scope = api()
      .get('/api/v2/organizations')
      .query({ limit: '500', sort_by: 'update_time', sort_direction: 'asc', updated_since: '2026-01-01T00:00:00Z' })
      .reply(200, list([org(1), org(2)], 'c1'))
      .get('/api/v2/organizations')
      .query({ limit: '500', sort_by: 'update_time', sort_direction: 'asc', updated_since: '2026-01-01T00:00:00Z', cursor: 'c1' })
      .reply(200, list([org(3)], 'c2'))
      .get('/api/v2/organizations')
      .query({ limit: '500', sort_by: 'update_time', sort_direction: 'asc', updated_since: '2026-01-01T00:00:00Z', cursor: 'c2' })
      .reply(200, list([org(4)], null));
    const { client } = setup();
    const pages = await collect(client.iterate('organization', { updatedSince: '2026-01-01T00:00:00Z', sortBy: 'update_time', sortDirection: 'asc' }));
    expect(pages.map((p) => p.records.map((r) => r.id))).toEqual([[1, 2], [3], [4]]);
    expect(pages.map((p) => p.cursor)).toEqual(['c1', 'c2', null]);
    expect(pages.map((p) => p.requestCursor)).toEqual([undefined, 'c1', 'c2']);
    expect(scope.isDone()).toBe(true);
    expect(client.stats().requests).toBe(3);
    expect(client.stats().tokensSpent).toBe(30);
  });

  it('yields one empty page for an empty list', async () => {
    api().get('/api/v2/deals').query(true).reply(200, { success: true, data: null, additional_data: { next_cursor: null } });
    const pages = await collect(setup().client.iterate('deal'));
    expect(pages).toHaveLength(1);
    expect(pages[0]?.records).toEqual([]);
  });

  it('resumes from a saved cursor', async () => {
    const scope = api().get('/api/v2/persons').query({ limit: '500', cursor: 'saved' }).reply(200, list([], null));
    await collect(setup().client.iterate('person', { cursor: 'saved' }));
    expect(scope.isDone()).toBe(true);
  });

  it('stops on a repeated cursor instead of looping forever', async () => {
    api()
      .get('/api/v2/organizations')
      .query(true)
      .reply(200, list([org(1)], 'same'))
      .get('/api/v2/organizations')
      .query(true)
      .reply(200, list([org(2)], 'same'));
    await expect(collect(setup().client.iterate('organization'))).rejects.toBeInstanceOf(RepeatedCursorError);
  });

  it('reports a malformed record with entity, id and field, and keeps the others', async () => {
    api()
      .get('/api/v2/organizations')
      .query(true)
      .reply(200, list([org(1), org(2, { name: 42 }), { name: 'no id' }, org(4, { owner_id: 'x' })]));
    const { client } = setup();
    const [page] = await collect(client.iterate('organization'));
    expect(page?.records.map((r) => r.id)).toEqual([1]);
    expect(page?.malformed).toEqual([
      expect.objectContaining({ entity: 'organization', id: 2, field: 'name' }),
      expect.objectContaining({ entity: 'organization', id: null, field: 'id' }),
      expect.objectContaining({ entity: 'organization', id: 4, field: 'owner_id' }),
    ]);
    expect(client.stats().malformedCount).toBe(3);
  });

  it('listIds reads ids only, sorted by id', async () => {
    const scope = api()
      .get('/api/v2/activities')
      .query({ limit: '500', sort_by: 'id' })
      .reply(200, list([{ id: 5 }, { id: 6, subject: 1 }], 'n'))
      .get('/api/v2/activities')
      .query({ limit: '500', sort_by: 'id', cursor: 'n' })
      .reply(200, list([{ id: 9 }]));
    expect(await setup().client.listIds('activity')).toEqual([5, 6, 9]);
    expect(scope.isDone()).toBe(true);
  });
});

describe('rate limits', () => {
  it('remembers the burst and daily figures it last saw', async () => {
    api()
      .get('/api/v2/organizations')
      .query(true)
      .reply(200, list([]), {
        'x-ratelimit-limit': '40',
        'x-ratelimit-remaining': '38',
        'x-ratelimit-reset': '2',
        'x-daily-ratelimit-token-limit': '300000',
        'x-daily-ratelimit-token-remaining': '250000',
      });
    const { client } = setup();
    await collect(client.iterate('organization'));
    expect(client.budget()).toMatchObject({ burstLimit: 40, burstRemaining: 38, burstResetSeconds: 2, dailyLimit: 300000, dailyRemaining: 250000 });
  });

  it('slows down before a 429 when the window is nearly spent', async () => {
    api()
      .get('/api/v2/organizations')
      .query(true)
      .reply(200, list([org(1)], 'c1'), { 'x-ratelimit-limit': '20', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2' })
      .get('/api/v2/organizations')
      .query(true)
      .reply(200, list([org(2)]), { 'x-ratelimit-limit': '20', 'x-ratelimit-remaining': '19', 'x-ratelimit-reset': '2' });
    const { client, sleeps } = setup();
    await collect(client.iterate('organization'));
    expect(sleeps).toEqual([2000]);
    expect(client.stats().rateLimited).toBe(0);
  });

  it('waits Retry-After on a burst 429 and retries', async () => {
    api()
      .get('/api/v2/deals')
      .query(true)
      .reply(429, { success: false, error: 'Request over limit' }, { 'retry-after': '3', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2' })
      .get('/api/v2/deals')
      .query(true)
      .reply(200, list([]));
    const { client, sleeps } = setup();
    await collect(client.iterate('deal'));
    expect(sleeps).toEqual([3250]);
    expect(client.stats()).toMatchObject({ requests: 2, retries: 1, rateLimited: 1, byStatus: { '429': 1, '200': 1 } });
  });

  it('waits x-ratelimit-reset when there is no Retry-After', async () => {
    api()
      .get('/api/v2/deals')
      .query(true)
      .reply(429, { success: false }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2' })
      .get('/api/v2/deals')
      .query(true)
      .reply(200, list([]));
    const { client, sleeps } = setup();
    await collect(client.iterate('deal'));
    expect(sleeps).toEqual([2250]);
  });

  it('stops on a daily-budget 429 with DailyBudgetExhaustedError, without retrying', async () => {
    const scope = api()
      .get('/api/v2/deals')
      .query(true)
      .reply(429, { success: false, error: 'Request over limit' }, { 'retry-after': '30000', 'x-daily-ratelimit-token-limit': '300000', 'x-daily-ratelimit-token-remaining': '0' });
    const { client } = setup();
    const err = await collect(client.iterate('deal')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DailyBudgetExhaustedError);
    expect((err as DailyBudgetExhaustedError).message).toMatch(/daily Pipedrive API token budget is spent.*0 of 300000/);
    expect((err as DailyBudgetExhaustedError).dailyLimit).toBe(300000);
    expect(scope.isDone()).toBe(true);
    expect(client.stats().requests).toBe(1);
  });
});

describe('the daily budget from the documented signals only (no daily-token headers, no Retry-After)', () => {
  it('a 429 that comes back after waiting out the 2-s window, with no header saying the window is full, stops the run', async () => {
    const scope = api().get('/api/v2/deals').query(true).times(2).reply(429, { success: false, error: 'Request over limit' });
    const { client, sleeps } = setup();
    const err = await collect(client.iterate('deal')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DailyBudgetExhaustedError);
    expect((err as Error).message).toMatch(/daily Pipedrive API token budget is spent \(repeated 429 after waiting out the 2-s window.*checkpoint/);
    expect(scope.isDone()).toBe(true);
    // One wait of at least the whole window, then the second 429: two requests, not six.
    expect(sleeps.length).toBe(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(2000);
    expect(client.stats().requests).toBe(2);
  });

  it('a 429 while x-ratelimit-remaining says the window has room, twice, stops the run', async () => {
    api().get('/api/v2/deals').query(true).times(2).reply(429, { success: false }, { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '97', 'x-ratelimit-reset': '2' });
    const { client } = setup();
    const err = await collect(client.iterate('deal')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DailyBudgetExhaustedError);
    expect((err as Error).message).toMatch(/429 again while the 2-s window had 97 requests left/);
    expect(client.stats().requests).toBe(2);
  });

  it('a burst 429 (x-ratelimit-remaining: 0) is still waited out and retried', async () => {
    api()
      .get('/api/v2/deals').query(true).times(2).reply(429, { success: false }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1' })
      .get('/api/v2/deals').query(true).reply(200, list([]));
    const { client, sleeps } = setup();
    await collect(client.iterate('deal'));
    expect(sleeps).toEqual([1250, 1250]);
  });

  it('a write refused with x-daily-requests-left: 0 stops at once; the figure is read on every answer', async () => {
    api()
      .get('/api/v2/organizations').query(true).reply(200, list([org(1)]), { 'x-daily-requests-left': '3' })
      .post('/api/v2/activities').reply(429, { success: false, error: 'Request over limit' }, { 'x-daily-requests-left': '0', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2' });
    const { client } = setup();
    await collect(client.iterate('organization'));
    expect(client.budget().dailyRequestsLeft).toBe(3);
    const err = await client.createActivity({ subject: 'x', type: 'call', owner_id: 1, due_date: '2026-06-02' } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DailyBudgetExhaustedError);
    expect((err as Error).message).toMatch(/x-daily-requests-left: 0/);
    expect(client.budget().dailyRequestsLeft).toBe(0);
    expect(client.stats().requests).toBe(2);
  });
});

describe('retries and failures', () => {
  it('retries 5xx with backoff and succeeds', async () => {
    api().get('/api/v2/persons').query(true).reply(500, { success: false, error: 'Internal' }).get('/api/v2/persons').query(true).reply(503, 'oops').get('/api/v2/persons').query(true).reply(200, list([]));
    const { client, sleeps } = setup();
    await collect(client.iterate('person'));
    expect(sleeps).toEqual([500, 1000]);
    expect(client.stats()).toMatchObject({ retries: 2, retriesByKind: { 'server-error': 2 } });
  });

  it('gives up after the last attempt with a PipedriveServerError naming method and path', async () => {
    api().get('/api/v2/persons').query(true).times(3).reply(502, { success: false, error: 'Bad gateway' });
    const { client } = setup({ retry: { maxAttempts: 3 } });
    const err = await collect(client.iterate('person')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipedriveServerError);
    expect(err).toMatchObject({ status: 502, method: 'GET', path: '/api/v2/persons' });
    expect(client.stats().requests).toBe(3);
  });

  it('retries a timed-out GET', async () => {
    api().get('/api/v2/organizations').query(true).delay(300).reply(200, list([org(1)])).get('/api/v2/organizations').query(true).reply(200, list([org(2)]));
    const { client } = setup({}, 50);
    const pages = await collect(client.iterate('organization'));
    expect(pages[0]?.records.map((r) => r.id)).toEqual([2]);
    expect(client.stats().retriesByKind).toEqual({ network: 1 });
  });

  it('retries a dropped connection (socket hang up) on GET', async () => {
    api()
      .get('/api/v2/organizations')
      .query(true)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      .get('/api/v2/organizations')
      .query(true)
      .reply(200, list([]));
    const { client } = setup();
    await collect(client.iterate('organization'));
    expect(client.stats()).toMatchObject({ retries: 1, byStatus: { ECONNRESET: 1, '200': 1 } });
  });

  it('retries a truncated JSON body on GET', async () => {
    api()
      .get('/api/v2/organizations')
      .query(true)
      .reply(200, '{"success":true,"data":[{"id":1,"na', { 'content-type': 'application/json' })
      .get('/api/v2/organizations')
      .query(true)
      .reply(200, list([org(1)]));
    const { client } = setup();
    const pages = await collect(client.iterate('organization'));
    expect(pages[0]?.records).toHaveLength(1);
    expect(client.stats().retriesByKind).toEqual({ 'malformed-body': 1 });
  });

  it('fails with MalformedResponseError when the body never becomes JSON', async () => {
    api().get('/api/v2/organizations').query(true).times(2).reply(200, '<html>nope</html>');
    const err = await collect(setup({ retry: { maxAttempts: 2 } }).client.iterate('organization')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MalformedResponseError);
  });

  it('fails fast on 401 with the fix in the message and never the token', async () => {
    const scope = api().get('/api/v2/deals').query(true).reply(401, { success: false, error: 'unauthorized access', errorCode: 401 });
    const { client, lines } = setup();
    const err = await collect(client.iterate('deal')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipedriveAuthError);
    expect((err as Error).message).toMatch(/the API token was rejected: check PIPEDRIVE_API_TOKEN/);
    expect((err as Error).message).not.toContain(TOKEN);
    expect(JSON.stringify({ ...(err as object), message: (err as Error).message })).not.toContain(TOKEN);
    // The cause chain (what pino's error serializer walks) carries no request config or headers either.
    expect(inspect(err, { depth: 10 })).not.toContain(TOKEN);
    expect((err as Error).cause).toMatchObject({ name: 'AxiosError', message: expect.stringMatching(/401/) });
    expect(scope.isDone()).toBe(true);
    expect(client.stats().requests).toBe(1);
    expect(lines.join('')).not.toContain(TOKEN);
    expect(lines.some((l) => l.includes('"status":401') && l.includes('/api/v2/deals'))).toBe(true);
  });

  it('says so and stops on a Cloudflare HTML 403', async () => {
    api().get('/api/v2/deals').query(true).reply(403, '<!DOCTYPE html><html>This error is produced by Cloudflare</html>', { 'content-type': 'text/html' });
    const { client } = setup();
    const err = await collect(client.iterate('deal')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipedriveForbiddenError);
    expect((err as PipedriveForbiddenError).cloudflare).toBe(true);
    expect((err as Error).message).toMatch(/Cloudflare/);
    expect(client.stats().requests).toBe(1);
  });

  it('fails fast on 404 and 422 with Pipedrive’s message', async () => {
    api().get('/api/v2/deals').query(true).reply(422, { success: false, error: 'Validation failed: limit' });
    const err = await collect(setup().client.iterate('deal')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipedriveRequestError);
    expect((err as Error).message).toMatch(/Validation failed: limit/);
    api().patch('/api/v2/activities/9').reply(404, { success: false, error: 'Activity not found' });
    await expect(setup().client.updateActivity(9, { done: true })).rejects.toBeInstanceOf(PipedriveNotFoundError);
  });
});

describe('writes', () => {
  const activity = (id: number, extra: Record<string, unknown> = {}) => ({
    id,
    subject: 'Follow up',
    type: 'call',
    owner_id: 3,
    org_id: 7,
    deal_id: null,
    person_id: 10,
    participants: [{ person_id: 10, primary: true }],
    done: false,
    due_date: '2026-06-10',
    due_time: null,
    marked_as_done_time: null,
    add_time: '2026-06-01T12:00:00Z',
    update_time: '2026-06-01T12:00:00Z',
    is_deleted: false,
    note: `<p>Call</p><p>${provenanceMarker('fu:7:2026-06')}</p>`,
    ...extra,
  });
  const draft = { subject: 'Follow up', type: 'call', owner_id: 3, org_id: 7, due_date: '2026-06-10', done: false as const, note: provenanceMarker('fu:7:2026-06') };

  it('creates an activity and returns it parsed, with its cadence key', async () => {
    let body: unknown;
    api()
      .post('/api/v2/activities', (b: unknown) => {
        body = b;
        return true;
      })
      .reply(201, { success: true, data: activity(55) });
    const created = await setup().client.createActivity(draft);
    expect(body).toEqual(draft);
    expect(created).toMatchObject({ id: 55, orgId: 7, personId: 10, participantPersonIds: [10], cadenceKey: 'fu:7:2026-06' });
  });

  it('never retries a create that timed out: AmbiguousWriteError', async () => {
    api().post('/api/v2/activities').delay(300).reply(201, { success: true, data: activity(56) });
    const { client } = setup({}, 50);
    const err = await client.createActivity(draft).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmbiguousWriteError);
    expect((err as Error).message).toMatch(/may or may not have created/);
    expect(client.stats().requests).toBe(1);
  });

  it('never retries a create answered 5xx', async () => {
    api().post('/api/v2/activities').reply(500, { success: false, error: 'Internal' });
    const { client } = setup();
    await expect(client.createActivity(draft)).rejects.toBeInstanceOf(AmbiguousWriteError);
    expect(client.stats().requests).toBe(1);
  });

  it('retries a create refused with a burst 429 (the server did not act)', async () => {
    api().post('/api/v2/activities').reply(429, {}, { 'retry-after': '1' }).post('/api/v2/activities').reply(201, { success: true, data: activity(57) });
    expect((await setup().client.createActivity(draft)).id).toBe(57);
  });

  it('retries an update (PATCH is idempotent) after a drop', async () => {
    api()
      .patch('/api/v2/activities/55', { done: true })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      .patch('/api/v2/activities/55', { done: true })
      .reply(200, { success: true, data: activity(55, { done: true, marked_as_done_time: '2026-06-02T00:00:00Z' }) });
    expect((await setup().client.updateActivity(55, { done: true })).done).toBe(true);
  });

  it('treats deleting an already deleted activity as done', async () => {
    api().delete('/api/v2/activities/55').reply(404, { success: false, error: 'Activity not found' });
    expect(await setup().client.deleteActivity(55)).toEqual({ id: 55, alreadyGone: true });
    api().delete('/api/v2/activities/56').reply(200, { success: true, data: { id: 56 } });
    expect(await setup().client.deleteActivity(56)).toEqual({ id: 56, alreadyGone: false });
  });

  it('lists the open activities of one organization', async () => {
    const scope = api()
      .get('/api/v2/activities')
      .query({ limit: '500', sort_by: 'id', org_id: '7', done: 'false' })
      .reply(200, list([activity(55)]));
    const acts = await setup().client.listOpenActivitiesForOrg(7);
    expect(acts.map((a) => a.cadenceKey)).toEqual(['fu:7:2026-06']);
    expect(scope.isDone()).toBe(true);
  });

  it('patches only the custom fields of an organization', async () => {
    api()
      .patch('/api/v2/organizations/7', { custom_fields: { abc: 12 } })
      .reply(200, { success: true, data: org(7, { custom_fields: { abc: 12 } }) });
    expect((await setup().client.updateOrganizationCustomFields(7, { abc: 12 })).customFields).toEqual({ abc: 12 });
  });

  it('creates a custom field and an activity type', async () => {
    api()
      .post('/api/v2/organizationFields', { field_name: 'Tier', field_type: 'enum', options: [{ label: 'A' }, { label: 'B' }] })
      .reply(200, { success: true, data: { field_code: 'h'.repeat(40), field_name: 'Tier', field_type: 'enum', options: [{ id: 1, label: 'A' }, { id: 2, label: 'B' }], is_custom_field: true } });
    const { client } = setup();
    expect(await client.createField('organization', { name: 'Tier', fieldType: 'enum', options: ['A', 'B'] })).toEqual({
      entity: 'organization',
      key: 'h'.repeat(40),
      name: 'Tier',
      fieldType: 'enum',
      options: [
        { id: 1, label: 'A' },
        { id: 2, label: 'B' },
      ],
      isCustom: true,
    });
    api()
      .post('/api/v1/activityTypes', { name: 'Check-in', icon_key: 'bell' })
      .reply(200, { success: true, data: { id: 9, name: 'Check-in', key_string: 'check_in', active_flag: true, is_custom_flag: true } });
    expect(await client.createActivityType('Check-in', 'bell')).toEqual({ id: 9, name: 'Check-in', keyString: 'check_in', active: true, isCustom: true });
  });
});

describe('reference data', () => {
  it('reads users, me, activity types and the v2 field catalogue', async () => {
    api()
      .get('/api/v1/users')
      .reply(200, { success: true, data: [{ id: 1, name: 'Ana', email: 'ana@x', active_flag: true, is_admin: 1 }, { id: 'bad' }] })
      .get('/api/v1/users/me')
      .reply(200, { success: true, data: { id: 1, name: 'Ana', email: 'ana@x', company_id: 77, company_domain: 'acme', company_name: 'Acme' } })
      .get('/api/v1/activityTypes')
      .reply(200, { success: true, data: [{ id: 1, name: 'Call', key_string: 'call', active_flag: true, is_custom_flag: false }] })
      .get('/api/v2/dealFields')
      .query({ limit: '500' })
      .reply(200, list([{ field_code: 'value', field_name: 'Value', field_type: 'monetary', options: null, is_custom_field: false }], 'f1'))
      .get('/api/v2/dealFields')
      .query({ limit: '500', cursor: 'f1' })
      .reply(200, list([{ field_code: 'x'.repeat(40), field_name: 'Tier', field_type: 'enum', options: [{ id: 1, label: 'A', color: 'red' }], is_custom_field: true }]));
    const { client } = setup();
    expect(await client.listUsers()).toEqual([{ id: 1, name: 'Ana', email: 'ana@x', active: true, isAdmin: true }]);
    expect(client.stats().malformed).toEqual([expect.objectContaining({ entity: 'user', field: 'id' })]);
    expect(await client.getMe()).toMatchObject({ companyId: 77, companyDomain: 'acme', user: { id: 1 } });
    expect(await client.listActivityTypes()).toEqual([{ id: 1, name: 'Call', keyString: 'call', active: true, isCustom: false }]);
    const fields = await client.getFields('deal');
    expect(fields.map((f) => [f.key, f.name, f.isCustom])).toEqual([
      ['value', 'Value', false],
      ['x'.repeat(40), 'Tier', true],
    ]);
    expect(fields[1]?.options).toEqual([{ id: 1, label: 'A' }]);
  });

  it('sends the OAuth bearer when there is no API token', async () => {
    const scope = nock(BASE, { reqheaders: { authorization: 'Bearer oauth-abc' } })
      .get('/api/v1/activityTypes')
      .reply(401, { success: false, error: 'unauthorized access' });
    const err = await setup({ connection: { baseUrl: BASE, oauthAccessToken: 'oauth-abc', timeoutMs: 1000, concurrency: 1 } })
      .client.listActivityTypes()
      .catch((e: unknown) => e);
    expect(scope.isDone()).toBe(true);
    expect((err as Error).message).toMatch(/OAuth access token was rejected/);
  });
});
