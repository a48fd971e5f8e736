import { describe, expect, it } from 'vitest';
import { buildJsonReport } from '../../../src/report/build-json-report.js';
import { batchChunks, jsonChunks } from '../../../src/report/json-chunks.js';
import { buildFixture } from './fixtures.js';

describe('jsonChunks', () => {
  it('concatenates to exactly JSON.stringify of the report, in many pieces', () => {
    const fx = buildFixture();
    const report = buildJsonReport({ runId: 'r', companyDomain: 'acme', ...fx });
    const chunks = [...jsonChunks(report)];
    expect(chunks.join('')).toBe(JSON.stringify(report));
    expect(chunks.length).toBeGreaterThan(100);
  });

  it('follows JSON.stringify for undefined, functions, dates and nested values', () => {
    const value = { a: undefined, b: () => 1, c: [undefined, () => 2, 3], d: new Date(0), e: { f: [{ g: 'ação "x"' }] }, h: null };
    expect([...jsonChunks(value)].join('')).toBe(JSON.stringify(value));
    expect([...jsonChunks([])].join('')).toBe('[]');
    expect([...jsonChunks({})].join('')).toBe('{}');
  });

  it('batches small chunks into pieces of about the given size, losing nothing', () => {
    const fx = buildFixture();
    const report = buildJsonReport({ runId: 'r', companyDomain: 'acme', ...fx });
    const pieces = [...batchChunks(jsonChunks(report), 1000)];
    expect(pieces.join('')).toBe(JSON.stringify(report));
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces.slice(0, -1)) expect(piece.length).toBeGreaterThanOrEqual(1000);
    expect([...batchChunks([])]).toEqual([]);
    expect([...batchChunks(['a', 'b'], 10)]).toEqual(['ab']);
  });
});
