/**
 * Edge bounds on connections (Envoy's "Configuring Envoy as an edge proxy" guide, and what
 * issue 9 measured): how long a connection may take to say anything, how long it may sit
 * idle, what the probe listener may hold, and what the overload manager sheds first.
 *
 * What Envoy cannot do alone: limit connections or streams per source IP or per client.
 * The global cap, these timeouts and the traffic classes (`budgets.ts`) bound what one client
 * can take; a per-IP limit belongs to the platform in front (envoy/README.md).
 */
import { type JsonObject, seconds, typed } from "./json.js";
import type { GatewayModel, ProbeModel } from "./model.js";

/** The probe listener's own timeouts: kubelet connects, asks, and goes. */
const PROBE_IDLE_SECONDS = 15;

/** Filter-chain fields every TLS listener gets: the handshake deadline. */
export function filterChainBounds(model: GatewayModel): JsonObject {
  // Counted from accept: a connection that never sends its ClientHello (or stalls in the
  // handshake) is closed here instead of holding a slot of the connection cap for the idle timeout.
  return { transport_socket_connect_timeout: seconds(model.limits.tlsHandshakeTimeoutSeconds) };
}

/**
 * Listener filters of the public listener: with `limits.connectionsPerSecond`, a token bucket on
 * accepted connections, before TLS (Envoy's listener `local_ratelimit`). Refills ten times a
 * second so a burst cannot take a whole second's budget at once.
 */
export function publicListenerFilters(model: GatewayModel): JsonObject[] {
  const rate = model.limits.connectionsPerSecond;
  if (rate === undefined) return [];
  return [
    {
      name: "envoy.filters.listener.local_ratelimit",
      typed_config: typed("envoy.extensions.filters.listener.local_ratelimit.v3.LocalRateLimit", {
        stat_prefix: "new_connections",
        token_bucket: {
          max_tokens: rate,
          tokens_per_fill: Math.max(1, Math.ceil(rate / 10)),
          fill_interval: "0.1s",
        },
      }),
    },
  ];
}

/** Listener fields and network filters (before the HCM) of the probe listener. */
export function probeListenerBounds(probe: ProbeModel): {
  listener: JsonObject;
  networkFilters: JsonObject[];
  idleTimeout: string;
} {
  return {
    // Outside the global cap: when a flood fills it, kubelet still gets its answer and does not
    // restart a healthy pod. Its connections still count towards the cap.
    listener: { ignore_global_conn_limit: true },
    // ... so it needs its own cap, or it would be the way around the global one.
    networkFilters: [
      {
        name: "envoy.filters.network.connection_limit",
        typed_config: typed(
          "envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit",
          { stat_prefix: "probe_connection_limit", max_connections: probe.maxConnections },
        ),
      },
    ],
    idleTimeout: seconds(PROBE_IDLE_SECONDS),
  };
}

/**
 * The overload manager: a fixed heap and the global connection cap, with actions that shed
 * idle and stalled connections first (shorter timeouts as the heap fills), then new
 * connections, then new requests.
 *
 * The connection cap is a "proactive" resource: Envoy enforces it at accept but reports no
 * pressure to actions, so timeouts can only be scaled on memory.
 */
export function overloadManager(model: GatewayModel): JsonObject {
  const heap = "envoy.resource_monitors.fixed_heap";
  return {
    refresh_interval: "0.25s",
    resource_monitors: [
      {
        name: heap,
        typed_config: typed("envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig", {
          max_heap_size_bytes: model.limits.maxHeapBytes,
        }),
      },
      {
        name: "envoy.resource_monitors.global_downstream_max_connections",
        typed_config: typed(
          "envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig",
          { max_active_downstream_connections: model.limits.maxDownstreamConnections },
        ),
      },
    ],
    actions: [
      {
        name: "envoy.overload_actions.reduce_timeouts",
        triggers: [{ name: heap, scaled: { scaling_threshold: 0.85, saturation_threshold: 0.95 } }],
        typed_config: typed("envoy.config.overload.v3.ScaleTimersOverloadActionConfig", {
          timer_scale_factors: [
            { timer: "HTTP_DOWNSTREAM_CONNECTION_IDLE", min_timeout: "1s" },
            { timer: "TRANSPORT_SOCKET_CONNECT", min_timeout: "1s" },
          ],
        }),
      },
      {
        name: "envoy.overload_actions.shrink_heap",
        triggers: [{ name: heap, threshold: { value: 0.95 } }],
      },
      {
        name: "envoy.overload_actions.stop_accepting_requests",
        triggers: [{ name: heap, threshold: { value: 0.98 } }],
      },
    ],
    loadshed_points: [
      {
        name: "envoy.load_shed_points.tcp_listener_accept",
        triggers: [{ name: heap, threshold: { value: 0.95 } }],
      },
    ],
  };
}
