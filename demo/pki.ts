/**
 * Development PKI, made with the openssl CLI on first run (and by `npm run pki`).
 *
 * Two roots, so that trusting the web CA in a browser never lets anything
 * into the mesh:
 *   - `ca`: the development web CA. Signs `localhost`, the one server certificate
 *     every local HTTPS endpoint uses (web app, IdP, gRPC-Web dev listener, Envoy).
 *   - `meshCa`: the gateway/mesh CA. Signs the backend's mTLS server certificate and
 *     the gateway's client certificate (the identity Envoy presents to the backend).
 * Keys are ECDSA P-256, written with mode 0600; the folder is git-ignored.
 * Rotation is a re-run with `force` (or deleting the folder).
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes, X509Certificate } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Paths to a PEM certificate and its PEM private key. */
export interface CertPair {
  readonly cert: string;
  readonly key: string;
}

export interface DevPki {
  readonly dir: string;
  /** Development web CA (what a browser trusts for the local endpoints). */
  readonly ca: CertPair;
  /** Gateway/mesh CA: signs the backend's server certificate and the gateway's client certificate. */
  readonly meshCa: CertPair;
  /** Server certificate for every local HTTPS endpoint: SAN localhost, 127.0.0.1, ::1. */
  readonly localhost: CertPair;
  /** The backend's mTLS server certificate (SAN `BACKEND_DNS`, localhost, 127.0.0.1, ::1, `BACKEND_SPIFFE`). */
  readonly backend: CertPair;
  /** The gateway's client certificate (SAN `GATEWAY_SPIFFE`). */
  readonly gateway: CertPair;
  /** base64 SHA-256 of the localhost certificate's SPKI (Chromium `--ignore-certificate-errors-spki-list`). */
  readonly localhostSpki: string;
  /** base64 SHA-256 of the web CA's SPKI. */
  readonly caSpki: string;
  /** Shared secrets (session mode), one file each, mode 0600, made on first use. */
  readonly secrets: DevSecrets;
}

/**
 * Session mode's secrets, as files the way a Kubernetes Secret is mounted: Envoy reads them
 * through SDS (never inline in its config), the demo IdP reads the client secret.
 */
export interface DevSecrets {
  /** The folder holding them (`<pki>/secrets`), what Envoy's SDS watches. */
  readonly dir: string;
  /** The gateway's OAuth client secret (confidential client at the IdP). */
  readonly gatewayClientSecret: string;
  /** The key Envoy's oauth2 filter signs (HMAC) and encrypts its session cookies with. */
  readonly sessionHmac: string;
}

export const BACKEND_DNS = "backend.grpc-web-oidc.local";
export const BACKEND_SPIFFE = "spiffe://grpc-web-oidc.local/backend";
export const GATEWAY_SPIFFE = "spiffe://grpc-web-oidc.local/gateway";
export const DEFAULT_PKI_DIR = resolve(new URL("..", import.meta.url).pathname, ".certs");

export interface IssueOptions {
  /** The issuing CA. */
  readonly ca: CertPair;
  /** Output folder; files are `<name>.crt` and `<name>.key`. */
  readonly dir: string;
  readonly name: string;
  /** `server` (serverAuth), `client` (clientAuth) or `both`. */
  readonly usage: "server" | "client" | "both";
  /** Subject common name. @default name */
  readonly cn?: string;
  /** SANs in openssl syntax, e.g. `DNS:localhost`, `IP:127.0.0.1`, `URI:spiffe://x/y`. Empty: no SAN extension. */
  readonly sans: readonly string[];
  /** @default now - 1 hour */
  readonly notBefore?: Date;
  /** @default notBefore + 825 days */
  readonly notAfter?: Date;
}

