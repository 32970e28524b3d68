/**
 * `buf build` once per set of inputs: the image of the current directory is cached under
 * a hash of everything buf reads (buf.yaml, buf.lock, every .proto of the modules, and
 * the buf binary), so `envoy validate` and `envoy generate --check` in a repository skip
 * the compiler while the protos are unchanged. Any change gives a new key, hence a build.
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { readSimpleYaml } from "../yaml/simple.js";

/** Folders never searched for .proto files when buf.yaml names no module paths. */
const SKIP = new Set(["node_modules", "dist", ".git", ".venv"]);

/**
 * The module folders of a buf.yaml (v2 `modules[].path`), or the folder itself. Read with the
 * fast YAML reader (the yaml library would be loaded for this alone): a buf.yaml it declines,
 * or one whose module paths it cannot take as text, hashes the whole folder, which is never
 * less than buf reads (buf reports a broken buf.yaml itself).
 */
function moduleRoots(cwd: string, bufYaml: string): string[] {
  const doc = readSimpleYaml(bufYaml)?.json as { modules?: unknown } | null | undefined;
  const modules = doc?.modules;
  if (!Array.isArray(modules) || modules.length === 0) return [cwd];
  const paths = modules.map((m: unknown) =>
    typeof m === "object" && m !== null ? (m as { path?: unknown }).path : undefined,
  );
  if (!paths.every((p): p is string => typeof p === "string")) return [cwd];
  return paths.map((p) => join(cwd, p));
}

function protoFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    if (e.startsWith(".") || SKIP.has(e)) return [];
    const p = join(dir, e);
    if (e.endsWith(".proto")) return [p];
    return statSync(p).isDirectory() ? protoFiles(p) : [];
  });
}

/** The cache key of `buf build` in `cwd` with the binary `buf`. */
export function imageKey(cwd: string, buf: string): string {
  const hash = createHash("sha256");
  const bufYaml = readFileSync(join(cwd, "buf.yaml"), "utf8");
  const add = (name: string, data: string | Buffer) => {
    hash.update(`${name}\0${data.length}\0`);
    hash.update(data);
  };
  add("buf.yaml", bufYaml);
  for (const extra of ["buf.lock", "buf.work.yaml"]) {
    const p = join(cwd, extra);
    if (existsSync(p)) add(extra, readFileSync(p));
  }
  for (const root of moduleRoots(cwd, bufYaml))
    for (const f of protoFiles(root)) add(relative(cwd, f), readFileSync(f));
  const bin = statSync(buf);
  add("buf", `${buf}:${bin.size}:${bin.mtimeMs}`);
  return hash.digest("hex");
}

/**
 * Where cached images (or, `kind` "outlines", their outlines) live: the project's
 * node_modules/.cache, else the temp folder.
 */
export function cacheDir(cwd: string, kind: "images" | "outlines" = "images"): string {
  const modules = join(cwd, "node_modules");
  return existsSync(modules)
    ? join(modules, ".cache", "grpc-web-oidc", kind)
    : join(tmpdir(), `grpc-web-oidc-${kind}`);
}

/** The cached entry for `key` (an image, `.binpb`, unless `ext` says otherwise), or undefined. */
export function readCached(dir: string, key: string, ext = "binpb"): Buffer | undefined {
  try {
    return readFileSync(join(dir, `${key}.${ext}`));
  } catch {
    return undefined;
  }
}

/** Stores an entry (an image unless `ext` says otherwise); a failure to cache never fails the command. */
export function writeCached(dir: string, key: string, data: Uint8Array, ext = "binpb"): void {
  try {
    mkdirSync(dir, { recursive: true });
    // Write then rename: a concurrent reader sees the whole image or none.
    const tmp = join(dir, `${key}.${process.pid}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(dir, `${key}.${ext}`));
  } catch {
    // Read-only node_modules, full disk: the next run builds again.
  }
}
