/**
 * Cursor pagination as an async generator that owns the cursor (STYLE.md habit 4, PIPEDRIVE.md §2.2):
 * send `cursor=<next_cursor>` with the same filters until `next_cursor` is null or absent. A cursor the API
 * already returned once means a server-side loop: stop with RepeatedCursorError instead of spinning.
 */
import { RepeatedCursorError } from './errors.js';

export interface CursorPage<T> {
  items: T[];
  /** The cursor this page was requested with (undefined for the first page). */
  cursor: string | undefined;
  /** The cursor of the next page, or null when this was the last. */
  nextCursor: string | null;
}

export async function* paginateCursor<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  { path, startCursor }: { path: string; startCursor?: string | undefined },
): AsyncGenerator<CursorPage<T>> {
  const seen = new Set<string>();
  let cursor = startCursor;
  if (cursor !== undefined) seen.add(cursor);
  for (;;) {
    const { items, nextCursor } = await fetchPage(cursor);
    const next = nextCursor === undefined || nextCursor === '' ? null : nextCursor;
    if (next !== null && seen.has(next)) throw new RepeatedCursorError(path, next);
    yield { items, cursor, nextCursor: next };
    if (next === null) return;
    seen.add(next);
    cursor = next;
  }
}
