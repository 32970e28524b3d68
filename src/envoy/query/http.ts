/** The HTTP side of a config: connection managers, their filters and routes. */
import { HEALTH_PATHS } from "../../access/outline.js";
import type { DecodedMessage } from "../schema/decoded.js";
import type { ConfigQuery } from "./config.js";
import { FILTER_TYPES, T } from "./type-names.js";
import { anyOf, get, isMsg, msgs, typeOf } from "./values.js";

/** The HCMs of all listeners with the listener that holds each. */
export function connectionManagers(
  q: ConfigQuery,
): { listener: DecodedMessage; hcm: DecodedMessage }[] {
  const out: { listener: DecodedMessage; hcm: DecodedMessage }[] = [];
  for (const listener of q.all(T.listener)) {
    for (const chain of filterChains(listener)) {
      for (const f of msgs(chain.filters)) {
        const hcm = anyOf(f.typed_config, T.hcm);
        if (hcm) out.push({ listener, hcm });
      }
    }
  }
  return out;
}

/** The filter chains of a listener, the default one included. */
export function filterChains(listener: DecodedMessage): DecodedMessage[] {
  const chains = [...msgs(listener.filter_chains)];
  if (isMsg(listener.default_filter_chain)) chains.push(listener.default_filter_chain);
  return chains;
}

/** The HTTP filters of an HCM with the type of each. */
export function httpFilters(
  hcm: DecodedMessage,
): { filter: DecodedMessage; type: string | undefined }[] {
  return msgs(hcm.http_filters).map((filter) => ({ filter, type: typeOf(filter.typed_config) }));
}

/** Where the first filter of one of `types` runs in a chain of {@link httpFilters} (-1: none does). */
export function filterIndex(
  filters: readonly { type: string | undefined }[],
  ...types: readonly string[]
): number {
  return filters.findIndex((f) => f.type !== undefined && types.includes(f.type));
}

/** Whether an HCM serves gRPC-Web (has the grpc_web filter). */
export function isGrpcWeb(hcm: DecodedMessage): boolean {
  return httpFilters(hcm).some((f) => f.type === FILTER_TYPES.grpcWeb);
}

/** The HCMs that serve gRPC-Web, with the listener that holds each. */
export function grpcWebManagers(
  q: ConfigQuery,
): { listener: DecodedMessage; hcm: DecodedMessage }[] {
  return connectionManagers(q).filter(({ hcm }) => isGrpcWeb(hcm));
}

/** Every route of an HCM's inline route_config. */
export function routesOf(hcm: DecodedMessage): DecodedMessage[] {
  return msgs(get(hcm, "route_config", "virtual_hosts")).flatMap((vh) => msgs(vh.routes));
}

/**
 * The forwarding routes of every gRPC-Web HCM that can carry a server stream (route and its
 * action): exact routes to unary methods of the proto services (and Health/Check) are left out.
 */
export function* streamCapableRoutes(
  ctx: ConfigQuery,
): Generator<{ route: DecodedMessage; action: DecodedMessage }> {
  const unary = new Set<string>([HEALTH_PATHS[0]]);
  for (const m of ctx.policy?.methods ?? []) if (m.kind === "unary") unary.add(m.path);
  for (const { hcm } of connectionManagers(ctx)) {
    if (!isGrpcWeb(hcm)) continue;
    for (const route of routesOf(hcm)) {
      const action = route.route;
      if (!isMsg(action)) continue;
      const exact = get(route, "match", "path");
      if (typeof exact === "string" && unary.has(exact)) continue;
      yield { route, action };
    }
  }
}
