/**
 * `buf build` once per set of inputs: the image of the current directory is cached under
 * a hash of everything buf reads (buf.yaml, buf.lock, every .proto of the modules, and
 * the buf binary), so `envoy validate` and `envoy generate --check` in a repository skip
 * the compiler while the protos are unchanged. Any change gives a new key, hence a build.
 *
 * The key of the last build is kept with the stat of every input (size, modification and
 * change times in ns, inode: what git's index trusts): while no stat changed, the key is
 * taken from there without reading and hashing the inputs, so a cached run loads neither
 * the protos nor node:crypto.
 */
import type { Hash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { readSimpleYaml } from "../yaml/simple.js";

/**
 * A SHA-256 hash. node:crypto is required here, not imported: loading it is a noticeable part
 * of a cached command's start-up, and a cached run never hashes.
 */
export function sha256(): Hash {
  const crypto = createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto");
  return crypto.createHash("sha256");
}

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

/** The files `buf build` in `cwd` reads: buf.yaml, then buf.lock and buf.work.yaml if present, then the .proto files. */
function inputFiles(cwd: string): string[] {
  const files = [join(cwd, "buf.yaml")];
  for (const extra of ["buf.lock", "buf.work.yaml"]) {
    const p = join(cwd, extra);
    if (existsSync(p)) files.push(p);
  }
  const bufYaml = readFileSync(join(cwd, "buf.yaml"), "utf8");
  for (const root of moduleRoots(cwd, bufYaml)) files.push(...protoFiles(root));
  return files;
}

/** The cache key of `buf build` in `cwd` with the binary `buf`. */
export function imageKey(cwd: string, buf: string): string {
  const hash = sha256();
  const add = (name: string, data: string | Buffer) => {
    hash.update(`${name}\0${data.length}\0`);
    hash.update(data);
  };
  for (const f of inputFiles(cwd)) {
    const name = relative(cwd, f);
    add(name, name === "buf.yaml" ? readFileSync(f, "utf8") : readFileSync(f));
  }
  const bin = statSync(buf);
  add("buf", `${buf}:${bin.size}:${bin.mtimeMs}`);
  return hash.digest("hex");
}

const STAMPS = "stamps.json";

/** Each input's name and stat, one line each: equal text, unchanged inputs. */
function stamps(cwd: string, buf: string): string {
  const stat = (p: string) => {
    const s = statSync(p, { bigint: true });
    return `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}`;
  };
  const lines = inputFiles(cwd).map((f) => `${relative(cwd, f)}\0${stat(f)}`);
  lines.push(`${buf}\0${stat(buf)}`);
  return lines.join("\n");
}

/**
 * {@link imageKey}, taken from the stamps file in `dir` while no input's stat changed since it
 * was written; otherwise computed and recorded there.
 */
export function cachedImageKey(cwd: string, buf: string, dir: string): string {
  const now = stamps(cwd, buf);
  try {
    const last = JSON.parse(readFileSync(join(dir, STAMPS), "utf8")) as {
      stamps?: unknown;
      key?: unknown;
    };
    if (last.stamps === now && typeof last.key === "string" && /^[0-9a-f]{64}$/.test(last.key))
      return last.key;
  } catch {
    // no stamps yet, or a damaged file: compute
  }
  const key = imageKey(cwd, buf);
  writeAtomically(dir, STAMPS, JSON.stringify({ stamps: now, key }));
  return key;
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
  writeAtomically(dir, `${key}.${ext}`, data);
}

function writeAtomically(dir: string, name: string, data: string | Uint8Array): void {
  try {
    mkdirSync(dir, { recursive: true });
    // Write then rename: a concurrent reader sees the whole file or none.
    const tmp = join(dir, `${name}.${process.pid}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(dir, name));
  } catch {
    // Read-only node_modules, full disk: the next run builds again.
  }
}