/** Creates a self-signed CA (10 years). */
export function createCa(dir: string, name: string, cn: string): CertPair {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  genKey(key);
  openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    key,
    "-sha256",
    "-days",
    "3650",
    "-subj",
    `/O=grpc-web-oidc development/CN=${cn}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE,pathlen:0",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-addext",
    "subjectKeyIdentifier=hash",
    "-out",
    cert,
  ]);
  return { cert, key };
}

/** Issues a leaf certificate signed by `ca`, with explicit validity (past dates allowed, for tests). */
export function issueCert(o: IssueOptions): CertPair {
  mkdirSync(o.dir, { recursive: true });
  const key = join(o.dir, `${o.name}.key`);
  const cert = join(o.dir, `${o.name}.crt`);
  genKey(key);
  const notBefore = o.notBefore ?? new Date(Date.now() - 3600_000);
  const notAfter = o.notAfter ?? new Date(notBefore.getTime() + 825 * 86400_000);
  const work = mkdtempSync(join(tmpdir(), "gwo-ca-"));
  try {
    const csr = join(work, "leaf.csr");
    openssl([
      "req",
      "-new",
      "-key",
      key,
      "-subj",
      `/O=grpc-web-oidc development/CN=${o.cn ?? o.name}`,
      "-out",
      csr,
    ]);
    const eku = { server: "serverAuth", client: "clientAuth", both: "serverAuth,clientAuth" }[
      o.usage
    ];
    const ext = [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      `extendedKeyUsage=${eku}`,
      "subjectKeyIdentifier=hash",
      "authorityKeyIdentifier=keyid",
      ...(o.sans.length ? [`subjectAltName=${o.sans.join(",")}`] : []),
    ];
    writeFileSync(join(work, "index.txt"), "");
    writeFileSync(join(work, "serial"), "01\n");
    writeFileSync(
      join(work, "ca.cnf"),
      [
        "[ca]",
        "default_ca = dev",
        "[dev]",
        `dir = ${work}`,
        "database = $dir/index.txt",
        "serial = $dir/serial",
        "new_certs_dir = $dir",
        "default_md = sha256",
        "policy = any",
        "email_in_dn = no",
        "unique_subject = no",
        "copy_extensions = none",
        "x509_extensions = leaf",
        "[any]",
        "O = optional",
        "CN = supplied",
        "[leaf]",
        ...ext,
        "",
      ].join("\n"),
    );
    openssl([
      "ca",
      "-batch",
      "-notext",
      "-config",
      join(work, "ca.cnf"),
      "-cert",
      o.ca.cert,
      "-keyfile",
      o.ca.key,
      "-rand_serial",
      "-startdate",
      asn1Time(notBefore),
      "-enddate",
      asn1Time(notAfter),
      "-in",
      csr,
      "-out",
      cert,
    ]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { cert, key };
}

/** Creates the development PKI in `dir` unless it is already there and valid for 7 more days. */
export function ensureDevPki(
  dir: string = DEFAULT_PKI_DIR,
  options: { force?: boolean } = {},
): DevPki {
  const pki = layout(dir);
  if (options.force || !isCurrent(pki)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    createCa(dir, "ca", "grpc-web-oidc development web CA");
    createCa(dir, "mesh-ca", "grpc-web-oidc development gateway CA");
    const local = ["DNS:localhost", "IP:127.0.0.1", "IP:::1"];
    issueCert({ ca: pki.ca, dir, name: "localhost", usage: "server", sans: local });
    issueCert({
      ca: pki.meshCa,
      dir,
      name: "backend",
      usage: "server",
      sans: [`DNS:${BACKEND_DNS}`, ...local, `URI:${BACKEND_SPIFFE}`],
    });
    issueCert({
      ca: pki.meshCa,
      dir,
      name: "gateway",
      usage: "client",
      sans: [`URI:${GATEWAY_SPIFFE}`],
    });
  }
  return {
    ...pki,
    localhostSpki: spkiHash(pki.localhost.cert),
    caSpki: spkiHash(pki.ca.cert),
    secrets: ensureDevSecrets(join(dir, "secrets")),
  };
}

/** Creates each missing secret file: 32 random bytes, base64url, mode 0600. Existing ones are kept. */
export function ensureDevSecrets(dir: string): DevSecrets {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secrets: DevSecrets = {
    dir,
    gatewayClientSecret: join(dir, "gateway-client-secret"),
    sessionHmac: join(dir, "session-hmac"),
  };
  for (const file of [secrets.gatewayClientSecret, secrets.sessionHmac]) {
    if (existsSync(file)) continue;
    writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
  }
  return secrets;
}

/** base64 SHA-256 of a certificate's SubjectPublicKeyInfo. */
export function spkiHash(certPath: string): string {
  const x = new X509Certificate(readFileSync(certPath));
  const spki = x.publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

function layout(dir: string) {
  const pair = (name: string): CertPair => ({
    cert: join(dir, `${name}.crt`),
    key: join(dir, `${name}.key`),
  });
  return {
    dir,
    ca: pair("ca"),
    meshCa: pair("mesh-ca"),
    localhost: pair("localhost"),
    backend: pair("backend"),
    gateway: pair("gateway"),
  };
}

function isCurrent(p: ReturnType<typeof layout>): boolean {
  const weekAhead = Date.now() + 7 * 86400_000;
  for (const pair of [p.ca, p.meshCa, p.localhost, p.backend, p.gateway]) {
    if (!existsSync(pair.cert) || !existsSync(pair.key)) return false;
    try {
      if (new Date(new X509Certificate(readFileSync(pair.cert)).validTo).getTime() < weekAhead) {
        return false;
      }
    } catch {
      return false;
    }
  }
  return true;
}

function genKey(path: string): void {
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path]);
  chmodSync(path, 0o600);
}

function asn1Time(d: Date): string {
  return `${d.toISOString().replace(/[-:T]/g, "").slice(0, 14)}Z`;
}

function openssl(args: string[]): void {
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || String(err)}`);
  }
}
