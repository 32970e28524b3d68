/**
 * The demo's local OpenID Provider: node-oidc-provider (OpenID Certified) over
 * HTTPS with the development certificate, one public SPA client (token mode),
 * optionally the gateway's confidential client (session mode), JWT access
 * tokens for the demo API and the development users of `users.ts`.
 *
 * Security-relevant choices (each one is the library default kept on, or a
 * stricter setting): PKCE S256 required; refresh tokens only with
 * `offline_access`, rotated on every use, and a used refresh token presented
 * again revokes the whole grant ("refresh token already used"); token,
 * revocation and userinfo CORS only for the origins of the client's redirect
 * URIs.
 *
 * The gateway's confidential client (session mode) authenticates with its
 * secret (`client_secret_basic`) and its refresh tokens are NOT rotated: Envoy's
 * oauth2 filter refreshes once per request that finds the access token expired,
 * with no coordination, so N concurrent calls spend the same refresh token N
 * times; with rotation and reuse detection the second use would revoke the grant
 * and end the session (envoyproxy/gateway#9820). RFC 9700 (section 4.14.2)
 * requires rotation or sender-constraining only for public clients; a
 * confidential client's refresh token is bound to it by client authentication.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { ClientMetadata, Configuration, JWK, KoaContextWithOIDC } from "oidc-provider";
import Provider, { errors } from "oidc-provider";
import { DEMO_API_AUDIENCE, DEMO_CLIENT_ID, DEMO_GATEWAY_CLIENT_ID } from "../oidc-client.js";
import type { DevPki } from "../pki.js";
import { createMemoryStore } from "./adapter.js";
import { handleInteraction } from "./interactions.js";
import { autoLogoutPage, errorPage, loggedOutPage, logoutPage } from "./pages.js";
import { API_SCOPES, findUser } from "./users.js";

/** The demo SPA's client id (public client, no secret). */
export const CLIENT_ID = DEMO_CLIENT_ID;
/** The gateway's confidential client id (session mode). */
export const GATEWAY_CLIENT_ID = DEMO_GATEWAY_CLIENT_ID;
/** The demo API's resource indicator and the `aud` of its access tokens. */
export const API_AUDIENCE = DEMO_API_AUDIENCE;
/** Default access-token lifetime in seconds. */
export const DEFAULT_TOKEN_TTL = 300;
/**
 * Default renew window of the browser client, in seconds: oidc-client-ts's
 * `accessTokenExpiringNotificationTimeInSeconds` (60). A TTL at or below it
 * makes the client renew every second, so such TTLs are refused.
 */
export const DEFAULT_RENEW_WINDOW = 60;

export interface IdpOptions {
  /** The development PKI; the server certificate is `pki.localhost`. */
  readonly pki: DevPki;
  /** TCP port; 0 picks a free one (tests). @default 0 @example 9443 */
  readonly port?: number;
  /** Interface to bind. The issuer is always `https://localhost:<port>`. @default "127.0.0.1" */
  readonly host?: string;
  /**
   * Access-token lifetime in seconds. Must be greater than `renewWindow`.
   * @default env `GWO_TOKEN_TTL`, else 300 @example 600
   */
  readonly accessTokenTtl?: number;
  /**
   * The client's renew window in seconds (how long before expiry the SPA
   * refreshes). Only used to refuse a TTL the client cannot live with; lower it
   * (and configure the client the same way) to test with short TTLs.
   * @default env `GWO_RENEW_WINDOW`, else 60 @example 2
   */
  readonly renewWindow?: number;
  /** The SPA's redirect URIs; their origins are the only CORS origins allowed. @example ["https://localhost:5173/callback"] */
  readonly redirectUris: readonly string[];
  /** Allowed post-logout redirect URIs. @default each redirect URI's origin + "/" */
  readonly postLogoutRedirectUris?: readonly string[];
  /**
   * DPoP (RFC 9449): the SPA client must prove a key on every token request
   * (`dpop_bound_access_tokens`); its refresh tokens are bound to that key and its JWT
   * access tokens carry `cnf.jkt`. Without it, a client that sends a proof anyway still
   * gets bound tokens (oidc-provider's `features.dPoP` is on either way).
   * @default false
   */
  readonly dpop?: boolean;
  /**
   * Session mode: also register the gateway (Envoy's oauth2 filter) as a confidential client.
   * @default undefined (no gateway client)
   * @example { secretFile: pki.secrets.gatewayClientSecret, redirectUris: ["https://localhost:8080/oauth2/callback"], postLogoutRedirectUris: ["https://localhost:5173/"] }
   */
  readonly gatewayClient?: GatewayClientOptions;
  /**
   * Receives server errors and refresh-token reuse warnings (never tokens).
   * @default writes each record to stderr as one line
   */
  readonly log?: (record: IdpLogRecord) => void;
}

