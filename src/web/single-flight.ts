/**
 * Single-flight: concurrent callers share one running operation.
 */

/**
 * Wrap `fn` so that calls made while one is running share its promise instead of starting
 * another (a call that joins a running one gets that run's result; its own arguments are
 * not used). The next call after it settles starts a new run.
 *
 * @example
 * const refresh = singleFlight(() => fetchNewToken());
 * await Promise.all([refresh(), refresh()]); // one fetchNewToken()
 */
export function singleFlight<A extends unknown[], T>(
  fn: (...args: A) => Promise<T>,
): (...args: A) => Promise<T> {
  let running: Promise<T> | undefined;
  const clear = () => {
    running = undefined;
  };
  return (...args) => {
    if (running === undefined) {
      let run: Promise<T>;
      try {
        run = Promise.resolve(fn(...args));
      } catch (err) {
        // A synchronous throw fails this call only; nothing is shared or kept.
        return Promise.reject(err);
      }
      running = run;
      run.then(clear, clear);
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
