/**
 * Serves the demo web app over HTTPS with the development certificate.
 *
 * Two modes:
 * - `static` (default): `vite build` once per process into a temporary folder, then a small
 *   HTTPS static server. Deterministic and quick to start, so the browser tests use it: no
 *   on-demand transforms and no "new dependencies optimized, reloading" mid-test.
 * - `dev`: the Vite dev server (hot reload), for people editing the app.
 *
 * Either way the runtime configuration is served as `/config.json`, so one build fits any
 * stack (ports chosen at run time, short token TTLs).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve, sep } from "node:path";
import type { DevPki } from "../pki.js";
import { DEFAULT_CLIENT_ID, DEFAULT_RESOURCE, DEFAULT_SCOPE, type WebAppConfig } from "./config.js";

export type { WebAppConfig } from "./config.js";

/** What the caller must supply; the rest has demo defaults (redirectUri: the app's origin + `/`). */
export type WebAppConfigInput = Pick<WebAppConfig, "authority" | "apiUrl"> & Partial<WebAppConfig>;

export interface StartWebAppOptions {
  /** TCP port; 0 picks a free one (read it back from `url`). @default 0 @example 5173 */
  port?: number;
  /** Development PKI; the app is served with `pki.localhost`. @example ensureDevPki() */
  pki: DevPki;
  /**
   * Runtime configuration. May be left out and set later with `setConfig` (useful when the
   * IdP needs the app's origin, known only after listening on port 0); until then
   * `/config.json` answers 503. @default unset
   * @example { authority: idp.issuer, apiUrl: "https://localhost:8080" }
   */
  config?: WebAppConfigInput;
  /**
   * Listen address. The URL says `localhost` for any loopback address (the certificate's
   * name, and the origin the IdP must allow). @default "127.0.0.1" @example "::1"
   */
  host?: string;
  /**
   * `static` (build once per process + HTTPS static server with a strict CSP) or `dev` (Vite
   * dev server, hot reload). @default "static" @example "dev"
   */
  mode?: "static" | "dev";
  /**
   * The origin browsers open the app on when a gateway serves it (session mode, same-origin
   * deployment): requests naming another host are sent there, and requests that arrive through
   * the gateway (whose `Host` is the gateway's) are served. @default the app's own URL
   * @example "https://localhost:8080"
   */
  publicOrigin?: string;
}

