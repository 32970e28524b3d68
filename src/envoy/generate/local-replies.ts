/**
 * How the gateway's own refusals reach gRPC clients: one table of HTTP status →
 * gRPC status and message, emitted as the connection manager's `local_reply_config`.
 *
 * Without it, jwt_authn, RBAC and local_ratelimit answer a gRPC-Web call with HTTP
 * 401/403/429; the grpc_web filter adds `grpc-status` but keeps that HTTP status, and
 * Google's grpc-web runtime ignores `grpc-status`/`grpc-message` on any non-200 reply
 * (401 → 16, 403 → 7, 429 → 8, message "Http response at 400 or 500 level") while
 * Connect-ES reads the headers (429 → 14). Each mapper here turns such a reply into
 * what a gRPC server would send: HTTP 200, trailers-only (`grpc-status`, `grpc-message`
 * in the headers, no body), so every client reads the same code and message. The CORS
 * filter is the outermost encoder, so the reply keeps its CORS exposure.
 *
 * Token refusals come first: jwt_authn's 403 for another audience and the access-token
 * filter's 403 (token-acceptance.ts) read as UNAUTHENTICATED, as the backend kit answers them.
 */
import { Code } from "@connectrpc/connect";
import { PERMISSION_DENIED_MESSAGE } from "../../server/access-interceptor.js";
import { UNAUTHENTICATED_MESSAGE } from "../../server/authn-interceptor.js";
import { UNKNOWN_METHOD_MESSAGE } from "../../server/unknown-method.js";
import type { JsonObject } from "./json.js";
import { JWKS_UNAVAILABLE_REPLY, jwksUnavailableFilter } from "./readiness.js";
import { tokenRefusalFilters } from "./token-acceptance.js";

/** One row of the table. */
export interface GrpcLocalReply {
  /** The HTTP status Envoy's filter answers with. */
  readonly httpStatus: number;
  /** What gRPC clients read instead. */
  readonly grpcStatus: Code;
  /** `grpc-message`: plain ASCII, no `%` (sent as is). */
  readonly message: string;
  /** Who answers with it, and why this code. */
  readonly why: string;
}

/** The message of a gateway rate-limit refusal. */
export const RATE_LIMITED_MESSAGE = "rate limit exceeded";
/** The message when a call's deadline ran out at the gateway. */
export const DEADLINE_EXCEEDED_MESSAGE = "deadline exceeded";
/** The message when the gateway has no backend to send a call to. */
export const UPSTREAM_UNAVAILABLE_MESSAGE = "upstream unavailable";

/** The table. Messages equal the backend kit's, so a client reads one text per refusal. */
export const GRPC_LOCAL_REPLIES: readonly GrpcLocalReply[] = [
  {
    httpStatus: 401,
    grpcStatus: Code.Unauthenticated,
    message: UNAUTHENTICATED_MESSAGE,
    why:
      "jwt_authn: no token, or one that fails verification (signature, issuer, expiry); one message " +
      "whatever the cause, as in the backend kit (the cause is in the access log's details)",
  },
  {
    httpStatus: 403,
    grpcStatus: Code.PermissionDenied,
    message: PERMISSION_DENIED_MESSAGE,
    why:
      "rbac: the method needs scopes or roles the token lacks, or the policy does not name it " +
      "(default deny; a path no proto method has never gets here: its route answers UNIMPLEMENTED). A token refusal that Envoy answers with 403 (another " +
      "audience; the access-token filter) is matched first and reads UNAUTHENTICATED",
  },
  {
    httpStatus: 429,
    grpcStatus: Code.ResourceExhausted,
    message: RATE_LIMITED_MESSAGE,
    why:
      "local_ratelimit. RESOURCE_EXHAUSTED, not the UNAVAILABLE of gRPC's HTTP-to-gRPC table: that " +
      "table is for statuses from proxies that do not know gRPC, and clients retry UNAVAILABLE at " +
      "once, which is the wrong answer to a rate limit. gRPC's status guide names RESOURCE_EXHAUSTED " +
      "for exhausted quotas, Connect maps it to and from HTTP 429, and Envoy's own " +
      "rate_limited_as_resource_exhausted option picks it",
  },
  {
    httpStatus: 404,
    grpcStatus: Code.Unimplemented,
    message: UNKNOWN_METHOD_MESSAGE,
    why:
      "the route for paths no proto method has (and Health/Watch when the edge does not serve it): " +
      "what a gRPC server and the backend kit answer. Envoy sends a direct response as plain HTTP " +
      "404, which Google's grpc-web maps to UNIMPLEMENTED with its own message and Connect-ES to " +
      "UNIMPLEMENTED 'HTTP 404'; as a trailers-only reply every client reads one code and message",
  },
  {
    httpStatus: 504,
    grpcStatus: Code.DeadlineExceeded,
    message: DEADLINE_EXCEEDED_MESSAGE,
    why:
      "limits.maxStreamDuration ran out before the backend answered (route max_stream_duration: " +
      "'downstream duration timeout'; a client's grpc-timeout is the backend's to enforce). DEADLINE_EXCEEDED, not the UNAVAILABLE of gRPC's HTTP table: " +
      "the generated routes have no other timeout that answers 504, and a client must not retry it " +
      "as if the backend were down",
  },
  {
    httpStatus: 503,
    grpcStatus: Code.Unavailable,
    message: UPSTREAM_UNAVAILABLE_MESSAGE,
    why:
      "router: no healthy backend, or the connection to it failed (Envoy's own text names TLS " +
      "errors and addresses: the access log keeps them, callers do not need them)",
  },
];

