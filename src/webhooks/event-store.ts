/**
 * The durable inbox of webhook events, per company, in the state store (SQLite, Redis, PostgreSQL):
 *
 *   c:<company>:wh:seq            last sequence number written
 *   c:<company>:wh:e:<seq>        the RecordedEvent
 *   c:<company>:wh:seen:<id>      delivery id → its sequence number (deduplication)
 *   c:<company>:wh:done           highest sequence number processed (background processing)
 *   c:<company>:wh:attempt        highest sequence number of a batch that started writing to Pipedrive
 *   c:<company>:wh:pruned         highest sequence number removed by `prune` (with its seen marker)
 *
 * Write order: the event, then the sequence counter, then the seen marker. A crash before the counter
 * leaves nothing visible (Pipedrive gets no 2xx and retries into the same slot); a crash before the seen
 * marker can at worst record a retry twice, which processing tolerates (events are hints, the nightly
 * sweep is the truth). Never the reverse: a delivery marked seen is always in the inbox.
 *
 * One process writes a company's inbox at a time (recording is serialised in-process); running several
 * receivers for one company could record a delivery twice, never lose one.
 */
import { scopedKv, type Kv } from '../store/kv.js';
import type Keyv from 'keyv';
import { RecordedEvent } from './envelope.js';

export interface RecordResult {
  duplicate: boolean;
  seq: number;
}

export interface WebhookInbox {
  /** Records an event unless its delivery id was recorded before. */
  record(event: RecordedEvent): Promise<RecordResult>;
  /** Events after `afterSeq` (default: after the processed mark), oldest first, at most `limit`. */
  pending(options?: { afterSeq?: number; limit?: number }): Promise<Array<RecordedEvent & { seq: number }>>;
  /** Number of events recorded so far. */
  count(): Promise<number>;
  /** Highest processed sequence number. */
  processedUpTo(): Promise<number>;
  markProcessed(seq: number): Promise<void>;
  /**
   * Highest sequence number of a batch that began writing to Pipedrive. Above `processedUpTo`, a batch
   * died while writing: the next one must not trust the mirror's flag values (its writes may have landed).
   */
  attemptedUpTo(): Promise<number>;
  markAttempt(seq: number): Promise<void>;
  /**
   * Removes the events received before `cutoff`, oldest first, with their seen markers (so storage stays
   * bounded; Pipedrive's retries end within minutes, so a week of deduplication is plenty). Returns how
   * many were removed.
   */
  prune(cutoff: Date): Promise<number>;
}

const PRUNE_CHUNK = 500;

export function webhookInbox(keyv: Keyv, companyId: string): WebhookInbox {
  const kv: Kv = scopedKv(keyv, `c:${companyId}:wh:`);
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  const seqNow = async (): Promise<number> => (await kv.get<number>('seq')) ?? 0;

  return {
    record: (event) =>
      serial(async () => {
        const seen = await kv.get<number>(`seen:${event.deliveryId}`);
        if (seen !== undefined) return { duplicate: true, seq: seen };
        const seq = (await seqNow()) + 1;
        await kv.set(`e:${seq}`, RecordedEvent.parse(event));
        await kv.set('seq', seq);
        await kv.set(`seen:${event.deliveryId}`, seq);
        return { duplicate: false, seq };
      }),
    async pending({ afterSeq, limit = 1000 } = {}) {
      const floor = Math.max((await kv.get<number>('pruned')) ?? 0, afterSeq ?? (await kv.get<number>('done')) ?? 0);
      const from = floor + 1;
      const to = Math.min(await seqNow(), from + limit - 1);
      if (to < from) return [];
      const seqs = Array.from({ length: to - from + 1 }, (_, i) => from + i);
      const values = await kv.getMany<unknown>(seqs.map((s) => `e:${s}`));
      const out: Array<RecordedEvent & { seq: number }> = [];
      values.forEach((v, i) => {
        const parsed = RecordedEvent.safeParse(v);
        if (parsed.success) out.push({ ...parsed.data, seq: seqs[i]! });
      });
      return out;
    },
    count: seqNow,
    async processedUpTo() {
      return (await kv.get<number>('done')) ?? 0;
    },
    async markProcessed(seq) {
      await kv.set('done', seq);
    },
    async attemptedUpTo() {
      return (await kv.get<number>('attempt')) ?? 0;
    },
    async markAttempt(seq) {
      await kv.set('attempt', seq);
    },
    prune: (cutoff) =>
      serial(async () => {
        let pruned = (await kv.get<number>('pruned')) ?? 0;
        const last = await seqNow();
        let removed = 0;
        while (pruned < last) {
          const seqs = Array.from({ length: Math.min(PRUNE_CHUNK, last - pruned) }, (_, i) => pruned + 1 + i);
          const values = await kv.getMany<unknown>(seqs.map((q) => `e:${q}`));
          const old: number[] = [];
          const seen: string[] = [];
          for (let i = 0; i < seqs.length; i++) {
            const e = RecordedEvent.safeParse(values[i]);
            // A slot never written (a crash before the counter moved) or unreadable goes too.
            if (e.success && Date.parse(e.data.receivedAt) >= cutoff.getTime()) break;
            old.push(seqs[i]!);
            if (e.success) seen.push(`seen:${e.data.deliveryId}`);
          }
          if (old.length === 0) break;
          await kv.delete([...seen, ...old.map((q) => `e:${q}`)]);
          pruned = old[old.length - 1]!;
          await kv.set('pruned', pruned);
          removed += old.length;
          if (old.length < seqs.length) break;
        }
        return removed;
      }),
  };
}
