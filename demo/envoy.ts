/**
 * Starts a real Envoy for the local demo stack: the same generator as
 * `envoy/envoy.yaml`, fed a model with the development certificates, loopback
 * addresses, the local IdP's JWKS and the backend's mTLS port.
 *
 * Certificates are laid out the way Kubernetes mounts a Secret, so rotation can
 * be exercised exactly as in production:
 *   <workDir>/tls/server/tls.crt -> ..data/tls.crt
 *   <workDir>/tls/server/..data  -> ..v1          (swapped atomically by rotate())
 *   <workDir>/tls/server/..v1/tls.crt -> <the PKI's file>
 * The last hop is a link, not a copy: no private key is ever written outside the PKI folder,
 * so a temporary folder left behind (SIGKILL, power loss) holds nothing secret. A work dir
 * of our own is removed on close and, failing that, when the process exits, which also stops
 * Envoy.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { type AddressInfo, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type ClaimSettings, resolveClaimSettings } from "../src/access/index.js";
import { envoyVersion, findEnvoy } from "../src/envoy/find-binary.js";
import { generateGateway } from "../src/envoy/generate/emit.js";
import {
  DEFAULT_LIMITS,
  type GatewayModel,
  type HealthModel,
  type LimitsModel,
  type RateLimitModel,
} from "../src/envoy/generate/model.js";
import { NotesService } from "./gen/demo/v1/notes_pb.js";
import { DEMO_API_AUDIENCE, DEMO_GATEWAY_CLIENT_ID, demoClaimSettings } from "./oidc-client.js";
import { BACKEND_DNS, BACKEND_SPIFFE, type CertPair, type DevPki } from "./pki.js";

/** The API audience the demo IdP issues access tokens for. */
export { DEMO_API_AUDIENCE };

export interface StartEnvoyOptions {
  /** Development PKI: `localhost` serves the listener, `gateway` is the client cert, `meshCa` verifies the backend, `ca` the IdP. */
  pki: DevPki;
  /** Listener port. @default 0 (a free port is picked) */
  port?: number;
  /** Admin port (127.0.0.1). @default 0 (a free port is picked) */
  adminPort?: number;
  /**
   * Also open the TLS probe listener (`/ready`, `/livez`) on this port, as in production.
   * @default undefined (no probe listener); 0 picks a free port
   */
  probePort?: number;
  /**
   * A gateway-wide token bucket (local_ratelimit, enforced), as `rateLimit` in gateway.yaml.
   * @default undefined (no rate limit)
   * @example { maxTokens: 100, tokensPerFill: 100, fillIntervalSeconds: 1 }
   */
  rateLimit?: RateLimitModel;
  /**
   * Limits that differ from the demo's (production defaults with a 1,000-connection cap), as
   * `limits` in gateway.yaml. @example { tlsHandshakeTimeoutSeconds: 2, streamBudget: 50 }
   */
  limits?: Partial<LimitsModel>;
  /** As `health` in gateway.yaml. @default { watch: false } */
  health?: HealthModel;
  /** The IdP's issuer, e.g. `https://localhost:9443`. */
  idpIssuer: string;
  /** The IdP's JWKS URI (https, served with the `localhost` certificate). */
  jwksUri: string;
  /** The backend's mTLS gRPC port on 127.0.0.1. */
  backendPort: number;
  /** Exact browser origins allowed by CORS. */
  allowedOrigins: string[];
  /** Accepted audience. @default DEMO_API_AUDIENCE */
  audience?: string;
  /**
   * DPoP: the `DPoP` scheme and a proof per call, checked through ext_authz by the
   * backend's verifier service; proofs name `https://localhost:<port>`.
   * @default undefined (Bearer only)
   */
  dpop?: { allowBearer?: boolean };
  /**
   * How access tokens are recognised and read; the backend takes the same settings.
   * When set, `idpIssuer` and `audience` are not used for claims.
   * @default demoClaimSettings(idpIssuer) with `audience`
   * @example { issuer, audiences: ["notes-api"], rolesClaim: "realm_access.roles", requiredClaims: { typ: "Bearer" } }
   */
  claims?: ClaimSettings;
  /**
   * Session mode: Envoy's oauth2 filter is the IdP's confidential client `grpc-web-oidc-gateway`
   * and the browser holds cookies, never a token.
   * @default undefined (token mode)
   * @example { appUrl: "https://localhost:5173/" }
   */
  session?: LocalSessionOptions;
  /** Where config, SDS files and certificates go. @default a new temp dir (removed on close) */
  workDir?: string;
  /** Receives Envoy's stdout/stderr lines (access log and warnings). @default dropped */
  log?: (line: string) => void;
  /**
   * Envoy's `--component-log-level` (the rest stays at `warning`). Debug output of the oauth2
   * filter includes the IdP's refusal bodies, never a token. @default none
   * @example "oauth2:debug"
   */
  componentLogLevels?: string;
  /**
   * Edits the generated config before Envoy loads it (benchmarks compare the chain with the
   * same config without some filters). @default none
   */
  configTransform?: (envoyYaml: string) => string;
}

