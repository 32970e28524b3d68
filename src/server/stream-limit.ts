/**
 * A per-caller budget of concurrent streaming calls. Envoy can bound streams per connection,
 * per traffic class and in total, but not per user: one signed-in reader with 2,000 WatchNotes
 * streams would hold the whole stream budget of the gateway. The backend knows who calls, so
 * it refuses a caller's stream beyond `maxPerCaller` at once (RESOURCE_EXHAUSTED), which
 * frees the gateway's slot for someone else.
 *
 * The caller is the verified token subject; public streams (no token) are counted per
 * connection peer (the gateway's identity behind Envoy, the client address on a direct path).
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { methodPath } from "../common/method-path.js";
import { callerOf, principalKey } from "./context.js";
import { type DenialSink, denialRecord, emitDenial } from "./denial-log.js";

export interface StreamLimitOptions {
  /**
   * Streaming calls one caller may have open at once; the next is refused.
   * @default 16
   * @example 4
   */
  maxPerCaller?: number;
  /** Receives a record for every refusal. @default undefined (not logged) */
  onDenied?: DenialSink;
}

/** The message of a refused stream (the caller may retry once one of its streams ends). */
export const TOO_MANY_STREAMS_MESSAGE = "too many concurrent streams for this caller";

/** Creates the interceptor; put it after authentication, so the subject is known. */
export function createStreamLimitInterceptor(options: StreamLimitOptions = {}): Interceptor {
  const max = options.maxPerCaller ?? 16;
  if (!Number.isSafeInteger(max) || max < 1) throw new TypeError("maxPerCaller must be >= 1");
  const open = new Map<string, number>();
  const release = (key: string) => {
    const n = (open.get(key) ?? 1) - 1;
    if (n <= 0) open.delete(key);
    else open.set(key, n);
  };
  return (next) => async (req) => {
    if (req.method.methodKind === "unary") return next(req);
    const principal = req.contextValues.get(principalKey);
    const key = principal ? `sub:${principal.subject}` : `peer:${callerOf(req.contextValues)}`;
    const count = open.get(key) ?? 0;
    if (count >= max) {
      emitDenial(
        options.onDenied,
        denialRecord({
          layer: "limit",
          method: methodPath(req),
          peer: callerOf(req.contextValues),
          reason: "too-many-streams",
          code: "resource_exhausted",
          ...(principal ? { subject: principal.subject } : {}),
        }),
      );
      throw new ConnectError(TOO_MANY_STREAMS_MESSAGE, Code.ResourceExhausted);
    }
    open.set(key, count + 1);
    // Released exactly once: when the response stream ends however it ends, or when the call
    // is cancelled before the stream was ever read (a generator never started has no finally).
    let released = false;
    const done = () => {
      if (released) return;
      released = true;
      req.signal.removeEventListener("abort", done);
      release(key);
    };
    req.signal.addEventListener("abort", done, { once: true });
    let res: Awaited<ReturnType<typeof next>>;
    try {
      res = await next(req);
    } catch (err) {
      done();
      throw err;
    }
    if (!res.stream) {
      done();
      return res;
    }
    return { ...res, message: releasing(res.message, done) };
  };
}

async function* releasing<T>(source: AsyncIterable<T>, done: () => void): AsyncIterable<T> {
  try {
    yield* source;
  } finally {
    done();
  }
}
