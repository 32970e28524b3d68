/**
 * Drives the demo IdP over HTTP the way a browser would, without a browser:
 * Authorization Code + PKCE with a hand-kept cookie jar, the login form and the
 * (automatic) consent step, then the token endpoint. Reusable by every test
 * that needs a real access token.
 *
 *   const tokens = await signIn({ issuer, ca, redirectUri, login: "admin", password: "admin" });
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, type Dispatcher, Headers, Response, request } from "undici";
import { DEMO_CLIENT_ID } from "../../demo/oidc-client.js";

export { DEMO_CLIENT_ID };
export const DEMO_SCOPE = "openid profile offline_access notes.read notes.write";

export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: string;
  readonly expires_in: number;
  readonly scope?: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
}

export interface OidcErrorBody {
  readonly error: string;
  readonly error_description?: string;
}

/** A tiny browser: TLS trusting the dev CA, cookies by name, no automatic redirects. */
export class HttpSession {
  readonly #agent: Agent;
  readonly #cookies = new Map<string, { value: string; expiresAt: number }>();

  constructor(caPem: string | Buffer) {
    this.#agent = new Agent({ connect: { ca: caPem } });
  }

  static fromCaFile(path: string): HttpSession {
    return new HttpSession(readFileSync(path));
  }

  async request(
    url: string,
    init: {
      method?: string;
      headers?: Record<string, string>;
      form?: Record<string, string>;
      /** A raw body (e.g. a gRPC-Web frame); `form` wins when both are given. */
      body?: Uint8Array;
    } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = [...this.#cookies]
      .filter(([, c]) => c.expiresAt > Date.now())
      .map(([k, c]) => `${k}=${c.value}`)
      .join("; ");
    if (cookie) headers.cookie = cookie;
    let body: string | Uint8Array | undefined = init.body;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    }
    // undici's request(), not fetch(): fetch adds `sec-fetch-mode: cors` to every request, and
    // the session gateway answers those with 401 where a browser navigation gets a redirect.
    const raw = await request(url, {
      method: (init.method ?? (body ? "POST" : "GET")) as Dispatcher.HttpMethod,
      headers,
      body,
      dispatcher: this.#agent,
    });
    const out = new Headers();
    for (const [name, value] of Object.entries(raw.headers)) {
      for (const v of Array.isArray(value) ? value : [value ?? ""]) out.append(name, v);
    }
    const bytes = Buffer.from(await raw.body.arrayBuffer());
    const res = new Response([101, 204, 205, 304].includes(raw.statusCode) ? null : bytes, {
      status: raw.statusCode,
      headers: out,
    });
    for (const line of res.headers.getSetCookie()) this.#store(line);
    return res;
  }

  /** POSTs a form to the token (or revocation) endpoint and parses the JSON answer. */
  async postForm<T>(
    url: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T; headers: Response["headers"] }> {
    const res = await this.request(url, { form, headers });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T, headers: res.headers };
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  #store(line: string): void {
    const [pair = "", ...attrs] = line.split(";");
    const eq = pair.indexOf("=");
    if (eq < 1) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    // Max-Age wins over Expires (RFC 6265 5.3), as in browsers: a cookie past it is not sent.
    let expiresAt = Number.POSITIVE_INFINITY;
    for (const a of attrs) {
      const [k = "", v = ""] = a.split("=");
      const key = k.trim().toLowerCase();
      if (key === "expires" && expiresAt === Number.POSITIVE_INFINITY) expiresAt = Date.parse(v);
      if (key === "max-age") expiresAt = Date.now() + Number(v) * 1000;
    }
    if (expiresAt <= Date.now() || value === "") this.#cookies.delete(name);
    else this.#cookies.set(name, { value, expiresAt });
  }

  /** Names of the cookies the jar would send now. */
  cookieNames(): string[] {
    return [...this.#cookies].filter(([, c]) => c.expiresAt > Date.now()).map(([k]) => k);
  }
}

export interface SignInOptions {
  /** The IdP issuer, e.g. `https://localhost:9443`. */
  readonly issuer: string;
  /** The dev CA (PEM) or a session to reuse (keeps the IdP session cookie). */
  readonly session?: HttpSession;
  readonly ca?: string | Buffer;
  readonly redirectUri: string;
  readonly login: string;
  readonly password: string;
  /** @default DEMO_SCOPE */
  readonly scope?: string;
  /** @default DEMO_CLIENT_ID */
  readonly clientId?: string;
  /** Sent as `resource` on the authorization request when given. */
  readonly resource?: string;
  /** PKCE variant to send; anything but S256 must be refused by the IdP. @default "S256" */
  readonly pkce?: "S256" | "plain" | "none";
  /** Sent as `Origin` on the token request. @default the redirect URI's origin */
  readonly origin?: string;
  /** Makes a DPoP proof for a token request to `htu` (RFC 9449 §5). @default no proof */
  readonly dpop?: (htu: string) => Promise<string>;
}

