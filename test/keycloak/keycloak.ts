/**
 * A real Keycloak for tests: the Maven Central distribution that `scripts/setup-keycloak.sh`
 * unpacks into `.keycloak/` (or `KEYCLOAK_HOME`), started in development mode over HTTPS with
 * the project's development certificate on free ports, with an in-memory database (a fresh
 * state every start), and configured only through the admin REST API.
 *
 * First start on 2 cores is about 95 s (Quarkus builds the server once per installation);
 * later starts about 20–25 s.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import { bindAndRelease } from "../../demo/envoy.js";
import type { DevPki } from "../../demo/pki.js";

const root = resolve(new URL("../..", import.meta.url).pathname);

/** `kc.sh` of `KEYCLOAK_HOME`, else of the newest `.keycloak/keycloak-*`; undefined if none. */
export function findKeycloak(): string | undefined {
  const fromEnv = process.env.KEYCLOAK_HOME;
  if (fromEnv) {
    const kc = join(fromEnv, "bin", "kc.sh");
    return existsSync(kc) ? kc : undefined;
  }
  const dir = join(root, ".keycloak");
  if (!existsSync(dir)) return undefined;
  const homes = readdirSync(dir)
    .filter((d) => d.startsWith("keycloak-") && existsSync(join(dir, d, "bin", "kc.sh")))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const newest = homes.at(-1);
  return newest ? join(dir, newest, "bin", "kc.sh") : undefined;
}

export interface RunningKeycloak {
  /** `https://localhost:<port>` */
  readonly url: string;
  readonly port: number;
  /** Milliseconds from spawn to the first answered discovery request. */
  readonly startMs: number;
  /** A fetch that trusts the development CA (for the admin API and token requests). */
  readonly fetch: typeof undiciFetch;
  /** An admin access token from the master realm (fetched anew on each call). */
  adminToken(): Promise<string>;
  /** The last lines Keycloak printed. */
  readonly log: readonly string[];
  close(): Promise<void>;
}

export const ADMIN_USER = "kc-admin";
const ADMIN_PASSWORD = "kc-admin-password";

/** Starts Keycloak and waits until the master realm answers. */
export async function startKeycloak(o: {
  pki: DevPki;
  /** @default 300000 */
  timeoutMs?: number;
}): Promise<RunningKeycloak> {
  const kc = findKeycloak();
  if (!kc) throw new Error("Keycloak not installed: run bash scripts/setup-keycloak.sh");
  const port = await bindAndRelease(0);
  const httpPort = await bindAndRelease(0);
  const managementPort = await bindAndRelease(0);
  const url = `https://localhost:${port}`;
  const started = Date.now();
  const child: ChildProcess = spawn(
    kc,
    [
      "start-dev",
      // A fresh, in-memory database per start: no state leaks between runs.
      "--db=dev-mem",
      `--https-port=${port}`,
      `--https-certificate-file=${o.pki.localhost.cert}`,
      `--https-certificate-key-file=${o.pki.localhost.key}`,
      // Development mode always opens HTTP too; keep it on a free loopback port.
      `--http-port=${httpPort}`,
      "--http-host=127.0.0.1",
      `--http-management-port=${managementPort}`,
      `--hostname=${url}`,
      "--cache=local",
    ],
    {
      env: {
        ...process.env,
        KC_BOOTSTRAP_ADMIN_USERNAME: ADMIN_USER,
        KC_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  const log: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line) continue;
      log.push(line);
      if (log.length > 200) log.shift();
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  let exited = false;
  const exit = new Promise<void>((r) =>
    child.once("exit", () => {
      exited = true;
      r();
    }),
  );
  const agent = new Agent({ connect: { ca: readFileSync(o.pki.ca.cert, "utf8") } });
  const fetch = ((
    input: Parameters<typeof undiciFetch>[0],
    init?: Parameters<typeof undiciFetch>[1],
  ) => undiciFetch(input, { ...init, dispatcher: agent })) as typeof undiciFetch;
  const close = async () => {
    if (!exited && child.pid) {
      // kc.sh execs java in the same process group: end the group, then wait.
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }, 15_000);
      await exit;
      clearTimeout(timer);
    }
    await agent.close();
  };

  const deadline = started + (o.timeoutMs ?? 300_000);
  for (;;) {
    if (exited) {
      await close();
      throw new Error(`Keycloak exited before it was ready:\n${log.slice(-30).join("\n")}`);
    }
    if (Date.now() > deadline) {
      await close();
      throw new Error(`Keycloak not ready in time:\n${log.slice(-30).join("\n")}`);
    }
    try {
      const res = await fetch(`${url}/realms/master/.well-known/openid-configuration`);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const startMs = Date.now() - started;

  const adminToken = async () => {
    const res = await fetch(`${url}/realms/master/protocol/openid-connect/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "password",
        client_id: "admin-cli",
        username: ADMIN_USER,
        password: ADMIN_PASSWORD,
      }),
    });
    if (!res.ok) throw new Error(`admin token: HTTP ${res.status}`);
    return ((await res.json()) as { access_token: string }).access_token;
  };
  return { url, port, startMs, fetch, adminToken, log, close };
}