/** Session mode of the local stack. */
export interface LocalSessionOptions {
  /** Where sign-in and sign-out land (the web app). */
  appUrl: string;
  /** SameSite of the token cookies. @default "Lax" */
  sameSite?: "Strict" | "Lax";
  /**
   * Same-origin deployment: Envoy also serves the web app, proxying GET/HEAD requests that are
   * not RPCs to the app's HTTPS server on 127.0.0.1 (certificate `localhost`, dev CA); `appUrl`
   * is then Envoy's own URL.
   * @default undefined (the app is on its own origin and calls with CORS)
   * @example { port: 5173 }
   */
  app?: { port: number };
  /**
   * Another IdP than the demo's (whose paths and client are the default): the gateway's client
   * there, its endpoints and the scopes to ask for. The client secret stays the development
   * PKI's `secrets.gatewayClientSecret`: register the client with that value.
   * @default the demo IdP (`grpc-web-oidc-gateway`, `<issuer>/auth`, `/token`, `/session/end`)
   * @example { clientId: "notes-gateway", authorizationEndpoint: `${issuer}/protocol/openid-connect/auth`, tokenEndpoint: `${issuer}/protocol/openid-connect/token`, endSessionEndpoint: `${issuer}/protocol/openid-connect/logout`, scopes: ["openid", "notes.read"] }
   */
  provider?: SessionProvider;
}

/** The session-mode gateway's client at an IdP other than the demo's. */
export interface SessionProvider {
  clientId: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  endSessionEndpoint?: string;
  scopes: string[];
  /** RFC 8707 resource indicators. @default none */
  resources?: string[];
}

/** Which mounted certificate folder to rotate. */
export type MountName = "server" | "upstream-client" | "idp-ca";

export interface RunningEnvoy {
  readonly port: number;
  readonly adminPort: number;
  /** The probe listener's port, when one was asked for. */
  readonly probePort: number | undefined;
  readonly configPath: string;
  readonly sdsDir: string;
  /** Envoy's version, e.g. "1.40.0". */
  readonly version: string;
  /** The Envoy process id (unchanged across certificate rotation). */
  readonly pid: number;
  /** `https://localhost:<port>`. */
  readonly url: string;
  /**
   * Replaces the files of a mounted folder the way kubelet does: writes a new
   * `..vN` folder, then renames a new `..data` symlink over the old one.
   * `files` maps file names (`tls.crt`, `tls.key`, `ca.crt`) to source paths.
   */
  rotate(mount: MountName, files: Readonly<Record<string, string>>): void;
  close(): Promise<void>;
}

/** An error starting Envoy (not found, exited early, never ready). */
export class EnvoyStartError extends Error {
  override name = "EnvoyStartError";
  /** Envoy could not bind one of its ports. */
  readonly addressInUse: boolean;
  constructor(message: string) {
    super(message);
    // "duplicate address": two of Envoy's own listeners were given one port.
    this.addressInUse = /address already in use|cannot bind|duplicate address/i.test(message);
  }
}

