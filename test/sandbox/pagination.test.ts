import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/server.js';
import type { Sandbox } from '../../sandbox/server.js';
import { emptyDataset, generateDataset } from '../../sandbox/generator.js';
import { api, walk } from './helpers.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

describe('v2 cursor pagination', () => {
  it('walks every organization exactly once over several pages, in ⌈n/limit⌉ requests', async () => {
    sb = await startSandbox({ dataset: generateDataset({ seed: 3, now: new Date(NOW), scale: 'demo' }), now: () => new Date(NOW) });
    const n = sb.state.counts().organizations;
    expect(n).toBe(40);
    for (const limit of [7, 10, 500]) {
      const before = sb.stats().byRoute['GET /api/v2/organizations 200'] ?? 0;
      const { pages, ids } = await walk(sb, `/api/v2/organizations?limit=${limit}`);
      const requests = (sb.stats().byRoute['GET /api/v2/organizations 200'] ?? 0) - before;
      expect(requests).toBe(Math.ceil(n / limit));
      expect(pages.length).toBe(Math.ceil(n / limit));
      expect(ids).toEqual([...Array(n).keys()].map((i) => i + 1));
      expect(new Set(ids).size).toBe(n);
      // The last page: the remainder, or a full page when n is a multiple of limit (then no extra empty page).
      expect(pages.at(-1)!.length).toBe(n % limit === 0 ? limit : n % limit);
    }
    expect(Math.ceil(n / 7)).toBeGreaterThanOrEqual(3);
  });

  it('returns an empty page with next_cursor null when nothing matches', async () => {
    sb = await startSandbox({ dataset: emptyDataset(new Date(NOW)), now: () => new Date(NOW) });
    const r = await api(sb, 'GET', '/api/v2/deals?limit=50');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ success: true, data: [], additional_data: { next_cursor: null } });
  });

  it('defaults limit to 100 and rejects a limit above 500 with the error envelope', async () => {
    sb = await startSandbox({ dataset: generateDataset({ seed: 1, now: new Date(NOW), scale: 'demo' }), now: () => new Date(NOW) });
    const r = await api(sb, 'GET', '/api/v2/activities');
    expect((r.json.data as unknown[]).length).toBe(100);
    expect((r.json.additional_data as { next_cursor: unknown }).next_cursor).toEqual(expect.any(String));
    const bad = await api(sb, 'GET', '/api/v2/activities?limit=501');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ success: false, error: expect.stringContaining('limit'), error_info: expect.any(String), data: null });
    const badCursor = await api(sb, 'GET', '/api/v2/activities?cursor=bm9wZQ');
    expect(badCursor.status).toBe(400);
  });

  it('the cursor is opaque base64url JSON of the last (value, id)', async () => {
    sb = await startSandbox({ dataset: generateDataset({ seed: 1, now: new Date(NOW), scale: 'demo' }), now: () => new Date(NOW) });
    const r = await api(sb, 'GET', '/api/v2/deals?limit=2');
    const cursor = (r.json.additional_data as { next_cursor: string }).next_cursor;
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(Buffer.from(cursor, 'base64url').toString())).toEqual({ field: 'id', fieldValue: 2, sortDirection: 'asc', id: 2 });
  });

  it('with sort_by=update_time a record updated mid-walk moves behind the cursor and is seen again, never lost', async () => {
    let t = NOW;
    sb = await startSandbox({ dataset: generateDataset({ seed: 2, now: new Date(NOW), scale: 'demo' }), now: () => new Date(t) });
    const s = sb;
    const n = s.state.counts().persons;
    let firstOfPage1 = 0;
    let notYetSeen = 0;
    const seenNames = new Map<number, string[]>();
    const pages: number[][] = [];
    let cursor: string | null = null;
    do {
      const r = await api(s, 'GET', `/api/v2/persons?sort_by=update_time&limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      const data = r.json.data as Array<{ id: number; name: string; update_time: string }>;
      for (const p of data) seenNames.set(p.id, [...(seenNames.get(p.id) ?? []), p.name]);
      pages.push(data.map((p) => p.id));
      const times = data.map((p) => p.update_time);
      expect([...times].sort()).toEqual(times);
      cursor = (r.json.additional_data as { next_cursor: string | null }).next_cursor;
      if (pages.length === 1) {
        firstOfPage1 = data[0]!.id;
        notYetSeen = s.state.list('person').map((p) => p.id as number).find((id) => !seenNames.has(id))!;
        t += 60_000;
        expect((await api(s, 'PATCH', `/api/v2/persons/${firstOfPage1}`, { name: 'Renamed while paging' })).status).toBe(200);
        expect((await api(s, 'PATCH', `/api/v2/persons/${notYetSeen}`, { name: 'Renamed before being read' })).status).toBe(200);
      }
    } while (cursor);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(seenNames.size).toBe(n);
    expect(seenNames.get(firstOfPage1)).toEqual([expect.any(String), 'Renamed while paging']);
    expect(seenNames.get(notYetSeen)).toEqual(['Renamed before being read']);
    // Both updated records come last (newest update_time).
    expect(pages.flat().slice(-2).sort()).toEqual([firstOfPage1, notYetSeen].sort());
  });

  it('updated_since is inclusive and updated_until exclusive', async () => {
    sb = await startSandbox({ dataset: emptyDataset(new Date(NOW)), now: () => new Date(NOW) });
    const times = ['2026-11-01T10:00:00Z', '2026-11-01T10:00:01Z', '2026-11-01T10:00:02Z', '2026-11-01T10:00:03Z', '2026-11-01T10:00:04Z'];
    for (const [i, update_time] of times.entries()) sb.state.upsert('organization', { name: `Org ${i}`, update_time });
    const ids = async (q: string): Promise<number[]> =>
      ((await api(sb!, 'GET', `/api/v2/organizations?${q}`)).json.data as Array<{ id: number }>).map((o) => o.id);
    expect(await ids(`updated_since=${times[2]}`)).toEqual([3, 4, 5]);
    expect(await ids(`updated_until=${times[2]}`)).toEqual([1, 2]);
    expect(await ids(`updated_since=${times[1]}&updated_until=${times[3]}`)).toEqual([2, 3]);
    expect(await ids(`updated_since=${times[1]}&updated_until=${times[3]}&sort_by=update_time&sort_direction=desc`)).toEqual([3, 2]);
    expect(await ids(`updated_since=2026-11-01T07:00:02-03:00&sort_by=update_time`)).toEqual([3, 4, 5]);
    expect((await api(sb, 'GET', '/api/v2/organizations?updated_since=yesterday')).status).toBe(400);
  });

  it('archives deals: PATCH is_archived moves a deal from /deals to /deals/archived; an archived deal is not editable until unarchived', async () => {
    sb = await startSandbox({ dataset: generateDataset({ seed: 1, now: new Date(NOW), scale: 'demo' }), now: () => new Date(NOW) });
    const s = sb;
    const before = await walk(s, '/api/v2/deals?limit=500');
    expect((await api(s, 'GET', '/api/v2/deals/archived')).json).toMatchObject({ success: true, data: [], additional_data: { next_cursor: null } });
    const archived = await api(s, 'PATCH', '/api/v2/deals/3', { is_archived: true });
    expect(archived.status).toBe(200);
    expect(archived.json.data).toMatchObject({ id: 3, is_archived: true, archive_time: expect.stringMatching(/Z$/) });
    expect((await walk(s, '/api/v2/deals?limit=500')).ids).toEqual(before.ids.filter((id) => id !== 3));
    const list = await api(s, 'GET', '/api/v2/deals/archived?sort_by=update_time&status=open,won,lost,deleted&limit=500');
    expect((list.json.data as Array<{ id: number; is_archived: boolean }>).map((d) => [d.id, d.is_archived])).toEqual([[3, true]]);
    expect((await api(s, 'GET', '/api/v2/deals/3')).json.data).toMatchObject({ id: 3, is_archived: true });
    const edit = await api(s, 'PATCH', '/api/v2/deals/3', { title: 'Changed' });
    expect(edit.status).toBe(400);
    expect(edit.json.error).toMatch(/archived and cannot be edited/);
    expect(s.stats().byRoute['GET /api/v2/deals/archived 200']).toBe(2);
    expect((await api(s, 'PATCH', '/api/v2/deals/3', { is_archived: false })).json.data).toMatchObject({ is_archived: false, archive_time: null });
    expect((await walk(s, '/api/v2/deals?limit=500')).ids).toEqual(before.ids);
  });

  it('hides deleted persons/orgs/activities; deleted deals only with status=deleted; filters and desc order', async () => {
    sb = await startSandbox({ dataset: generateDataset({ seed: 1, now: new Date(NOW), scale: 'demo' }), now: () => new Date(NOW) });
    const s = sb;
    expect((await api(s, 'DELETE', '/api/v2/persons/1')).json).toEqual({ success: true, data: { id: 1 } });
    expect((await api(s, 'DELETE', '/api/v2/deals/2')).status).toBe(200);
    const persons = await walk(s, '/api/v2/persons?limit=500');
    expect(persons.ids).not.toContain(1);
    expect((await api(s, 'GET', '/api/v2/persons/1')).json.data).toMatchObject({ id: 1, is_deleted: true });
    const deals = await walk(s, '/api/v2/deals?limit=500');
    expect(deals.ids).not.toContain(2);
    const deleted = await api(s, 'GET', '/api/v2/deals?status=deleted');
    expect((deleted.json.data as Array<{ id: number }>).map((d) => d.id)).toEqual([2]);
    // As the API sends it: a deleted deal's status reads `deleted`.
    expect(deleted.json.data).toMatchObject([{ id: 2, status: 'deleted', is_deleted: true }]);
    const all = await walk(s, '/api/v2/deals?status=open,won,lost,deleted&limit=500');
    expect(all.ids.length).toBe(deals.ids.length + 1);
    const won = (await api(s, 'GET', '/api/v2/deals?status=won&limit=500')).json.data as Array<{ status: string }>;
    expect(won.length).toBeGreaterThan(0);
    expect(won.every((d) => d.status === 'won')).toBe(true);

    const acts = (await api(s, 'GET', '/api/v2/activities?org_id=1&done=true&limit=500')).json.data as Array<{ org_id: number; done: boolean }>;
    expect(acts.length).toBeGreaterThan(0);
    expect(acts.every((a) => a.org_id === 1 && a.done)).toBe(true);
    // The org/deal/person filters stay right after records move (they are served from foreign-key indexes).
    const moved = acts[0] as unknown as { id: number };
    expect((await api(s, 'PATCH', `/api/v2/activities/${moved.id}`, { org_id: 2, deal_id: null })).status).toBe(200);
    const org1 = await walk(s, '/api/v2/activities?org_id=1&limit=3');
    const org2 = await walk(s, '/api/v2/activities?org_id=2&limit=3&sort_by=update_time');
    expect(org1.ids).not.toContain(moved.id);
    expect(org2.ids.at(-1)).toBe(moved.id);
    expect(org1.ids).toEqual(s.state.list('activity').filter((a) => a.org_id === 1).map((a) => a.id));
    expect(new Set(org2.ids)).toEqual(new Set(s.state.list('activity').filter((a) => a.org_id === 2).map((a) => a.id)));
    const byPerson = (await api(s, 'GET', '/api/v2/deals?person_id=2')).json.data as Array<{ person_id: number }>;
    expect(byPerson.map((d) => d.person_id)).toEqual(s.state.list('deal').filter((d) => d.person_id === 2).map(() => 2));
    const byOwner = (await api(s, 'GET', '/api/v2/organizations?owner_id=2&limit=500')).json.data as Array<{ owner_id: number }>;
    expect(byOwner.every((o) => o.owner_id === 2)).toBe(true);
    const desc = await walk(s, '/api/v2/organizations?sort_direction=desc&limit=15');
    expect(desc.ids).toEqual([...Array(40).keys()].map((i) => 40 - i));
    const byIds = (await api(s, 'GET', '/api/v2/organizations?ids=5,3,999')).json.data as Array<{ id: number }>;
    expect(byIds.map((o) => o.id)).toEqual([3, 5]);
    const dueSorted = await walk(s, '/api/v2/activities?sort_by=due_date&limit=50');
    expect(new Set(dueSorted.ids).size).toBe(s.state.counts().activities);
  });

  it('custom_fields limits which custom fields are returned; every custom field is present otherwise', async () => {
    sb = await startSandbox({ dataset: generateDataset({ seed: 1, now: new Date(NOW), scale: 'demo' }), now: () => new Date(NOW) });
    const tier = sb.state.fieldByName('organization', 'Tier')!.key;
    const all = (await api(sb, 'GET', '/api/v2/organizations?limit=1')).json.data as Array<{ custom_fields: Record<string, unknown> }>;
    expect(Object.keys(all[0]!.custom_fields).sort()).toEqual(sb.state.customFieldDefs('organization').map((f) => f.key).sort());
    const one = (await api(sb, 'GET', `/api/v2/organizations?limit=1&custom_fields=${tier}`)).json.data as Array<{ custom_fields: Record<string, unknown> }>;
    expect(Object.keys(one[0]!.custom_fields)).toEqual([tier]);
    const tooMany = Array.from({ length: 16 }, (_, i) => `k${i}`).join(',');
    expect((await api(sb, 'GET', `/api/v2/organizations?custom_fields=${tooMany}`)).status).toBe(400);
  });
});
