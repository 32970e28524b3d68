/**
 * The bytes of a `buf build` image: a file given by the user, or `buf build` run in the
 * current directory through the image cache (cache.ts). No protobuf runtime here: decoding
 * is load.ts's job, and the CLI skips it when it has the image's outline (outline.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { ProtoImageError } from "../errors.js";
import { cacheDir, cachedImageKey, readCached, writeCached } from "./cache.js";

/** Where an image comes from: a file, or `buf build` in `cwd` (cached in `cache`; `false`: off). */
export interface ImageOptions {
  readonly cwd?: string;
  readonly cache?: string | false;
}

/** The image file's bytes, or `buf build`'s output for `options.cwd` when no file is given. */
export function readImage(image: string | undefined, options: ImageOptions = {}): Uint8Array {
  if (!image) return bufImage(options.cwd ?? process.cwd(), options.cache).bytes();
  try {
    return readFileSync(image);
  } catch (err) {
    throw new ProtoImageError(`${image}: cannot read proto image: ${(err as Error).message}`);
  }
}

/** The image of `buf build` in a folder: its cache key (undefined with the cache off) and its bytes. */
export interface BufImage {
  readonly key: string | undefined;
  /** The cached image, else `buf build`'s output (then cached). */
  bytes(): Uint8Array;
}

/**
 * `buf build` in `cwd`, through the image cache (`cache`: its folder; `false`: off). Throws
 * ProtoImageError when there is no buf.yaml or no buf binary.
 */
export function bufImage(cwd: string, cache?: string | false): BufImage {
  if (!existsSync(join(cwd, "buf.yaml"))) {
    throw new ProtoImageError("no --proto-image given and no buf.yaml in the current directory");
  }
  const candidates = [
    join(cwd, "node_modules", ".bin", "buf"),
    ...(process.env.PATH ?? "").split(delimiter).map((d) => join(d, "buf")),
  ];
  const buf = candidates.find((c) => existsSync(c));
  if (!buf)
    throw new ProtoImageError(
      "no --proto-image given and `buf` was not found (npm i -D @bufbuild/buf)",
    );
  const dir = cache === false ? undefined : (cache ?? cacheDir(cwd));
  const key = dir ? cachedImageKey(cwd, buf, dir) : undefined;
  return {
    key,
    bytes: () => (dir && key ? readCached(dir, key) : undefined) ?? bufBuild(cwd, buf, dir, key),
  };
}

function bufBuild(cwd: string, buf: string, dir?: string, key?: string): Uint8Array {
  // Required only here: node:child_process (with net and the streams) is a large part of a
  // cached run's start-up otherwise.
  const { execFileSync } = createRequire(import.meta.url)(
    "node:child_process",
  ) as typeof import("node:child_process");
  const work = mkdtempSync(join(tmpdir(), "gwo-image-"));
  try {
    const out = join(work, "image.binpb");
    execFileSync(buf, ["build", "--exclude-source-info", "-o", out], {
      cwd,
      stdio: ["ignore", "ignore", "pipe"],
    });
    const image = readFileSync(out);
    if (dir && key) writeCached(dir, key, image);
    return image;
  } catch (err) {
    throw new ProtoImageError(`buf build failed: ${(err as Error).message}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