/** The gateway's confidential client (session mode). */
export interface GatewayClientOptions {
  /** File holding the client secret (the same file Envoy reads through SDS). */
  readonly secretFile: string;
  /** The gateway's callback URLs, on the gateway's origin (e.g. `https://gw/oauth2/callback`). */
  readonly redirectUris: readonly string[];
  /** Where the IdP may send the browser after sign-out (the app). */
  readonly postLogoutRedirectUris: readonly string[];
  /**
   * Rotate the gateway's refresh tokens (with reuse detection). Only for showing the failure of
   * envoyproxy/gateway#9820: Envoy's concurrent refreshes then revoke the grant.
   * @default false
   */
  readonly rotateRefreshTokens?: boolean;
}

/** One IdP log record. `message` never holds a token, code or refresh token. */
export interface IdpLogRecord {
  readonly level: "warn" | "error";
  /** `server_error`, `refresh_token_reuse` or `grant_error` (a refused token request). */
  readonly event: string;
  readonly message: string;
}

export interface IdpStats {
  /** Successful refresh_token grants. */
  refreshGrants: number;
  /** A used (rotated) refresh token presented again: the grant was revoked. */
  refreshReuse: number;
  /** Successful authorization_code grants. */
  codeGrants: number;
  /** JWKS requests: when (epoch ms), and the `via` query parameter the caller's URL names. */
  jwksRequests: Array<{ t: number; via: string }>;
}

export interface Idp {
  /** `https://localhost:<port>` */
  readonly issuer: string;
  readonly port: number;
  readonly jwksUri: string;
  /** The access-token lifetime in force, seconds. */
  readonly accessTokenTtl: number;
  /** The HTTPS listener (fault injection closes and reopens it; state survives). */
  readonly server: Server;
  /** Live counters from the provider's events. */
  readonly stats: IdpStats;
  /**
   * Revokes every grant (of `subject` when given) and every token issued
   * under it; returns how many grants were revoked.
   */
  revokeGrants(subject?: string): Promise<number>;
  /**
   * Signing-key rotation, step 1: a new key is published in the JWKS (after the current one),
   * not yet used. Returns its `kid`. Sessions and grants survive (the store is kept).
   */
  publishNextKey(): string;
  /**
   * Step 2: tokens are signed with the newest published key (the old one stays published,
   * so tokens already issued stay valid). Returns the signing `kid`.
   */
  signWithNewestKey(): string;
  /** Stops the server; idempotent. */
  close(): Promise<void>;
}

/** A configuration value the IdP refuses (bad TTL, bad redirect URI). */
export class IdpConfigError extends Error {
  override readonly name = "IdpConfigError";
}

/**
 * Resolves and checks the access-token TTL: an integer number of seconds,
 * strictly above the client's renew window.
 */
export function resolveTokenTtl(
  ttl: number | undefined = numberFromEnv("GWO_TOKEN_TTL"),
  renewWindow: number = numberFromEnv("GWO_RENEW_WINDOW") ?? DEFAULT_RENEW_WINDOW,
): number {
  const value = ttl ?? DEFAULT_TOKEN_TTL;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new IdpConfigError(
      `access-token TTL must be a positive integer of seconds, got ${value}`,
    );
  }
  if (!Number.isSafeInteger(renewWindow) || renewWindow < 0) {
    throw new IdpConfigError(
      `renew window must be a non-negative integer of seconds, got ${renewWindow}`,
    );
  }
  if (value <= renewWindow) {
    throw new IdpConfigError(
      `access-token TTL ${value}s must be greater than the client's renew window (${renewWindow}s, ` +
        "oidc-client-ts accessTokenExpiringNotificationTimeInSeconds); otherwise the client renews " +
        "continuously. Raise GWO_TOKEN_TTL or lower GWO_RENEW_WINDOW (and the client's window).",
    );
  }
  return value;
}

