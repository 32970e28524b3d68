/**
 * The demo web app's runtime configuration: served as `/config.json` by the starter
 * (`start.ts`) and read by the app at load time, so one build serves any stack (ports, TTL).
 * Shared by the server side (start.ts) and the browser side (src/main.ts).
 */

import { DEMO_API_AUDIENCE, DEMO_CLIENT_ID } from "../oidc-client.js";

/** Where the app keeps the OIDC session. `local` lets tabs of the same origin share it. */
export type WebStorageKind = "local" | "session" | "memory";

export interface WebAppConfig {
  /** The OIDC issuer. Required. @example "https://localhost:9443" */
  authority: string;
  /** OAuth client id. @default "grpc-web-oidc-demo" */
  clientId: string;
  /**
   * What the browser calls: Envoy's URL, or the backend's gRPC-Web listener. Required; a
   * non-https URL makes the app refuse every call and say why. @example "https://localhost:8080"
   */
  apiUrl: string;
  /** Where the IdP sends the user back. @default the app's origin + "/" */
  redirectUri: string;
  /** Scopes to request. @default "openid offline_access notes.read notes.write" */
  scope: string;
  /** Resource indicator (the API audience). @default "https://api.grpc-web-oidc.local" */
  resource: string;
  /**
   * Where the session is kept; `?storage=session|memory` in the page URL overrides it.
   * @default "local" @example "session"
   */
  storage: WebStorageKind;
  /**
   * Access-token lifetime at the IdP, seconds; at or below 120 the header shows a "short TTL"
   * badge. @default unset (no badge) @example 30
   */
  tokenTtl?: number;
  /**
   * Refresh when the access token expires within this many seconds (the SDK's
   * `refreshLeewaySeconds`). @default the SDK's (30) @example 10
   */
  refreshLeewaySeconds?: number;
  /**
   * Claim (name or dotted path) read into the session's roles: the SDK's `rolesClaim`, the
   * same value the backend and the gateway are configured with. @default "roles"
   * @example "realm_access.roles"
   */
  rolesClaim?: string;
  /** Which path API calls take, shown in the header. @default unset (no badge) @example "envoy" */
  path?: "direct" | "envoy";
  /**
   * DPoP: tokens bound to a non-extractable key in IndexedDB, a proof per call (the SDK's
   * `dpop` options). @default false
   */
  dpop?: boolean;
  /**
   * Session mode: the gateway (`apiUrl`) holds the tokens in HttpOnly cookies; the app signs in
   * and out through it and calls with the session transport. @default false
   */
  session?: boolean;
}

export const DEFAULT_CLIENT_ID = DEMO_CLIENT_ID;
export const DEFAULT_SCOPE = "openid offline_access notes.read notes.write";
export const DEFAULT_RESOURCE = DEMO_API_AUDIENCE;
/** At or below this TTL (seconds) the header shows a "short TTL" badge. */
export const SHORT_TTL_SECONDS = 120;
