/** The resource bounds of a config: edge listeners, the probe listener, the connection cap, routes' clusters. */

import type { AccessPolicy, MethodPolicy } from "../../access/index.js";
import { isLoopbackHost } from "../../common/loopback.js";
import type { DecodedMessage } from "../schema/decoded.js";
import type { ConfigQuery } from "./config.js";
import { connectionManagers, httpFilters } from "./http.js";
import { isConditional, routeMatchPath } from "./matchers.js";
import { get, integer, msgs } from "./values.js";

const HEALTH_CHECK_FILTER =
  "type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck";
const CONNECTION_CAP_MONITOR = "envoy.resource_monitors.global_downstream_max_connections";

/** Whether a listener binds a loopback address (development, sidecars): edge bounds do not apply. */
export function isLoopbackListener(listener: DecodedMessage): boolean {
  const addr = get(listener, "address", "socket_address", "address");
  return typeof addr === "string" && isLoopbackHost(addr);
}

/** Whether an HCM answers health probes itself (the health_check filter, not in pass-through mode). */
export function isProbe(hcm: DecodedMessage): boolean {
  return httpFilters(hcm).some(
    (f) =>
      f.type === HEALTH_CHECK_FILTER && get(f.filter, "typed_config", "pass_through_mode") !== true,
  );
}

/** The global downstream connection cap of the overload manager, if one is set. */
export function globalConnectionCap(q: ConfigQuery): number | undefined {
  for (const m of msgs(get(q.config, "overload_manager", "resource_monitors"))) {
    if (m.name !== CONNECTION_CAP_MONITOR) continue;
    const n = integer(get(m, "typed_config", "max_active_downstream_connections"));
    if (n !== undefined && n > 0) return n;
  }
  return undefined;
}

/** The HCMs of listeners that face clients (not on loopback), with their listener. */
export function edgeConnectionManagers(
  q: ConfigQuery,
): { listener: DecodedMessage; hcm: DecodedMessage }[] {
  return connectionManagers(q).filter(({ listener }) => !isLoopbackListener(listener));
}

/** The first route of an HCM that takes every request for `path` (Envoy uses the first match). */
export function routeFor(hcm: DecodedMessage, path: string): DecodedMessage | undefined {
  return msgs(get(hcm, "route_config", "virtual_hosts"))
    .flatMap((vh) => msgs(vh.routes))
    .find((r) => routeMatchPath(r.match, path) && !isConditional(r.match));
}

/** The cluster a route forwards to, when it forwards (not a redirect or a direct response). */
export function routeCluster(route: DecodedMessage | undefined): string | undefined {
  const c = get(route, "route", "cluster");
  return typeof c === "string" ? c : undefined;
}

/**
 * The proto methods an HCM forwards, each with the route that takes its calls and that route's
 * cluster (a method answered at the gateway, by a redirect or a direct response, is left out).
 */
export function forwardedMethods(
  hcm: DecodedMessage,
  policy: AccessPolicy,
): { method: MethodPolicy; route: DecodedMessage; cluster: string }[] {
  return policy.methods.flatMap((method) => {
    const route = routeFor(hcm, method.path);
    const cluster = routeCluster(route);
    return route && cluster !== undefined ? [{ method, route, cluster }] : [];
  });
}
