/** A batch never stalls behind an inbox slot it cannot read (pruned or corrupted): the processed mark moves past it. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { CompanyParts } from '../../../src/job/company-parts.js';
import { runWebhookBatch } from '../../../src/job/run-webhook-batch.js';
import { openStateStore } from '../../../src/store/open-state-store.js';
import { webhookInbox } from '../../../src/webhooks/event-store.js';

const logger = pino({ level: 'silent' });

describe('runWebhookBatch with nothing readable', () => {
  it('moves the processed mark past unreadable slots, so later events are not stuck behind them', async () => {
    const store = await openStateStore('memory://', logger);
    try {
      const inbox = webhookInbox(store.keyv, 'acme');
      await store.keyv.set('c:acme:wh:e:1', { not: 'an event' });
      await store.keyv.set('c:acme:wh:seq', 1);
      const parts = { config: { companyId: 'acme' }, logger } as unknown as CompanyParts;
      const out = await runWebhookBatch(parts, { inbox, meUserId: null });
      expect(out.events).toBe(0);
      expect(await inbox.processedUpTo()).toBe(1);
    } finally {
      await store.close();
    }
  });
});
