import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAhead } from '../../../src/sync/read-ahead.js';

/** Rejections nobody handled in time, as Node reports them (`--unhandled-rejections=throw` turns each into a crash). */
let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});
/** Lets a macrotask (I/O, a timer) pass: Node reports unhandled rejections after the microtasks of each one. */
const macrotask = (ms = 5) => new Promise((r) => setTimeout(r, ms));

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

  it('a page fetched ahead that fails while the consumer is busy (writing the page in hand) is not an unhandled rejection', async () => {
    async function* source() {
      yield 1;
      throw new Error('budget');
    }
    const seen: number[] = [];
    const run = (async () => {
      for await (const page of readAhead(source())) {
        seen.push(page);
        // The store's write of page 1: real I/O, during which the request for page 2 fails.
        await macrotask();
      }
    })();
    await expect(run).rejects.toThrow('budget');
    await macrotask();
    expect(unhandled).toEqual([]);
    expect(seen).toEqual([1]);
  });

  it('a consumer that stops (another entity failed) while the page ahead fails later: no unhandled rejection, the source is closed', async () => {
    let fail!: (e: Error) => void;
    let closed = false;
    const source = (async function* () {
      try {
        yield 1;
        yield await new Promise<number>((_, reject) => (fail = reject));
      } finally {
        closed = true;
      }
    })();
    for await (const page of readAhead(source)) {
      expect(page).toBe(1);
      await macrotask();
      break;
    }
    fail(new Error('token revoked'));
    await macrotask();
    expect(unhandled).toEqual([]);
    expect(closed).toBe(true);
  });
});
