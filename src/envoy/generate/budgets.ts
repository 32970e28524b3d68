/**
 * Traffic classes: every method is routed to one of three clusters that all reach the same
 * backend, each with its own circuit breaker, so one kind of caller cannot spend what the
 * others need:
 *
 *  - `backend_public`  public methods (no token: health Check), `limits.publicBudget`;
 *  - `backend_streams` streaming methods, `limits.streamBudget`;
 *  - `backend`         authenticated unary calls, `limits.circuitBreaker`.
 *
 * With one shared cluster, 11 connections × 94 public Health/Watch streams held its 1,024
 * requests and every call of every user failed with 503 "overflow". Envoy has no
 * per-client (per source IP, per token) concurrency limit; these classes bound what one
 * client can take from the others, and the backend kit's per-principal stream limit bounds
 * what one signed-in user can take within the stream class.
 */
// Not access/index.js, which loads the protobuf runtime (generate --check reads cached outlines).
import { type AccessPolicy, HEALTH_PATHS, HEALTH_SERVICE } from "../../access/outline.js";
import { type TrafficClass, trafficClassOf } from "../../access/traffic-class.js";
import { type JsonObject, seconds } from "./json.js";
import type { GatewayModel } from "./model.js";

/** Cluster name of each traffic class. */
export const CLASS_CLUSTERS: Readonly<Record<TrafficClass, string>> = {
  unary: "backend",
  streaming: "backend_streams",
  public: "backend_public",
};

const HEALTH_WATCH = HEALTH_PATHS[1];

/** Circuit-breaker thresholds of a class. */
export function classThresholds(model: GatewayModel, cls: TrafficClass): JsonObject {
  const cb = model.limits.circuitBreaker;
  const budget =
    cls === "unary"
      ? cb.maxRequests
      : cls === "streaming"
        ? model.limits.streamBudget
        : model.limits.publicBudget;
  return {
    priority: "DEFAULT",
    max_connections: cb.maxConnections,
    // A request waiting for a connection holds a slot too: no more than the class may run.
    max_pending_requests: cls === "unary" ? cb.maxPendingRequests : budget,
    max_requests: budget,
    max_retries: 3,
  };
}

/** Whether the public listener serves `path` (health Watch only when `health.watch`). */
export function servedAtEdge(model: GatewayModel, path: string): boolean {
  return path !== HEALTH_WATCH || model.health.watch;
}

/** The route action that forwards a call of class `cls`. */
export function routeAction(model: GatewayModel, cls: TrafficClass): JsonObject {
  return {
    cluster: CLASS_CLUSTERS[cls],
    // The default 15 s route timeout would cut server streams; max_stream_duration bounds each
    // call instead. No grpc_timeout_header_max: with it Envoy enforces the client's
    // grpc-timeout itself and resets a stream that already sent messages, racing the backend's
    // DEADLINE_EXCEEDED trailers (clients read 4 or 2, and grpc-web in binary mode loses the
    // messages). The backend enforces the deadline (Envoy forwards grpc-timeout) and ends the
    // call with DEADLINE_EXCEEDED after the messages sent in time.
    timeout: "0s",
    max_stream_duration: {
      max_stream_duration: seconds(model.limits.maxStreamDurationSeconds),
    },
  };
}

/**
 * The routes of the API virtual host: public methods by exact path, then streaming methods by
 * exact path, then unary methods by exact path (the caller adds the catch-all for paths that
 * name no proto method). Every forwarding route bounds
 * the life of the call (`limits.maxStreamDuration`); the client's `grpc-timeout` is the
 * backend's to enforce.
 */
export function classRoutes(
  model: GatewayModel,
  policy: AccessPolicy,
  extra: {
    /** Fields added to every route of a public method (e.g. filters a caller without a token skips). */
    publicRouteExtra?: JsonObject;
    /** Match fields added to every route of a non-public method (e.g. headers only an RPC sends). */
    rpcMatch?: JsonObject;
  } = {},
): JsonObject[] {
  const publicRouteExtra = extra.publicRouteExtra ?? {};
  const rpcMatch = extra.rpcMatch ?? {};
  const to = (cls: TrafficClass) => routeAction(model, cls);
  const health = policy.methods.filter(
    (m) => m.service === HEALTH_SERVICE && (HEALTH_PATHS as readonly string[]).includes(m.path),
  );
  const others = policy.methods.filter((m) => m.service !== HEALTH_SERVICE);
  const routes: JsonObject[] = [];
  for (const m of health) {
    routes.push(
      servedAtEdge(model, m.path)
        ? { match: { path: m.path }, route: to(trafficClassOf(m)), ...publicRouteExtra }
        : {
            match: { path: m.path },
            // A local 404 to a gRPC request leaves as UNIMPLEMENTED "unknown method" (the local
            // reply table): the long-lived public stream never reaches the backend nor holds a
            // budget slot.
            direct_response: {
              status: 404,
              body: { inline_string: `${m.path} is not served at this gateway; call Check` },
            },
            ...publicRouteExtra,
          },
    );
  }
  for (const m of others.filter((m) => trafficClassOf(m) !== "unary")) {
    const cls = trafficClassOf(m);
    routes.push({
      match: { path: m.path, ...(cls === "public" ? {} : rpcMatch) },
      route: to(cls),
      ...(cls === "public" ? publicRouteExtra : {}),
    });
  }
  // Unary methods by exact path too: a path the protos do not name matches no forwarding
  // route, so it reaches the catch-all below instead of the backend.
  for (const m of others.filter((m) => trafficClassOf(m) === "unary")) {
    routes.push({ match: { path: m.path, ...rpcMatch }, route: to("unary") });
  }
  return routes;
}
