/** A closed-loop load generator: `concurrency` workers share `calls` calls. */

export interface LoadResult {
  /** Calls completed. */
  calls: number;
  /** Calls that failed (counted, not retried). */
  failed: number;
  /** Wall time, seconds. */
  seconds: number;
  /** Latency of every call, ms. */
  latencies: number[];
  /** The first failure, for the report. */
  firstError: string | undefined;
}

export async function runLoad(
  call: () => Promise<unknown>,
  o: { calls: number; concurrency: number },
): Promise<LoadResult> {
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const latencies: number[] = [];
  const started = performance.now();
  const worker = async () => {
    while (next < o.calls) {
      next++;
      const t = performance.now();
      try {
        await call();
      } catch (err) {
        failed++;
        firstError ??= String((err as Error)?.message ?? err);
      }
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return {
    calls: latencies.length,
    failed,
    seconds: (performance.now() - started) / 1000,
    latencies,
    firstError,
  };
}
