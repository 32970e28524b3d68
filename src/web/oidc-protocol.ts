/**
 * The OpenID Connect protocol as `OidcTokenSource` needs it, on fetch and WebCrypto:
 * discovery, Authorization Code + PKCE (S256) by redirect, refresh tokens, revocation
 * (RFC 7009), RP-initiated logout, and DPoP proofs at the token endpoint (RFC 9449).
 *
 * Why not oidc-client-ts's `OidcClient`: it is about 10 KB brotli in the app's bundle, most of
 * it for flows the SDK never runs (popup and iframe navigation, user info, client secrets,
 * password grant, logging). This is the part the SDK runs, about a fifth of that. Where the
 * specifications say MUST, it checks more than `OidcClient` does: the discovery document's
 * `issuer` is the authority (OIDC Discovery §4.3), an ID token's `iss` and `aud` are this
 * provider and this client (OIDC Core §3.1.3.7), and the authorization response's `iss`
 * (RFC 9207, mix-up attacks) is the issuer when sent, and must be sent when the provider says
 * it does. What is stored for a user is oidc-client-ts's `User` format under its key, so
 * sessions stored by earlier versions (and by oidc-client-ts's `UserManager`) load.
 *
 * An error here carries an OAuth `error` code only: never a request body, code or token.
 */

import { base64url, sha256Base64url } from "./base64url.js";
import { decodeJwtPayload } from "./jwt-payload.js";
import type { StateStore } from "./web-store.js";

/** The provider's metadata the SDK reads (OpenID Connect Discovery, RFC 8414). */
export interface OidcMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
  revocation_endpoint?: string;
  authorization_response_iss_parameter_supported?: boolean;
}

/** A query parameter value: `null`/`undefined` are left out, arrays repeat the parameter. */
type ParamValue = string | number | boolean | readonly string[] | null | undefined;

/**
 * Protocol settings of `OidcTokenSource` (its `oidcClientSettings` option): the settings of
 * oidc-client-ts's `OidcClient` that the SDK honours, under the same names. Any other name is
 * refused when the token source is made, so no setting is silently ignored.
 */
export interface OidcClientSettings {
  /** Extra parameters on the authorization request, e.g. `{ audience: "notes" }`. */
  extraQueryParams?: Record<string, ParamValue>;
  /** Extra parameters on every token request (code exchange and refresh). */
  extraTokenParams?: Record<string, ParamValue>;
  /** Timeout of each request to the provider, in seconds. @default 10 */
  requestTimeoutInSeconds?: number;
  /** Where the provider puts the authorization response. @default "query" */
  response_mode?: "query" | "fragment";
  /** Authorization request parameters sent on every sign-in (OIDC Core §3.1.2.1). */
  prompt?: string;
  display?: string;
  max_age?: number;
  ui_locales?: string;
  acr_values?: string;
  /** The provider's metadata, given instead of reading `.well-known/openid-configuration`. */
  metadata?: OidcMetadata;
  /** Merged over the discovered metadata (e.g. an `end_session_endpoint` it lacks). */
  metadataSeed?: Partial<OidcMetadata>;
  /** Where the metadata is read. @default `<authority>/.well-known/openid-configuration` */
  metadataUrl?: string;
  /** `credentials` of requests to the provider (cookies on the token endpoint). */
  fetchRequestCredentials?: RequestCredentials;
  /** Sign-in state older than this many seconds is removed. @default 900 */
  staleStateAgeInSeconds?: number;
}

const SETTINGS: readonly string[] = [
  "extraQueryParams",
  "extraTokenParams",
  "requestTimeoutInSeconds",
  "response_mode",
  "prompt",
  "display",
  "max_age",
  "ui_locales",
  "acr_values",
  "metadata",
  "metadataSeed",
  "metadataUrl",
  "fetchRequestCredentials",
  "staleStateAgeInSeconds",
];

/** Per-request authorization parameters of a sign-in. */
export interface SigninArgs {
  scope?: string;
  resource?: string | readonly string[];
  prompt?: string;
  display?: string;
  max_age?: number;
  ui_locales?: string;
  acr_values?: string;
  login_hint?: string;
  id_token_hint?: string;
  /** A nonce the ID token must carry (OIDC Core §3.1.2.1). */
  nonce?: string;
  extraQueryParams?: Record<string, ParamValue>;
  extraTokenParams?: Record<string, ParamValue>;
}

