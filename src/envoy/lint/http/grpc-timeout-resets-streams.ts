import { isMsg, streamCapableRoutes } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * Routes of a gRPC-Web connection manager that can carry server streams leave the client's
 * `grpc-timeout` to the backend: no `max_stream_duration.grpc_timeout_header_max` (nor the
 * deprecated `max_grpc_timeout`). With it Envoy enforces the deadline itself and resets a
 * stream that already sent messages, racing the backend's `DEADLINE_EXCEEDED` trailers: clients
 * read DEADLINE_EXCEEDED or, when the reset wins, UNKNOWN, and Google's grpc-web in binary mode
 * (which gets the XHR body only at the end) loses the messages sent in time. Envoy forwards
 * `grpc-timeout`, so the backend ends the call with DEADLINE_EXCEEDED after those messages;
 * `max_stream_duration` still bounds every call. Exact routes to unary methods are exempt (a
 * unary call has sent nothing when its deadline ends it).
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
 *                           route: { cluster: backend, timeout: 0s, max_stream_duration: { max_stream_duration: 900s, grpc_timeout_header_max: 3600s } }
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
export const grpcTimeoutResetsStreams: LintRule = {
  id: "grpc-timeout-resets-streams",
  area: "http",
  severity: "warning",
  reason:
    "Envoy enforcing grpc-timeout resets streams that already sent messages (clients read UNKNOWN, grpc-web binary loses them); leave deadlines to the backend",
  *check(ctx) {
    for (const { action } of streamCapableRoutes(ctx)) {
      const msd = action.max_stream_duration;
      if (isMsg(msd) && msd.grpc_timeout_header_max !== undefined)
        yield {
          node: msd,
          field: "grpc_timeout_header_max",
          message:
            "grpc_timeout_header_max makes Envoy reset a stream at the client's deadline, racing the backend's DEADLINE_EXCEEDED",
        };
      if (action.max_grpc_timeout !== undefined)
        yield {
          node: action,
          field: "max_grpc_timeout",
          message:
            "max_grpc_timeout makes Envoy reset a stream at the client's deadline, racing the backend's DEADLINE_EXCEEDED",
        };
    }
  },
};