/**
 * Binds `port` on `host` and releases it at once. Resolves the port bound (the one picked when
 * `port` is 0); rejects when it cannot be bound (e.g. EADDRINUSE).
 */
export function bindAndRelease(port: number, host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(port, host, () => {
      const addr = s.address();
      const bound = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(bound));
    });
  });
}

/** Picks a free TCP port on 127.0.0.1 (bind 0, read, close): Envoy needs numbers in its config. */
export function freePort(): Promise<number> {
  return bindAndRelease(0);
}

/**
 * Picks `count` distinct free TCP ports on `host`: all are bound before any is released. (One
 * bind-and-release after another may get the same port twice; Envoy then refuses its config:
 * "has duplicate address … as existing listener".)
 */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((ok, fail) => {
        s.once("error", fail);
        s.listen(0, host, ok);
      });
    }
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  }
}

/** The gateway model for the local stack. */
export function localGatewayModel(o: {
  workDir: string;
  port: number;
  adminPort: number;
  probePort?: number;
  rateLimit?: RateLimitModel;
  limits?: Partial<LimitsModel>;
  health?: HealthModel;
  idpIssuer: string;
  jwksUri: string;
  backendPort: number;
  allowedOrigins: readonly string[];
  audience?: string;
  dpop?: { allowBearer?: boolean };
  claims?: ClaimSettings;
  session?: LocalSessionOptions;
}): GatewayModel {
  const tls = join(o.workDir, "tls");
  const secrets = join(o.workDir, "secrets");
  return {
    name: "grpc-web-oidc-local",
    listener: {
      address: "127.0.0.1",
      port: o.port,
      hostnames: ["*"],
      tls: { certificate: join(tls, "server", "tls.crt"), key: join(tls, "server", "tls.key") },
    },
    admin: { address: "127.0.0.1", port: o.adminPort },
    probe:
      o.probePort === undefined
        ? undefined
        : { address: "127.0.0.1", port: o.probePort, maxConnections: 64 },
    cors: {
      allowedOrigins: [...o.allowedOrigins],
      maxAgeSeconds: 600,
      allowConnectProtocol: false,
    },
    jwt: {
      ...resolveClaimSettings(
        o.claims ?? {
          ...demoClaimSettings(o.idpIssuer),
          audiences: [o.audience ?? DEMO_API_AUDIENCE],
        },
      ),
      jwksUri: o.jwksUri,
      jwksCa: join(tls, "idp-ca", "ca.crt"),
      jwksCacheSeconds: 300,
    },
    upstream: {
      address: "127.0.0.1",
      port: o.backendPort,
      san: BACKEND_SPIFFE,
      sni: BACKEND_DNS,
      ca: join(tls, "upstream-client", "ca.crt"),
      clientCertificate: {
        certificate: join(tls, "upstream-client", "tls.crt"),
        key: join(tls, "upstream-client", "tls.key"),
      },
      connectTimeoutSeconds: 2,
    },
    sds: { dir: join(o.workDir, "sds") },
    // Production defaults; a laptop-sized connection cap.
    limits: { ...DEFAULT_LIMITS, maxDownstreamConnections: 1000, ...o.limits },
    health: o.health ?? { watch: false },
    rateLimit: o.rateLimit,
    dpop: o.dpop
      ? {
          origin: `https://localhost:${o.port}`,
          allowBearer: o.dpop.allowBearer === true,
          timeoutSeconds: 1,
        }
      : undefined,
    session: o.session && {
      mode: "bff",
      clientId: o.session.provider?.clientId ?? DEMO_GATEWAY_CLIENT_ID,
      clientSecretFile: join(secrets, "client-secret"),
      hmacSecretFile: join(secrets, "hmac-secret"),
      gatewayOrigin: `https://localhost:${o.port}`,
      appUrl: o.session.app ? `https://localhost:${o.port}/` : o.session.appUrl,
      app: o.session.app && {
        address: "127.0.0.1",
        port: o.session.app.port,
        ca: join(tls, "app-ca", "ca.crt"),
        san: "localhost",
        sni: "localhost",
        connectTimeoutSeconds: 2,
      },
      ...(o.session.provider
        ? {
            authorizationEndpoint: o.session.provider.authorizationEndpoint,
            tokenEndpoint: o.session.provider.tokenEndpoint,
            endSessionEndpoint: o.session.provider.endSessionEndpoint,
            scopes: o.session.provider.scopes,
            resources: o.session.provider.resources ?? [],
          }
        : {
            authorizationEndpoint: `${o.idpIssuer}/auth`,
            tokenEndpoint: `${o.idpIssuer}/token`,
            endSessionEndpoint: `${o.idpIssuer}/session/end`,
            scopes: ["openid", "profile", "offline_access", "notes.read", "notes.write"],
            resources: [o.audience ?? DEMO_API_AUDIENCE],
          }),
      sameSite: o.session.sameSite ?? "Lax",
      refreshTokenLifetimeSeconds: 12 * 3600,
    },
  };
}

