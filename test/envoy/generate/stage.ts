import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { findEnvoy } from "../../../src/envoy/index.js";
import { repoRoot } from "../../helpers/buf.js";

/** The Envoy binary the tests use, when there is one (ENVOY_BIN, PATH, .venv/envoy). */
export const envoyBin = findEnvoy(repoRoot);

/** A generated bundle as text: the bootstrap and its SDS files by name. */
export interface BundleText {
  readonly envoyYaml: string;
  readonly sds: Readonly<Record<string, string>>;
}

/** The checked-in bundle, `envoy/envoy.yaml` and `envoy/sds/*.yaml`. */
export function checkedInBundle(): BundleText {
  const dir = join(repoRoot, "envoy");
  const sds = Object.fromEntries(
    readdirSync(join(dir, "sds")).map((f) => [f, readFileSync(join(dir, "sds", f), "utf8")]),
  );
  return { envoyYaml: readFileSync(join(dir, "envoy.yaml"), "utf8"), sds };
}

/**
 * Lays a bundle out in `dir` as it would be mounted, with `/etc/envoy` mapped
 * to `dir`: the SDS files in `sds/`, and an empty file for every certificate
 * and key they name (Envoy's validate mode needs the files, not their content).
 * Returns the path of the staged `envoy.yaml`.
 */
export function stageBundle(dir: string, bundle: BundleText): string {
  const map = (text: string) => text.replaceAll("/etc/envoy", dir);
  mkdirSync(join(dir, "sds"), { recursive: true });
  for (const [f, text] of Object.entries(bundle.sds)) {
    const staged = map(text);
    writeFileSync(join(dir, "sds", f), staged);
    for (const m of staged.matchAll(/^\s*filename: (\S+)$/gm)) {
      const file = m[1] as string;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, "");
    }
    for (const m of staged.matchAll(/^\s*path: (\S+)$/gm))
      mkdirSync(m[1] as string, { recursive: true });
  }
  const config = join(dir, "envoy.yaml");
  writeFileSync(config, map(bundle.envoyYaml));
  return config;
}

/** Runs `envoy --mode validate` on a staged config; its exit status and output. */
export function envoyValidate(config: string): { status: number; output: string } {
  if (!envoyBin) throw new Error("no envoy binary");
  const r = spawnSync(
    envoyBin.path,
    ["--mode", "validate", "-c", config, "-l", "warning", "--disable-hot-restart"],
    { encoding: "utf8" },
  );
  return { status: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}
