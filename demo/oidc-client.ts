/**
 * The demo's OAuth facts, one definition for the IdP, the backend, Envoy, the web app and the
 * tests. Dependency-free: the web app bundles it for the browser.
 */

/** The demo SPA's public client id. */
export const DEMO_CLIENT_ID = "grpc-web-oidc-demo";

/** The API's resource indicator, and so the access tokens' `aud`. */
export const DEMO_API_AUDIENCE = "https://api.grpc-web-oidc.local";

/**
 * What the demo IdP's access tokens look like, as one `ClaimSettings` (src/access): the backend,
 * Envoy and the web app are all configured from it. Typed structurally so this file stays
 * dependency-free for the browser bundle.
 */
export function demoClaimSettings(issuer: string): {
  issuer: string;
  audiences: string[];
  tokenType: string;
  scopeClaim: string;
  rolesClaim: string;
  requiredClaims: Record<string, string>;
  clockSkewSeconds: number;
} {
  return {
    issuer,
    audiences: [DEMO_API_AUDIENCE],
    // RFC 9068 access tokens: keeps the IdP's ID tokens (typ JWT) out.
    tokenType: "at+jwt",
    scopeClaim: "scope",
    rolesClaim: "roles",
    requiredClaims: {},
    clockSkewSeconds: 30,
  };
}

/**
 * Session mode: the gateway's (Envoy's) confidential client id. Its secret is a file of the
 * development PKI (`secrets/gateway-client-secret`), never in code or config text.
 */
export const DEMO_GATEWAY_CLIENT_ID = "grpc-web-oidc-gateway";
