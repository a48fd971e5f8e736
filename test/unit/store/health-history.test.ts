/**
 * Health over time in the state store (docs/policy.md §10.5): one compact entry per ISO week, the latest
 * night of a week wins, weeks beyond the retention are deleted; and its size at the benchmark scale.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { decodeWeek, encodeWeek } from '../../../src/store/health-history.js';
import { openStateStore } from '../../../src/store/open-state-store.js';

const logger = createLogger({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'cadence-health-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('week codec', () => {
  it('round-trips ids (any order in, ascending out) and clamps scores to 0–100 whole numbers', () => {
    const week = encodeWeek([[300, 55], [7, 100], [1, 0], [1_000_000, 42.6], [8, 120]]);
    expect([...decodeWeek(week)]).toEqual([[1, 0], [7, 100], [8, 100], [300, 55], [1_000_000, 43]]);
  });

  it('refuses an id twice or not a positive integer', () => {
    expect(() => encodeWeek([[5, 1], [5, 2]])).toThrow(/organization id 5/);
    expect(() => encodeWeek([[0, 1]])).toThrow(/organization id 0/);
  });

  it('an empty week is a valid week', () => {
    expect(decodeWeek(encodeWeek([])).size).toBe(0);
  });
});

describe.each([
  ['memory', 'memory://'],
  ['sqlite', `sqlite://${join(dir, 'contract.sqlite')}`],
])('health history on %s', (_kind, url) => {
  it('keeps one entry per week (the last night wins) and drops the oldest weeks beyond the retention', async () => {
    const store = await openStateStore(url, logger, { namespace: `h${process.pid}` });
    try {
      const h = store.company('acme').health;
      await h.record('2026-W09', [[1, 80], [2, 70]], 3);
      await h.record('2026-W10', [[1, 60]], 3);
      await h.record('2026-W10', [[1, 65], [2, 50]], 3); // a second night of the same week
      expect(await h.weeks()).toEqual(['2026-W09', '2026-W10']);
      const read = await h.read(['2026-W08', '2026-W09', '2026-W10']);
      expect([...read.keys()]).toEqual(['2026-W09', '2026-W10']);
      expect([...read.get('2026-W10')!]).toEqual([[1, 65], [2, 50]]);
      await h.record('2026-W11', [[1, 1]], 3);
      await h.record('2027-W01', [[1, 2]], 3);
      expect(await h.weeks()).toEqual(['2026-W10', '2026-W11', '2027-W01']);
      expect((await h.read(['2026-W09'])).size).toBe(0);
      await expect(h.record('2026-10', [], 3)).rejects.toThrow(/not an ISO week/);
    } finally {
      await store.close();
    }
  });
});

describe('size at the benchmark scale', () => {
  it('two years of weekly scores for 50,000 clients stay far below 50 MiB in SQLite', async () => {
    const file = join(dir, 'bench.sqlite');
    const store = await openStateStore(`sqlite://${file}`, logger, { namespace: 'bench' });
    // The database file and its write-ahead log, if any.
    const size = () => statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
    const before = size();
    const ids = Array.from({ length: 50_000 }, (_, i) => 1 + i + Math.floor(i / 7)); // ids with gaps, like a real company
    try {
      const h = store.company('bench').health;
      for (let w = 0; w < 105; w++) {
        const year = 2025 + Math.floor(w / 52);
        const week = `${year}-W${String((w % 52) + 1).padStart(2, '0')}`;
        await h.record(week, ids.map((id, i) => [id, (i * 37 + w * 11) % 101] as const), 105);
      }
      expect(await h.weeks()).toHaveLength(105);
    } finally {
      await store.close();
    }
    const added = (size() - before) / 2 ** 20;
    console.log(`health history: 105 weeks × 50,000 clients = ${added.toFixed(1)} MiB in SQLite`);
    expect(added).toBeLessThan(50);
  }, 120_000);
});