/** Runtime key of a mapper's status filter (Envoy requires one; nothing sets it). */
function runtimeKey(httpStatus: number): string {
  return `grpc_web_oidc.local_reply.status_${httpStatus}`;
}

/**
 * The connection manager's `local_reply_config`: a mapper per row, for requests whose
 * content type starts with `application/grpc` (gRPC-Web after the grpc_web filter has
 * translated it, and gRPC). Other requests keep Envoy's plain replies.
 */
export function grpcLocalReplyConfig(cors?: DirectReplyCors): JsonObject {
  return {
    mappers: [
      // First: the token may be fine, the gateway could not fetch the keys to check it.
      grpcReply(
        jwksUnavailableFilter(),
        JWKS_UNAVAILABLE_REPLY.grpcStatus,
        JWKS_UNAVAILABLE_REPLY.message,
      ),
      ...tokenRefusalFilters().map((filter) =>
        grpcReply(filter, Code.Unauthenticated, UNAUTHENTICATED_MESSAGE),
      ),
      ...GRPC_LOCAL_REPLIES.flatMap((r) => [
        // A direct response (404) comes from a route the cors filter does not handle (it only
        // reads routes that forward): add what it would, for each allowed origin, first.
        ...(r.httpStatus === 404 && cors
          ? cors.origins.map((origin) =>
              grpcReply(
                { and_filter: { filters: [statusIs(404), originIs(origin)] } },
                r.grpcStatus,
                r.message,
                [
                  header("access-control-allow-origin", origin),
                  header("access-control-expose-headers", cors.exposeHeaders),
                  ...(cors.credentials ? [header("access-control-allow-credentials", "true")] : []),
                ],
              ),
            )
          : []),
        grpcReply(statusIs(r.httpStatus), r.grpcStatus, r.message),
      ]),
    ],
  };
}

/** The CORS headers the cors filter adds to a call from an allowed origin. */
export interface DirectReplyCors {
  readonly origins: readonly string[];
  readonly exposeHeaders: string;
  readonly credentials: boolean;
}

/** A mapper: gRPC requests whose local reply matches `filter` become trailers-only replies. */
function grpcReply(
  filter: JsonObject,
  grpcStatus: Code,
  message: string,
  extraHeaders: JsonObject[] = [],
): JsonObject {
  return {
    filter: { and_filter: { filters: [filter, GRPC_REQUEST] } },
    status_code: 200,
    // An empty body makes the reply end with its headers: a trailers-only gRPC response.
    body: { inline_string: "" },
    headers_to_add: [
      header("grpc-status", String(grpcStatus)),
      header("grpc-message", message),
      ...extraHeaders,
    ],
  };
}

function originIs(origin: string): JsonObject {
  return { header_filter: { header: { name: "origin", string_match: { exact: origin } } } };
}

const GRPC_REQUEST: JsonObject = {
  header_filter: {
    header: { name: "content-type", string_match: { prefix: "application/grpc" } },
  },
};

function statusIs(httpStatus: number): JsonObject {
  return {
    status_code_filter: {
      comparison: {
        op: "EQ",
        value: { default_value: httpStatus, runtime_key: runtimeKey(httpStatus) },
      },
    },
  };
}

function header(key: string, value: string): JsonObject {
  return { header: { key, value }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" };
}
