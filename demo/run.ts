/**
 * `npm run demo`: the whole demo stack on the fixed default ports, each
 * overridable by its environment variable (see README, "Demo"). Takes the
 * production path (Envoy) by default, installing the project-local Envoy when
 * none is found; prints every URL, the path the API calls take, where the logs
 * are, and a ready line (demo/banner.ts). One Ctrl-C stops everything; a
 * second one, a second or more later, forces the exit.
 *
 * Env: GWO_WEB_PORT, GWO_GRPC_WEB_PORT, GWO_BACKEND_PORT, GWO_IDP_PORT,
 * GWO_ENVOY_PORT, GWO_ENVOY_ADMIN_PORT, GWO_TOKEN_TTL, GWO_RENEW_WINDOW,
 * GWO_CERT_DIR, GWO_LOG_DIR, GWO_ENVOY (auto | on | off), GWO_WEB_MODE (static | dev),
 * GWO_DPOP (on | off), GWO_SESSION (bff | off).
 *
 * Run it with `node --import tsx` (as the npm script does), not the `tsx` CLI: the CLI relays
 * SIGINT to its child and sends it again ~30 ms later, which read as a second Ctrl-C.
 */
import { banner } from "./banner.js";
import { ensureEnvoy } from "./envoy-install.js";
import { IdpConfigError } from "./idp/server.js";
import { DEFAULT_LOG_DIR, openDemoLogs } from "./logs.js";
import { resolveModes } from "./modes.js";
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
import { listenForStop } from "./stop-signals.js";

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

/**
 * An on/off switch from the environment (`on|1|true`, `off|0|false`); with `auto`, also
 * "auto". Unset or empty means `fallback` (`unset`: undefined, the caller's default applies).
 */
function onOff(name: string, fallback: "unset"): boolean | undefined;
function onOff(name: string, fallback: "auto", auto: true): boolean | "auto";
function onOff(
  name: string,
  fallback: "unset" | "auto",
  auto = false,
): boolean | "auto" | undefined {
  const raw = process.env[name] ?? "";
  if (raw === "" && fallback === "unset") return undefined;
  const value = (raw === "" ? fallback : raw).toLowerCase();
  if (auto && value === "auto") return "auto";
  if (["on", "1", "true"].includes(value)) return true;
  if (["off", "0", "false"].includes(value)) return false;
  throw new UsageError(`${name}=${raw}: use ${auto ? "auto, " : ""}on or off`);
}

/** GWO_SESSION: `bff` (session mode: the gateway holds the tokens) or `off` (token mode, default). */
function sessionMode(raw: string | undefined): boolean {
  const value = (raw ?? "").toLowerCase();
  if (value === "" || value === "off" || value === "token") return false;
  if (value === "bff" || value === "on") return true;
  throw new UsageError(`GWO_SESSION=${raw}: use bff or off`);
}

function optionalNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new UsageError(`${name}=${raw} is not a whole number of seconds`);
  return n;
}

async function main(): Promise<number> {
  const stop = listenForStop();
  let ports: StackPorts;
  let envoy: boolean | "auto";
  let tokenTtl: number | undefined;
  let renewWindow: number | undefined;
  let dpop: boolean;
  let session: boolean;
  try {
    ports = portsFromEnv(process.env);
    envoy = onOff("GWO_ENVOY", "auto", true);
    tokenTtl = optionalNumber("GWO_TOKEN_TTL");
    renewWindow = optionalNumber("GWO_RENEW_WINDOW");
    // Token mode runs with DPoP unless GWO_DPOP=off; session mode has none (demo/modes.ts).
    ({ session, dpop } = resolveModes({
      session: sessionMode(process.env.GWO_SESSION),
      dpop: onOff("GWO_DPOP", "unset"),
    }));
    if (session && envoy === false)
      throw new UsageError("GWO_SESSION=bff needs Envoy (its oauth2 filter holds the tokens)");
  } catch (err) {
    console.error(`demo: ${(err as Error).message}`);
    return 2;
  }
  const webMode = process.env.GWO_WEB_MODE === "dev" ? "dev" : "static";

  console.log("Starting the demo stack (PKI, web app, IdP, backend, Envoy)…");
  let directReason: string | undefined;
  try {
    await assertPortsFree(ports, "127.0.0.1", envoy !== false);
  } catch (err) {
    return reportStartError(err);
  }
  if (envoy !== false) {
    const found = await ensureEnvoy({ root, progress: (line) => console.log(line) });
    if (stop.requested) return stopped();
    if ("reason" in found) {
      if (envoy === true) {
        console.error(`demo: GWO_ENVOY=on but ${found.reason}`);
        return 1;
      }
      directReason = found.reason;
      console.log(`${found.reason}: taking the direct path (development only).`);
      envoy = false;
    }
  }

  const logs = openDemoLogs(process.env.GWO_LOG_DIR || DEFAULT_LOG_DIR);
  let stack: Stack;
  try {
    stack = await startStack({
      ports,
      envoy,
      webMode,
      envoyLog: logs.envoy,
      backendLog: logs.backend,
      ...(tokenTtl !== undefined ? { tokenTtl } : {}),
      ...(renewWindow !== undefined ? { renewWindow } : {}),
      dpop,
      session,
    });
  } catch (err) {
    await logs.close();
    // Ctrl-C reaches the whole process group: Envoy or the web build may have died of it.
    if (stop.requested) return stopped();
    return reportStartError(err);
  }
  if (!stop.requested) {
    console.log(banner({ stack, logs, ...(directReason ? { directReason } : {}) }));
    await stop.wait;
  }
  await stack.close();
  await logs.close();
  return stopped();
}

function stopped(): number {
  console.log("Stopped.");
  return 0;
}

function reportStartError(err: unknown): number {
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

const root = new URL("..", import.meta.url).pathname;

process.exit(await main());
