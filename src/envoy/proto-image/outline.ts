/**
 * The services of a `buf build` image as the access policy needs them (access/outline.ts),
 * cached under a hash of the image's bytes. Decoding an image needs the protobuf-es runtime
 * (load.ts), which costs a command more than the rest of `envoy validate` together; the
 * outline of an image is a pure function of its bytes, so a run whose image was seen before
 * reads the outline instead. The key also names this package's version and the outline
 * format: another version of the code outlines afresh.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type { MethodOutline, ServiceOutline } from "../../access/outline.js";
import { cacheDir, readCached, writeCached } from "./cache.js";
import { type ImageOptions, readImage } from "./image.js";

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
  return createHash("sha256")
    .update(`${OUTLINE_FORMAT}\0${packageVersion()}\0`)
    .update(bytes)
    .digest("hex");
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
  const bytes = readImage(image, options);
  const dir =
    options.cache === false ? undefined : cacheDir(options.cwd ?? process.cwd(), "outlines");
  const key = dir ? outlineKey(bytes) : "";
  const cached = dir ? parseOutlines(readCached(dir, key, EXT)) : undefined;
  if (cached) return cached;
  const [{ servicesOf }, { outlineService }] = await Promise.all([
    import("./load.js"),
    import("../../access/policy.js"),
  ]);
  const outlines = servicesOf(bytes, image).map(outlineService);
  if (dir) writeCached(dir, key, Buffer.from(JSON.stringify(outlines)), EXT);
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
