/** Clusters and TLS contexts: is the peer's certificate verified, and against what. */
import type { DecodedMessage } from "../schema/decoded.js";
import type { ConfigQuery } from "./config.js";
import { T } from "./type-names.js";
import { anyOf, get, isMsg, msgs } from "./values.js";

/** The static clusters by name. */
export function clustersByName(q: ConfigQuery): Map<string, DecodedMessage> {
  const m = new Map<string, DecodedMessage>();
  for (const { cluster, name } of clusterTls(q)) m.set(name, cluster);
  return m;
}

/** Each static cluster with its name and its UpstreamTlsContext (undefined: plaintext). */
export function clusterTls(
  q: ConfigQuery,
): { cluster: DecodedMessage; name: string; tls: DecodedMessage | undefined }[] {
  return msgs(get(q.config, "static_resources", "clusters")).map((cluster) => ({
    cluster,
    name: String(cluster.name),
    tls: upstreamTls(cluster),
  }));
}

/** The UpstreamTlsContext of a cluster, if its transport socket is TLS. */
export function upstreamTls(cluster: DecodedMessage): DecodedMessage | undefined {
  for (const holder of [cluster, ...msgs(cluster.transport_socket_matches)]) {
    const tls = anyOf(get(holder, "transport_socket", "typed_config"), T.upstreamTls);
    if (tls) return tls;
  }
  return undefined;
}

/** Whether a listener's filter chain terminates TLS (its transport socket is a DownstreamTlsContext). */
export function terminatesTls(chain: DecodedMessage): boolean {
  return anyOf(get(chain, "transport_socket", "typed_config"), T.downstreamTls) !== undefined;
}

/** The validation contexts of a TLS context (plain, combined default, SDS-sourced marker). */
function validation(tls: DecodedMessage): { ctxs: DecodedMessage[]; sds: boolean } {
  const common = get(tls, "common_tls_context");
  const ctxs: DecodedMessage[] = [];
  const vc = get(common, "validation_context");
  if (isMsg(vc)) ctxs.push(vc);
  const dflt = get(common, "combined_validation_context", "default_validation_context");
  if (isMsg(dflt)) ctxs.push(dflt);
  const sds =
    isMsg(get(common, "validation_context_sds_secret_config")) ||
    isMsg(get(common, "combined_validation_context", "validation_context_sds_secret_config"));
  return { ctxs, sds };
}

/** Whether the peer certificate is verified against a trusted CA. */
export function hasTrustedCa(tls: DecodedMessage): boolean {
  const { ctxs, sds } = validation(tls);
  if (ctxs.some((c) => c.trust_chain_verification === "ACCEPT_UNTRUSTED")) return false;
  return sds || ctxs.some((c) => isMsg(c.trusted_ca) || isMsg(c.ca_certificate_provider_instance));
}

/** Whether the peer certificate's SAN is matched. */
export function hasSanMatch(tls: DecodedMessage): boolean {
  return validation(tls).ctxs.some(
    (c) =>
      msgs(c.match_typed_subject_alt_names).length > 0 ||
      msgs(c.match_subject_alt_names).length > 0,
  );
}