/** A signed-in user as stored: oidc-client-ts's `User.toStorageString()` JSON. */
export interface StoredUser {
  access_token: string;
  token_type: string;
  refresh_token?: string;
  id_token?: string;
  session_state?: string | null;
  scope?: string;
  /** The ID token's claims without the protocol ones (as oidc-client-ts keeps them). */
  profile: Record<string, unknown>;
  /** When the access token expires, epoch seconds. */
  expires_at?: number;
}

/** An OAuth error response (or a response that broke the protocol): its `error` code only. */
export class OAuthError extends Error {
  override name = "OAuthError";
  constructor(
    readonly error: string,
    /** The `DPoP-Nonce` the server sent with the refusal. */
    readonly nonce?: string | null,
  ) {
    super(error);
  }
}

/** Everything the protocol needs of the token source. */
export interface ProtocolSettings extends OidcClientSettings {
  authority: string;
  client_id: string;
  redirect_uri: string;
  post_logout_redirect_uri?: string;
  scope: string;
  resource?: string | readonly string[];
  /** Where sign-in state (PKCE verifier) waits for the callback. */
  stateStore: StateStore;
  /** A DPoP proof for a token request to `htu` (with the server's nonce, when it gave one). */
  dpop?: (htu: string, nonce: string | undefined) => Promise<string>;
}

/** ID token claims oidc-client-ts leaves out of `profile` (OIDC Core §2). */
const PROTOCOL_CLAIMS = ["nbf", "jti", "auth_time", "nonce", "acr", "amr", "azp", "at_hash"];

const trimSlash = (url: string) => url.replace(/\/$/, "");

