/**
 * Metrics of the background processing of webhook events (docs/operations.md "Near-real-time"), on the
 * worker's registry. The receiver's own counter (`cadence_webhook_requests_total`: recorded, duplicate,
 * refusals) is registered by the composition root beside these.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

/** Seconds from an event to the write it caused: the quiet period plus the batch, up to the max delay and a lock wait. */
export const WEBHOOK_LAG_BUCKETS_SECONDS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800];
/** Events per batch: one edit to a bulk edit of thousands. */
export const WEBHOOK_BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 50, 100, 500, 1000, 5000, 20000];

export interface WebhookMetrics {
  /** {company, class: own_write|irrelevant|relevant}: events processed, by what they asked for. */
  events: Counter<'company' | 'class'>;
  /** {company}: coalesced batches processed. */
  batches: Counter<'company'>;
  /** {company}: events per batch. */
  batchSize: Histogram<'company'>;
  /** {company}: seconds from an event to the write it caused. */
  lag: Histogram<'company'>;
  /** {company}: batches that waited because the company was locked (the nightly job). */
  lockBusy: Counter<'company'>;
  /** {company}: batches that failed (their events stay in the inbox and are tried again). */
  failures: Counter<'company'>;
}

export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  const registers = [registry];
  return {
    events: new Counter({ name: 'cadence_webhook_events_total', help: 'Webhook events processed, by class: own_write (an echo of our own write, ignored), irrelevant (changes nothing the rules read, ignored), relevant.', labelNames: ['company', 'class'], registers }),
    batches: new Counter({ name: 'cadence_webhook_batches_total', help: 'Coalesced batches of webhook events processed.', labelNames: ['company'], registers }),
    batchSize: new Histogram({ name: 'cadence_webhook_batch_events', help: 'Events per coalesced batch.', labelNames: ['company'], buckets: WEBHOOK_BATCH_SIZE_BUCKETS, registers }),
    lag: new Histogram({ name: 'cadence_webhook_lag_seconds', help: 'Seconds from a webhook event to the write it caused.', labelNames: ['company'], buckets: WEBHOOK_LAG_BUCKETS_SECONDS, registers }),
    lockBusy: new Counter({ name: 'cadence_webhook_lock_busy_total', help: 'Batches that waited because another job held the company (the nightly run).', labelNames: ['company'], registers }),
    failures: new Counter({ name: 'cadence_webhook_batch_failures_total', help: 'Webhook batches that failed; their events stay in the inbox and are tried again.', labelNames: ['company'], registers }),
  };
}

export interface ObservedBatch {
  events: number;
  byClass: Record<'own_write' | 'irrelevant' | 'relevant', number>;
  lagSeconds: readonly number[];
}

export function observeWebhookBatch(m: WebhookMetrics, company: string, b: ObservedBatch): void {
  if (b.events === 0) return;
  m.batches.inc({ company });
  m.batchSize.observe({ company }, b.events);
  for (const [cls, n] of Object.entries(b.byClass)) if (n > 0) m.events.inc({ company, class: cls }, n);
  for (const s of b.lagSeconds) m.lag.observe({ company }, s);
}