/**
 * Links `files` (name → source path) from a new `<dir>/..vN` and points `<dir>/..data` (and
 * per-file links) at it atomically. The sources are linked, not copied: keys stay where they are.
 */
export function swapMount(dir: string, files: Readonly<Record<string, string>>): void {
  mkdirSync(dir, { recursive: true });
  let n = 1;
  try {
    n = Number(/\.\.v(\d+)$/.exec(readlinkSync(join(dir, "..data")))?.[1] ?? "0") + 1;
  } catch {
    // first mount
  }
  const version = `..v${n}`;
  mkdirSync(join(dir, version));
  for (const [name, src] of Object.entries(files)) {
    symlinkSync(resolve(src), join(dir, version, name));
    try {
      symlinkSync(join("..data", name), join(dir, name));
    } catch {
      // link already there from an earlier version
    }
  }
  // rename(2) of a symlink over ..data is atomic: readers see old or new, never half.
  symlinkSync(version, join(dir, "..data_tmp"));
  renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
}

/** Envoy starts tried with fresh ports when a picked one was taken meanwhile. */
const START_ATTEMPTS = 5;

/** Generates the local config, starts Envoy and waits until it is ready. Throws EnvoyStartError. */
export async function startEnvoy(o: StartEnvoyOptions): Promise<RunningEnvoy> {
  // Ports picked here can be taken by someone else between our probe and Envoy's
  // bind; then try again with fresh ones. Ports the caller chose are not retried.
  const bin = findEnvoy(new URL("..", import.meta.url).pathname);
  if (!bin) throw new EnvoyStartError("no Envoy binary (set ENVOY_BIN or run npm run setup:envoy)");
  const version = envoyVersion(bin.path);
  const picked = !o.port || !o.adminPort || o.probePort === 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(o, bin.path, version);
    } catch (err) {
      const retry = picked && err instanceof EnvoyStartError && err.addressInUse;
      if (!retry || attempt >= START_ATTEMPTS) throw err;
    }
  }
}

