/** The HTTP side of a config: connection managers, their filters and routes. */
import type { DecodedMessage } from "../schema/decoded.js";
import type { ConfigQuery } from "./config.js";
import { FILTER_TYPES, T } from "./type-names.js";
import { get, isMsg, msgs, typeOf } from "./values.js";

/** The HCMs of all listeners with the listener that holds each. */
export function connectionManagers(
  q: ConfigQuery,
): { listener: DecodedMessage; hcm: DecodedMessage }[] {
  const out: { listener: DecodedMessage; hcm: DecodedMessage }[] = [];
  for (const listener of q.all(T.listener)) {
    const chains = [...msgs(listener.filter_chains)];
    if (isMsg(listener.default_filter_chain)) chains.push(listener.default_filter_chain);
    for (const chain of chains) {
      for (const f of msgs(chain.filters)) {
        const tc = f.typed_config;
        if (typeOf(tc) === `type.googleapis.com/${T.hcm}` && isMsg(tc))
          out.push({ listener, hcm: tc });
      }
    }
  }
  return out;
}

/** The HTTP filters of an HCM with the type of each. */
export function httpFilters(
  hcm: DecodedMessage,
): { filter: DecodedMessage; type: string | undefined }[] {
  return msgs(hcm.http_filters).map((filter) => ({ filter, type: typeOf(filter.typed_config) }));
}

/** Whether an HCM serves gRPC-Web (has the grpc_web filter). */
export function isGrpcWeb(hcm: DecodedMessage): boolean {
  return httpFilters(hcm).some((f) => f.type === FILTER_TYPES.grpcWeb);
}

/** Every route of an HCM's inline route_config. */
export function routesOf(hcm: DecodedMessage): DecodedMessage[] {
  return msgs(get(hcm, "route_config", "virtual_hosts")).flatMap((vh) => msgs(vh.routes));
}
