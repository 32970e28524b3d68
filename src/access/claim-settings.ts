/**
 * One description of an identity provider's access tokens, used alike by the gateway
 * (`jwt:` in gateway.yaml → jwt_authn + RBAC), the backend kit (`createJwtVerifier`,
 * `jwtVerifierOptions`) and the SDK (`rolesClaim`). Keeping it in one shape is what makes the
 * gateway and the backend accept and refuse the same tokens.
 *
 * Dependency-free and browser-safe.
 */

/** How an IdP's access tokens are recognised and read. */
export interface ClaimSettings {
  /**
   * Expected `iss`, compared exactly (no trailing-slash folding).
   * @example "https://login.example.com/realms/notes"
   */
  readonly issuer: string;
  /**
   * Accepted `aud` values: the token must name at least one. Keycloak only sets `aud`
   * through an audience mapper; Auth0 needs the API identifier as `audience`.
   * @example ["https://api.notes.example.com"]
   */
  readonly audiences: readonly string[];
  /**
   * Required JOSE header `typ`, compared case-insensitively without an `application/`
   * prefix; undefined: not checked (then use `requiredClaims` to keep ID tokens out).
   * @default undefined
   * @example "at+jwt" (RFC 9068: oidc-provider, Okta custom servers, Auth0 with the RFC 9068 profile)
   */
  readonly tokenType?: string;
  /**
   * Claim holding the granted scopes, a space-delimited string or an array; a dotted path
   * reaches into objects.
   * @default "scope"
   * @example "scp" (Entra ID)
   */
  readonly scopeClaim?: string;
  /**
   * Claim holding the roles (an array, or one string); a dotted path reaches into objects.
   * @default "roles"
   * @example "realm_access.roles" (Keycloak)
   */
  readonly rolesClaim?: string;
  /**
   * Claims that must be present with exactly these string values (by name or dotted path).
   * Keycloak marks access tokens with payload `typ: "Bearer"` and ID tokens with `"ID"`.
   * @default {}
   * @example { typ: "Bearer" }
   */
  readonly requiredClaims?: Readonly<Record<string, string>>;
  /**
   * Seconds of clock skew tolerated on `exp` and `nbf`.
   * @default 30
   */
  readonly clockSkewSeconds?: number;
}

/** {@link ClaimSettings} with every default applied. */
export interface ResolvedClaimSettings {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly tokenType: string | undefined;
  readonly scopeClaim: string;
  readonly rolesClaim: string;
  readonly requiredClaims: Readonly<Record<string, string>>;
  readonly clockSkewSeconds: number;
}

/** Defaults of the optional fields. */
export const CLAIM_DEFAULTS = {
  scopeClaim: "scope",
  rolesClaim: "roles",
  clockSkewSeconds: 30,
} as const;

/** A claim name or dotted path: letters, digits, `_`, `-`, `:` and dots between steps. */
const CLAIM_PATH = /^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/;

/** A bad field of {@link ClaimSettings}; `field` names it (e.g. `rolesClaim`). */
export class ClaimSettingsError extends TypeError {
  override name = "ClaimSettingsError";
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`claim settings: ${field}: ${reason}`);
  }
}

/** Applies defaults and checks every field. Throws {@link ClaimSettingsError}. */
export function resolveClaimSettings(settings: ClaimSettings): ResolvedClaimSettings {
  if (typeof settings.issuer !== "string" || settings.issuer === "") {
    throw new ClaimSettingsError("issuer", "required");
  }
  const audiences = [...(settings.audiences ?? [])];
  if (audiences.length === 0 || audiences.some((a) => typeof a !== "string" || a === "")) {
    throw new ClaimSettingsError("audiences", "at least one non-empty audience is required");
  }
  const tokenType = settings.tokenType?.trim();
  if (tokenType !== undefined && !/^[A-Za-z0-9.+/_-]+$/.test(tokenType)) {
    throw new ClaimSettingsError("tokenType", "must be a media type such as at+jwt");
  }
  const scopeClaim = settings.scopeClaim ?? CLAIM_DEFAULTS.scopeClaim;
  const rolesClaim = settings.rolesClaim ?? CLAIM_DEFAULTS.rolesClaim;
  for (const [field, value] of [
    ["scopeClaim", scopeClaim],
    ["rolesClaim", rolesClaim],
  ] as const) {
    if (!CLAIM_PATH.test(value)) {
      throw new ClaimSettingsError(field, `"${value}" is not a claim name or dotted path`);
    }
  }
  const requiredClaims = { ...(settings.requiredClaims ?? {}) };
  for (const [name, value] of Object.entries(requiredClaims)) {
    if (!CLAIM_PATH.test(name)) {
      throw new ClaimSettingsError(`requiredClaims.${name}`, "not a claim name or dotted path");
    }
    if (typeof value !== "string" || value === "") {
      throw new ClaimSettingsError(`requiredClaims.${name}`, "must be a non-empty string");
    }
  }
  const clockSkewSeconds = settings.clockSkewSeconds ?? CLAIM_DEFAULTS.clockSkewSeconds;
  if (!Number.isInteger(clockSkewSeconds) || clockSkewSeconds < 0 || clockSkewSeconds > 300) {
    throw new ClaimSettingsError("clockSkewSeconds", "must be an integer from 0 to 300");
  }
  return {
    issuer: settings.issuer,
    audiences,
    tokenType: tokenType === "" ? undefined : tokenType,
    scopeClaim,
    rolesClaim,
    requiredClaims,
    clockSkewSeconds,
  };
}

/** The `typ` header value as compared: lower case, without an `application/` prefix. */
export function normalizeTokenType(typ: string): string {
  return typ.toLowerCase().replace(/^application\//, "");
}
