/**
 * Health over time (docs/policy.md §10.5, seed 004 "Meça saúde de relacionamento trimestralmente"): each
 * client's health score kept per ISO week in the state store, the latest night of a week replacing the
 * earlier ones, weeks older than the retention (2 years by default) deleted when a new week is written.
 *
 * One key per week (`health:w:<2026-W10>`) holding every client of that night in a compact form: the
 * organization ids ascending as base64 varint deltas and the scores (0–100) as base64 bytes. Measured at
 * the benchmark size (50,000 clients): about 0.1 MB a week, 12 MB for two years (`health-history.test.ts`
 * prints it). An index key (`health:weeks`) lists the weeks kept.
 */
import type { Kv } from './kv.js';

export interface HealthWeek {
  /** Organization id → score. */
  scores: Map<number, number>;
}

interface StoredWeek {
  v: 1;
  ids: string;
  scores: string;
}

export interface HealthHistoryApi {
  /** Stores this week's scores (replacing any earlier night of the same week) and drops weeks beyond `keepWeeks`. */
  record(week: string, scores: ReadonlyArray<readonly [orgId: number, score: number]>, keepWeeks: number): Promise<void>;
  /** The stored weeks among `weeks`, by week label. */
  read(weeks: readonly string[]): Promise<Map<string, Map<number, number>>>;
  /** Every week kept, oldest first. */
  weeks(): Promise<string[]>;
}

const WEEK = /^\d{4}-W\d{2}$/;
const INDEX_KEY = 'health:weeks';
const weekKey = (week: string) => `health:w:${week}`;

/** Ids ascending → varint-encoded deltas (ids of a company are dense, so most deltas take one byte). */
export function encodeWeek(entries: ReadonlyArray<readonly [number, number]>): StoredWeek {
  const sorted = [...entries].sort((a, b) => a[0] - b[0]);
  const idBytes: number[] = [];
  const scores = new Uint8Array(sorted.length);
  let prev = 0;
  sorted.forEach(([id, score], i) => {
    if (!Number.isInteger(id) || id < 1 || (i > 0 && id <= prev)) throw new RangeError(`health history: organization id ${id} is not a positive integer seen once`);
    let delta = id - prev;
    prev = id;
    while (delta >= 0x80) {
      idBytes.push((delta & 0x7f) | 0x80);
      delta = Math.floor(delta / 0x80);
    }
    idBytes.push(delta);
    scores[i] = Math.max(0, Math.min(100, Math.round(score)));
  });
  return { v: 1, ids: Buffer.from(idBytes).toString('base64'), scores: Buffer.from(scores).toString('base64') };
}

export function decodeWeek(stored: StoredWeek): Map<number, number> {
  const ids = Buffer.from(stored.ids, 'base64');
  const scores = Buffer.from(stored.scores, 'base64');
  const out = new Map<number, number>();
  let prev = 0;
  let i = 0;
  for (let n = 0; n < scores.length; n++) {
    let delta = 0;
    let mul = 1;
    for (;;) {
      if (i >= ids.length) throw new Error('health history: a stored week is truncated; it will be rewritten next week');
      const b = ids[i++]!;
      delta += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 0x80;
    }
    prev += delta;
    out.set(prev, scores[n]!);
  }
  return out;
}

export function createHealthHistory(kv: Kv): HealthHistoryApi {
  return {
    async record(week, scores, keepWeeks) {
      if (!WEEK.test(week)) throw new RangeError(`health history: "${week}" is not an ISO week like 2026-W10`);
      await kv.set(weekKey(week), encodeWeek(scores));
      const index = (await kv.get<string[]>(INDEX_KEY)) ?? [];
      const all = [...new Set([...index, week])].sort();
      const drop = all.length > keepWeeks ? all.slice(0, all.length - keepWeeks) : [];
      // The index is written before the old weeks are deleted: a crash in between leaves unlisted keys, never a listed key without data.
      await kv.set(INDEX_KEY, all.slice(drop.length));
      if (drop.length > 0) await kv.delete(drop.map(weekKey));
    },
    async read(weeks) {
      const wanted = weeks.filter((w) => WEEK.test(w));
      const values = await kv.getMany<StoredWeek>(wanted.map(weekKey));
      const out = new Map<string, Map<number, number>>();
      wanted.forEach((w, i) => {
        const v = values[i];
        if (v && v.v === 1) out.set(w, decodeWeek(v));
      });
      return out;
    },
    async weeks() {
      return (await kv.get<string[]>(INDEX_KEY)) ?? [];
    },
  };
}
