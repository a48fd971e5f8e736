import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/server.js';
import type { Sandbox } from '../../sandbox/server.js';
import { DEMO_STORY, generateDataset } from '../../sandbox/generator.js';
import { sandboxAdminClient } from '../../sandbox/admin-client.js';
import { api, walk } from './helpers.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
let t = NOW;
let sb: Sandbox;
beforeEach(async () => {
  t = NOW;
  sb = await startSandbox({ dataset: generateDataset({ seed: 1, now: new Date(NOW), scale: 'demo' }), now: () => new Date(t) });
});
afterEach(async () => {
  await sb.close();
});

describe('admin operations', () => {
  it('mergeOrganizations moves persons, deals and activities and deletes the source without bumping its update_time', async () => {
    const from = DEMO_STORY.overdue!.orgId;
    const to = DEMO_STORY.onCadence!.orgId;
    const before = sb.state.get('organization', from)!;
    const moved = {
      persons: sb.state.list('person').filter((p) => p.org_id === from).map((p) => p.id),
      activities: sb.state.list('activity').filter((a) => a.org_id === from).map((a) => a.id),
    };
    expect(moved.persons.length).toBeGreaterThan(0);
    t += 3_600_000;
    sb.state.mergeOrganizations(from, to);
    const after = sb.state.get('organization', from)!;
    expect(after).toMatchObject({ is_deleted: true, update_time: before.update_time });
    for (const id of moved.persons) expect(sb.state.get('person', id as number)).toMatchObject({ org_id: to, update_time: '2026-11-25T13:00:00Z' });
    for (const id of moved.activities) expect(sb.state.get('activity', id as number)!.org_id).toBe(to);
    // An incremental sync since before the merge does not see the deleted org: only id reconciliation finds it.
    const since = await walk(sb, '/api/v2/organizations?updated_since=2026-11-25T12:30:00Z');
    expect(since.ids).toEqual([to]);
    expect((await walk(sb, '/api/v2/organizations?limit=500')).ids).not.toContain(from);
  });

  it('remove without bumping update_time, upsert with explicit times, markActivityDone, deactivateUser', async () => {
    const a = sb.state.list('activity').find((x) => x.done === false)!;
    t += 60_000;
    sb.state.markActivityDone(a.id as number);
    expect(sb.state.get('activity', a.id as number)).toMatchObject({ done: true, marked_as_done_time: '2026-11-25T12:01:00Z', update_time: '2026-11-25T12:01:00Z' });
    const p = sb.state.get('person', 5)!;
    sb.state.remove('person', 5, { bumpUpdateTime: false });
    expect(sb.state.get('person', 5)).toMatchObject({ is_deleted: true, update_time: p.update_time });
    const o = sb.state.upsert('organization', { id: 500, name: 'Plantada', owner_id: null, update_time: '2020-01-01T00:00:00Z' });
    expect(o).toMatchObject({ id: 500, owner_id: null, update_time: '2020-01-01T00:00:00Z' });
    sb.state.upsert('organization', { id: 500, name: 'Renomeada' }, { bumpUpdateTime: false });
    expect(sb.state.get('organization', 500)).toMatchObject({ name: 'Renomeada', update_time: '2020-01-01T00:00:00Z' });
    sb.state.deactivateUser(2);
    const users = (await api(sb, 'GET', '/v1/users')).json.data as Array<{ id: number; active_flag: boolean }>;
    expect(users.find((u) => u.id === 2)!.active_flag).toBe(false);
    expect((await api(sb, 'PATCH', '/api/v2/organizations/1', { owner_id: 2 })).status).toBe(400);
  });

  it('the admin client drives a sandbox over HTTP without spending API tokens', async () => {
    const admin = sandboxAdminClient(sb.url);
    await admin.setKnobs({ latencyMs: 0, force429: 0 });
    const created = await admin.upsert('activity', { subject: 'Plantada', type: 'call', org_id: 1, person_id: 1 });
    expect(created).toMatchObject({ subject: 'Plantada', person_id: 1, participants: [{ person_id: 1, primary: true }] });
    await admin.markActivityDone(created.id as number);
    expect(await admin.get('activity', created.id as number)).toMatchObject({ done: true });
    expect(await admin.get('activity', 10_000_000)).toBeUndefined();
    await admin.remove('deal', 1);
    await admin.mergeOrganizations(2, 3);
    const counts = await admin.counts();
    expect(counts.deleted).toMatchObject({ deals: 1, organizations: 1 });
    await api(sb, 'POST', '/api/v2/activities', { subject: 'x', type: 'call' });
    expect((await admin.writes()).map((w) => w.status)).toEqual([200]);
    await admin.clearWrites();
    expect(await admin.writes()).toEqual([]);
    expect((await admin.stats()).tokensSpent).toBe(5);
    await expect(admin.upsert('organization', { name: 'x', owner_id: 'nope' })).rejects.toThrow(/owner_id/);
  });
});
