import {
  flattenPermissions,
  get,
  isMsg,
  jwtFilters,
  jwtRuleFor,
  msgs,
  ruleRequires,
  T,
} from "../../query/index.js";
import type { LintRule } from "../rule.js";

/**
 * Unary and streaming methods of one service get the same authentication. Rules keyed on
 * `content-type` miss gRPC-Web text and streaming calls, and an exempt streaming path next to
 * verified unary ones is a hole. Compared with the proto services when they are given.
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
 *                 route_config: {}
 *                 http_filters:
 *                   - name: envoy.filters.http.jwt_authn
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication
 *                       providers:
 *                         oidc:
 *                           issuer: https://login.example.com
 *                           local_jwks: { inline_string: '{"keys":[]}' }
 *                           from_headers: [{ name: authorization, value_prefix: "Bearer " }]
 *                       rules:
 *                         - match: { path: /demo.v1.NotesService/WatchNotes }
 *                         - { match: { prefix: / }, requires: { provider_name: oidc } }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
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
 *                 route_config: {}
 *                 http_filters:
 *                   - name: envoy.filters.http.jwt_authn
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication
 *                       providers:
 *                         oidc:
 *                           issuer: https://login.example.com
 *                           local_jwks: { inline_string: '{"keys":[]}' }
 *                           from_headers: [{ name: authorization, value_prefix: "Bearer " }]
 *                       rules:
 *                         - match: { prefix: /, headers: [{ name: content-type, string_match: { exact: application/grpc-web+proto } }] }
 *                           requires: { provider_name: oidc }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
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
 *                 route_config: {}
 *                 http_filters:
 *                   - name: envoy.filters.http.jwt_authn
 *                     typed_config:
 *                       "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication
 *                       providers:
 *                         oidc:
 *                           issuer: https://login.example.com
 *                           local_jwks: { inline_string: '{"keys":[]}' }
 *                           from_headers: [{ name: authorization, value_prefix: "Bearer " }]
 *                       rules:
 *                         - { match: { prefix: / }, requires: { provider_name: oidc } }
 *                   - name: envoy.filters.http.router
 *                     typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
 * ```
 */
export const streamCoverageGap: LintRule = {
  id: "stream-coverage-gap",
  area: "jwt",
  severity: "error",
  reason:
    "unary and streaming calls of the same service must get the same authentication; content-type keyed rules miss grpc-web-text and streams",
  *check(ctx) {
    for (const jwt of jwtFilters(ctx)) {
      for (const r of msgs(jwt.rules)) {
        for (const h of msgs(get(r, "match", "headers"))) {
          if (String(h.name).toLowerCase() === "content-type")
            yield {
              node: h,
              field: "name",
              message:
                "jwt_authn rule keyed on content-type: gRPC-Web text, binary and streaming calls differ in it",
            };
        }
      }
      if (!ctx.policy) continue;
      const bySvc = new Map<string, { unary: boolean[]; stream: boolean[] }>();
      for (const m of ctx.policy.methods) {
        if (!m.rule || m.rule.kind === "public") continue;
        const verified = ruleRequires(jwt, jwtRuleFor(jwt, m.path));
        const e = bySvc.get(m.service) ?? { unary: [], stream: [] };
        (m.kind === "unary" ? e.unary : e.stream).push(verified);
        bySvc.set(m.service, e);
        if (m.kind !== "unary" && !verified && e.unary.some(Boolean))
          yield {
            node: jwt,
            field: "rules",
            message: `streaming method ${m.path} is not verified by jwt_authn while unary methods of ${m.service} are`,
          };
      }
    }
    for (const perm of ctx.all(T.permission)) {
      for (const p of flattenPermissions(perm)) {
        const h = p.header;
        if (isMsg(h) && String(h.name).toLowerCase() === "content-type")
          yield {
            node: h,
            field: "name",
            message:
              "RBAC permission keyed on content-type: gRPC-Web text, binary and streaming calls differ in it",
          };
      }
    }
  },
};
