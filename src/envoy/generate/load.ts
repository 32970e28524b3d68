/**
 * Reads `gateway.yaml` into a GatewayModel. Strict: unknown keys, wrong types
 * and unsafe values fail with a GatewayConfigError that names FILE:LINE:COL,
 * the field path (e.g. `upstream.san`) and why.
 */
import { readFileSync } from "node:fs";
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
import { CLAIM_DEFAULTS } from "../../access/claim-settings.js";
import { isLoopbackHost } from "../../common/loopback.js";
import { originProblem } from "../../common/origin.js";
import { GatewayConfigError } from "../errors.js";
import { isIP } from "../ip.js";
import { positionOf } from "../yaml/positions.js";
import {
  type CertificateFiles,
  DEFAULT_LIMITS,
  type DpopModel,
  type GatewayModel,
  type HealthModel,
  type LimitsModel,
  type RateLimitModel,
  type SessionAppModel,
  type SessionModel,
} from "./model.js";

type Path = readonly (string | number)[];

/** Reads and parses a gateway file. Throws GatewayConfigError. */
export function loadGatewayFile(file: string): GatewayModel {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new GatewayConfigError(file, 0, 0, "", `cannot read: ${(err as Error).message}`);
  }
  return parseGateway(text, file);
}

/** Parses gateway YAML text. `file` only labels errors. Throws GatewayConfigError. */
export function parseGateway(text: string, file = "gateway.yaml"): GatewayModel {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e ? lc.linePos(e.pos[0]) : { line: 0, col: 0 };
    throw new GatewayConfigError(file, pos.line, pos.col, "", `YAML: ${e?.code ?? "syntax error"}`);
  }
  return new Reader(file, doc, lc).gateway();
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const HOSTNAME =
  /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
/** A claim name or dotted path (the same rule as `resolveClaimSettings`). */
const CLAIM_PATH = /^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/;
const TOKEN_TYPE = /^[A-Za-z0-9.+/_-]+$/;

