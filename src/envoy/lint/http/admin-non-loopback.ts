import { isLoopbackHost } from "../../../common/loopback.js";
import { get, isMsg, T } from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * The admin interface listens on a loopback address only: it can stop Envoy, change log levels
 * and dump the config, secrets' metadata included.
 *
 * ### Invalid
 *
 * ```yaml
 * admin:
 *   address: { socket_address: { address: 0.0.0.0, port_value: 9901 } }
 * ```
 *
 * ### Valid
 *
 * ```yaml
 * admin:
 *   address: { socket_address: { address: 127.0.0.1, port_value: 9901 } }
 * ```
 */
export const adminNonLoopback: LintRule = {
  id: "admin-non-loopback",
  area: "http",
  severity: "error",
  reason: "the admin interface can stop Envoy and dump secrets; bind it to 127.0.0.1 only",
  *check(ctx) {
    for (const a of ctx.all(T.admin)) {
      const addr = get(a, "address", "socket_address");
      if (isMsg(addr) && typeof addr.address === "string" && !isLoopbackHost(addr.address))
        yield { node: addr, field: "address", message: `admin listens on ${addr.address}` };
    }
  },
};
