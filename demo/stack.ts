/**
 * The demo stack in one call: development PKI, the web app's listener, the
 * local OIDC provider, the secured backend, optionally Envoy, and finally the
 * web app's runtime configuration. `demo/run.ts` (`npm run demo`) uses it with
 * the fixed default ports; tests use it with ephemeral ones (the default).
 *
 * Start order: PKI → web listener (its origin is what the IdP and the backend
 * must allow, and with port 0 it is known only after listening) → IdP →
 * backend → Envoy → web configuration. `close()` stops them in reverse order.
 */
import { findEnvoy } from "../src/envoy/find-binary.js";
import { bindAndRelease, type StartEnvoyOptions, startEnvoy } from "./envoy.js";
import {
  API_AUDIENCE,
  DEFAULT_RENEW_WINDOW,
  type Idp,
  type IdpLogRecord,
  numberFromEnv,
  startIdp,
} from "./idp/server.js";
import { demoClaimSettings } from "./oidc-client.js";
import { type DevPki, ensureDevPki } from "./pki.js";
import { type Backend, type BackendOptions, startBackend } from "./server/server.js";
import { startWebApp, type WebApp } from "./web/start.js";

/** Every listening port of the stack. */
export interface StackPorts {
  /** Demo web app (HTTPS). Env `GWO_WEB_PORT`, demo default 5173. */
  web: number;
  /** Backend gRPC-Web development listener. Env `GWO_GRPC_WEB_PORT`, demo default 8443. */
  grpcWeb: number;
  /** Backend gRPC over mutual TLS (what Envoy talks to). Env `GWO_BACKEND_PORT`, demo default 50051. */
  backend: number;
  /** OIDC provider. Env `GWO_IDP_PORT`, demo default 9443. */
  idp: number;
  /** Envoy listener. Env `GWO_ENVOY_PORT`, demo default 8080. */
  envoy: number;
  /** Envoy's admin interface (plain HTTP, 127.0.0.1 only). Env `GWO_ENVOY_ADMIN_PORT`, demo default 9901. */
  envoyAdmin: number;
}

/** The environment variable that overrides each port (named in port errors). */
export const PORT_ENV: Readonly<Record<keyof StackPorts, string>> = {
  web: "GWO_WEB_PORT",
  grpcWeb: "GWO_GRPC_WEB_PORT",
  backend: "GWO_BACKEND_PORT",
  idp: "GWO_IDP_PORT",
  envoy: "GWO_ENVOY_PORT",
  envoyAdmin: "GWO_ENVOY_ADMIN_PORT",
};

/** The fixed ports of `npm run demo` (DESIGN.md). */
export const DEMO_PORTS: Readonly<StackPorts> = {
  web: 5173,
  grpcWeb: 8443,
  backend: 50051,
  idp: 9443,
  envoy: 8080,
  envoyAdmin: 9901,
};

/** A running Envoy, as the stack needs it. */
export interface StackEnvoy {
  readonly port: number;
  /** e.g. `https://localhost:8080` */
  readonly url: string;
  /** Envoy's admin port on 127.0.0.1, when the starter reports it. */
  readonly adminPort?: number;
  close(): Promise<void>;
}

/**
 * Starts Envoy for the stack; `demo/envoy.ts`'s `startEnvoy` by default
 * (options: pki, port, idpIssuer, jwksUri, backendPort, allowedOrigins, audience, log).
 */
export type EnvoyStarter = (o: StartEnvoyOptions) => Promise<StackEnvoy>;

