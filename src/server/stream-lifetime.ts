/**
 * How long a stream may outlive the token it was opened with. The access token is checked
 * once, when a call starts; a server stream then runs on. This bounds it, and ends it with a
 * status the client can act on, before the gateway's hard bound (Envoy's route
 * `max_stream_duration` resets a stream mid-way: clients read INTERNAL):
 *
 *  - every stream ends after `maxStreamMs` with UNAVAILABLE, "stream reached its maximum
 *    duration; open a new one" (the client reopens, with a fresh token if its own expired);
 *  - with `endAtTokenExpiry`, a stream also ends when its token would no longer be accepted
 *    (`exp` plus the clock tolerance) with UNAUTHENTICATED, "access token expired during the
 *    stream": for data that must stop the moment access ends.
 *
 * Messages already sent stay sent; the handler is stopped at its next yield.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { principalKey } from "./context.js";

export interface StreamLifetimeOptions {
  /**
   * Longest life of a streaming call, ms. Keep it below the gateway's `maxStreamDuration`.
   * @default 900000 (15 min)
   */
  maxStreamMs?: number;
  /** Also end a stream when its access token expires. @default false */
  endAtTokenExpiry?: boolean;
  /** Seconds past `exp` a token is still accepted (the verifier's tolerance). @default 30 */
  clockToleranceSeconds?: number;
}

/** The message of a stream ended at its maximum duration. */
export const STREAM_MAX_DURATION_MESSAGE = "stream reached its maximum duration; open a new one";
/** The message of a stream ended because its token expired (with `endAtTokenExpiry`). */
export const STREAM_TOKEN_EXPIRED_MESSAGE = "access token expired during the stream";

/** Creates the interceptor; put it after authentication, so the token's expiry is known. */
export function createStreamLifetimeInterceptor(options: StreamLifetimeOptions = {}): Interceptor {
  const maxMs = options.maxStreamMs ?? 900_000;
  if (!(maxMs > 0)) throw new TypeError("maxStreamMs must be > 0");
  const toleranceMs = (options.clockToleranceSeconds ?? 30) * 1000;
  return (next) => async (req) => {
    const res = await next(req);
    if (!res.stream) return res;
    const started = Date.now();
    const expiresAt = req.contextValues.get(principalKey)?.expiresAt;
    const tokenEnd =
      options.endAtTokenExpiry && expiresAt !== undefined
        ? expiresAt * 1000 + toleranceMs
        : Number.POSITIVE_INFINITY;
    const end =
      tokenEnd < started + maxMs
        ? {
            at: tokenEnd,
            error: () => new ConnectError(STREAM_TOKEN_EXPIRED_MESSAGE, Code.Unauthenticated),
          }
        : {
            at: started + maxMs,
            error: () => new ConnectError(STREAM_MAX_DURATION_MESSAGE, Code.Unavailable),
          };
    return { ...res, message: until(res.message, end.at, end.error) };
  };
}

/** Yields `source` until `deadline` (epoch ms), then throws `error()`. */
async function* until<T>(
  source: AsyncIterable<T>,
  deadline: number,
  error: () => ConnectError,
): AsyncIterable<T> {
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw error();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), left);
      });
      const step = await Promise.race([it.next(), timeout]);
      clearTimeout(timer);
      if (step === "timeout") throw error();
      if (step.done) return;
      yield step.value;
    }
  } finally {
    // Stops the handler at its next yield; not awaited: it may be sleeping until then.
    void it.return?.()?.catch(() => {});
  }
}
