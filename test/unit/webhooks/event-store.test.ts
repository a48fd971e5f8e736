/**
 * The webhook inbox on every backend: a delivery id is recorded once however often (and however
 * concurrently) it arrives, events come back in arrival order with their sequence numbers, and the
 * processed mark moves the pending window.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { openStateStore, type StateStore } from '../../../src/store/open-state-store.js';
import type { RecordedEvent } from '../../../src/webhooks/envelope.js';
import { webhookInbox } from '../../../src/webhooks/event-store.js';

const logger = createLogger({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'cadence-inbox-'));
const RUN = `wh${process.pid}_${Date.now()}`;
const TABLE = 'cadence_state_test';

const BACKENDS: Array<[string, string]> = [
  ['sqlite', `sqlite://${join(dir, 'state.sqlite')}`],
  ['redis', 'redis://127.0.0.1:6379'],
  ['postgres', 'postgres://postgres@127.0.0.1:5432/test'],
  ['memory', 'memory://'],
];

const event = (deliveryId: string, entityId = '1', receivedAt = '2026-03-12T15:00:00.000Z'): RecordedEvent => ({
  deliveryId, receivedAt, action: 'change', entity: 'activity', entityId, timestamp: null,
  changeSource: 'app', userId: '7', isBulkEdit: false, attempt: 1, correlationId: null, changedFields: ['done'], mergedToId: null, mergedFromId: null,
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(BACKENDS)('webhook inbox: %s', (_kind, url) => {
  let store: StateStore;
  beforeEach(async () => {
    store = await openStateStore(url, logger, { namespace: RUN, table: TABLE });
  });
  afterEach(async () => {
    await store.clearNamespace();
    await store.close();
  });

  it('records a delivery id once, in order, and pages pending events after the processed mark', async () => {
    const inbox = webhookInbox(store.keyv, 'acme');
    expect(await inbox.record(event('a', '10'))).toEqual({ duplicate: false, seq: 1 });
    const copies = await Promise.all([inbox.record(event('b', '11')), inbox.record(event('b', '11')), inbox.record(event('b', '11'))]);
    expect(copies.filter((c) => !c.duplicate)).toHaveLength(1);
    expect(await inbox.record(event('a', '10'))).toEqual({ duplicate: true, seq: 1 });
    await inbox.record(event('c', '12'));
    expect(await inbox.count()).toBe(3);
    expect((await inbox.pending()).map((e) => [e.seq, e.deliveryId, e.entityId])).toEqual([[1, 'a', '10'], [2, 'b', '11'], [3, 'c', '12']]);
    await inbox.markProcessed(2);
    expect(await inbox.processedUpTo()).toBe(2);
    expect((await inbox.pending()).map((e) => e.deliveryId)).toEqual(['c']);
    expect((await inbox.pending({ afterSeq: 0, limit: 2 })).map((e) => e.deliveryId)).toEqual(['a', 'b']);
    // Another company's inbox is separate.
    expect(await webhookInbox(store.keyv, 'other').count()).toBe(0);
  });

  it('prunes events received before the cutoff with their seen markers, oldest first, and keeps the rest', async () => {
    const inbox = webhookInbox(store.keyv, 'acme-prune');
    for (let i = 0; i < 5; i++) await inbox.record(event(`old-${i}`, String(i), '2026-03-01T00:00:00.000Z'));
    for (let i = 0; i < 2; i++) await inbox.record(event(`new-${i}`, String(i), '2026-03-12T00:00:00.000Z'));
    expect(await inbox.prune(new Date('2026-03-05T00:00:00Z'))).toBe(5);
    expect((await inbox.pending({ afterSeq: 0 })).map((e) => e.deliveryId)).toEqual(['new-0', 'new-1']);
    expect(await inbox.prune(new Date('2026-03-05T00:00:00Z'))).toBe(0);
    // A pruned delivery id is forgotten (recorded again as new); a kept one is still a duplicate.
    expect((await inbox.record(event('new-1'))).duplicate).toBe(true);
    expect((await inbox.record(event('old-0'))).duplicate).toBe(false);
    expect(await inbox.count()).toBe(8);
  });
});
