/**
 * What `npm run demo` prints once the stack is up: every URL (the Envoy admin one included),
 * the path API calls take, token lifetime and renew window, where the logs are, the dev users,
 * how to trust the development CA, and, last, the ready line.
 */
import { relative } from "node:path";
import { DEV_USERS } from "./idp/users.js";
import type { DemoLogs } from "./logs.js";
import type { Stack } from "./stack.js";

/** The NSS database Chrome and Chromium read on Linux. */
const NSSDB = "$HOME/.pki/nssdb";

/**
 * The Linux step, as one shell line that also works on a machine where Chromium never ran:
 * it creates the NSS database first (empty password) when there is none.
 */
export function linuxTrustStep(caPath: string): string {
  return (
    `mkdir -p "${NSSDB}" && { [ -f "${NSSDB}/cert9.db" ] || certutil -d "sql:${NSSDB}" -N --empty-password; } && ` +
    `certutil -d "sql:${NSSDB}" -A -t "C,," -n grpc-web-oidc-dev -i ${caPath}`
  );
}

/** The one step that makes the browser trust the dev CA, for this OS. */
export function trustInstructions(caPath: string, platform = process.platform): string[] {
  const ca = relative(process.cwd(), caPath) || caPath;
  const step =
    platform === "darwin"
      ? `sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${ca}`
      : platform === "win32"
        ? `certutil -user -addstore Root ${ca}`
        : `${linuxTrustStep(ca)}   # Chrome/Chromium (package libnss3-tools)`;
  return [
    "Trust the development CA once (it signs only these local endpoints):",
    `  ${step}`,
    `  Firefox: Settings → Privacy & Security → Certificates → View Certificates → Authorities → Import ${ca} ("trust this CA to identify websites").`,
    "  Then restart the browser. Rotate with `npm run pki -- --force`.",
  ];
}

export interface BannerInput {
  readonly stack: Stack;
  /** Why the demo runs without Envoy, when it does and the stack does not know (install failed). */
  readonly directReason?: string;
  readonly logs: DemoLogs;
}

export function banner({ stack, directReason, logs }: BannerInput): string {
  const adminPort = stack.envoy?.adminPort;
  const rows: Array<[string, string]> = [
    ["web app", stack.web?.url ?? "(not started)"],
    ["OIDC provider", stack.idp.issuer],
    ["backend gRPC-Web (dev)", `https://localhost:${stack.backend.webPort}`],
    ["backend gRPC (mTLS)", `localhost:${stack.backend.mtlsPort}`],
    ["Envoy", stack.envoy?.url ?? "(not running)"],
    ["Envoy admin", adminPort ? `http://127.0.0.1:${adminPort} (loopback only)` : "(not running)"],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const why = directReason ?? stack.directReason ?? "no Envoy";
  const path =
    stack.path === "envoy"
      ? `Envoy path: browser → Envoy ${stack.apiUrl} → mTLS → backend`
      : `direct path: browser → backend ${stack.apiUrl} (development only; ${why})`;
  const log = (file: string) => {
    const rel = relative(process.cwd(), file);
    return rel && !rel.startsWith("..") ? rel : file;
  };
  const open = stack.web?.url ?? stack.webOrigin;
  return [
    "",
    "grpc-web-oidc demo is running",
    "",
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    "",
    `API calls take the ${path}`,
    stack.session
      ? `Access tokens live ${stack.idp.accessTokenTtl} s (GWO_TOKEN_TTL); Envoy refreshes them on the first call after expiry.`
      : `Access tokens live ${stack.idp.accessTokenTtl} s (GWO_TOKEN_TTL); the app renews them ` +
        `${stack.renewWindow} s before expiry (GWO_RENEW_WINDOW).`,
    stack.session
      ? `Session mode (GWO_SESSION=bff): Envoy's oauth2 filter is the IdP's confidential client and keeps the tokens in HttpOnly cookies; the app never holds a token. Sign in at ${stack.apiUrl}/oauth2/signin, sign out at ${stack.apiUrl}/oauth2/signout.`
      : "Token mode: the app holds the tokens (GWO_SESSION=bff switches to session mode).",
    stack.session
      ? "DPoP: not used in session mode (the browser holds no token; GWO_DPOP applies to token mode)."
      : stack.dpop
        ? "DPoP is on (the default; GWO_DPOP=off turns it off): tokens are bound to a key the page cannot export; every call carries a proof, checked before the backend runs."
        : "DPoP is off (GWO_DPOP=off): the tokens are plain Bearer tokens.",
    `Logs: ${stack.path === "envoy" ? `${log(logs.envoyFile)} (Envoy access log), ` : ""}` +
      `${log(logs.backendFile)} (backend: denials, reloads, refused handshakes).`,
    `Dev users (login / password): ${DEV_USERS.map((u) => `${u.login} / ${u.password}`).join(", ")}`,
    "",
    ...trustInstructions(stack.pki.ca.cert),
    "",
    `Ready: open ${open} — Ctrl-C stops everything.`,
    "",
  ].join("\n");
}
