/**
 * `npm run demo`: the whole demo stack on the fixed default ports, each
 * overridable by its environment variable (see README, "Demo"). Prints every
 * URL, the one to open, the path the API calls take (Envoy or direct), the
 * dev users and how to trust the development CA. Ctrl-C stops everything;
 * a second Ctrl-C forces the exit.
 *
 * Env: GWO_WEB_PORT, GWO_GRPC_WEB_PORT, GWO_BACKEND_PORT, GWO_IDP_PORT,
 * GWO_ENVOY_PORT, GWO_TOKEN_TTL, GWO_RENEW_WINDOW, GWO_CERT_DIR,
 * GWO_ENVOY (auto | on | off), GWO_WEB_MODE (static | dev), GWO_DPOP (on | off).
 */
import { relative } from "node:path";
import { IdpConfigError } from "./idp/server.js";
import { DEV_USERS } from "./idp/users.js";
import {
  assertPortsFree,
  DEMO_PORTS,
  EnvoyUnavailableError,
  PORT_ENV,
  PortInUseError,
  type Stack,
  type StackPorts,
  startStack,
} from "./stack.js";

class UsageError extends Error {
  override readonly name = "UsageError";
}

function portsFromEnv(env: NodeJS.ProcessEnv): StackPorts {
  const ports = { ...DEMO_PORTS };
  for (const key of Object.keys(PORT_ENV) as Array<keyof StackPorts>) {
    const name = PORT_ENV[key];
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw new UsageError(`${name}=${raw} is not a port number (1-65535, or 0 for any free port)`);
    }
    ports[key] = n;
  }
  return ports;
}

/** GWO_DPOP: on | off (default off until DPoP is proven in more deployments). */
function dpopMode(raw: string | undefined): boolean {
  switch ((raw ?? "off").toLowerCase()) {
    case "on":
    case "1":
    case "true":
      return true;
    case "off":
    case "0":
    case "false":
    case "":
      return false;
    default:
      throw new UsageError(`GWO_DPOP=${raw}: use on or off`);
  }
}

function envoyMode(raw: string | undefined): boolean | "auto" {
  switch ((raw ?? "auto").toLowerCase()) {
    case "auto":
    case "":
      return "auto";
    case "on":
    case "1":
    case "true":
      return true;
    case "off":
    case "0":
    case "false":
      return false;
    default:
      throw new UsageError(`GWO_ENVOY=${raw}: use auto, on or off`);
  }
}

function optionalNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new UsageError(`${name}=${raw} is not a whole number of seconds`);
  return n;
}

/** The one step that makes the browser trust the dev CA, for this OS. */
function trustInstructions(caPath: string): string[] {
  const ca = relative(process.cwd(), caPath) || caPath;
  const step =
    process.platform === "darwin"
      ? `sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${ca}`
      : process.platform === "win32"
        ? `certutil -user -addstore Root ${ca}`
        : `certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n grpc-web-oidc-dev -i ${ca}   # Chrome/Chromium (package libnss3-tools)`;
  return [
    "Trust the development CA once (it signs only these local endpoints):",
    `  ${step}`,
    `  Firefox: Settings → Privacy & Security → Certificates → View Certificates → Authorities → Import ${ca} ("trust this CA to identify websites").`,
    "  Then restart the browser. Rotate with `npm run pki -- --force`.",
  ];
}

function banner(stack: Stack): string {
  const rows: Array<[string, string]> = [
    ["web app", stack.web?.url ?? "(not started)"],
    ["OIDC provider", stack.idp.issuer],
    ["backend gRPC-Web (dev)", `https://localhost:${stack.backend.webPort}`],
    ["backend gRPC (mTLS)", `localhost:${stack.backend.mtlsPort}`],
    ["Envoy", stack.envoy?.url ?? "(not running)"],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const path =
    stack.path === "envoy"
      ? `Envoy path: browser → Envoy ${stack.apiUrl} → mTLS → backend`
      : `direct path: browser → backend ${stack.apiUrl} (development only; ${stack.directReason ?? "no Envoy"})`;
  return [
    "",
    "grpc-web-oidc demo is running",
    "",
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    "",
    `API calls take the ${path}`,
    `Access tokens live ${stack.idp.accessTokenTtl}s (GWO_TOKEN_TTL).`,
    stack.dpop
      ? "DPoP is on (GWO_DPOP=on): tokens are bound to a key the page cannot export; every call carries a proof, checked before the backend runs."
      : "DPoP is off (GWO_DPOP=on turns it on).",
    `Dev users (login / password): ${DEV_USERS.map((u) => `${u.login} / ${u.password}`).join(", ")}`,
    "",
    ...trustInstructions(stack.pki.ca.cert),
    "",
    `Open ${stack.web?.url ?? stack.webOrigin}`,
    "Ctrl-C stops everything.",
    "",
  ].join("\n");
}

async function main(): Promise<number> {
  let ports: StackPorts;
  let envoy: boolean | "auto";
  let tokenTtl: number | undefined;
  let renewWindow: number | undefined;
  let dpop: boolean;
  try {
    ports = portsFromEnv(process.env);
    envoy = envoyMode(process.env.GWO_ENVOY);
    tokenTtl = optionalNumber("GWO_TOKEN_TTL");
    renewWindow = optionalNumber("GWO_RENEW_WINDOW");
    dpop = dpopMode(process.env.GWO_DPOP);
  } catch (err) {
    console.error(`demo: ${(err as Error).message}`);
    return 2;
  }
  const webMode = process.env.GWO_WEB_MODE === "dev" ? "dev" : "static";

  console.log("Starting the demo stack (PKI, web app, IdP, backend, Envoy if available)…");
  let stack: Stack;
  try {
    await assertPortsFree(ports, "127.0.0.1", envoy !== false);
    stack = await startStack({
      ports,
      envoy,
      webMode,
      ...(tokenTtl !== undefined ? { tokenTtl } : {}),
      ...(renewWindow !== undefined ? { renewWindow } : {}),
      dpop,
    });
  } catch (err) {
    if (err instanceof PortInUseError) {
      console.error(
        `demo: port ${err.port} (${err.service}) is already in use. ` +
          `Stop what uses it, or pick another port: ${err.envVar}=<port> npm run demo`,
      );
    } else if (err instanceof IdpConfigError || err instanceof EnvoyUnavailableError) {
      console.error(`demo: ${err.message}`);
    } else {
      console.error("demo: failed to start:", err);
    }
    return 1;
  }
  console.log(banner(stack));

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        console.error(`\n${signal} again: forcing exit.`);
        process.exit(130);
      }
      stopping = true;
      console.log(`\n${signal}: stopping (press Ctrl-C again to force)…`);
      void stack.close().then(() => {
        console.log("Stopped.");
        resolve(0);
      });
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

process.exit(await main());
