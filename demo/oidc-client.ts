/**
 * The demo's OAuth facts, one definition for the IdP, the backend, Envoy, the web app and the
 * tests. Dependency-free: the web app bundles it for the browser.
 */

/** The demo SPA's public client id. */
export const DEMO_CLIENT_ID = "grpc-web-oidc-demo";

/** The API's resource indicator, and so the access tokens' `aud`. */
export const DEMO_API_AUDIENCE = "https://api.grpc-web-oidc.local";
