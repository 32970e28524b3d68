// A small, real HTTP OpenID provider for SDK tests: discovery, authorize (code + PKCE S256,
// query or fragment response), token (authorization_code, refresh_token with rotation and reuse
// detection that revokes the whole grant, like node-oidc-provider; DPoP nonces), revocation.
// Tokens are JWT-shaped (unsigned-ish; the SDK only decodes them). Options make it misbehave the
// ways a client must notice (another issuer, foreign ID tokens, RFC 9207 `iss`). Listens on an
// ephemeral loopback port.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { InMemoryWebStorage, User } from "oidc-client-ts";
import type { OidcTokenSourceOptions } from "../../../src/web/index.js";

export interface StubIdpOptions {
  /** Access token lifetime in seconds. Default 3600. */
  accessTokenTtl?: number;
  /** Delay before answering a token request, in ms (makes concurrency real). Default 20. */
  tokenDelayMs?: number;
  /** Roles put into access tokens. */
  roles?: string[];
  /** Extra claims merged into access tokens (e.g. Keycloak's `realm_access`). */
  accessClaims?: Record<string, unknown>;
  /** The `issuer` discovery reports instead of the real one (a mix-up, a misconfigured proxy). */
  discoveryIssuer?: string | undefined;
  /** Discovery says `authorization_response_iss_parameter_supported: true` (RFC 9207). */
  issParameterSupported?: boolean;
  /** The `iss` parameter put on the authorization response (RFC 9207); none when undefined. */
  callbackIss?: string | undefined;
  /** An OAuth error code the authorization endpoint answers with instead of a code. */
  authorizeError?: string | undefined;
  /** Claims put over the ID token's on sign-in and refresh (`undefined` removes one). */
  idTokenClaims?: Record<string, unknown>;
  /** Refresh responses carry a new ID token (as Keycloak's do). Default false. */
  idTokenOnRefresh?: boolean;
  /** Discovery lists a revocation endpoint. Default true. */
  revocation?: boolean;
  /**
   * DPoP nonces at the token endpoint (RFC 9449 §8): "off"; "required" (one nonce, refused
   * with `use_dpop_nonce` until a proof carries it); "rotating" (every request is refused with
   * a new nonce). Default "off".
   */
  dpopNonce?: "off" | "required" | "rotating";
  /**
   * How the revocation endpoint answers: "empty" (200, no body), "text" (200, `OK` as
   * text/plain), "drop-first" (the first request's connection is cut, later ones 200).
   * Default "empty".
   */
  revokeAnswer?: "empty" | "text" | "drop-first";
  /** The token endpoint refuses every request with invalid_grant and a fresh DPoP-Nonce. */
  invalidGrantWithNonce?: boolean;
}

/** Options whose default is "not set". */
type Unset = "discoveryIssuer" | "callbackIss" | "authorizeError";

interface Grant {
  id: string;
  sub: string;
  scope: string;
  revoked: boolean;
}

const b64url = (v: string | Buffer) => Buffer.from(v).toString("base64url");

export class StubIdp {
  readonly server: Server;
  issuer = "";
  clientId = "spa";
  redirectUri = "https://app.test/callback";
  /** Every POST to the token endpoint. */
  tokenRequests = 0;
  /** Refresh tokens presented, in order. */
  presentedRefreshTokens: string[] = [];
  /** Refresh-token grants that succeeded. */
  refreshGrants = 0;
  /** Set when a used refresh token was presented again (the grant is then revoked). */
  reuseDetected = false;
  revoked: string[] = [];
  /** Bodies of token requests, in order. */
  tokenBodies: URLSearchParams[] = [];
  /** Query strings of authorize requests, in order. */
  authorizeQueries: URLSearchParams[] = [];
  /** `DPoP` headers of token requests, in order (null when a request had none). */
  tokenDpopProofs: (string | null)[] = [];
  /** DPoP nonces the token endpoint handed out, in order. */
  dpopNonces: string[] = [];
  /** Bodies of revocation requests, in order. */
  revokeBodies: URLSearchParams[] = [];
  /** Every request as "METHOD /path", in order. */
  requests: string[] = [];
  /** "ok" | "down" (destroy sockets) | "server_error" (HTTP 500 JSON). */
  mode: "ok" | "down" | "server_error" = "ok";
  /** All tokens and codes ever issued (for redaction checks). */
  readonly issuedSecrets: string[] = [];
  /** The options in force; tests may change them between requests. */
  readonly opts: Required<Omit<StubIdpOptions, Unset>> & Pick<StubIdpOptions, Unset>;
  private readonly codes = new Map<
    string,
    { challenge: string; redirectUri: string; scope: string; nonce?: string; sub: string }
  >();
  private readonly refreshTokens = new Map<string, { grant: Grant; used: boolean }>();

