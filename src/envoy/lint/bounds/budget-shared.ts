// From its own module: access/index.js would load the protobuf runtime into every validation.
import { type TrafficClass, trafficClassOf } from "../../../access/traffic-class.js";
import { forwardedMethods, grpcWebManagers } from "../../query/index.js";
import type { DecodedMessage } from "../../schema/decoded.js";
import type { LintRule } from "../rule.js";

/**
 * Public calls (no token), streaming calls and authenticated unary calls go to different
 * clusters, each with its own circuit breaker, even when they reach the same backend. With one
 * shared cluster, 11 connections × 94 public Health/Watch streams held its 1,024 requests and
 * every call of every user failed with 503 "overflow". Needs the services (the proto policy) to
 * tell the classes apart.
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
 *                           route: { cluster: backend, timeout: 0s, max_stream_duration: { max_stream_duration: 900s } }
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
export const budgetShared: LintRule = {
  id: "budget-shared",
  area: "bounds",
  severity: "error",
  reason:
    "public, streaming and unary calls sharing one circuit breaker let one kind of caller (a stream flood, anonymous calls) hold what every signed-in user needs",
  *check(ctx) {
    if (!ctx.policy) return;
    for (const { hcm } of grpcWebManagers(ctx)) {
      const byCluster = new Map<string, { route: DecodedMessage; classes: Set<TrafficClass> }>();
      for (const { method, route, cluster } of forwardedMethods(hcm, ctx.policy)) {
        const entry = byCluster.get(cluster) ?? { route, classes: new Set<TrafficClass>() };
        entry.classes.add(trafficClassOf(method));
        byCluster.set(cluster, entry);
      }
      for (const [cluster, { route, classes }] of byCluster) {
        if (classes.size < 2) continue;
        yield {
          node: route.route as object,
          field: "cluster",
          message: `cluster ${cluster} takes ${[...classes].join(", ")} calls through one circuit breaker`,
        };
      }
    }
  },
};
