/**
 * Single-flight: concurrent callers share one running operation.
 */

/**
 * Wrap `fn` so that calls made while one is running share its promise instead of starting
 * another. The next call after it settles starts a new run.
 *
 * @example
 * const refresh = singleFlight(() => fetchNewToken());
 * await Promise.all([refresh(), refresh()]); // one fetchNewToken()
 */
export function singleFlight<T>(fn: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => {
    if (running === undefined) {
      running = (async () => {
        try {
          return await fn();
        } finally {
          running = undefined;
        }
      })();
    }
    return running;
  };
}

/**
 * Wait for `promise` but give up when `signal` aborts (the promise itself keeps running, so a
 * shared refresh continues for the other callers).
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
