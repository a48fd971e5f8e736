import { describe, expect, it } from 'vitest';
import { readAhead } from '../../../src/sync/read-ahead.js';

describe('readAhead', () => {
  it('hands pages over in order and asks for the next one before the current one is processed', async () => {
    const events: string[] = [];
    async function* source() {
      for (let i = 1; i <= 3; i++) {
        events.push(`fetch ${i}`);
        yield i;
      }
    }
    const seen: number[] = [];
    for await (const page of readAhead(source())) {
      events.push(`process ${page}`);
      seen.push(page);
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(events).toEqual(['fetch 1', 'fetch 2', 'process 1', 'fetch 3', 'process 2', 'process 3']);
  });

  it('propagates an error of the page fetched ahead after the current page is processed', async () => {
    async function* source() {
      yield 1;
      throw new Error('budget');
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const page of readAhead(source())) seen.push(page);
      })(),
    ).rejects.toThrow('budget');
    expect(seen).toEqual([1]);
  });

  it('closes the source when the consumer stops early, without unhandled rejections', async () => {
    let closed = false;
    async function* source() {
      try {
        yield 1;
        yield 2;
        yield 3;
      } finally {
        closed = true;
      }
    }
    for await (const page of readAhead(source())) if (page === 1) break;
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(true);
  });
});