function randomString(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

function appendParams(target: URLSearchParams, params: Record<string, ParamValue>): void {
  for (const [key, value] of Object.entries(params)) {
    if (value == null) continue;
    for (const v of typeof value === "object" ? value : [value]) target.append(key, String(v));
  }
}

/** Refuses settings this protocol layer does not honour, naming them. */
export function checkSettings(settings: object | undefined): void {
  const unknown = Object.keys(settings ?? {}).filter((k) => !SETTINGS.includes(k));
  if (unknown.length > 0) {
    throw new TypeError(
      `OidcTokenSource: oidcClientSettings ${unknown.join(", ")} not supported (supported: ${SETTINGS.join(", ")})`,
    );
  }
}

export class OidcProtocol {
  readonly #s: ProtocolSettings;
  #metadata: Promise<OidcMetadata> | undefined;
  /** The token endpoint's last DPoP nonce (RFC 9449 §8). */
  #dpopNonce: string | undefined;

  constructor(settings: ProtocolSettings) {
    this.#s = settings;
  }

  /** The provider's metadata, read once (again after a failed read). */
  metadata(): Promise<OidcMetadata> {
    const s = this.#s;
    this.#metadata ??= (async () => {
      const found =
        s.metadata ??
        ((await this.#request(
          s.metadataUrl ?? `${trimSlash(s.authority)}/.well-known/openid-configuration`,
        )) as unknown as OidcMetadata);
      if (trimSlash(String(found.issuer)) !== trimSlash(s.authority)) {
        throw new OAuthError("issuer_mismatch");
      }
      return { ...found, ...s.metadataSeed };
    })().catch((err: unknown) => {
      this.#metadata = undefined;
      throw err;
    });
    return this.#metadata;
  }

  /** The authorization request's URL; the PKCE verifier waits in the state store. */
  async signinUrl(args: SigninArgs, dpopJkt: string | undefined): Promise<string> {
    const s = this.#s;
    const { extraQueryParams, extraTokenParams, ...request } = args;
    const endpoint = (await this.metadata()).authorization_endpoint;
    const id = randomString();
    const verifier = randomString();
    const challenge = await sha256Base64url(verifier);
    const scope = args.scope ?? s.scope;
    await this.#clearStaleState();
    await s.stateStore.set(
      id,
      JSON.stringify({
        id,
        created: Math.floor(Date.now() / 1000),
        request_type: "si:r",
        code_verifier: verifier,
        authority: s.authority,
        client_id: s.client_id,
        redirect_uri: s.redirect_uri,
        scope,
        nonce: args.nonce,
        extraTokenParams: { ...s.extraTokenParams, ...extraTokenParams },
      }),
    );
    const url = new URL(endpoint);
    // Extra parameters may set anything but what the protocol's safety rests on (client,
    // redirect, state, PKCE, key binding), which comes last and wins.
    appendParams(url.searchParams, {
      resource: s.resource,
      response_mode: s.response_mode,
      prompt: s.prompt,
      display: s.display,
      max_age: s.max_age,
      ui_locales: s.ui_locales,
      acr_values: s.acr_values,
      ...s.extraQueryParams,
      ...extraQueryParams,
      ...request,
      scope,
      client_id: s.client_id,
      redirect_uri: s.redirect_uri,
      response_type: "code",
      state: id,
      code_challenge: challenge,
      code_challenge_method: "S256",
      dpop_jkt: dpopJkt,
    });
    return url.href;
  }

  /** Complete a sign-in from the callback URL: checks state and issuer, exchanges the code. */
  async callback(href: string): Promise<StoredUser> {
    const s = this.#s;
    const url = new URL(href);
    const params = new URLSearchParams(
      s.response_mode === "fragment" ? url.hash.slice(1) : url.search,
    );
    // oidc-client-ts appends `;<url_state>` to the state it sends.
    const id = params.get("state")?.split(";")[0];
    const raw = id ? await s.stateStore.remove(id) : null;
    const state = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    if (!state || state.authority !== s.authority || state.client_id !== s.client_id) {
      throw new OAuthError("state_mismatch");
    }
    const metadata = await this.metadata();
    const iss = params.get("iss");
    if (
      iss === null
        ? metadata.authorization_response_iss_parameter_supported
        : iss !== metadata.issuer
    ) {
      throw new OAuthError("issuer_mismatch");
    }
    const error = params.get("error");
    if (error !== null) throw new OAuthError(error);
    const code = params.get("code");
    if (!code) throw new OAuthError("missing_code");
    const response = await this.#token({
      ...(state.extraTokenParams as Record<string, ParamValue>),
      grant_type: "authorization_code",
      code,
      redirect_uri: state.redirect_uri as string,
      code_verifier: state.code_verifier as string,
    });
    return await this.#user(response, state.scope as string, undefined, {
      nonce: state.nonce as string | undefined,
      session_state: params.get("session_state"),
    });
  }

  /** Refresh: a new user from the stored one (same subject; keeps what the response omits). */
  async refresh(user: StoredUser & { refresh_token: string }): Promise<StoredUser> {
    const response = await this.#token({
      scope: user.scope,
      resource: this.#s.resource,
      ...this.#s.extraTokenParams,
      grant_type: "refresh_token",
      refresh_token: user.refresh_token,
    });
    return await this.#user(response, user.scope, user);
  }

  /** Revoke a token (RFC 7009) when the provider has a revocation endpoint. */
  async revoke(token: string, hint: "refresh_token" | "access_token"): Promise<void> {
    const endpoint = (await this.metadata()).revocation_endpoint;
    if (!endpoint) return;
    const body = new URLSearchParams({
      token,
      token_type_hint: hint,
      client_id: this.#s.client_id,
    });
    // RFC 7009 §2.2: a 200 says it is done; its body (often empty, not JSON) means nothing.
    await this.#request(endpoint, body, {}, false);
  }

  /** The end-session URL (RP-Initiated Logout), or undefined when the provider has none. */
  async signoutUrl(idTokenHint: string | undefined): Promise<string | undefined> {
    const s = this.#s;
    const endpoint = (await this.metadata()).end_session_endpoint;
    if (!endpoint) return undefined;
    const url = new URL(endpoint);
    appendParams(url.searchParams, {
      id_token_hint: idTokenHint,
      // As oidc-client-ts: the client id when there is no hint to say who is asking.
      client_id: idTokenHint || !s.post_logout_redirect_uri ? undefined : s.client_id,
      post_logout_redirect_uri: s.post_logout_redirect_uri,
      ...s.extraQueryParams,
    });
    return url.href;
  }

  /** A token request; with DPoP a fresh proof, once more with the server's nonce if it asks. */
  async #token(params: Record<string, ParamValue>): Promise<Record<string, unknown>> {
    const s = this.#s;
    const endpoint = (await this.metadata()).token_endpoint;
    const body = new URLSearchParams();
    appendParams(body, { ...params, client_id: s.client_id });
    for (let attempt = 0; ; attempt++) {
      const nonce = this.#dpopNonce;
      const headers: Record<string, string> = {};
      if (s.dpop) headers.DPoP = await s.dpop(endpoint, nonce);
      try {
        return await this.#request(endpoint, body, headers);
      } catch (err) {
        // RFC 9449 §8: only a `use_dpop_nonce` refusal asks for the proof again with a nonce
        // (another error, e.g. invalid_grant, must not present the code or token twice).
        const retry =
          s.dpop &&
          attempt === 0 &&
          err instanceof OAuthError &&
          err.error === "use_dpop_nonce" &&
          err.nonce &&
          err.nonce !== nonce;
        if (!retry) throw err;
      }
    }
  }

  /** GET (no body) or form POST; JSON object back, else an {@link OAuthError}. */
  async #request(
    url: string,
    body?: URLSearchParams,
    headers: Record<string, string> = {},
    json = true,
  ): Promise<Record<string, unknown>> {
    const response = await fetch(url, {
      method: body ? "POST" : "GET",
      headers: { Accept: "application/json", ...headers },
      body,
      credentials: this.#s.fetchRequestCredentials,
      signal: AbortSignal.timeout((this.#s.requestTimeoutInSeconds ?? 10) * 1000),
    });
    const nonce = response.headers.get("dpop-nonce");
    if (nonce && headers.DPoP) this.#dpopNonce = nonce;
    let parsed: unknown;
    try {
      const text = await response.text();
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // Not JSON: the status says what happened.
    }
    if (response.ok && !json) return {};
    const error = (parsed as { error?: unknown } | undefined)?.error;
    if (!response.ok || typeof parsed !== "object" || parsed === null) {
      throw new OAuthError(typeof error === "string" ? error : `http_${response.status}`, nonce);
    }
    return parsed as Record<string, unknown>;
  }

  /** The user a token response makes, its ID token checked. */
  async #user(
    response: Record<string, unknown>,
    scope: string | undefined,
    previous: StoredUser | undefined,
    signin: { nonce: string | undefined; session_state: string | null } | undefined = undefined,
  ): Promise<StoredUser> {
    const { access_token, token_type, refresh_token, id_token, expires_in } = response;
    if (typeof access_token !== "string" || typeof token_type !== "string") {
      throw new OAuthError("invalid_token_response");
    }
    let profile = previous?.profile ?? {};
    if (typeof id_token === "string") {
      const claims = decodeJwtPayload(id_token);
      const issuer = (await this.metadata()).issuer;
      const aud = claims?.aud;
      const before = previous?.id_token ? decodeJwtPayload(previous.id_token)?.sub : undefined;
      if (
        typeof claims?.sub !== "string" ||
        claims.iss !== issuer ||
        !(aud === this.#s.client_id || (Array.isArray(aud) && aud.includes(this.#s.client_id))) ||
        (signin?.nonce !== undefined && claims.nonce !== signin.nonce) ||
        (before !== undefined && claims.sub !== before)
      ) {
        throw new OAuthError("invalid_id_token");
      }
      profile = Object.fromEntries(
        Object.entries(claims).filter(([claim]) => !PROTOCOL_CLAIMS.includes(claim)),
      );
    }
    const lifetime = Number(expires_in);
    return {
      id_token: typeof id_token === "string" ? id_token : previous?.id_token,
      session_state: signin ? signin.session_state : (previous?.session_state ?? null),
      access_token,
      refresh_token: typeof refresh_token === "string" ? refresh_token : previous?.refresh_token,
      token_type,
      scope: typeof response.scope === "string" ? response.scope : scope,
      profile,
      expires_at:
        expires_in != null && lifetime >= 0
          ? Math.floor(Date.now() / 1000) + Math.floor(lifetime)
          : undefined,
    };
  }

  /** Remove sign-in state older than `staleStateAgeInSeconds` (abandoned sign-ins). */
  async #clearStaleState(): Promise<void> {
    const store = this.#s.stateStore;
    const cutoff = Date.now() / 1000 - (this.#s.staleStateAgeInSeconds ?? 900);
    for (const key of await store.getAllKeys()) {
      try {
        const entry = JSON.parse((await store.get(key)) ?? "{}") as Record<string, unknown>;
        if ("code_verifier" in entry && Number(entry.created) <= cutoff) await store.remove(key);
      } catch {
        // Not sign-in state (or not JSON): not ours to remove.
      }
    }
  }
}
