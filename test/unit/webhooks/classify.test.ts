/** What a recorded webhook event asks of the background processing, and how its records are pulled. */
import { describe, expect, it } from 'vitest';
import { classifyEvent, pullRoute, type ClassifyContext } from '../../../src/webhooks/classify.js';
import { toRecordedEvent, type RecordedEvent } from '../../../src/webhooks/envelope.js';

const ctx: ClassifyContext = { meUserId: 7, flagKeys: new Set(['flagstatus', 'flagnext']) };

function ev(over: Partial<RecordedEvent>): RecordedEvent {
  return {
    deliveryId: 'd1', receivedAt: '2026-03-12T15:00:00.000Z', action: 'change', entity: 'organization', entityId: '20', timestamp: null,
    changeSource: 'api', userId: '7', isBulkEdit: false, attempt: 1, correlationId: null, changedFields: [], mergedToId: null, mergedFromId: null, cadenceKey: null,
    ...over,
  };
}

describe('classifyEvent', () => {
  it('an organization change of flag fields only, made through the API by the token\'s user, is our own write', () => {
    expect(classifyEvent(ev({ changedFields: ['custom_fields.flagstatus', 'custom_fields.flagnext', 'update_time'] }), ctx)).toBe('own_write');
  });

  it('the same change by a person in the app changes nothing the rules read: irrelevant, never re-assessed', () => {
    expect(classifyEvent(ev({ changedFields: ['custom_fields.flagstatus'], changeSource: 'app' }), ctx)).toBe('irrelevant');
    expect(classifyEvent(ev({ changedFields: ['custom_fields.flagstatus'], userId: '12' }), ctx)).toBe('irrelevant');
  });

  it('a change that touches anything besides the flags is relevant, whoever made it', () => {
    expect(classifyEvent(ev({ changedFields: ['custom_fields.flagstatus', 'custom_fields.tier'] }), ctx)).toBe('relevant');
    expect(classifyEvent(ev({ changedFields: ['owner_id'] }), ctx)).toBe('relevant');
  });

  it('a change of nothing (or only the update time) is irrelevant', () => {
    expect(classifyEvent(ev({ changedFields: [] }), ctx)).toBe('irrelevant');
    expect(classifyEvent(ev({ changedFields: ['update_time'] }), ctx)).toBe('irrelevant');
  });

  it('an activity created or deleted by us under a provenance key is our own write; a person marking it done is not', () => {
    expect(classifyEvent(ev({ entity: 'activity', action: 'create', cadenceKey: 'fu:20:strategic:2026-03-05' }), ctx)).toBe('own_write');
    expect(classifyEvent(ev({ entity: 'activity', action: 'delete', cadenceKey: 'clr:174' }), ctx)).toBe('own_write');
    expect(classifyEvent(ev({ entity: 'activity', action: 'change', cadenceKey: 'fu:20:strategic:2026-03-05', changedFields: ['done'], changeSource: 'app' }), ctx)).toBe('relevant');
    expect(classifyEvent(ev({ entity: 'activity', action: 'create', cadenceKey: null }), ctx)).toBe('relevant');
    expect(classifyEvent(ev({ entity: 'activity', action: 'create', cadenceKey: 'fu:20:x:never', changeSource: 'app' }), ctx)).toBe('relevant');
  });

  it('entities the rules do not read are irrelevant', () => {
    expect(classifyEvent(ev({ entity: 'product', action: 'create' }), ctx)).toBe('irrelevant');
  });
});

describe('toRecordedEvent keeps the provenance key of an activity, not its note', () => {
  it('from the new note on create, from the last note on delete', () => {
    const meta = { action: 'create' as const, entity: 'activity', entity_id: '5', id: 'x', version: '2.0' as const };
    const created = toRecordedEvent({ meta, data: { id: 5, note: '<p>Call</p><p>cadence-key:fu:20:strategic:2026-03-05</p>' }, previous: null }, new Date(0));
    expect(created.cadenceKey).toBe('fu:20:strategic:2026-03-05');
    expect(JSON.stringify(created)).not.toContain('Call');
    const deleted = toRecordedEvent({ meta: { ...meta, action: 'delete' }, data: null, previous: { id: 5, note: 'cadence-key:clr:5' } }, new Date(0));
    expect(deleted.cadenceKey).toBe('clr:5');
    expect(toRecordedEvent({ meta: { ...meta, entity: 'deal' }, data: { note: 'cadence-key:x' }, previous: null }, new Date(0)).cadenceKey).toBeNull();
  });
});

describe('pullRoute: whichever costs fewer tokens', () => {
  it('by id up to 100 records (one request either way), the incremental list beyond', () => {
    expect(pullRoute(1)).toBe('ids');
    expect(pullRoute(100)).toBe('ids');
    expect(pullRoute(101)).toBe('list');
    expect(pullRoute(10_000)).toBe('list');
  });
});
