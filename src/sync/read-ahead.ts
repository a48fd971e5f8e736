/**
 * Fetch the next page while the current one is being written: the pull is then bounded by the slower of
 * the API and the store, not by their sum. Order is unchanged (pages are still handed over, and committed
 * with their checkpoints, one after the other); only the request for page n+1 starts before page n is
 * committed, which is safe because a resume restarts from the last *committed* cursor.
 *
 * The request ahead is observed from the moment it starts: it may fail (daily budget spent, token revoked)
 * while the consumer is still writing page n, which is I/O, and a rejection with no handler by the end of
 * that tick is an unhandled rejection (a crash under Node's default `--unhandled-rejections=throw`). Its
 * error still reaches the consumer, which awaits the same promise when it asks for page n+1.
 */
export async function* readAhead<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  let pending = observed(source.next());
  try {
    for (;;) {
      const result = await pending;
      if (result.done) return;
      pending = observed(source.next());
      yield result.value;
    }
  } finally {
    // The consumer stopped early (or failed): the request in flight is no longer wanted. Once it settles,
    // close the source; neither its failure nor the closing's is anyone's concern any more.
    pending.then(
      () => source.return(undefined).catch(() => undefined),
      () => undefined,
    );
  }
}

/** Marks a promise as handled without changing what its awaiters see. */
function observed<P>(promise: Promise<P>): Promise<P> {
  promise.catch(() => undefined);
  return promise;
}
