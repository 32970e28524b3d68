/**
 * The auth interceptor: a Bearer token on every call, refresh before expiry (through the
 * token source), and one retry after `UNAUTHENTICATED`.
 */

import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { methodPath } from "../common/method-path.js";
import { isSessionEnded, refreshErrorReason } from "./errors.js";
import { replayable } from "./stream-replay.js";
import type { TokenSource } from "./token-source.js";

/** Options of {@link authInterceptor}. */
export interface AuthInterceptorOptions {
  /**
   * Retry once after the server answers `UNAUTHENTICATED` (unary calls, and server streams
   * that failed before their first message), with a forced refresh unless the token already
   * changed since the call began. `PERMISSION_DENIED` is never retried, and there is no retry
   * when the token source has no other token to offer (e.g. `StaticTokenSource`), or when the
   * call's deadline is already spent.
   *
   * @default true
   * @example
   * authInterceptor(tokens, { retryUnauthenticated: false })
   */
  retryUnauthenticated?: boolean;
  /**
   * Called when a call is retried, with the method path (`/pkg.Service/Method`). The retry is
   * also published to the token source's subscribers as `{ type: "retry" }`.
   *
   * @example
   * authInterceptor(tokens, { onRetry: (method) => console.debug("retry", method) })
   */
  onRetry?: (method: string) => void;
}

const headerTimeout = "grpc-timeout";

/** Milliseconds per `grpc-timeout` unit. */
const timeoutUnitMs: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};

/** Parse a `grpc-timeout` header value to milliseconds. */
export function parseGrpcTimeout(value: string | null): number | undefined {
  const m = value?.match(/^(\d{1,8})([HMSmun])$/);
  if (!m) return undefined;
  return Number(m[1]) * (timeoutUnitMs[m[2]!] ?? 1);
}

/** True when the server rejected the call's credentials. */
function isUnauthenticated(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.Unauthenticated;
}

/**
 * Turn token source failures into ConnectErrors that a client call can throw. Read by `code`,
 * not class, so a token source from another copy of this package is understood too.
 */
function tokenError(err: unknown): unknown {
  const code = isSessionEnded(err)
    ? Code.Unauthenticated
    : refreshErrorReason(err) !== undefined
      ? Code.Unavailable
      : undefined;
  if (code === undefined || err instanceof ConnectError) return err;
  return new ConnectError((err as Error).message, code, undefined, undefined, err);
}

async function token(tokens: TokenSource, forceRefresh: boolean, signal: AbortSignal) {
  try {
    return await tokens.getToken({ forceRefresh, signal });
  } catch (err) {
    throw tokenError(err);
  }
}

/** Put the access token on a request: the one place that writes credentials to headers. */
function setCredentials(header: Headers, accessToken: string): void {
  header.set("authorization", `Bearer ${accessToken}`);
}

/**
 * Create the auth interceptor. `interceptors[0]` is the outermost layer, so put this one last
 * when you add it to your own transport.
 *
 * @example
 * createGrpcWebTransport({ baseUrl, interceptors: [logger, authInterceptor(tokens)] });
 */
export function authInterceptor(
  tokens: TokenSource,
  options: AuthInterceptorOptions = {},
): Interceptor {
  const retry = options.retryUnauthenticated ?? true;
  return (next) => async (req) => {
    const started = Date.now();
    const budgetMs = parseGrpcTimeout(req.header.get(headerTimeout));
    const used = await token(tokens, false, req.signal);
    setCredentials(req.header, used);

    // Decide whether to retry and with which token; undefined means "do not retry".
    const retryToken = async (err: unknown): Promise<string | undefined> => {
      if (!retry || !isUnauthenticated(err) || req.signal.aborted) return undefined;
      let fresh = await token(tokens, false, req.signal);
      if (fresh === used) fresh = await token(tokens, true, req.signal);
      if (fresh === used) return undefined; // a retry with the rejected token cannot succeed
      if (budgetMs !== undefined) {
        const left = Math.floor(budgetMs - (Date.now() - started));
        if (left <= 0) {
          throw new ConnectError("deadline exceeded before retry", Code.DeadlineExceeded);
        }
        req.header.set(headerTimeout, `${left}m`);
      }
      setCredentials(req.header, fresh);
      const method = methodPath(req);
      tokens.notify?.({ type: "retry", method });
      options.onRetry?.(method);
      return fresh;
    };

    // Unary calls and server streams are retried; client and bidi streams go through once.
    if (req.stream && req.method.methodKind !== "server_streaming") return await next(req);
    const attempt = await replayable(next, req);
    try {
      return await attempt();
    } catch (err) {
      if ((await retryToken(err)) === undefined) throw err;
      return await attempt();
    }
  };
}
