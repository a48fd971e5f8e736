import { describe, expect, it } from 'vitest';
import { buildJsonReport } from '../../../src/report/build-json-report.js';
import { batchChunks, reportJsonChunks } from '../../../src/report/json-chunks.js';
import { LazyRows } from '../../../src/report/rows.js';
import { buildFixture } from './fixtures.js';

describe('reportJsonChunks', () => {
  it('concatenates to exactly JSON.stringify of the report, in many pieces', () => {
    const fx = buildFixture();
    const report = buildJsonReport({ runId: 'r', companyDomain: 'acme', ...fx });
    const chunks = [...reportJsonChunks(report)];
    expect(chunks.join('')).toBe(JSON.stringify(report));
    expect(chunks.length).toBeGreaterThan(100);
  });

  it('follows JSON.stringify for undefined, functions, dates and nested values', () => {
    const value = { a: undefined, b: () => 1, c: [undefined, () => 2, 3], d: new Date(0), e: { f: [{ g: 'ação "x"' }] }, h: null };
    expect([...reportJsonChunks(value)].join('')).toBe(JSON.stringify(value));
    expect([...reportJsonChunks([])].join('')).toBe('[]');
    expect([...reportJsonChunks({})].join('')).toBe('{}');
  });

  it('writes a lazy list element by element, as JSON.stringify writes the array it stands for', () => {
    const rows = new LazyRows(3, (i) => ({ i, name: `ação ${i}`, skip: undefined }));
    const chunks = [...reportJsonChunks({ a: { list: rows }, empty: new LazyRows(0, () => 1) })];
    expect(chunks.join('')).toBe(JSON.stringify({ a: { list: rows.slice() }, empty: [] }));
    expect(chunks.filter((c) => c.includes('"i":'))).toHaveLength(3);
  });

  it('batches small chunks into pieces of about the given size, losing nothing', () => {
    const fx = buildFixture();
    const report = buildJsonReport({ runId: 'r', companyDomain: 'acme', ...fx });
    const pieces = [...batchChunks(reportJsonChunks(report), 1000)];
    expect(pieces.join('')).toBe(JSON.stringify(report));
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces.slice(0, -1)) expect(piece.length).toBeGreaterThanOrEqual(1000);
    expect([...batchChunks([])]).toEqual([]);
    expect([...batchChunks(['a', 'b'], 10)]).toEqual(['ab']);
  });
});
