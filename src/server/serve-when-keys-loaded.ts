/**
 * Health that tells the truth at startup: a backend whose IdP cannot be reached cannot check
 * any token, so it reports NOT_SERVING until the verifier has loaded the IdP's keys, and
 * SERVING from then on (held keys outlive a later IdP outage: the verifier keeps them until
 * its cache ages out). Envoy's `/ready` reads the backend's gRPC health, so a gateway in front
 * of such a backend is not ready either, and a load balancer sends it nothing.
 */
import { type HealthService, ServingStatus } from "./health.js";
import type { JwtVerifier } from "./jwt-verifier.js";

export interface ServeWhenKeysLoadedOptions {
  /** The verifier whose keys decide. */
  verifier: JwtVerifier;
  /** Its statuses are switched. */
  health: HealthService;
  /** Service names to switch; `""` is the whole server. @default [""] */
  services?: readonly string[];
  /** Stops trying (server shutdown). */
  signal: AbortSignal;
  /** Longest wait between two attempts, ms (doubling from 1 s). @default 30000 */
  maxBackoffMs?: number;
  /** Called once keys are loaded. */
  onLoaded?: (attempts: number) => void;
  /** Called after each failed attempt with the wait before the next. */
  onWaiting?: (attempt: number, nextInMs: number) => void;
}

/** Sets NOT_SERVING, then SERVING once keys are loaded; resolves then (or when aborted). */
export async function serveWhenKeysLoaded(o: ServeWhenKeysLoadedOptions): Promise<void> {
  const services = o.services ?? [""];
  const load = o.verifier.loadKeys?.bind(o.verifier);
  if (!load) return;
  for (const s of services) o.health.setStatus(s, ServingStatus.NOT_SERVING);
  const max = o.maxBackoffMs ?? 30_000;
  let wait = 1_000;
  for (let attempt = 1; !o.signal.aborted; attempt++) {
    if (await load()) {
      if (o.signal.aborted) return;
      for (const s of services) o.health.setStatus(s, ServingStatus.SERVING);
      o.onLoaded?.(attempt);
      return;
    }
    o.onWaiting?.(attempt, wait);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, wait);
      function done() {
        clearTimeout(timer);
        o.signal.removeEventListener("abort", done);
        resolve();
      }
      o.signal.addEventListener("abort", done, { once: true });
    });
    wait = Math.min(wait * 2, max);
  }
}
