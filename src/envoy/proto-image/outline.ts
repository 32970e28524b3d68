/**
 * The services of a `buf build` image as the access policy needs them (access/outline.ts),
 * cached. Decoding an image needs the protobuf-es runtime (load.ts), which costs a command
 * more than the rest of `envoy validate` together; the outline of an image is a pure function
 * of its bytes, so a run whose image was seen before reads the outline instead. A given image
 * file is keyed by a hash of its bytes; the image of `buf build` in the current directory by
 * the image cache's key (a hash of everything buf reads, cache.ts), so a cached run reads
 * neither the image nor the protos. The key also names this package's version and the outline
 * format: another version of the code outlines afresh.
 */
import { createRequire } from "node:module";
import type { MethodOutline, ServiceOutline } from "../../access/outline.js";
import { cacheDir, readCached, sha256, writeCached } from "./cache.js";
import { bufImage, type ImageOptions, readImage } from "./image.js";

/** Bump when what an outline holds changes. */
const OUTLINE_FORMAT = "outline-1";
const EXT = "json";

/** This package's version (the file is two folders up from both src/ and dist/ modules). */
function packageVersion(): string {
  try {
    const pkg = createRequire(import.meta.url)("../../../package.json") as { version?: string };
    return String(pkg.version);
  } catch {
    return "unknown";
  }
}

/** The cache key of an image's outline. */
export function outlineKey(bytes: Uint8Array): string {
  return sha256().update(`${OUTLINE_FORMAT}\0${packageVersion()}\0`).update(bytes).digest("hex");
}

/** The cache key of the outline of the image cached under `imageKey`. */
function bufOutlineKey(imageKey: string): string {
  return `buf-${imageKey}-${OUTLINE_FORMAT}-${packageVersion().replace(/[^\w.+-]/g, "_")}`;
}

/**
 * The outlined services of an image (or of `buf build` in `options.cwd`), sorted by name as
 * loadServices sorts them. Throws ProtoImageError as loadServices does; an outline is cached
 * only for an image that loaded.
 */
export async function loadServiceOutlines(
  image?: string,
  options: ImageOptions = {},
): Promise<ServiceOutline[]> {
  const cwd = options.cwd ?? process.cwd();
  const built = image ? undefined : bufImage(cwd, options.cache);
  let read: Uint8Array | undefined;
  const bytes = () => (read ??= built ? built.bytes() : readImage(image, options));
  const dir = options.cache === false ? undefined : cacheDir(cwd, "outlines");
  const key = dir && (built?.key ? bufOutlineKey(built.key) : outlineKey(bytes()));
  const cached = dir && key ? parseOutlines(readCached(dir, key, EXT)) : undefined;
  if (cached) return cached;
  const [{ servicesOf }, { outlineService }] = await Promise.all([
    import("./load.js"),
    import("../../access/policy.js"),
  ]);
  const outlines = servicesOf(bytes(), image).map(outlineService);
  if (dir && key) writeCached(dir, key, Buffer.from(JSON.stringify(outlines)), EXT);
  return outlines;
}

const KINDS = new Set(["unary", "server_streaming", "client_streaming", "bidi_streaming"]);

/** A cached outline list, checked for shape (a damaged file reads as a miss). */
function parseOutlines(data: Buffer | undefined): ServiceOutline[] | undefined {
  if (!data) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data.toString("utf8"));
  } catch {
    return undefined;
  }
  const isStrings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === "string");
  const isMethod = (m: unknown): m is MethodOutline => {
    if (typeof m !== "object" || m === null) return false;
    const { name, kind, access } = m as Record<string, unknown>;
    if (typeof name !== "string" || !KINDS.has(kind as string)) return false;
    if (access === undefined) return true;
    if (typeof access !== "object" || access === null) return false;
    const a = access as Record<string, unknown>;
    return (
      typeof a.public === "boolean" &&
      typeof a.authenticated === "boolean" &&
      isStrings(a.scopes) &&
      isStrings(a.roles)
    );
  };
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (s) =>
        typeof s === "object" &&
        s !== null &&
        typeof (s as ServiceOutline).typeName === "string" &&
        Array.isArray((s as ServiceOutline).methods) &&
        (s as ServiceOutline).methods.every(isMethod),
    );
  return ok ? (value as ServiceOutline[]) : undefined;
}
