import { isMsg, streamCapableRoutes } from "../../query/index.js";
import { parseDuration } from "../../schema/decoded.js";
import type { LintRule } from "../rule.js";

/**
 * Routes of a gRPC-Web connection manager that can carry server streams set `timeout: 0s` with
 * `max_stream_duration`: Envoy's default 15 s route timeout (or any other) cuts streams, and no
 * bound at all leaves them unbounded. Exact routes to unary methods of the proto services are
 * exempt.
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
 *                         - match: { prefix: /demo.v1.NotesService/ }
 *                           route: { cluster: backend }
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
 *               - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 443 } } }
 * ```
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
 *                         - match: { prefix: /demo.v1.NotesService/ }
 *                           route: { cluster: backend, timeout: 30s }
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
 *               - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 443 } } }
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
 *               - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 443 } } }
 * ```
 */
export const routeTimeoutCutsStreams: LintRule = {
  id: "route-timeout-cuts-streams",
  area: "http",
  severity: "error",
  reason:
    "the default 15 s route timeout (or any non-zero one) cuts server streams; use timeout 0s with max_stream_duration",
  *check(ctx) {
    for (const { action } of streamCapableRoutes(ctx)) {
      const t = parseDuration(action.timeout);
      if (t === undefined)
        yield {
          node: action,
          field: "cluster",
          message: "route has no timeout: the default 15 s cuts server streams",
        };
      else if (t !== 0)
        yield {
          node: action,
          field: "timeout",
          message: `route timeout ${String(action.timeout)} cuts server streams`,
        };
      else if (!isMsg(action.max_stream_duration))
        yield {
          node: action,
          field: "timeout",
          message: "timeout 0s without max_stream_duration leaves streams unbounded",
        };
    }
  },
};
