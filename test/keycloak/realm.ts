/**
 * The test realm, configured through Keycloak's admin REST API only (no import file): what an
 * operator sets up for this product (docs/idp-guide.md, Keycloak):
 *
 * - realm roles `reader`, `writer`, `admin`; users reader/writer/admin with those roles;
 * - client scopes `notes.read` and `notes.write`, each granted only to users holding one of
 *   its mapped roles (Keycloak applies a client scope with role scope mappings only then);
 * - a public client with Authorization Code + PKCE (S256), exact redirect URIs and web origins;
 * - refresh-token rotation: "Revoke Refresh Token" on, max reuse 0;
 * - an audience mapper, because Keycloak ignores RFC 8707 `resource`;
 * - login and token events stored, so a test can count refresh-token reuse at the IdP.
 *
 * Variants for the other modes, each its own realm: a public client that must bind its tokens
 * to a DPoP key ("Require DPoP bound tokens"), and the session-mode gateway's confidential
 * client in a realm without refresh-token rotation (envoy/README.md, session mode).
 */
import { DEMO_API_AUDIENCE } from "../../demo/oidc-client.js";
import type { ClaimSettings } from "../../src/access/index.js";
import type { RunningKeycloak } from "./keycloak.js";

export const REALM = "notes";
export const CLIENT_ID = "notes-spa";
export const AUDIENCE = DEMO_API_AUDIENCE;
/** Users; the password is the user name. */
export const USERS = {
  reader: ["reader"],
  writer: ["reader", "writer"],
  admin: ["reader", "writer", "admin"],
} as const;
export type UserName = keyof typeof USERS;

/**
 * The scope to ask Keycloak for: no `offline_access`. Keycloak issues refresh tokens without it,
 * and with it the refresh token belongs to a 30-day offline session that outlives the user's
 * SSO session (docs/idp-guide.md).
 */
export const SCOPE = "openid notes.read notes.write";

export interface KeycloakRealm {
  readonly issuer: string;
  readonly jwksUri: string;
  /** What the gateway, the backend and the SDK are configured with for this realm. */
  readonly claims: ClaimSettings;
  /** Ends every session of `user` (admin "log out user"). */
  logoutUser(user: UserName): Promise<void>;
  /** Stored events of `type` (e.g. REFRESH_TOKEN, REFRESH_TOKEN_ERROR), newest first. */
  events(type: string): Promise<KeycloakEvent[]>;
  /** Sessions of `user` at the IdP (online sessions). */
  sessions(user: UserName): Promise<number>;
  /** Offline sessions of `user` for the client. */
  offlineSessions(user: UserName): Promise<number>;
  /**
   * The user's not-before time in whole seconds (0 when never set): "log out user" sets it to
   * the current second, and Keycloak refuses a token only if its `iat` is before it.
   */
  notBefore(user: UserName): Promise<number>;
  /** Turns "Revoke Refresh Token" (max reuse 0) on or off for the whole realm. */
  setRefreshRotation(on: boolean): Promise<void>;
  /** The realm as the admin API returns it. */
  representation(): Promise<Record<string, unknown>>;
  /** The client as the admin API returns it. */
  client(): Promise<Record<string, unknown>>;
}

/** Who the realm's one client is. */
export type RealmClient =
  /** A public SPA client; `dpop`: "Require DPoP bound tokens" on. */
  | { readonly kind: "public"; readonly dpop?: boolean }
  /** A confidential client (the session-mode gateway), `client_secret_basic` with `secret`. */
  | { readonly kind: "confidential"; readonly secret: string };

export interface KeycloakEvent {
  type: string;
  error?: string;
  details?: Record<string, string>;
}

