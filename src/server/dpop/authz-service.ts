/**
 * DPoP verification for Envoy: an `envoy.service.auth.v3.Authorization` (ext_authz)
 * gRPC service, so the gateway checks every proof before a request reaches the backend.
 * Envoy has no DPoP check of its own; this service runs after jwt_authn, reads the
 * verified token payload from jwt_authn's dynamic metadata (`cnf.jkt`), the
 * `authorization` and `DPoP` headers, the method and the path, and takes the public
 * origin (`htu`) from the route's `context_extensions` (`dpop_origin`), which come from
 * the gateway's configuration, never from request headers.
 *
 * It answers like the backend's authentication interceptor: the same checks, the same
 * denial reasons, UNAUTHENTICATED (HTTP 401 → grpc-status 16) with a
 * `WWW-Authenticate: DPoP …` challenge and, with nonces, `DPoP-Nonce`; UNAVAILABLE
 * (503 → 14) when the replay cache is full. Mount it only where the gateway alone can
 * reach it (the mTLS listener with the gateway's identity on the allow-list).
 */
import { create, type JsonObject } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { HeaderValueOption_HeaderAppendAction } from "../../gen/envoy/config/core/v3/base_pb.js";
import {
  type Authorization,
  type CheckRequest,
  type CheckResponse,
  CheckResponseSchema,
} from "../../gen/envoy/service/auth/v3/external_auth_pb.js";
import { StatusCode } from "../../gen/envoy/type/v3/http_status_pb.js";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";
import { UNAUTHENTICATED_MESSAGE } from "../authn-interceptor.js";
import { callerOf } from "../context.js";
import { type DenialReason, type DenialSink, denialRecord, emitDenial } from "../denial-log.js";
import { type ChallengeError, dpopChallenge } from "./challenge.js";
import { DpopProofError } from "./errors.js";
import { normalizeOrigin } from "./htu.js";
import { createDpopVerifier, type DpopVerifier, type DpopVerifierOptions } from "./verify-proof.js";

/** The `context_extensions` key that carries the public origin (set per route by the generator). */
export const DPOP_ORIGIN_EXTENSION = "dpop_origin";

export interface DpopAuthzServiceOptions {
  /** Verifier settings (algorithms, window, replay cache, nonces); the origin comes per request. */
  verifier?: Omit<DpopVerifierOptions, "origin">;
  /**
   * Also accept unbound Bearer tokens (bound ones are refused as Bearer either way).
   * @default false
   */
  allowBearer?: boolean;
  /**
   * Where jwt_authn writes the verified payload: its filter name and `payload_in_metadata`.
   * @default { filter: "envoy.filters.http.jwt_authn", key: "jwt_payload" }
   */
  payloadMetadata?: { filter: string; key: string };
  /** Receives a record for every refusal. @default undefined */
  onDenied?: DenialSink;
}

const CREDENTIALS = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) +(\S+)$/;
/** Distinct origins served at most (they come from gateway configuration, not clients). */
const MAX_ORIGINS = 16;