export interface StackOptions {
  /** Ports; each defaults to 0 (ephemeral). `demo/run.ts` passes `DEMO_PORTS`. */
  readonly ports?: Partial<StackPorts>;
  /** Access-token TTL, seconds. @default env `GWO_TOKEN_TTL`, else 300 */
  readonly tokenTtl?: number;
  /**
   * The browser client's renew window, seconds; the IdP refuses a TTL at or
   * below it, and the web app refreshes this long before expiry.
   * @default env `GWO_RENEW_WINDOW`, else 60 (oidc-client-ts's default)
   */
  readonly renewWindow?: number;
  /**
   * `true`: run Envoy (fail if it cannot); `false`: browser → backend directly;
   * `"auto"`: Envoy when a binary and a starter are found.
   * @default "auto"
   */
  readonly envoy?: boolean | "auto";
  /** Serve the web app. @default true */
  readonly web?: boolean;
  /** `static` (build once, serve) or `dev` (Vite dev server). @default "static" */
  readonly webMode?: "static" | "dev";
  /** PKI folder. @default env `GWO_CERT_DIR`, else `.certs` */
  readonly certDir?: string;
  /** Address every listener binds to. @default "127.0.0.1" */
  readonly host?: string;
  /** Envoy starter. @default `startEnvoy` from `demo/envoy.ts` */
  readonly startEnvoy?: EnvoyStarter;
  /** Backend starter (the soak runs it in a child process). @default `startBackend` */
  readonly startBackend?: (o: BackendOptions) => Promise<Backend>;
  /** More backend options (the soak raises `maxStreamsPerCaller`). */
  readonly backendOptions?: Partial<BackendOptions>;
  /** Receives Envoy's output lines. @default dropped */
  readonly envoyLog?: (line: string) => void;
  /** Receives the backend's structured log records (never tokens). @default dropped (kept in `backend.logs`) */
  readonly backendLog?: (record: object) => void;
  /** Receives the IdP's error records. @default stderr */
  readonly idpLog?: (record: IdpLogRecord) => void;
  /**
   * DPoP (RFC 9449) end to end: the IdP binds the SPA's tokens to its key, the web app
   * sends a proof per call, Envoy checks it through the backend's verifier (ext_authz),
   * and the backend checks it again. `GWO_DPOP=on npm run demo`.
   * @default false
   */
  readonly dpop?: boolean;
  /**
   * Session mode (backend-for-frontend): Envoy's oauth2 filter is the IdP's confidential client
   * and keeps the tokens in HttpOnly cookies; the web app uses the session transport and never
   * holds a token. Needs Envoy. `GWO_SESSION=bff npm run demo`.
   * @default false
   */
  readonly session?: boolean;
  /**
   * Session mode, same-origin deployment: Envoy also serves the web app (its `session.app`), so
   * the app, its calls and sign-in share Envoy's origin and no CORS is involved. The web app's
   * own listener stays on loopback behind Envoy; `web.url` is then Envoy's URL.
   * @default false (the app on its own origin, calling Envoy with CORS and credentials)
   */
  readonly sameOrigin?: boolean;
}

export interface Stack {
  readonly pki: DevPki;
  readonly idp: Idp;
  readonly backend: Backend;
  readonly envoy?: StackEnvoy;
  /** The web app; `url` is where a browser opens it (Envoy's URL in a same-origin deployment). */
  readonly web?: { readonly url: string; close(): Promise<void> };
  /** The web app's origin (even when `web: false`: the origin the IdP and CORS allow). */
  readonly webOrigin: string;
  /** The redirect URI registered at the IdP (the web app's origin + `/`). */
  readonly redirectUri: string;
  /** What the browser calls: Envoy's URL when it runs, else the backend's gRPC-Web listener. */
  readonly apiUrl: string;
  readonly path: "envoy" | "direct";
  /** Whether tokens are DPoP-bound with a proof per call. */
  readonly dpop: boolean;
  /** Whether the stack runs in session mode (the gateway holds the tokens). */
  readonly session: boolean;
  /** Whether Envoy serves the web app on its own origin (session mode, same-origin deployment). */
  readonly sameOrigin: boolean;
  /** The web app refreshes a token this many seconds before it expires. */
  readonly renewWindow: number;
  /** Why the stack took the direct path, when it did. */
  readonly directReason?: string;
  /** Stops everything in reverse start order; idempotent. */
  close(): Promise<void>;
}

/** A port of the stack is taken; `envVar` is the variable that moves it. */
export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
  constructor(
    readonly service: keyof StackPorts,
    readonly port: number,
    readonly envVar: string,
  ) {
    super(`port ${port} (${service}) is already in use; set ${envVar} to a free port`);
  }
}

/** Envoy was required (`envoy: true`) but cannot run. */
export class EnvoyUnavailableError extends Error {
  override readonly name = "EnvoyUnavailableError";
}

