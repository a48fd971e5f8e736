/**
 * Fetch the next page while the current one is being written: the pull is then bounded by the slower of
 * the API and the store, not by their sum. Order is unchanged (pages are still handed over, and committed
 * with their checkpoints, one after the other); only the request for page n+1 starts before page n is
 * committed, which is safe because a resume restarts from the last *committed* cursor.
 */
export async function* readAhead<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  let pending = source.next();
  try {
    for (;;) {
      const result = await pending;
      if (result.done) return;
      pending = source.next();
      yield result.value;
    }
  } finally {
    // The consumer stopped early (or failed): the request in flight is no longer wanted.
    pending.then(
      () => source.return(undefined),
      () => undefined,
    );
  }
}