  constructor(options: StubIdpOptions = {}) {
    this.opts = {
      accessTokenTtl: 3600,
      tokenDelayMs: 20,
      roles: ["reader"],
      accessClaims: {},
      issParameterSupported: false,
      idTokenClaims: {},
      idTokenOnRefresh: false,
      revocation: true,
      dpopNonce: "off",
      revokeAnswer: "empty",
      invalidGrantWithNonce: false,
      ...options,
    };
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((e: unknown) => {
        res.statusCode = 500;
        res.end(String(e));
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    const { port } = this.server.address() as AddressInfo;
    this.issuer = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Start a grant directly (as if the user had signed in) and return a stored-user string. */
  issueSession(
    sub = "alice",
    opts: { expired?: boolean; noRefresh?: boolean } = {},
  ): { user: User; raw: string } {
    const grant: Grant = {
      id: b64url(randomBytes(6)),
      sub,
      scope: "openid offline_access",
      revoked: false,
    };
    const t = this.mint(grant, opts.noRefresh);
    const user = new User({
      access_token: t.access_token,
      refresh_token: t.refresh_token,
      id_token: t.id_token,
      token_type: "Bearer",
      scope: grant.scope,
      profile: { sub, iss: this.issuer, aud: this.clientId, exp: 0, iat: 0 },
      expires_at: Math.floor(Date.now() / 1000) + (opts.expired ? -10 : this.opts.accessTokenTtl),
    });
    return { user, raw: user.toStorageString() };
  }

  /** A shared storage object holding a signed-in user (what two tabs share via localStorage). */
  storageWithSession(sub = "alice", opts: { expired?: boolean; noRefresh?: boolean } = {}) {
    const storage = new InMemoryWebStorage();
    const { user, raw } = this.issueSession(sub, opts);
    storage.setItem(this.userKey, raw);
    return { storage, user };
  }

  /** `OidcTokenSource` options for this provider (plaintext loopback allowed). */
  tokenSourceOptions(storage: Storage): OidcTokenSourceOptions {
    return {
      authority: this.issuer,
      clientId: this.clientId,
      redirectUri: this.redirectUri,
      storage,
      allowInsecureLoopback: true,
    };
  }

  get userKey(): string {
    return `oidc.user:${this.issuer}:${this.clientId}`;
  }

  private jwt(payload: Record<string, unknown>): string {
    const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: "stub" }));
    const body = b64url(JSON.stringify(payload));
    const sig = b64url(
      createHash("sha256")
        .update(header + body + randomBytes(8).toString("hex"))
        .digest(),
    );
    return `${header}.${body}.${sig}`;
  }