export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const ports: StackPorts = {
    web: 0,
    grpcWeb: 0,
    backend: 0,
    idp: 0,
    envoy: 0,
    envoyAdmin: 0,
    ...o.ports,
  };
  // One value for the IdP's check and the app's refresh, so the banner tells the truth.
  const renewWindow = o.renewWindow ?? numberFromEnv("GWO_RENEW_WINDOW") ?? DEFAULT_RENEW_WINDOW;
  const host = o.host ?? "127.0.0.1";
  const pki = ensureDevPki(o.certDir ?? (process.env.GWO_CERT_DIR || undefined));
  const stops: Array<() => Promise<void>> = [];
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const stop of stops.reverse()) {
        await stop().catch(() => {});
      }
    })();
    return closing;
  };

  try {
    const envoyPlan = await planEnvoy(o);
    if (o.sameOrigin && !o.session)
      throw new Error("sameOrigin is a session-mode deployment: set session too");
    if (o.session && !envoyPlan.starter) {
      throw new EnvoyUnavailableError(
        `session mode needs Envoy (its oauth2 filter holds the tokens): ${envoyPlan.reason}`,
      );
    }
    // Session mode: the IdP must know the gateway's callback URL before Envoy starts.
    if (o.session && ports.envoy === 0) ports.envoy = await bindAndRelease(0, host);
    const gatewayUrl = `https://localhost:${ports.envoy}`;

    let web: WebApp | undefined;
    if (o.web ?? true) {
      web = await bind("web", ports, () =>
        startWebApp({
          port: ports.web,
          pki,
          host,
          mode: o.webMode ?? "static",
          // Same origin: browsers reach the app through Envoy, on Envoy's host.
          ...(o.sameOrigin ? { publicOrigin: gatewayUrl } : {}),
        }),
      );
      const w = web;
      stops.push(() => w.close());
    }
    // Same origin: the browser opens the app on Envoy, which proxies to the web app's listener.
    const webOrigin = o.sameOrigin
      ? gatewayUrl
      : (web?.url ?? `https://localhost:${ports.web || DEMO_PORTS.web}`);
    const redirectUri = `${webOrigin}/`;

    const idp = await bind("idp", ports, () =>
      startIdp({
        pki,
        port: ports.idp,
        host,
        redirectUris: [redirectUri],
        postLogoutRedirectUris: [redirectUri],
        ...(o.tokenTtl !== undefined ? { accessTokenTtl: o.tokenTtl } : {}),
        renewWindow,
        ...(o.idpLog ? { log: o.idpLog } : {}),
        ...(o.dpop ? { dpop: true } : {}),
        ...(o.session
          ? {
              gatewayClient: {
                secretFile: pki.secrets.gatewayClientSecret,
                redirectUris: [`${gatewayUrl}/oauth2/callback`],
                postLogoutRedirectUris: [redirectUri],
              },
            }
          : {}),
      }),
    );
    stops.push(() => idp.close());
    // One description of the tokens for the backend, Envoy and the web app.
    const claims = { ...demoClaimSettings(idp.issuer), audiences: [API_AUDIENCE] };

    const backend = await bind(["grpcWeb", "backend"], ports, () =>
      (o.startBackend ?? startBackend)({
        ...o.backendOptions,
        pki,
        issuer: idp.issuer,
        jwksUri: idp.jwksUri,
        claims,
        mtlsPort: ports.backend,
        webPort: ports.grpcWeb,
        host,
        allowedOrigins: [webOrigin],
        ...(o.backendLog ? { log: o.backendLog } : {}),
        ...(o.dpop ? { dpop: {} } : {}),
      }),
    );
    stops.push(() => backend.close());

    let envoy: StackEnvoy | undefined;
    let directReason = envoyPlan.reason;
    if (envoyPlan.starter) {
      const starter = envoyPlan.starter;
      try {
        envoy = await bind(["envoy", "envoyAdmin"], ports, () =>
          starter({
            pki,
            port: ports.envoy,
            adminPort: ports.envoyAdmin,
            backendPort: backend.mtlsPort,
            idpIssuer: idp.issuer,
            jwksUri: idp.jwksUri,
            claims,
            // Same origin: no other origin may call with the session.
            allowedOrigins: o.sameOrigin ? [] : [webOrigin],
            ...(o.envoyLog ? { log: o.envoyLog } : {}),
            ...(o.dpop ? { dpop: {} } : {}),
            ...(o.session
              ? {
                  session: {
                    appUrl: redirectUri,
                    ...(o.sameOrigin && web ? { app: { port: web.port } } : {}),
                  },
                }
              : {}),
          }),
        );
      } catch (err) {
        // "auto" falls back to the direct path and says why; `envoy: true` fails.
        if (o.envoy === true || o.session || err instanceof PortInUseError) throw err;
        directReason = `Envoy failed to start: ${firstLine(err)}`;
      }
      if (envoy) {
        const e = envoy;
        stops.push(() => e.close());
        // Proofs through the gateway name its origin; the backend checks them again.
        backend.setGatewayOrigin(e.url);
      }
    }

    const path = envoy ? "envoy" : "direct";
    const apiUrl = envoy?.url ?? `https://localhost:${backend.webPort}`;
    web?.setConfig({
      authority: idp.issuer,
      apiUrl,
      redirectUri,
      path,
      tokenTtl: idp.accessTokenTtl,
      ...(o.dpop ? { dpop: true } : {}),
      ...(o.session ? { session: true } : {}),
      refreshLeewaySeconds: renewWindow,
      rolesClaim: claims.rolesClaim,
    });

    return {
      pki,
      idp,
      backend,
      ...(envoy ? { envoy } : {}),
      ...(web
        ? { web: { url: o.sameOrigin ? webOrigin : web.url, close: () => web.close() } }
        : {}),
      webOrigin,
      redirectUri,
      apiUrl,
      path,
      dpop: o.dpop === true,
      session: o.session === true,
      sameOrigin: o.sameOrigin === true,
      renewWindow,
      ...(directReason && !envoy ? { directReason } : {}),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Decides whether Envoy runs; returns the starter, or why not. */
async function planEnvoy(o: StackOptions): Promise<{ starter?: EnvoyStarter; reason?: string }> {
  const mode = o.envoy ?? "auto";
  if (mode === false) return { reason: "Envoy disabled" };
  const binary = findEnvoy(new URL("..", import.meta.url).pathname);
  if (!binary) {
    const reason = "no Envoy binary found (ENVOY_BIN, PATH, or `npm run setup:envoy`)";
    if (mode === true) throw new EnvoyUnavailableError(reason);
    return { reason };
  }
  return { starter: o.startEnvoy ?? startEnvoy };
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split("\n")[0] ?? "").slice(0, 200);
}

/**
 * Fails fast with a PortInUseError when a fixed (non-zero) port is taken, before
 * anything starts. `envoy` is checked only when `withEnvoy`.
 */
export async function assertPortsFree(
  ports: Partial<StackPorts>,
  host = "127.0.0.1",
  withEnvoy = true,
): Promise<void> {
  for (const key of Object.keys(PORT_ENV) as Array<keyof StackPorts>) {
    const port = ports[key];
    if (!port || ((key === "envoy" || key === "envoyAdmin") && !withEnvoy)) continue;
    const free = await bindAndRelease(port, host).then(
      () => true,
      () => false,
    );
    if (!free) throw new PortInUseError(key, port, PORT_ENV[key]);
  }
}

/** Runs a start function, turning "address in use" into a PortInUseError naming the env var. */
async function bind<T>(
  service: keyof StackPorts | ReadonlyArray<keyof StackPorts>,
  ports: StackPorts,
  start: () => Promise<T>,
): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if (!isAddrInUse(err)) throw err;
    const candidates = typeof service === "string" ? [service] : service;
    const text = String((err as { message?: string }).message ?? err);
    // With two listeners (backend), the error names the port; match it back.
    const which =
      candidates.find((s) => ports[s] !== 0 && text.includes(String(ports[s]))) ?? candidates[0];
    if (!which) throw err;
    throw new PortInUseError(which, ports[which], PORT_ENV[which]);
  }
}

function isAddrInUse(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const x = e as { code?: string; message?: string; cause?: unknown };
    if (x.code === "EADDRINUSE" || /EADDRINUSE|address already in use/i.test(x.message ?? ""))
      return true;
    e = x.cause;
  }
  return false;
}
