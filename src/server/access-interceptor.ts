/**
 * Authorization from the proto: each method's `(grpcweboidc.v1.access)` option, read
 * by `buildAccessPolicy` at startup. Default deny: an unknown method or one without
 * the option is refused. Refusals are PERMISSION_DENIED (UNAUTHENTICATED when no
 * principal was established, which only happens if authentication was skipped).
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { AccessPolicy, AccessReason } from "../access/index.js";
import { methodPath } from "../common/method-path.js";
import { UNAUTHENTICATED_MESSAGE } from "./authn-interceptor.js";
import { callerOf, principalKey } from "./context.js";
import { type DenialReason, type DenialSink, denialRecord, emitDenial } from "./denial-log.js";

export interface AccessInterceptorOptions {
  /** The policy, e.g. `buildAccessPolicy([NotesService])`. */
  policy: AccessPolicy;
  /** Receives a record for every refusal. @default undefined (not logged) */
  onDenied?: DenialSink;
}

/** The message of every PERMISSION_DENIED refusal. */
export const PERMISSION_DENIED_MESSAGE = "permission denied";

/** Creates the interceptor; put it after the authentication interceptor. */
export function createAccessInterceptor(options: AccessInterceptorOptions): Interceptor {
  const { policy, onDenied } = options;
  return (next) => async (req) => {
    const path = methodPath(req);
    const principal = req.contextValues.get(principalKey);
    const decision = policy.evaluate(path, principal);
    if (decision.allowed) return next(req);
    const noCredentials = decision.reason === "no-credentials";
    const code = noCredentials ? Code.Unauthenticated : Code.PermissionDenied;
    emitDenial(
      onDenied,
      denialRecord({
        layer: "authz",
        method: path,
        peer: callerOf(req.contextValues),
        reason: denialReason(decision.reason),
        code: noCredentials ? "unauthenticated" : "permission_denied",
        ...(principal ? { subject: principal.subject } : {}),
      }),
    );
    throw new ConnectError(
      noCredentials ? UNAUTHENTICATED_MESSAGE : PERMISSION_DENIED_MESSAGE,
      code,
    );
  };
}

function denialReason(reason: AccessReason): DenialReason {
  switch (reason) {
    case "no-credentials":
    case "missing-scope":
    case "missing-role":
      return reason;
    default:
      return "no-policy";
  }
}