/** Creates the realm, its scopes, client and users. */
export async function configureRealm(
  kc: RunningKeycloak,
  o: {
    /** Exact redirect URIs of the SPA. */
    redirectUris: readonly string[];
    /** Browser origins allowed to call the token endpoint (CORS). */
    webOrigins: readonly string[];
    /** Access-token lifespan, seconds. @default 60 */
    accessTokenLifespan?: number;
    /** @default REALM */
    realm?: string;
    /** @default CLIENT_ID */
    clientId?: string;
    /** @default { kind: "public" } */
    client?: RealmClient;
    /**
     * "Revoke Refresh Token" with max reuse 0 (a realm-wide setting in Keycloak: no client can
     * opt out). @default true
     */
    rotateRefreshTokens?: boolean;
    /** Valid post-logout redirect URIs. @default redirectUris */
    postLogoutRedirectUris?: readonly string[];
  },
): Promise<KeycloakRealm> {
  const admin = `${kc.url}/admin/realms`;
  const api = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const res = (await kc.fetch(`${admin}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await kc.adminToken()}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })) as unknown as Response;
    if (!res.ok) {
      throw new Error(`Keycloak admin ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    }
    return res;
  };
  const json = async <T>(path: string): Promise<T> => (await (await api("GET", path)).json()) as T;
  const idFrom = (res: Response) => res.headers.get("location")?.split("/").at(-1) ?? "";

  const realmName = o.realm ?? REALM;
  const kind = o.client ?? { kind: "public" };
  await api("POST", "", {
    realm: realmName,
    enabled: true,
    sslRequired: "external",
    // Rotation: every refresh returns a new refresh token and the old one is spent at once.
    revokeRefreshToken: o.rotateRefreshTokens ?? true,
    refreshTokenMaxReuse: 0,
    accessTokenLifespan: o.accessTokenLifespan ?? 60,
    eventsEnabled: true,
    eventsExpiration: 3600,
    enabledEventTypes: [
      "LOGIN",
      "LOGIN_ERROR",
      "CODE_TO_TOKEN",
      "CODE_TO_TOKEN_ERROR",
      "REFRESH_TOKEN",
      "REFRESH_TOKEN_ERROR",
      "LOGOUT",
    ],
    roles: { realm: [{ name: "reader" }, { name: "writer" }, { name: "admin" }] },
  });
  const r = `/${realmName}`;
  const role = (name: string) => json<{ id: string; name: string }>(`${r}/roles/${name}`);

  const scopeIds: Record<string, string> = {};
  for (const [scope, roles] of [
    ["notes.read", ["reader", "writer"]],
    ["notes.write", ["writer"]],
  ] as const) {
    const res = await api("POST", `${r}/client-scopes`, {
      name: scope,
      protocol: "openid-connect",
      attributes: { "include.in.token.scope": "true", "display.on.consent.screen": "false" },
    });
    scopeIds[scope] = idFrom(res);
    // A client scope with role scope mappings is granted only to users with one of the roles.
    await api(
      "POST",
      `${r}/client-scopes/${scopeIds[scope]}/scope-mappings/realm`,
      await Promise.all(roles.map(role)),
    );
  }

  const clientRes = await api("POST", `${r}/clients`, {
    clientId: o.clientId ?? CLIENT_ID,
    protocol: "openid-connect",
    publicClient: kind.kind === "public",
    ...(kind.kind === "confidential"
      ? { clientAuthenticatorType: "client-secret", secret: kind.secret }
      : {}),
    standardFlowEnabled: true,
    directAccessGrantsEnabled: false,
    implicitFlowEnabled: false,
    redirectUris: [...o.redirectUris],
    webOrigins: [...o.webOrigins],
    attributes: {
      "pkce.code.challenge.method": "S256",
      "post.logout.redirect.uris": (o.postLogoutRedirectUris ?? o.redirectUris).join("##"),
      // Keycloak then refuses a token request without a DPoP proof, binds the access and
      // refresh tokens to the proof's key (cnf.jkt) and answers token_type DPoP.
      ...(kind.kind === "public" && kind.dpop ? { "dpop.bound.access.tokens": "true" } : {}),
    },
    protocolMappers: [
      {
        name: "api audience",
        protocol: "openid-connect",
        protocolMapper: "oidc-audience-mapper",
        config: {
          "included.custom.audience": AUDIENCE,
          "access.token.claim": "true",
          "id.token.claim": "false",
          "introspection.token.claim": "true",
        },
      },
    ],
  });
  const clientId = idFrom(clientRes);
  for (const id of Object.values(scopeIds)) {
    await api("PUT", `${r}/clients/${clientId}/optional-client-scopes/${id}`);
  }

  const userIds: Partial<Record<UserName, string>> = {};
  for (const [name, roles] of Object.entries(USERS) as [UserName, readonly string[]][]) {
    const res = await api("POST", `${r}/users`, {
      username: name,
      enabled: true,
      email: `${name}@notes.test`,
      emailVerified: true,
      firstName: name,
      lastName: "Test",
      credentials: [{ type: "password", value: name, temporary: false }],
    });
    userIds[name] = idFrom(res);
    await api(
      "POST",
      `${r}/users/${userIds[name]}/role-mappings/realm`,
      await Promise.all(roles.map(role)),
    );
  }
  const userId = (u: UserName) => userIds[u] ?? "";

  const issuer = `${kc.url}/realms/${realmName}`;
  return {
    issuer,
    jwksUri: `${issuer}/protocol/openid-connect/certs`,
    claims: {
      issuer,
      audiences: [AUDIENCE],
      // Keycloak's header typ is JWT for every token (unless the client opts into RFC 9068);
      // its payload typ tells an access token (Bearer, or DPoP when bound to a key) from an ID
      // token (ID).
      rolesClaim: "realm_access.roles",
      requiredClaims: { typ: kind.kind === "public" && kind.dpop ? "DPoP" : "Bearer" },
    },
    logoutUser: async (u) => {
      await api("POST", `${r}/users/${userId(u)}/logout`);
    },
    events: (type) => json<KeycloakEvent[]>(`${r}/events?type=${type}&max=100000`),
    sessions: async (u) => (await json<unknown[]>(`${r}/users/${userId(u)}/sessions`)).length,
    offlineSessions: async (u) =>
      (await json<unknown[]>(`${r}/users/${userId(u)}/offline-sessions/${clientId}`)).length,
    notBefore: async (u) =>
      (await json<{ notBefore?: number }>(`${r}/users/${userId(u)}`)).notBefore ?? 0,
    setRefreshRotation: async (on) => {
      await api("PUT", r, { revokeRefreshToken: on, refreshTokenMaxReuse: 0 });
    },
    representation: () => json(r),
    client: () => json(`${r}/clients/${clientId}`),
  };
}
