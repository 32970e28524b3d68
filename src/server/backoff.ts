/**
 * Retry pacing after failures: 1 s, doubling, capped; a success resets it. Used where a flood
 * of calls during an outage must cost the far side one request per step, not one per call.
 */
export interface Backoff {
  /** True while the last failure's wait has not passed. */
  waiting(): boolean;
  failed(): void;
  succeeded(): void;
}

export function createBackoff(maxMs: number): Backoff {
  let step = 1_000;
  let nextAttempt = 0;
  return {
    waiting: () => Date.now() < nextAttempt,
    failed() {
      nextAttempt = Date.now() + step;
      step = Math.min(step * 2, maxMs);
    },
    succeeded() {
      step = 1_000;
      nextAttempt = 0;
    },
  };
}