export async function startIdp(o: IdpOptions): Promise<Idp> {
  const ttl = resolveTokenTtl(o.accessTokenTtl, o.renewWindow);
  if (o.redirectUris.length === 0)
    throw new IdpConfigError("at least one redirect URI is required");
  const origins = new Set(o.redirectUris.map(originOf));
  const postLogout = o.postLogoutRedirectUris ?? [...origins].map((origin) => `${origin}/`);
  postLogout.forEach(originOf);
  const log =
    o.log ??
    ((r: IdpLogRecord) => process.stderr.write(`[idp] ${r.level} ${r.event}: ${r.message}\n`));

  // The provider needs the issuer, which needs the port: listen first, attach after.
  let provider: Provider | undefined;
  let app: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;
  const server: Server = createServer(
    {
      cert: readFileSync(o.pki.localhost.cert),
      key: readFileSync(o.pki.localhost.key),
      minVersion: "TLSv1.2",
    },
    (req, res) => {
      if (req.url?.startsWith("/jwks")) {
        const via = new URL(req.url, "https://idp").searchParams.get("via") ?? "";
        if (stats.jwksRequests.length < 10_000) stats.jwksRequests.push({ t: Date.now(), via });
      }
      if (!app || !provider) {
        res.writeHead(503).end();
        return;
      }
      const p = provider;
      const handler = app;
      handleInteraction(p, req, res)
        .then((handled) => {
          if (!handled) {
            req.url = withConsentForOfflineAccess(req.url ?? "/", req.method);
            handler(req, res);
          }
        })
        .catch(() => {
          if (!res.headersSent) res.writeHead(500).end();
        });
    },
  );
  await once(server.listen(o.port ?? 0, o.host ?? "127.0.0.1"), "listening");
  const port = (server.address() as AddressInfo).port;
  const issuer = `https://localhost:${port}`;

  o.gatewayClient?.redirectUris.forEach(originOf);
  o.gatewayClient?.postLogoutRedirectUris.forEach(originOf);
  const store = createMemoryStore();
  const stats: IdpStats = { refreshGrants: 0, refreshReuse: 0, codeGrants: 0, jwksRequests: [] };
  // Kept across key rotations (a new provider over the same store): sessions stay valid.
  const cookieKeys = [randomBytes(32).toString("base64url")];
  // The signing key first: oidc-provider signs with the first key of the algorithm.
  let keys: JWK[] = [signingKey()];
  const build = () => {
    const op = new Provider(
      issuer,
      configuration({ ttl, origins, postLogout, o, store, keys, cookieKeys }),
    );
    op.on("grant.success", (ctx: KoaContextWithOIDC) => {
      const type = ctx.oidc.params?.grant_type;
      if (type === "refresh_token") stats.refreshGrants++;
      else if (type === "authorization_code") stats.codeGrants++;
    });
    op.on("grant.error", (ctx: KoaContextWithOIDC, err: errors.OIDCProviderError) => {
      if (err.error_detail !== "refresh token already used") {
        log({
          level: "warn",
          event: "grant_error",
          // The OAuth error and its fixed description only: never a parameter of the request.
          message: `${String(ctx.oidc.params?.grant_type ?? "?")}: ${err.error}${err.error_detail ? ` (${err.error_detail})` : ""}`,
        });
        return;
      }
      stats.refreshReuse++;
      const sub = ctx.oidc.entities.Account?.accountId ?? "unknown";
      log({
        level: "warn",
        event: "refresh_token_reuse",
        message: `a used refresh token was presented again (sub ${sub}); its grant is revoked`,
      });
    });
    op.on("server_error", (_ctx: KoaContextWithOIDC, err: Error) => {
      log({ level: "error", event: "server_error", message: err.message });
    });
    app = op.callback();
    provider = op;
  };
  build();

  let closing: Promise<void> | undefined;
  return {
    issuer,
    port,
    jwksUri: `${issuer}/jwks`,
    accessTokenTtl: ttl,
    server,
    stats,
    async revokeGrants(subject?: string): Promise<number> {
      let count = 0;
      for (const g of store.grants()) {
        if (subject === undefined || g.accountId === subject) {
          store.revokeGrant(g.grantId);
          count++;
        }
      }
      return count;
    },
    publishNextKey(): string {
      const next = signingKey();
      keys = [...keys, next];
      build();
      return String(next.kid);
    },
    signWithNewestKey(): string {
      const newest = keys[keys.length - 1] as JWK;
      keys = [newest, ...keys.slice(0, -1)];
      build();
      return String(newest.kid);
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function configuration(c: {
  ttl: number;
  origins: ReadonlySet<string>;
  postLogout: readonly string[];
  o: IdpOptions;
  store: ReturnType<typeof createMemoryStore>;
  keys: readonly JWK[];
  cookieKeys: string[];
}): Configuration {
  const apiScope = API_SCOPES.join(" ");
  return {
    adapter: c.store.factory,
    clients: [
      {
        client_id: CLIENT_ID,
        client_name: "grpc-web-oidc demo",
        application_type: "web",
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        redirect_uris: [...c.o.redirectUris],
        post_logout_redirect_uris: [...c.postLogout],
        id_token_signed_response_alg: "ES256",
        ...(c.o.dpop ? { dpop_bound_access_tokens: true } : {}),
      },
      ...(c.o.gatewayClient ? [gatewayClient(c.o.gatewayClient)] : []),
    ],
    rotateRefreshToken: (ctx) => rotateRefreshToken(ctx, c.o.gatewayClient?.rotateRefreshTokens),
    // Sync boolean (the library's contract): only the SPA's own origins.
    clientBasedCORS: (_ctx, origin, client) =>
      client.clientId === CLIENT_ID && c.origins.has(origin),
    cookies: { keys: c.cookieKeys },
    jwks: { keys: [...c.keys] },
    claims: { openid: ["sub"], profile: ["name", "preferred_username"] },
    scopes: ["openid", "offline_access", "profile"],
    // Profile claims in the ID token, so the SPA can greet the user without a userinfo call.
    conformIdTokenClaims: false,
    responseTypes: ["code"],
    pkce: { required: () => true },
    async findAccount(_ctx, sub) {
      const user = findUser(sub);
      if (!user) return undefined;
      return {
        accountId: user.login,
        async claims() {
          return { sub: user.login, name: user.name, preferred_username: user.login };
        },
      };
    },
    async extraTokenClaims(_ctx, token) {
      if (token.kind !== "AccessToken" || !token.accountId) return undefined;
      return { roles: [...(findUser(token.accountId)?.roles ?? [])] };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      // Proofs at the token endpoint bind a public client's refresh token to its key and
      // put `cnf.jkt` in JWT access tokens; replayed proofs are refused.
      dPoP: { enabled: true, allowReplay: false },
      revocation: {
        enabled: true,
        // oidc-provider's default rule, written out (its default prints a development notice
        // on first use): a client may revoke only tokens issued to it.
        async allowedPolicy(_ctx, client, token) {
          return token.clientId === client.clientId;
        },
      },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.type = "html";
          // oidc-provider has validated the id_token_hint (signature, and issued to this
          // client) before calling us: the app itself asked, so sign out without asking again.
          // Without a hint the request could come from any page: ask.
          if (ctx.oidc.entities.IdTokenHint && ctx.oidc.client) {
            const page = autoLogoutPage(form);
            ctx.set("content-security-policy", page.csp);
            ctx.body = page.html;
            return;
          }
          ctx.body = logoutPage(form, ctx.host);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.type = "html";
          ctx.body = loggedOutPage();
        },
      },
      resourceIndicators: {
        enabled: true,
        // Clients that send no `resource` (oidc-client-ts by default) get the API.
        defaultResource: () => API_AUDIENCE,
        // Refreshes carry no `resource`: keep issuing for the granted one.
        useGrantedResource: () => true,
        getResourceServerInfo(_ctx, indicator) {
          if (indicator !== API_AUDIENCE) throw new errors.InvalidTarget();
          return {
            scope: apiScope,
            audience: API_AUDIENCE,
            accessTokenTTL: c.ttl,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: "ES256" } },
          };
        },
      },
    },
    ttl: {
      AccessToken: c.ttl,
      IdToken: c.ttl,
      AuthorizationCode: 60,
      Interaction: 3600,
      Session: 12 * 3600,
      Grant: 12 * 3600,
      // Rotated tokens inherit the remaining lifetime: a session cannot be stretched forever.
      RefreshToken: (ctx) => ctx?.oidc?.entities.RotatedRefreshToken?.remainingTTL ?? 12 * 3600,
    },
    async renderError(ctx, out) {
      ctx.type = "html";
      ctx.body = errorPage(out);
    },
  };
}