export interface AuthorizeResult {
  /** The final redirect to the client (code or error in its query). */
  readonly callback: URL;
  readonly codeVerifier: string;
  /** Every HTML page the flow showed (login form, errors), in order. */
  readonly pages: string[];
}

/** Thrown when the flow stops somewhere unexpected (the message names the step, never a token). */
export class OidcFlowError extends Error {
  override readonly name = "OidcFlowError";
}

/**
 * Runs the front-channel part: authorization request, login form (POSTing
 * `login`/`password`), consent, until the IdP redirects to `redirectUri`.
 */
export async function authorize(o: SignInOptions, http: HttpSession): Promise<AuthorizeResult> {
  const codeVerifier = randomBytes(32).toString("base64url");
  const params = new URLSearchParams({
    client_id: o.clientId ?? DEMO_CLIENT_ID,
    redirect_uri: o.redirectUri,
    response_type: "code",
    scope: o.scope ?? DEMO_SCOPE,
    state: randomBytes(8).toString("hex"),
    nonce: randomBytes(8).toString("hex"),
  });
  if (o.resource) params.set("resource", o.resource);
  const pkce = o.pkce ?? "S256";
  if (pkce === "S256") {
    params.set("code_challenge", createHash("sha256").update(codeVerifier).digest("base64url"));
    params.set("code_challenge_method", "S256");
  } else if (pkce === "plain") {
    params.set("code_challenge", codeVerifier);
    params.set("code_challenge_method", "plain");
  }
  const pages: string[] = [];
  let url = `${o.issuer}/auth?${params}`;
  let form: Record<string, string> | undefined;
  for (let hop = 0; hop < 12; hop++) {
    const res = await http.request(url, form ? { form } : {});
    form = undefined;
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      const next = new URL(location, url);
      if (next.href.startsWith(o.redirectUri)) return { callback: next, codeVerifier, pages };
      url = next.href;
      continue;
    }
    const html = await res.text();
    pages.push(html);
    const action = /<form[^>]*method="post"[^>]*action="([^"]+)"/i.exec(html)?.[1];
    if (!action || !/name="login"/.test(html) || pages.length > 2) {
      throw new OidcFlowError(
        `authorization flow stopped at ${new URL(url).pathname} (HTTP ${res.status})`,
      );
    }
    url = new URL(action.replace(/&amp;/g, "&"), url).href;
    form = { login: o.login, password: o.password };
  }
  throw new OidcFlowError("authorization flow did not finish within 12 redirects");
}

/** Exchanges an authorization code; returns the raw status and body. */
export async function exchangeCode(
  o: SignInOptions,
  http: HttpSession,
  code: string,
  codeVerifier: string,
): Promise<{
  status: number;
  body: TokenResponse & Partial<OidcErrorBody>;
  headers: Response["headers"];
}> {
  return http.postForm<TokenResponse & Partial<OidcErrorBody>>(
    `${o.issuer}/token`,
    {
      grant_type: "authorization_code",
      code,
      redirect_uri: o.redirectUri,
      client_id: o.clientId ?? DEMO_CLIENT_ID,
      code_verifier: codeVerifier,
    },
    {
      origin: o.origin ?? new URL(o.redirectUri).origin,
      ...(o.dpop ? { dpop: await o.dpop(`${o.issuer}/token`) } : {}),
    },
  );
}

/** The whole flow: returns the token response or throws OidcFlowError. */
export async function signIn(o: SignInOptions): Promise<TokenResponse> {
  if (!o.session && !o.ca) throw new OidcFlowError("signIn needs `session` or `ca`");
  const http = o.session ?? new HttpSession(o.ca ?? "");
  try {
    const { callback, codeVerifier } = await authorize(o, http);
    const code = callback.searchParams.get("code");
    if (!code) {
      throw new OidcFlowError(
        `authorization failed: ${callback.searchParams.get("error") ?? "no code"}`,
      );
    }
    const res = await exchangeCode(o, http, code, codeVerifier);
    if (res.status !== 200)
      throw new OidcFlowError(`token request failed: HTTP ${res.status} ${res.body.error}`);
    return res.body;
  } finally {
    if (!o.session) await http.close();
  }
}

/** A refresh_token grant; returns the raw status and body (errors included). */
export async function refreshTokens(
  http: HttpSession,
  issuer: string,
  refreshToken: string,
  clientId: string = DEMO_CLIENT_ID,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: TokenResponse & Partial<OidcErrorBody> }> {
  return http.postForm<TokenResponse & Partial<OidcErrorBody>>(
    `${issuer}/token`,
    {
      grant_type: "refresh_token",
      refresh_token: refreshToken,
      client_id: clientId,
    },
    headers,
  );
}
