import { describe, expect, it } from 'vitest';
import { buildJsonReport } from '../../../src/report/build-json-report.js';
import { jsonChunks } from '../../../src/report/json-chunks.js';
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
});
