/**
 * The errors the gateway tools throw. Each has a `code` from {@link EnvoyErrorCode}
 * (as jose's `JOSEError.code`), so `switch (err.code)` works where `instanceof` does not:
 * when a bundle or a monorepo holds two copies of this package.
 */

/**
 * The `code` of every error `grpc-web-oidc/envoy` throws. `ERR_ACCESS_POLICY` is
 * `AccessPolicyError`'s, from `grpc-web-oidc/access`, which the generator lets through.
 */
export type EnvoyErrorCode = "ERR_GATEWAY_CONFIG" | "ERR_PROTO_IMAGE" | "ERR_ACCESS_POLICY";

const CODES: ReadonlySet<string> = new Set<EnvoyErrorCode>([
  "ERR_GATEWAY_CONFIG",
  "ERR_PROTO_IMAGE",
  "ERR_ACCESS_POLICY",
]);

/**
 * Whether `err` is an error of the gateway tools (or an access policy error), read by its
 * `code` and not its class, so errors from another copy of the package count too.
 */
export function isEnvoyError(err: unknown): err is Error & { readonly code: EnvoyErrorCode } {
  if (!(err instanceof Error)) return false;
  const code: unknown = (err as Error & { code?: unknown }).code;
  return typeof code === "string" && CODES.has(code);
}

/** The base of the gateway tools' own errors. */
export class EnvoyToolError extends Error {
  /** Which error this is; stable across versions and across copies of the package. */
  readonly code: Exclude<EnvoyErrorCode, "ERR_ACCESS_POLICY">;
  constructor(code: Exclude<EnvoyErrorCode, "ERR_ACCESS_POLICY">, message: string) {
    super(message);
    this.code = code;
  }
}

/** A bad `gateway.yaml`: where, which field, and why. The message is `FILE:LINE:COL field: why`. */
export class GatewayConfigError extends EnvoyToolError {
  override name = "GatewayConfigError";
  declare readonly code: "ERR_GATEWAY_CONFIG";
  constructor(
    /** The file read (as given). */
    readonly file: string,
    /** 1-based line, 0 when unknown. */
    readonly line: number,
    /** 1-based column, 0 when unknown. */
    readonly col: number,
    /** Dotted field path, e.g. `upstream.san`; empty for the whole document. */
    readonly field: string,
    /** Why the value is rejected. */
    readonly reason: string,
  ) {
    super("ERR_GATEWAY_CONFIG", `${file}:${line}:${col} ${field || "(document)"}: ${reason}`);
  }
}

/** A proto image (`buf build` output) that cannot be read, built, or holds no service. */
export class ProtoImageError extends EnvoyToolError {
  override name = "ProtoImageError";
  declare readonly code: "ERR_PROTO_IMAGE";
  constructor(message: string) {
    super("ERR_PROTO_IMAGE", message);
  }
}