/** The `Check` implementation, for `router.service(Authorization, …)`. */
export function createDpopAuthzService(
  options: DpopAuthzServiceOptions = {},
): ServiceImpl<typeof Authorization> {
  const filter = options.payloadMetadata?.filter ?? "envoy.filters.http.jwt_authn";
  const key = options.payloadMetadata?.key ?? "jwt_payload";
  const bearerAccepted = options.allowBearer === true;
  const verifierOptions = options.verifier ?? {};
  const verifiers = new Map<string, DpopVerifier>();
  const verifierFor = (origin: string | undefined): DpopVerifier | undefined => {
    if (!origin) return undefined;
    let v = verifiers.get(origin);
    if (!v && verifiers.size < MAX_ORIGINS) {
      try {
        v = createDpopVerifier({ ...verifierOptions, origin: normalizeOrigin(origin) });
      } catch {
        return undefined;
      }
      verifiers.set(origin, v);
    }
    return v;
  };
  // For challenges before an origin is known; algorithms and nonces do not depend on it.
  const shape = createDpopVerifier({ ...verifierOptions, origin: "https://unused.invalid" });

  return {
    async check(req: CheckRequest, ctx): Promise<CheckResponse> {
      const http = req.attributes?.request?.http;
      const path = (http?.path ?? "").split("?", 1)[0] ?? "";
      const headers = http?.headers ?? {};
      const verifier = verifierFor(req.attributes?.contextExtensions[DPOP_ORIGIN_EXTENSION]);

      const deny = (
        reason: DenialReason,
        challenge?: { scheme: "bearer" | "dpop"; error: ChallengeError },
        unavailable = false,
      ): CheckResponse => {
        emitDenial(
          options.onDenied,
          denialRecord({
            layer: "authn",
            method: path,
            peer: callerOf(ctx.values),
            reason,
            code: unavailable ? "unavailable" : "unauthenticated",
          }),
        );
        const set = (k: string, value: string) => ({
          header: { key: k, value },
          appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
        });
        const out = [
          set(
            "www-authenticate",
            dpopChallenge({
              algorithms: shape.algorithms,
              bearer: bearerAccepted,
              ...(challenge ? { failed: challenge } : {}),
            }),
          ),
        ];
        const nonce = shape.currentNonce();
        if (nonce !== undefined) out.push(set("dpop-nonce", nonce));
        const message = unavailable ? "server busy, try again" : UNAUTHENTICATED_MESSAGE;
        return create(CheckResponseSchema, {
          status: create(StatusSchema, { code: unavailable ? 14 : 16, message }),
          httpResponse: {
            case: "deniedResponse",
            value: {
              status: {
                code: unavailable ? StatusCode.ServiceUnavailable : StatusCode.Unauthorized,
              },
              headers: out,
              body: message,
            },
          },
        });
      };

      // jwt_authn runs first and fails closed; no payload here means it did not verify
      // this request (a route without jwt_authn), so nothing is accepted.
      const payload = http
        ? (req.attributes?.metadataContext?.filterMetadata[filter]?.[key] as JsonObject | undefined)
        : undefined;
      const authorization = headers.authorization;
      if (!payload || authorization === undefined) return deny("no-credentials");
      const match = CREDENTIALS.exec(authorization.trim());
      if (!match) return deny("malformed-authorization");
      const scheme = match[1]!.toLowerCase();
      const cnf = payload.cnf;

      if (scheme === "bearer") {
        if (!bearerAccepted) return deny("wrong-scheme");
        if (cnf !== undefined && cnf !== null) {
          return deny("token-bound-to-key", { scheme: "bearer", error: "invalid_token" });
        }
        return ok(undefined);
      }
      if (scheme !== "dpop") return deny("wrong-scheme");
      if (!verifier)
        return deny("dpop-htu-mismatch", { scheme: "dpop", error: "invalid_dpop_proof" });
      const jkt =
        typeof cnf === "object" && cnf !== null && !Array.isArray(cnf) ? cnf.jkt : undefined;
      try {
        const proof = await verifier.verify({
          // Envoy joins repeated headers with a comma, which never occurs in a proof.
          proofs: headers.dpop === undefined ? [] : headers.dpop.split(",").map((p) => p.trim()),
          method: http?.method ?? "",
          path,
          accessToken: match[2]!,
          boundKey: typeof jkt === "string" ? jkt : undefined,
        });
        const nonce = verifier.currentNonce();
        return ok(nonce !== undefined && proof.nonce !== nonce ? nonce : undefined);
      } catch (err) {
        if (!(err instanceof DpopProofError)) throw err;
        if (err.retryable) return deny(err.reason, undefined, true);
        return deny(err.reason, { scheme: "dpop", error: err.challenge });
      }
    },
  };
}

function ok(nextNonce: string | undefined): CheckResponse {
  return create(CheckResponseSchema, {
    status: create(StatusSchema, { code: 0 }),
    httpResponse: {
      case: "okResponse",
      value: {
        // RFC 9449 §8.2: the next nonce travels on a successful response.
        responseHeadersToAdd:
          nextNonce === undefined
            ? []
            : [
                {
                  header: { key: "dpop-nonce", value: nextNonce },
                  appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
                },
              ],
      },
    },
  });
}
