import { get, grpcWebManagers, isMsg, routeFor, routesOf } from "../../query/index.js";
import type { DecodedMessage } from "../../schema/decoded.js";
import { parseDuration } from "../../schema/decoded.js";
import type { LintRule } from "../rule.js";

/**
 * A route without a timeout (`timeout: 0s`, as server streams need) sets
 * `max_stream_duration.max_stream_duration`. The access token is checked once, when a stream
 * starts; `grpc_timeout_header_max` only caps what a client asks for (and resets started
 * streams: `grpc-timeout-resets-streams`), and a client that asks for nothing keeps its stream,
 * and the token's access, forever. With the services known, the
 * routes of streaming methods are checked; without, every route with `timeout: 0s`.
 *
 * ### Invalid
 *
 * ```yaml
 * static_resources:
 *   listeners:
 *     - name: https
 *       address: { socket_address: { address: 0.0.0.0, port_value: 8443 } }
 *       filter_chains:
 *         - filters:
 *             - name: envoy.filters.network.http_connection_manager
 *               typed_config:
 *                 "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
 *                 stat_prefix: https
 *                 route_config:
 *                   virtual_hosts:
 *                     - name: api
 *                       domains: ["*"]
 *                       routes:
 *                         - match: { path: /grpc.health.v1.Health/Check }
 *                           route: { cluster: backend_public, timeout: 0s, max_stream_duration: { max_stream_duration: 900s } }
 *                         - match: { path: /demo.v1.NotesService/WatchNotes }
 *                           route: { cluster: backend_streams, timeout: 0s, max_stream_duration: { grpc_timeout_header_max: 3600s } }
 *                         - match: { prefix: /demo.v1.NotesService/ }
 *                           route: { cluster: backend, timeout: 0s, max_stream_duration: { max_stream_duration: 900s } }
 *                 http_filters:
 *                   - name: envoy.filters.http.grpc_web
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 *   clusters:
 *     - name: backend
 *       type: STATIC
 *       load_assignment:
 *         cluster_name: backend
 *         endpoints:
 *           - lb_endpoints:
 *               - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 50051 } } }
 *     - name: backend_streams
 *       type: STATIC
 *       load_assignment:
 *         cluster_name: backend_streams
 *         endpoints:
 *           - lb_endpoints:
 *               - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 50051 } } }
 *     - name: backend_public
 *       type: STATIC
 *       load_assignment:
 *         cluster_name: backend_public
 *         endpoints:
 *           - lb_endpoints:
 *               - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 50051 } } }
 * ```
 *
 * ### Valid
 *
 * ```yaml
 * static_resources:
 *   listeners:
 *     - name: https
 *       address: { socket_address: { address: 0.0.0.0, port_value: 8443 } }
 *       filter_chains:
 *         - filters:
 *             - name: envoy.filters.network.http_connection_manager
 *               typed_config:
 *                 "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
 *                 stat_prefix: https
 *                 route_config:
 *                   virtual_hosts:
 *                     - name: api
 *                       domains: ["*"]
 *                       routes:
 *                         - match: { path: /grpc.health.v1.Health/Check }
 *                           route: { cluster: backend_public, timeout: 0s, max_stream_duration: { max_stream_duration: 900s } }
 *                         - match: { path: /grpc.health.v1.Health/Watch }
 *                           direct_response: { status: 404 }
 *                         - match: { path: /demo.v1.NotesService/WatchNotes }
 *                           route: { cluster: backend_streams, timeout: 0s, max_stream_duration: { max_stream_duration: 900s } }
 *                         - match: { prefix: /demo.v1.NotesService/ }
 *                           route: { cluster: backend, timeout: 0s, max_stream_duration: { max_stream_duration: 900s } }
 *                 http_filters:
 *                   - name: envoy.filters.http.grpc_web
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 *   clusters:
 *     - name: backend
 *       type: STATIC
 *       load_assignment:
 *         cluster_name: backend
 *         endpoints:
 *           - lb_endpoints:
 *               - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 50051 } } }
 *     - name: backend_streams
 *       type: STATIC
 *       load_assignment:
 *         cluster_name: backend_streams
 *         endpoints:
 *           - lb_endpoints:
 *               - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 50051 } } }
 *     - name: backend_public
 *       type: STATIC
 *       load_assignment:
 *         cluster_name: backend_public
 *         endpoints:
 *           - lb_endpoints:
 *               - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 50051 } } }
 * ```
 */
export const streamDurationUnbounded: LintRule = {
  id: "stream-duration-unbounded",
  area: "bounds",
  severity: "error",
  reason:
    "a stream without max_stream_duration outlives its access token without bound (the token is checked once, at the start)",
  *check(ctx) {
    for (const { hcm } of grpcWebManagers(ctx)) {
      const routes = new Set<DecodedMessage>();
      if (ctx.policy) {
        for (const m of ctx.policy.methods) {
          const r = m.kind === "unary" ? undefined : routeFor(hcm, m.path);
          if (r) routes.add(r);
        }
      } else for (const r of routesOf(hcm)) routes.add(r);
      for (const r of routes) {
        const action = r.route;
        if (!isMsg(action) || parseDuration(action.timeout) !== 0) continue;
        const max = parseDuration(get(action, "max_stream_duration", "max_stream_duration"));
        if (max === undefined || max <= 0)
          yield {
            node: action,
            field: "timeout",
            message: `streams to ${String(action.cluster)} have no maximum duration (max_stream_duration.max_stream_duration)`,
          };
      }
    }
  },
};