class Reader {
  private readonly root: Node | null;

  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lc: LineCounter,
  ) {
    this.root = doc.contents as Node | null;
  }

  // --- sections -----------------------------------------------------------

  gateway(): GatewayModel {
    this.object(
      [],
      [
        "name",
        "listener",
        "admin",
        "probe",
        "cors",
        "jwt",
        "upstream",
        "sds",
        "limits",
        "health",
        "rateLimit",
        "dpop",
        "session",
      ],
    );
    const name = this.str(["name"], {
      default: "grpc-web-oidc-gateway",
      pattern: /^[a-z0-9][a-z0-9._-]*$/i,
    });
    this.object(["listener"], ["address", "port", "hostnames", "tls"], true);
    this.object(["listener", "tls"], ["certificate", "key"], true);
    const listener = {
      address: this.ip(["listener", "address"], "0.0.0.0"),
      port: this.port(["listener", "port"], 8443),
      hostnames: this.hostnames(["listener", "hostnames"]),
      tls: this.certFiles(["listener", "tls"]),
    };
    this.object(["admin"], ["address", "port"]);
    const adminAddress = this.ip(["admin", "address"], "127.0.0.1");
    if (!isLoopbackHost(adminAddress)) {
      this.fail(
        ["admin", "address"],
        "the admin interface must listen on a loopback address (127.0.0.0/8 or ::1)",
      );
    }
    const admin = { address: adminAddress, port: this.port(["admin", "port"], 9901) };
    let probe: GatewayModel["probe"];
    if (this.has(["probe"])) {
      this.object(["probe"], ["address", "port", "maxConnections"]);
      probe = {
        address: this.ip(["probe", "address"], "0.0.0.0"),
        port: this.port(["probe", "port"], 19001),
        maxConnections: this.int(["probe", "maxConnections"], 64, 1, 65535),
      };
    }
    this.object(["cors"], ["allowedOrigins", "maxAge", "allowConnectProtocol"], true);
    const cors = {
      // A same-origin session deployment (session.app) may allow no other origin at all.
      allowedOrigins: this.origins(["cors", "allowedOrigins"], this.has(["session", "app"])),
      maxAgeSeconds: this.duration(["cors", "maxAge"], 7200, 0, 86400),
      allowConnectProtocol: this.bool(["cors", "allowConnectProtocol"], false),
    };
    this.object(
      ["jwt"],
      [
        "issuer",
        "audiences",
        "jwksUri",
        "jwksCa",
        "jwksCacheDuration",
        "tokenType",
        "scopeClaim",
        "rolesClaim",
        "requiredClaims",
        "clockSkew",
      ],
      true,
    );
    const jwt = {
      issuer: this.httpsUrl(["jwt", "issuer"]),
      audiences: this.strList(["jwt", "audiences"], true),
      jwksUri: this.httpsUrl(["jwt", "jwksUri"]),
      jwksCa: this.absPath(["jwt", "jwksCa"]),
      jwksCacheSeconds: this.duration(["jwt", "jwksCacheDuration"], 300, 1, 86400),
      tokenType: this.has(["jwt", "tokenType"])
        ? this.str(["jwt", "tokenType"], { pattern: TOKEN_TYPE })
        : undefined,
      scopeClaim: this.str(["jwt", "scopeClaim"], {
        default: CLAIM_DEFAULTS.scopeClaim,
        pattern: CLAIM_PATH,
      }),
      rolesClaim: this.str(["jwt", "rolesClaim"], {
        default: CLAIM_DEFAULTS.rolesClaim,
        pattern: CLAIM_PATH,
      }),
      requiredClaims: this.stringMap(["jwt", "requiredClaims"], CLAIM_PATH),
      clockSkewSeconds: this.duration(
        ["jwt", "clockSkew"],
        CLAIM_DEFAULTS.clockSkewSeconds,
        0,
        300,
      ),
    };
    if (!Number.isInteger(jwt.clockSkewSeconds)) {
      this.fail(["jwt", "clockSkew"], "must be whole seconds (Envoy's clock_skew_seconds)");
    }
    this.object(
      ["upstream"],
      ["address", "port", "san", "sni", "ca", "clientCertificate", "connectTimeout"],
      true,
    );
    this.object(["upstream", "clientCertificate"], ["certificate", "key"], true);
    const upstreamAddress = this.str(["upstream", "address"], { pattern: /^[A-Za-z0-9.:-]+$/ });
    if (!isIP(upstreamAddress) && !HOSTNAME.test(upstreamAddress)) {
      this.fail(["upstream", "address"], "must be a host name or an IP address");
    }
    const upstream = {
      address: upstreamAddress,
      port: this.port(["upstream", "port"]),
      san: this.san(["upstream", "san"]),
      sni: this.str(["upstream", "sni"], { default: isIP(upstreamAddress) ? "" : upstreamAddress }),
      ca: this.absPath(["upstream", "ca"]),
      clientCertificate: this.certFiles(["upstream", "clientCertificate"]),
      connectTimeoutSeconds: this.duration(["upstream", "connectTimeout"], 5, 0.001, 60),
    };
    if (upstream.sni === "") {
      this.fail(
        ["upstream", "sni"],
        "required when upstream.address is an IP (SNI must be a host name)",
        ["upstream"],
      );
    }
    if (upstream.sni !== "" && (isIP(upstream.sni) || !HOSTNAME.test(upstream.sni))) {
      this.fail(["upstream", "sni"], "must be a DNS host name");
    }
    this.object(["sds"], ["dir"]);
    const sds = { dir: this.absPath(["sds", "dir"], "/etc/envoy/sds") };
    return {
      name,
      listener,
      admin,
      probe,
      cors,
      jwt,
      upstream,
      sds,
      limits: this.limits(),
      health: this.health(),
      rateLimit: this.rateLimit(),
      dpop: this.dpop(),
      session: this.session(cors.allowedOrigins),
    };
  }

  dpop(): DpopModel | undefined {
    if (!this.has(["dpop"])) return undefined;
    this.object(["dpop"], ["origin", "allowBearer", "timeout"], true);
    const origin = this.str(["dpop", "origin"]);
    const why = originProblem(origin);
    if (why)
      this.fail(
        ["dpop", "origin"],
        `${why}; the public origin clients call (the htu of their proofs)`,
      );
    return {
      origin,
      allowBearer: this.bool(["dpop", "allowBearer"], false),
      timeoutSeconds: this.duration(["dpop", "timeout"], 1, 0.01, 30),
    };
  }

  /** `session:` (session mode), or undefined for token mode. */
  session(allowedOrigins: readonly string[]): SessionModel | undefined {
    const p = "session";
    if (!this.has([p])) return undefined;
    this.object(
      [p],
      [
        "mode",
        "clientId",
        "clientSecret",
        "hmacSecret",
        "gatewayOrigin",
        "appUrl",
        "authorizationEndpoint",
        "tokenEndpoint",
        "endSessionEndpoint",
        "scopes",
        "resources",
        "sameSite",
        "refreshTokenLifetime",
        "app",
      ],
    );
    const mode = this.str([p, "mode"]);
    if (mode !== "bff")
      this.fail([p, "mode"], `unknown mode ${JSON.stringify(mode)} (expected bff)`);
    const gatewayOrigin = this.str([p, "gatewayOrigin"]);
    const why = originProblem(gatewayOrigin);
    if (why) this.fail([p, "gatewayOrigin"], why);
    if (!gatewayOrigin.startsWith("https://"))
      this.fail([p, "gatewayOrigin"], "must be https (session cookies are Secure and __Host-)");
    const appUrl = this.httpsUrl([p, "appUrl"]);
    if (
      !allowedOrigins.includes(new URL(appUrl).origin) &&
      new URL(appUrl).origin !== gatewayOrigin
    )
      this.fail(
        [p, "appUrl"],
        "must be on the gateway's origin or on one of cors.allowedOrigins (the app that calls the API)",
      );
    const sameSite = this.str([p, "sameSite"], { default: "Lax" });
    if (sameSite !== "Lax" && sameSite !== "Strict")
      this.fail([p, "sameSite"], "must be Lax or Strict (None would send the session cross-site)");
    const scopes = this.has([p, "scopes"])
      ? this.strList([p, "scopes"], true)
      : ["openid", "offline_access"];
    if (!scopes.includes("openid"))
      this.fail([p, "scopes"], "must include openid (sign-out needs the ID token)");
    const secretFile = (key: string) => {
      const v = this.absPath([p, key]);
      if (v.endsWith("/")) this.fail([p, key], "must name a file");
      return v;
    };
    return {
      mode: "bff",
      clientId: this.str([p, "clientId"]),
      clientSecretFile: secretFile("clientSecret"),
      hmacSecretFile: secretFile("hmacSecret"),
      gatewayOrigin,
      appUrl,
      authorizationEndpoint: this.httpsUrl([p, "authorizationEndpoint"]),
      tokenEndpoint: this.httpsUrl([p, "tokenEndpoint"]),
      endSessionEndpoint: this.has([p, "endSessionEndpoint"])
        ? this.httpsUrl([p, "endSessionEndpoint"])
        : undefined,
      scopes,
      resources: this.strList([p, "resources"], false),
      sameSite,
      refreshTokenLifetimeSeconds: this.duration([p, "refreshTokenLifetime"], 43200, 60, 31536000),
      app: this.sessionApp(gatewayOrigin, appUrl),
    };
  }

  /** `session.app:` (same-origin deployment: the gateway serves the SPA), or undefined. */
  sessionApp(gatewayOrigin: string, appUrl: string): SessionAppModel | undefined {
    const p = ["session", "app"];
    if (!this.has(p)) return undefined;
    this.object(p, ["address", "port", "ca", "san", "sni", "connectTimeout"], true);
    if (new URL(appUrl).origin !== gatewayOrigin)
      this.fail(
        ["session", "appUrl"],
        "must be on session.gatewayOrigin when session.app is set (the gateway serves the app on its own origin)",
      );
    const address = this.str([...p, "address"], { pattern: /^[A-Za-z0-9.:-]+$/ });
    if (!isIP(address) && !HOSTNAME.test(address))
      this.fail([...p, "address"], "must be a host name or an IP address");
    const byName = isIP(address) ? "" : address;
    const sni = this.str([...p, "sni"], { default: byName });
    if (sni === "" || isIP(sni) || !HOSTNAME.test(sni))
      this.fail(
        [...p, "sni"],
        "must be a DNS host name (required when address is an IP)",
        this.has([...p, "sni"]) ? [...p, "sni"] : p,
      );
    const san = this.has([...p, "san"]) ? this.san([...p, "san"]) : sni;
    return {
      address,
      port: this.port([...p, "port"]),
      ca: this.absPath([...p, "ca"]),
      san,
      sni,
      connectTimeoutSeconds: this.duration([...p, "connectTimeout"], 5, 0.001, 60),
    };
  }

  limits(): LimitsModel {
    const p = "limits";
    const d = DEFAULT_LIMITS;
    if (this.has([p, "maxGrpcTimeout"]))
      this.fail(
        [p, "maxGrpcTimeout"],
        "is no longer a gateway setting: Envoy enforcing a client's grpc-timeout resets streams that already sent messages; the backend enforces deadlines, and maxStreamDuration bounds every call",
      );
    this.object(
      [p],
      [
        "maxRequestHeadersKb",
        "perConnectionBufferBytes",
        "requestHeadersTimeout",
        "streamIdleTimeout",
        "connectionIdleTimeout",
        "tlsHandshakeTimeout",
        "maxStreamDuration",
        "maxConcurrentStreams",
        "maxHeapBytes",
        "maxDownstreamConnections",
        "circuitBreaker",
        "streamBudget",
        "publicBudget",
        "connectionsPerSecond",
        "requestsPerConnection",
      ],
    );
    this.object([p, "circuitBreaker"], ["maxConnections", "maxPendingRequests", "maxRequests"]);
    const cb = [p, "circuitBreaker"] as const;
    return {
      maxRequestHeadersKb: this.int([p, "maxRequestHeadersKb"], d.maxRequestHeadersKb, 1, 8192),
      perConnectionBufferBytes: this.int(
        [p, "perConnectionBufferBytes"],
        d.perConnectionBufferBytes,
        1024,
        16 * 1024 * 1024,
      ),
      requestHeadersTimeoutSeconds: this.duration(
        [p, "requestHeadersTimeout"],
        d.requestHeadersTimeoutSeconds,
        1,
        600,
      ),
      streamIdleTimeoutSeconds: this.duration(
        [p, "streamIdleTimeout"],
        d.streamIdleTimeoutSeconds,
        1,
        86400,
      ),
      connectionIdleTimeoutSeconds: this.duration(
        [p, "connectionIdleTimeout"],
        d.connectionIdleTimeoutSeconds,
        1,
        86400,
      ),
      // Above a minute a silent connection is no longer "slow"; below a second real clients fail.
      tlsHandshakeTimeoutSeconds: this.duration(
        [p, "tlsHandshakeTimeout"],
        d.tlsHandshakeTimeoutSeconds,
        1,
        60,
      ),
      maxStreamDurationSeconds: this.duration(
        [p, "maxStreamDuration"],
        d.maxStreamDurationSeconds,
        1,
        86400,
      ),
      maxConcurrentStreams: this.int([p, "maxConcurrentStreams"], d.maxConcurrentStreams, 1, 1000),
      maxHeapBytes: this.int(
        [p, "maxHeapBytes"],
        d.maxHeapBytes,
        16 * 1024 * 1024,
        Number.MAX_SAFE_INTEGER,
      ),
      maxDownstreamConnections: this.int(
        [p, "maxDownstreamConnections"],
        d.maxDownstreamConnections,
        1,
        10_000_000,
      ),
      circuitBreaker: {
        maxConnections: this.int(
          [...cb, "maxConnections"],
          d.circuitBreaker.maxConnections,
          1,
          1_000_000,
        ),
        maxPendingRequests: this.int(
          [...cb, "maxPendingRequests"],
          d.circuitBreaker.maxPendingRequests,
          1,
          1_000_000,
        ),
        maxRequests: this.int([...cb, "maxRequests"], d.circuitBreaker.maxRequests, 1, 1_000_000),
      },
      streamBudget: this.int([p, "streamBudget"], d.streamBudget, 1, 1_000_000),
      publicBudget: this.int([p, "publicBudget"], d.publicBudget, 1, 1_000_000),
      requestsPerConnection: this.int(
        [p, "requestsPerConnection"],
        d.requestsPerConnection,
        0,
        1_000_000,
      ),
      connectionsPerSecond: this.has([p, "connectionsPerSecond"])
        ? this.int([p, "connectionsPerSecond"], undefined, 1, 1_000_000)
        : undefined,
    };
  }

  health(): HealthModel {
    this.object(["health"], ["watch"]);
    return { watch: this.bool(["health", "watch"], false) };
  }

  rateLimit(): RateLimitModel | undefined {
    if (!this.has(["rateLimit"])) return undefined;
    this.object(["rateLimit"], ["maxTokens", "tokensPerFill", "fillInterval"], true);
    return {
      maxTokens: this.int(["rateLimit", "maxTokens"], undefined, 1, 4294967295),
      tokensPerFill: this.int(["rateLimit", "tokensPerFill"], undefined, 1, 4294967295),
      fillIntervalSeconds: this.duration(["rateLimit", "fillInterval"], 1, 0.05, 86400),
    };
  }

  // --- field readers ------------------------------------------------------

  private certFiles(path: Path): CertificateFiles {
    return {
      certificate: this.absPath([...path, "certificate"]),
      key: this.absPath([...path, "key"]),
    };
  }

  private hostnames(path: Path): string[] {
    if (!this.has(path)) return ["*"];
    const list = this.strList(path, true);
    list.forEach((h, i) => {
      if (h !== "*" && !HOSTNAME.test(h))
        this.fail([...path, i], `${JSON.stringify(h)} is not a host name`);
    });
    return list;
  }

  private origins(path: Path, mayBeEmpty = false): string[] {
    const value = this.has(path) ? this.value(path) : undefined;
    if (mayBeEmpty && Array.isArray(value) && value.length === 0) return [];
    const list = this.strList(path, true);
    list.forEach((o, i) => {
      const why = originProblem(o);
      if (why) this.fail([...path, i], why);
    });
    return list;
  }

  private san(path: Path): string {
    const v = this.str(path);
    if (v.includes("://")) {
      if (!/^[a-z][a-z0-9+.-]*:\/\/[^\s*]+$/i.test(v))
        this.fail(path, "a URI SAN must be an absolute URI without wildcards");
    } else if (!HOSTNAME.test(v) || v.startsWith("*")) {
      this.fail(path, "must be a DNS name or a URI (e.g. a SPIFFE ID), without wildcards");
    }
    return v;
  }

  private httpsUrl(path: Path): string {
    const v = this.str(path);
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      return this.fail(path, "must be an absolute URL");
    }
    if (url.protocol !== "https:")
      this.fail(path, "must be an https:// URL (tokens and keys never travel in plaintext)");
    return v;
  }

  private absPath(path: Path, def?: string): string {
    const v = this.str(path, def === undefined ? {} : { default: def });
    if (!v.startsWith("/"))
      this.fail(
        path,
        "must be an absolute path (Envoy resolves relative paths against its working directory)",
      );
    if (v.includes("\n") || v.includes("\0")) this.fail(path, "must be a single-line path");
    return v;
  }

  private ip(path: Path, def: string): string {
    const v = this.str(path, { default: def });
    if (!isIP(v)) this.fail(path, "must be an IP address");
    return v;
  }

  private port(path: Path, def?: number): number {
    return this.int(path, def, 1, 65535);
  }

  private duration(path: Path, def: number, min: number, max: number): number {
    if (!this.has(path)) return def;
    const raw = this.value(path);
    let seconds: number;
    if (typeof raw === "number") seconds = raw;
    else if (typeof raw === "string") {
      const m = DURATION.exec(raw);
      if (!m?.[1] || !m[2])
        return this.fail(path, `${JSON.stringify(raw)} is not a duration (e.g. 300s, 500ms, 5m)`);
      const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]] ?? 1;
      seconds = Number(m[1]) * unit;
    } else return this.fail(path, "must be a duration (e.g. 300s) or a number of seconds");
    if (!(seconds >= min && seconds <= max)) this.fail(path, `must be between ${min}s and ${max}s`);
    return Math.round(seconds * 1000) / 1000;
  }

  private int(path: Path, def: number | undefined, min: number, max: number): number {
    if (!this.has(path)) {
      if (def === undefined) return this.fail(path, "is required", path.slice(0, -1));
      return def;
    }
    const v = this.value(path);
    if (typeof v !== "number" || !Number.isInteger(v)) return this.fail(path, "must be an integer");
    if (v < min || v > max) this.fail(path, `must be between ${min} and ${max}`);
    return v;
  }

  private bool(path: Path, def: boolean): boolean {
    if (!this.has(path)) return def;
    const v = this.value(path);
    if (typeof v !== "boolean") return this.fail(path, "must be true or false");
    return v;
  }

  private str(path: Path, o: { default?: string; pattern?: RegExp } = {}): string {
    if (!this.has(path)) {
      if (o.default === undefined) return this.fail(path, "is required", path.slice(0, -1));
      return o.default;
    }
    const v = this.value(path);
    if (typeof v !== "string" || v.length === 0)
      return this.fail(path, "must be a non-empty string");
    if (o.pattern && !o.pattern.test(v))
      this.fail(path, `${JSON.stringify(v)} does not match ${o.pattern}`);
    return v;
  }

  /** An optional mapping of claim paths to non-empty string values. */
  private stringMap(path: Path, keyPattern: RegExp): Record<string, string> {
    if (!this.has(path)) return {};
    const node = this.node(path);
    if (!isMap(node)) return this.fail(path, "must be a mapping of claim to value");
    const out: Record<string, string> = {};
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
      if (!keyPattern.test(key)) this.fail([...path, key], "is not a claim name or dotted path");
      const v = this.value([...path, key]);
      if (typeof v !== "string" || v.length === 0) {
        this.fail([...path, key], "must be a non-empty string (quote numbers and booleans)");
      }
      out[key] = v as string;
    }
    return out;
  }

  private strList(path: Path, required: boolean): string[] {
    if (!this.has(path)) {
      if (required) return this.fail(path, "is required", path.slice(0, -1));
      return [];
    }
    const node = this.node(path);
    const v = this.value(path);
    if (!Array.isArray(v) || !node || isScalar(node))
      return this.fail(path, "must be a list of strings");
    if (v.length === 0) this.fail(path, "must not be empty");
    v.forEach((item, i) => {
      if (typeof item !== "string" || item.length === 0)
        this.fail([...path, i], "must be a non-empty string");
    });
    if (new Set(v).size !== v.length) this.fail(path, "has duplicates");
    return v as string[];
  }

  /** Checks that `path` is a mapping with only `keys`. */
  private object(path: Path, keys: readonly string[], required = false): void {
    if (!this.has(path)) {
      if (required) this.fail(path, "is required", path.slice(0, -1));
      return;
    }
    const node = this.node(path);
    if (!isMap(node)) {
      this.fail(path, "must be a mapping");
      return;
    }
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
      if (!keys.includes(key)) {
        const at = (item.key as Node | null)?.range;
        const pos = at ? this.lc.linePos(at[0]) : { line: 0, col: 0 };
        throw new GatewayConfigError(
          this.file,
          pos.line,
          pos.col,
          [...path, key].join("."),
          `unknown key (expected one of: ${keys.join(", ")})`,
        );
      }
    }
  }

  // --- document access ----------------------------------------------------

  private node(path: Path): Node | undefined {
    let cur: unknown = this.root;
    for (const part of path) {
      if (
        cur &&
        typeof cur === "object" &&
        "get" in cur &&
        typeof (cur as { get: unknown }).get === "function"
      ) {
        cur = (cur as { get(k: unknown, keepScalar: boolean): unknown }).get(part, true);
      } else return undefined;
    }
    return (cur ?? undefined) as Node | undefined;
  }

  private has(path: Path): boolean {
    const n = this.node(path);
    return n !== undefined && !(isScalar(n) && n.value === null);
  }

  private value(path: Path): unknown {
    const n = this.node(path);
    if (n === undefined) return undefined;
    return isScalar(n) ? n.value : n.toJSON();
  }

  /** Throws for `path`, positioned at `at` (default: the field itself, else its nearest parent). */
  private fail(path: Path, reason: string, at: Path = path): never {
    const pos = positionOf(this.doc, this.lc, at, "value");
    throw new GatewayConfigError(this.file, pos.line, pos.col, path.join("."), reason);
  }
}