async function startOnce(
  o: StartEnvoyOptions,
  bin: string,
  version: string,
): Promise<RunningEnvoy> {
  const ownDir = o.workDir === undefined;
  const workDir = o.workDir ?? mkdtempSync(join(tmpdir(), "gwo-envoy-"));
  const removeDir = () => {
    if (ownDir) rmSync(workDir, { recursive: true, force: true });
  };
  let prepared: Awaited<ReturnType<typeof writeLocalConfig>>;
  try {
    prepared = await writeLocalConfig(o, workDir);
  } catch (err) {
    removeDir();
    throw err;
  }
  const { port, adminPort, probePort, model, tls, configPath } = prepared;

  const child = spawn(
    bin,
    [
      "-c",
      configPath,
      "--disable-hot-restart",
      "--concurrency",
      "1",
      "-l",
      "warning",
      ...(o.componentLogLevels ? ["--component-log-level", o.componentLogLevels] : []),
      "--drain-time-s",
      "1",
      // Access log lines within a moment (the default is every 10 s).
      "--file-flush-interval-msec",
      "200",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const tail: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line) continue;
      tail.push(line);
      if (tail.length > 50) tail.shift();
      o.log?.(line);
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );

  // A forced exit (process.exit, an uncaught error) skips close(): still stop Envoy and
  // remove the folder, synchronously, as the process goes.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    removeDir();
  };
  process.once("exit", onExit);
  const cleanup = async () => {
    process.removeListener("exit", onExit);
    await stop(child, exited);
    removeDir();
  };
  try {
    await waitReady(adminPort, exited, tail);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    port,
    adminPort,
    probePort,
    configPath,
    sdsDir: model.sds.dir,
    version,
    pid: child.pid ?? 0,
    url: `https://localhost:${port}`,
    rotate: (mount, files) => swapMount(join(tls, mount), files),
    close: cleanup,
  };
}

/** Picks the ports, mounts the certificates and writes the config and SDS files into `workDir`. */
async function writeLocalConfig(o: StartEnvoyOptions, workDir: string) {
  const [port = 0, adminPort = 0, probePort] = await pickPorts([
    o.port ?? 0,
    o.adminPort ?? 0,
    ...(o.probePort === undefined ? [] : [o.probePort]),
  ]);
  const model = localGatewayModel({ ...o, workDir, port, adminPort, probePort });

  const tls = join(workDir, "tls");
  swapMount(join(tls, "server"), certFiles(o.pki.localhost));
  swapMount(join(tls, "upstream-client"), certFiles(o.pki.gateway, o.pki.meshCa.cert));
  swapMount(join(tls, "idp-ca"), { "ca.crt": o.pki.ca.cert });
  if (o.session?.app) swapMount(join(tls, "app-ca"), { "ca.crt": o.pki.ca.cert });
  if (o.session) {
    swapMount(join(workDir, "secrets"), {
      "client-secret": o.pki.secrets.gatewayClientSecret,
      "hmac-secret": o.pki.secrets.sessionHmac,
    });
  }

  const bundle = generateGateway(model, [NotesService], { comments: ["local demo stack"] });
  mkdirSync(model.sds.dir, { recursive: true });
  for (const [name, text] of Object.entries(bundle.sds))
    writeFileSync(join(model.sds.dir, name), text);
  const configPath = join(workDir, "envoy.yaml");
  writeFileSync(configPath, o.configTransform?.(bundle.envoyYaml) ?? bundle.envoyYaml);
  return { port, adminPort, probePort, model, tls, configPath };
}

/** `ports` with each 0 replaced by a free port, all distinct from each other and the rest. */
async function pickPorts(ports: readonly number[]): Promise<number[]> {
  const fresh = await freePorts(ports.filter((p) => !p).length);
  return ports.map((p) => p || (fresh.shift() ?? 0));
}

async function waitReady(
  adminPort: number,
  exited: Promise<number | null>,
  tail: string[],
): Promise<void> {
  let done = false;
  let code: number | null = null;
  void exited.then((c) => {
    done = true;
    code = c;
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (done)
      throw new EnvoyStartError(`envoy exited with ${code} before ready:\n${tail.join("\n")}`);
    try {
      const res = await fetch(`http://127.0.0.1:${adminPort}/ready`);
      const body = await res.text();
      if (res.status === 200 && body.trim() === "LIVE") return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new EnvoyStartError(`envoy not ready after 30 s:\n${tail.join("\n")}`);
}

async function stop(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** A CertPair (and optionally a CA) as the file map `swapMount` and `rotate` take. */
export function certFiles(pair: CertPair, ca?: string): Record<string, string> {
  return { "tls.crt": pair.cert, "tls.key": pair.key, ...(ca ? { "ca.crt": ca } : {}) };
}