  private mint(grant: Grant, noRefresh = false, nonce?: string) {
    const now = Math.floor(Date.now() / 1000);
    const access_token = this.jwt({
      iss: this.issuer,
      sub: grant.sub,
      aud: "api",
      scope: grant.scope,
      roles: this.opts.roles,
      iat: now,
      exp: now + this.opts.accessTokenTtl,
      jti: b64url(randomBytes(8)),
      ...this.opts.accessClaims,
    });
    const id_token = this.jwt({
      iss: this.issuer,
      sub: grant.sub,
      aud: this.clientId,
      iat: now,
      exp: now + 3600,
      ...(nonce ? { nonce } : {}),
      ...this.opts.idTokenClaims,
    });
    const refresh_token = noRefresh ? undefined : `rt_${b64url(randomBytes(24))}`;
    if (refresh_token) this.refreshTokens.set(refresh_token, { grant, used: false });
    this.issuedSecrets.push(access_token, id_token, ...(refresh_token ? [refresh_token] : []));
    return { access_token, id_token, refresh_token };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(body));
    };
    this.requests.push(`${req.method} ${url.pathname}`);
    if (url.pathname === "/.well-known/openid-configuration") {
      return json(200, {
        issuer: this.opts.discoveryIssuer ?? this.issuer,
        authorization_endpoint: `${this.issuer}/authorize`,
        token_endpoint: `${this.issuer}/token`,
        ...(this.opts.revocation ? { revocation_endpoint: `${this.issuer}/revoke` } : {}),
        ...(this.opts.issParameterSupported
          ? { authorization_response_iss_parameter_supported: true }
          : {}),
        end_session_endpoint: `${this.issuer}/logout`,
        jwks_uri: `${this.issuer}/jwks`,
        response_types_supported: ["code"],
        code_challenge_methods_supported: ["S256"],
        grant_types_supported: ["authorization_code", "refresh_token"],
      });
    }
    if (url.pathname === "/authorize") {
      const q = url.searchParams;
      this.authorizeQueries.push(q);
      if (q.get("client_id") !== this.clientId || q.get("code_challenge_method") !== "S256") {
        return json(400, { error: "invalid_request" });
      }
      const code = `code_${b64url(randomBytes(16))}`;
      this.issuedSecrets.push(code);
      this.codes.set(code, {
        challenge: q.get("code_challenge") ?? "",
        redirectUri: q.get("redirect_uri") ?? "",
        scope: q.get("scope") ?? "",
        nonce: q.get("nonce") ?? undefined,
        sub: q.get("login_hint") ?? "alice",
      });
      const back = new URL(q.get("redirect_uri") ?? "");
      const response = new URLSearchParams();
      if (this.opts.authorizeError) response.set("error", this.opts.authorizeError);
      else response.set("code", code);
      response.set("state", q.get("state") ?? "");
      if (this.opts.callbackIss !== undefined) response.set("iss", this.opts.callbackIss);
      if (q.get("response_mode") === "fragment") back.hash = response.toString();
      else for (const [k, v] of response) back.searchParams.set(k, v);
      res.writeHead(302, { location: back.toString() });
      res.end();
      return;
    }
    const body = new URLSearchParams(await readBody(req));
    if (url.pathname === "/revoke" && req.method === "POST") {
      const token = body.get("token") ?? "";
      this.revokeBodies.push(body);
      if (this.opts.revokeAnswer === "drop-first" && this.revokeBodies.length === 1) {
        req.socket.destroy();
        return;
      }
      this.revoked.push(token);
      const rt = this.refreshTokens.get(token);
      if (rt) rt.grant.revoked = true;
      if (this.opts.revokeAnswer === "text") res.writeHead(200, { "content-type": "text/plain" });
      else res.writeHead(200);
      res.end(this.opts.revokeAnswer === "text" ? "OK" : undefined);
      return;
    }
    if (url.pathname === "/token" && req.method === "POST") {
      this.tokenRequests++;
      this.tokenBodies.push(body);
      await new Promise((r) => setTimeout(r, this.opts.tokenDelayMs));
      if (this.mode === "down") {
        req.socket.destroy();
        return;
      }
      if (this.mode === "server_error") return json(500, { error: "server_error" });
      const proof = req.headers.dpop;
      this.tokenDpopProofs.push(typeof proof === "string" ? proof : null);
      if (this.opts.invalidGrantWithNonce) {
        const nonce = `dn_${b64url(randomBytes(12))}`;
        this.dpopNonces.push(nonce);
        res.writeHead(400, { "content-type": "application/json", "dpop-nonce": nonce });
        res.end(JSON.stringify({ error: "invalid_grant" }));
        return;
      }
      if (this.opts.dpopNonce !== "off") {
        const sent = typeof proof === "string" ? jwtPayload(proof).nonce : undefined;
        const current = this.dpopNonces.at(-1);
        if (this.opts.dpopNonce === "rotating" || current === undefined || sent !== current) {
          const nonce =
            this.opts.dpopNonce === "rotating" || current === undefined
              ? `dn_${b64url(randomBytes(12))}`
              : current;
          if (nonce !== current) this.dpopNonces.push(nonce);
          res.writeHead(400, { "content-type": "application/json", "dpop-nonce": nonce });
          res.end(JSON.stringify({ error: "use_dpop_nonce" }));
          return;
        }
      }
      if (body.get("grant_type") === "authorization_code") {
        const c = this.codes.get(body.get("code") ?? "");
        this.codes.delete(body.get("code") ?? "");
        const verifier = body.get("code_verifier") ?? "";
        const challenge = createHash("sha256").update(verifier).digest("base64url");
        if (!c || c.challenge !== challenge || c.redirectUri !== body.get("redirect_uri")) {
          return json(400, { error: "invalid_grant" });
        }
        const grant: Grant = {
          id: b64url(randomBytes(6)),
          sub: c.sub,
          scope: c.scope,
          revoked: false,
        };
        const t = this.mint(grant, false, c.nonce);
        return json(200, {
          ...t,
          token_type: "Bearer",
          expires_in: this.opts.accessTokenTtl,
          scope: c.scope,
        });
      }
      if (body.get("grant_type") === "refresh_token") {
        const presented = body.get("refresh_token") ?? "";
        this.presentedRefreshTokens.push(presented);
        const rt = this.refreshTokens.get(presented);
        if (!rt || rt.grant.revoked) return json(400, { error: "invalid_grant" });
        if (rt.used) {
          // Reuse of a rotated refresh token: revoke the whole grant (no grace window).
          this.reuseDetected = true;
          rt.grant.revoked = true;
          return json(400, { error: "invalid_grant", error_description: "grant revoked" });
        }
        rt.used = true;
        this.refreshGrants++;
        const t = this.mint(rt.grant);
        return json(200, {
          access_token: t.access_token,
          refresh_token: t.refresh_token,
          ...(this.opts.idTokenOnRefresh ? { id_token: t.id_token } : {}),
          token_type: "Bearer",
          expires_in: this.opts.accessTokenTtl,
          scope: rt.grant.scope,
        });
      }
      return json(400, { error: "unsupported_grant_type" });
    }
    res.writeHead(404);
    res.end();
  }

  /** Revoke every grant (as an admin would), so the next refresh gets invalid_grant. */
  revokeAll(): void {
    for (const { grant } of this.refreshTokens.values()) grant.revoked = true;
  }
}

function jwtPayload(jwt: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8"));
  } catch {
    return {};
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