export interface WebApp {
  /** The app's URL, e.g. `https://localhost:5173` (no trailing slash). */
  readonly url: string;
  /** The port listened on (the chosen one when `port` was 0). */
  readonly port: number;
  /** Replace the runtime configuration (missing fields take the demo defaults). */
  setConfig(config: WebAppConfigInput): void;
  /** The configuration `/config.json` serves now, if set. */
  readonly config: WebAppConfig | undefined;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

const webRoot = new URL(".", import.meta.url).pathname;

let buildOnce: Promise<string> | undefined;

/** Builds the app once per process into a temporary folder; returns that folder. */
export function buildWebApp(): Promise<string> {
  buildOnce ??= (async () => {
    const outDir = mkdtempSync(join(tmpdir(), "gwo-web-"));
    const { build } = await import("vite");
    await build({
      root: webRoot,
      configFile: false,
      logLevel: "warn",
      build: { outDir, emptyOutDir: true, sourcemap: true, reportCompressedSize: false },
    });
    process.once("exit", () => rmSync(outDir, { recursive: true, force: true }));
    return outDir;
  })();
  return buildOnce;
}

/** Starts the web app; resolves once it is listening. */
export async function startWebApp(o: StartWebAppOptions): Promise<WebApp> {
  const host = o.host ?? "127.0.0.1";
  let config: WebAppConfig | undefined;
  let url = "";
  const complete = (c: WebAppConfigInput): WebAppConfig => ({
    clientId: DEFAULT_CLIENT_ID,
    scope: DEFAULT_SCOPE,
    resource: DEFAULT_RESOURCE,
    storage: "local",
    redirectUri: `${url}/`,
    ...c,
  });
  const serveConfig = (res: ServerResponse): void => {
    if (!config) {
      res.writeHead(503, { "content-type": "text/plain" }).end("configuration not set yet\n");
      return;
    }
    res
      .writeHead(200, { "content-type": "application/json", "cache-control": "no-store" })
      .end(JSON.stringify(config));
  };
  const tls = { cert: readFileSync(o.pki.localhost.cert), key: readFileSync(o.pki.localhost.key) };

  let port: number;
  let closeServer: () => Promise<void>;
  if (o.mode === "dev") {
    const { createServer } = await import("vite");
    const vite = await createServer({
      root: webRoot,
      configFile: false,
      logLevel: "warn",
      server: { https: tls, host, port: o.port ?? 0, strictPort: true },
      plugins: [
        {
          name: "gwo-runtime-config",
          configureServer(server) {
            server.middlewares.use((req, res, next) => {
              if (!redirectToCanonical(req, res, o.publicOrigin ?? url)) next();
            });
            server.middlewares.use("/config.json", (_req, res) => serveConfig(res));
          },
        },
      ],
    });
    await vite.listen();
    const address = vite.httpServer?.address();
    if (!address || typeof address === "string") throw new Error("vite dev server is not on TCP");
    port = address.port;
    closeServer = () => vite.close();
  } else {
    const dir = await buildWebApp();
    const server = createHttpsServer(tls, (req, res) => {
      if (redirectToCanonical(req, res, o.publicOrigin ?? url)) return;
      if (new URL(req.url ?? "/", "https://x").pathname === "/config.json") serveConfig(res);
      else void serveStatic(dir, req, res, config);
    });
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(o.port ?? 0, host, () => ok());
    });
    port = (server.address() as AddressInfo).port;
    closeServer = () => closeHttps(server);
  }
  const loopback = host === "localhost" || host === "::1" || host.startsWith("127.");
  const hostname = loopback ? "localhost" : host.includes(":") ? `[${host}]` : host;
  url = `https://${hostname}:${port}`;
  if (o.config) config = complete(o.config);

  return {
    url,
    port,
    get config() {
      return config;
    },
    setConfig(c) {
      config = complete(c);
    },
    close: closeServer,
  };
}

/**
 * Sends a request for another name of this listener (`https://127.0.0.1:5173`, which the
 * certificate also covers) to the app's own origin. The IdP sends the browser back to the
 * registered redirect URI on `localhost`, whose storage does not hold the sign-in state
 * started on `127.0.0.1`: the sign-in would fail. Returns true when it redirected.
 */
export function redirectToCanonical(
  req: IncomingMessage,
  res: ServerResponse,
  origin: string,
): boolean {
  if (!origin || req.headers.host === new URL(origin).host) return false;
  res.writeHead(308, { location: `${origin}${req.url ?? "/"}`, "cache-control": "no-store" }).end();
  return true;
}

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".map": "application/json",
  ".json": "application/json",
  ".ico": "image/x-icon",
};

async function serveStatic(
  dir: string,
  req: IncomingMessage,
  res: ServerResponse,
  config: WebAppConfig | undefined,
): Promise<void> {
  let file: string;
  try {
    file = normalize(join(dir, decodeURIComponent(new URL(req.url ?? "/", "https://x").pathname)));
  } catch {
    file = "";
  }
  if (!file.startsWith(dir + sep) && file !== dir) {
    res.writeHead(400).end();
    return;
  }
  // Single-page app: any path without an extension is the app (the IdP redirects to `/`).
  if (extname(file) === "") file = join(dir, "index.html");
  try {
    const body = await readFile(resolve(file));
    const ext = extname(file);
    res.writeHead(200, {
      "content-type": types[ext] ?? "application/octet-stream",
      "cache-control": ext === ".html" ? "no-store" : "public, max-age=3600",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      ...(ext === ".html" ? { "content-security-policy": csp(config) } : {}),
    });
    res.end(body);
  } catch {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  }
}

/** Scripts from this origin only; network access only to the IdP and the API. */
function csp(config: WebAppConfig | undefined): string {
  const origins = new Set<string>(["'self'"]);
  for (const u of [config?.authority, config?.apiUrl]) {
    try {
      if (u) origins.add(new URL(u).origin);
    } catch {
      // an unparsable URL is reported by the app itself
    }
  }
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${[...origins].join(" ")}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join("; ");
}

function closeHttps(server: Server): Promise<void> {
  return new Promise((ok) => {
    server.close(() => ok());
    server.closeAllConnections();
  });
}