/** The confidential client of session mode's gateway. */
function gatewayClient(g: GatewayClientOptions): ClientMetadata {
  const secret = readFileSync(g.secretFile, "utf8").trim();
  if (secret.length < 32)
    throw new IdpConfigError(`gateway client secret too short: ${g.secretFile}`);
  return {
    client_id: GATEWAY_CLIENT_ID,
    client_name: "grpc-web-oidc gateway (session mode)",
    client_secret: secret,
    application_type: "web",
    token_endpoint_auth_method: "client_secret_basic",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    redirect_uris: [...g.redirectUris],
    post_logout_redirect_uris: [...g.postLogoutRedirectUris],
    id_token_signed_response_alg: "ES256",
  };
}

/**
 * oidc-provider's default rotation policy, except that the gateway's confidential client never
 * rotates (see the file comment: concurrent refreshes by Envoy would revoke the grant).
 */
function rotateRefreshToken(ctx: KoaContextWithOIDC, gatewayRotates = false): boolean {
  const { RefreshToken: token, Client: client } = ctx.oidc.entities;
  if (!token || !client) return true;
  if (client.clientId === GATEWAY_CLIENT_ID) return gatewayRotates;
  if (token.totalLifetime() >= 365.25 * 24 * 60 * 60) return false;
  if (client.clientAuthMethod === "none" && !token.isSenderConstrained()) return true;
  return token.ttlPercentagePassed() >= 70;
}

