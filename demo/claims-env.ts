/**
 * The demo backend's claim settings from environment variables, over the demo IdP's defaults
 * (`demoClaimSettings`). One variable per `ClaimSettings` field, so the backend can be pointed
 * at Keycloak or any other IdP without code:
 *
 *   GWO_ISSUER=https://kc.example/realms/notes GWO_AUDIENCE=notes-api GWO_TOKEN_TYPE=none \
 *   GWO_ROLES_CLAIM=realm_access.roles GWO_REQUIRED_CLAIMS=typ=Bearer npx tsx demo/server/main.ts
 */
import {
  type ClaimSettings,
  ClaimSettingsError,
  resolveClaimSettings,
} from "../src/access/index.js";
import { demoClaimSettings } from "./oidc-client.js";

/** The variables read, by ClaimSettings field (named in errors). */
export const CLAIM_ENV = {
  audiences: "GWO_AUDIENCE",
  tokenType: "GWO_TOKEN_TYPE",
  scopeClaim: "GWO_SCOPE_CLAIM",
  rolesClaim: "GWO_ROLES_CLAIM",
  requiredClaims: "GWO_REQUIRED_CLAIMS",
  clockSkewSeconds: "GWO_CLOCK_SKEW",
} as const;

/** A bad claim variable: names the variable and why. */
export class ClaimEnvError extends Error {
  override name = "ClaimEnvError";
}

/**
 * `GWO_AUDIENCE` (comma-separated), `GWO_TOKEN_TYPE` (`none`: not checked),
 * `GWO_SCOPE_CLAIM`, `GWO_ROLES_CLAIM`, `GWO_REQUIRED_CLAIMS` (`name=value,…`),
 * `GWO_CLOCK_SKEW` (seconds). Throws ClaimEnvError.
 */
export function claimSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  issuer: string,
): ClaimSettings {
  const demo = demoClaimSettings(issuer);
  const list = (v: string) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  const settings: ClaimSettings = {
    ...demo,
    ...(env.GWO_AUDIENCE ? { audiences: list(env.GWO_AUDIENCE) } : {}),
    tokenType: env.GWO_TOKEN_TYPE === "none" ? undefined : (env.GWO_TOKEN_TYPE ?? demo.tokenType),
    ...(env.GWO_SCOPE_CLAIM ? { scopeClaim: env.GWO_SCOPE_CLAIM } : {}),
    ...(env.GWO_ROLES_CLAIM ? { rolesClaim: env.GWO_ROLES_CLAIM } : {}),
    ...(env.GWO_REQUIRED_CLAIMS ? { requiredClaims: requiredClaims(env.GWO_REQUIRED_CLAIMS) } : {}),
    ...(env.GWO_CLOCK_SKEW !== undefined && env.GWO_CLOCK_SKEW !== ""
      ? { clockSkewSeconds: Number(env.GWO_CLOCK_SKEW) }
      : {}),
  };
  try {
    resolveClaimSettings(settings);
  } catch (err) {
    if (!(err instanceof ClaimSettingsError)) throw err;
    const field = err.field.split(".")[0] as keyof typeof CLAIM_ENV | "issuer";
    const variable = field === "issuer" ? "GWO_ISSUER" : CLAIM_ENV[field];
    throw new ClaimEnvError(`${variable}: ${err.message.replace(/^claim settings: /, "")}`);
  }
  return settings;
}

function requiredClaims(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of value.split(",")) {
    const [name, ...rest] = pair.split("=");
    if (!name?.trim() || rest.length === 0) {
      throw new ClaimEnvError(`${CLAIM_ENV.requiredClaims}: "${pair}" is not name=value`);
    }
    out[name.trim()] = rest.join("=").trim();
  }
  return out;
}
