// The demo backend's claim settings from GWO_* variables (demo/claims-env.ts).
import { describe, expect, it } from "vitest";
import { ClaimEnvError, claimSettingsFromEnv } from "../../demo/claims-env.js";
import { DEMO_API_AUDIENCE } from "../../demo/oidc-client.js";

const ISSUER = "https://kc.test/realms/notes";

describe("claimSettingsFromEnv", () => {
  it("defaults to the demo IdP's tokens (typ at+jwt, flat roles, 30 s skew)", () => {
    expect(claimSettingsFromEnv({}, ISSUER)).toMatchObject({
      issuer: ISSUER,
      audiences: [DEMO_API_AUDIENCE],
      tokenType: "at+jwt",
      rolesClaim: "roles",
      clockSkewSeconds: 30,
    });
  });

  it("describes Keycloak's tokens from variables", () => {
    const s = claimSettingsFromEnv(
      {
        GWO_AUDIENCE: "notes-api, other",
        GWO_TOKEN_TYPE: "none",
        GWO_ROLES_CLAIM: "realm_access.roles",
        GWO_REQUIRED_CLAIMS: "typ=Bearer,azp=notes-spa",
        GWO_CLOCK_SKEW: "10",
      },
      ISSUER,
    );
    expect(s).toMatchObject({
      audiences: ["notes-api", "other"],
      tokenType: undefined,
      rolesClaim: "realm_access.roles",
      requiredClaims: { typ: "Bearer", azp: "notes-spa" },
      clockSkewSeconds: 10,
    });
  });

  it("names the variable that is wrong", () => {
    expect(() => claimSettingsFromEnv({ GWO_REQUIRED_CLAIMS: "typ" }, ISSUER)).toThrow(
      /^GWO_REQUIRED_CLAIMS: "typ" is not name=value$/,
    );
    expect(() => claimSettingsFromEnv({ GWO_CLOCK_SKEW: "ten" }, ISSUER)).toThrow(ClaimEnvError);
    expect(() => claimSettingsFromEnv({ GWO_CLOCK_SKEW: "ten" }, ISSUER)).toThrow(/GWO_CLOCK_SKEW/);
    expect(() => claimSettingsFromEnv({ GWO_ROLES_CLAIM: "a..b" }, ISSUER)).toThrow(
      /GWO_ROLES_CLAIM/,
    );
  });
});
