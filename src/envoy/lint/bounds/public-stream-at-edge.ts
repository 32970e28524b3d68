import { forwardedMethods, grpcWebManagers } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * A public streaming method (no token needed, e.g. `grpc.health.v1.Health/Watch`) is not
 * forwarded from the edge: anyone can open such streams and hold them, 100 per connection, for
 * as long as the idle and duration bounds allow. Answer it at the gateway (a direct response),
 * or give it a small budget of its own and accept the warning.
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
 *                         - match: { prefix: /grpc.health.v1.Health/ }
 *                           route: { cluster: backend_public, timeout: 0s, max_stream_duration: { max_stream_duration: 900s } }
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
export const publicStreamAtEdge: LintRule = {
  id: "public-stream-at-edge",
  area: "bounds",
  severity: "warning",
  reason:
    "a public streaming method lets anyone hold upstream streams without a token; answer it at the gateway",
  *check(ctx) {
    if (!ctx.policy) return;
    for (const { hcm } of grpcWebManagers(ctx)) {
      for (const { method: m, route, cluster } of forwardedMethods(hcm, ctx.policy)) {
        if (m.rule?.kind !== "public" || m.kind === "unary") continue;
        yield {
          node: route.route as object,
          field: "cluster",
          message: `public streaming method ${m.path} is forwarded to ${cluster}`,
        };
      }
    }
  },
};
