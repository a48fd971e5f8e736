/**
 * Pulling what a batch of events names (webhooks/pull-changes.ts) against a fake client and a memory store:
 * the route by count, deletions, and the clients touched before and after the change.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EntityKind } from '../../../src/domain/entities.js';
import type { PipedriveClient } from '../../../src/pipedrive/client.js';
import { openStateStore, type StateStore } from '../../../src/store/open-state-store.js';
import type { RecordedEvent } from '../../../src/webhooks/envelope.js';
import { orgOfRecord, pullChanges, refreshOrganizations } from '../../../src/webhooks/pull-changes.js';
import { activity, deal, org, person, snapshot } from '../rules/fixtures.js';

const logger = pino({ level: 'silent' });
let store: StateStore;
beforeEach(async () => {
  store = await openStateStore('memory://', logger);
});
afterEach(() => store.close());

function ev(entity: EntityKind, id: number, over: Partial<RecordedEvent> = {}): RecordedEvent {
  return {
    deliveryId: `${entity}-${id}-${Math.random()}`, receivedAt: '2026-03-12T15:00:00.000Z', action: 'change', entity, entityId: String(id), timestamp: '2026-03-12T15:00:00.000Z',
    changeSource: 'app', userId: '9', isBulkEdit: false, attempt: 1, correlationId: null, changedFields: ['owner_id'], mergedToId: null, mergedFromId: null, cadenceKey: null,
    ...over,
  };
}

/** A Pipedrive that answers from `records`, counting requests by route. */
function fakeClient(records: Partial<Record<EntityKind, Array<{ id: number; isDeleted: boolean }>>>) {
  const calls: string[] = [];
  return {
    calls,
    client: {
      async getByIds(entity: EntityKind, ids: readonly number[]) {
        calls.push(`ids:${entity}:${ids.length}`);
        const found = (records[entity] ?? []).filter((r) => ids.includes(r.id));
        return { records: found as never[], malformed: [], missing: ids.filter((id) => !found.some((r) => r.id === id)) };
      },
      async *iterate(entity: EntityKind, opts: { updatedSince?: string }) {
        calls.push(`list:${entity}:${opts.updatedSince}`);
        const all = records[entity] ?? [];
        for (let i = 0; i < all.length; i += 500) yield { entity, records: all.slice(i, i + 500) as never[], malformed: [], rawCount: 0, requestCursor: undefined, cursor: null };
      },
    } as unknown as Pick<PipedriveClient, 'getByIds' | 'iterate'>,
  };
}

describe('pullChanges', () => {
  it('few records by id: merged into the mirror; a deal moved between clients touches both', async () => {
    const before = snapshot({ orgs: [org({ id: 1 }), org({ id: 2 })], deals: [deal({ id: 10, orgId: 1 })] });
    const { client, calls } = fakeClient({ deal: [deal({ id: 10, orgId: 2 })] });
    const state = store.company('acme');
    const out = await pullChanges({ client, state, snapshot: before, events: [ev('deal', 10), ev('deal', 10)], logger });
    expect(calls).toEqual(['ids:deal:1']);
    expect([...out.affectedOrgIds].sort()).toEqual([1, 2]);
    expect(out.snapshot.deals.get(10)!.orgId).toBe(2);
    expect((await state.mirror.loadEntity('deal')).get(10)!.orgId).toBe(2);
    expect(out.entities.deal).toEqual({ route: 'ids', ids: 1, upserted: 1, removed: 0 });
  });

  it('a record Pipedrive no longer returns (a delete event, or deleted since) leaves the mirror; its client is touched', async () => {
    const a = activity({ id: 5, orgId: null, dealId: 10 });
    const before = snapshot({ orgs: [org({ id: 1 })], deals: [deal({ id: 10, orgId: 1 })], activities: [a] });
    const state = store.company('acme');
    await state.mirror.writePage('activity', { upserts: [a] });
    const { client } = fakeClient({});
    const out = await pullChanges({ client, state, snapshot: before, events: [ev('activity', 5, { action: 'delete', changedFields: [] })], logger });
    expect(out.snapshot.activities.has(5)).toBe(false);
    expect((await state.mirror.loadEntity('activity')).has(5)).toBe(false);
    // The activity had no org of its own: its deal's client.
    expect([...out.affectedOrgIds]).toEqual([1]);
  });

  it('many records through the incremental list from the oldest event minus the overlap', async () => {
    const persons = Array.from({ length: 250 }, (_, i) => person({ id: i + 1, orgId: (i % 5) + 1 }));
    const { client, calls } = fakeClient({ person: persons });
    const events = persons.map((p, i) => ev('person', p.id, { timestamp: `2026-03-12T15:${String(10 + (i % 40)).padStart(2, '0')}:00.000Z` }));
    const out = await pullChanges({ client, state: store.company('acme'), snapshot: snapshot({}), events, logger });
    expect(calls).toEqual(['list:person:2026-03-12T15:09:00.000Z']);
    expect(out.entities.person).toMatchObject({ route: 'list', upserted: 250 });
    expect([...out.affectedOrgIds].sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('refreshOrganizations reads the clients again by id', async () => {
    const { client, calls } = fakeClient({ organization: [org({ id: 3, name: 'Fresh' })] });
    const snap = await refreshOrganizations({ client, state: store.company('acme') }, snapshot({ orgs: [org({ id: 3, name: 'Stale' })] }), [3]);
    expect(calls).toEqual(['ids:organization:1']);
    expect(snap.organizations.get(3)!.name).toBe('Fresh');
  });
});

describe('orgOfRecord', () => {
  it('an activity without an org belongs to its deal\'s client, else its person\'s', () => {
    const snap = snapshot({ deals: [deal({ id: 10, orgId: 4 })], persons: [person({ id: 20, orgId: 6 })] });
    expect(orgOfRecord('activity', activity({ id: 1, orgId: null, dealId: 10, personId: 20 }), snap)).toBe(4);
    expect(orgOfRecord('activity', activity({ id: 1, orgId: null, dealId: null, personId: 20 }), snap)).toBe(6);
    expect(orgOfRecord('organization', org({ id: 8 }), snap)).toBe(8);
    expect(orgOfRecord('person', person({ id: 2, orgId: null }), snap)).toBeNull();
  });
});
