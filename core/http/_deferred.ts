/**
 * Promises to wait on and wake, abortable.
 *
 * @module
 */

/** A promise with its `resolve`, for waking waiters. */
export interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

/** A fresh {@linkcode Deferred}. */
export function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** `promise`, or a rejection with `signal.reason` if it aborts first. */
export function untilSettled(
  promise: Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}