/**
 * OpenID Connect Core 11 ignores `offline_access` unless `prompt` contains
 * `consent`, and oidc-provider drops it, so a browser client that asks for
 * `offline_access` without a prompt gets no refresh token. The demo client is
 * first-party and its consent step is automatic, so a GET authorization
 * request from it that asks for `offline_access` and names no prompt is
 * treated as `prompt=consent`. An explicit prompt (`none`, `login`) is left
 * alone, and then `offline_access` is dropped as the spec says.
 */
export function withConsentForOfflineAccess(url: string, method: string | undefined): string {
  if (method !== "GET" || !url.startsWith("/auth?")) return url;
  const query = new URLSearchParams(url.slice("/auth?".length));
  const scopes = (query.get("scope") ?? "").split(" ");
  const clientId = query.get("client_id");
  if (
    (clientId !== CLIENT_ID && clientId !== GATEWAY_CLIENT_ID) ||
    !scopes.includes("offline_access") ||
    query.has("prompt")
  ) {
    return url;
  }
  query.set("prompt", "consent");
  return `/auth?${query}`;
}

function signingKey(): JWK {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = privateKey.export({ format: "jwk" });
  return { ...jwk, kid: `dev-${randomBytes(6).toString("hex")}`, alg: "ES256", use: "sig" } as JWK;
}

function originOf(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new IdpConfigError(`not an absolute URL: ${uri}`);
  }
  if (url.protocol !== "https:") throw new IdpConfigError(`redirect URIs must be https: ${uri}`);
  return url.origin;
}

/** A number of seconds from the environment; undefined when unset or blank. */
export function numberFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n))
    throw new IdpConfigError(`${name} must be a number of seconds, got "${raw}"`);
  return n;
}
