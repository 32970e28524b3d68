/**
 * The demo web app's runtime configuration: served as `/config.json` by the starter
 * (`start.ts`) and read by the app at load time, so one build serves any stack (ports, TTL).
 * Shared by the server side (start.ts) and the browser side (src/main.ts).
 */

/** Where the app keeps the OIDC session. `local` lets tabs of the same origin share it. */
export type WebStorageKind = "local" | "session" | "memory";

export interface WebAppConfig {
  /** The OIDC issuer, e.g. `https://localhost:9443`. */
  authority: string;
  /** OAuth client id. @default "grpc-web-oidc-demo" */
  clientId: string;
  /** What the browser calls: Envoy's URL, or the backend's gRPC-Web listener. */
  apiUrl: string;
  /** Where the IdP sends the user back: the app's origin + `/`. */
  redirectUri: string;
  /** @default "openid offline_access notes.read notes.write" */
  scope: string;
  /** Resource indicator (the API audience). @default "https://api.grpc-web-oidc.local" */
  resource: string;
  /** Session storage; `?storage=session|memory` in the page URL overrides it. @default "local" */
  storage: WebStorageKind;
  /** Access-token lifetime configured at the IdP, in seconds (drives the "short TTL" badge). */
  tokenTtl?: number;
  /** Refresh when the access token expires within this many seconds (the SDK's default: 30). */
  refreshLeewaySeconds?: number;
  /** Which path the API calls take, shown in the header. */
  path?: "direct" | "envoy";
}

export const DEFAULT_CLIENT_ID = "grpc-web-oidc-demo";
export const DEFAULT_SCOPE = "openid offline_access notes.read notes.write";
export const DEFAULT_RESOURCE = "https://api.grpc-web-oidc.local";
/** Below this TTL the header shows a "short TTL" badge. */
export const SHORT_TTL_SECONDS = 120;
