/**
 * The proto services behind a gateway, from a `buf build` image (or from
 * `buf build` run in the current directory). Both `generate` (RBAC from the
 * access options) and `validate` (the config compared with them) read it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { createFileRegistry, type DescService, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { ProtoImageError } from "../errors.js";
import { cacheDir, imageKey, readCached, writeCached } from "./cache.js";

/**
 * The services of a `buf build` image (or of `buf build` run in `options.cwd`,
 * default the current directory, when no image is given; that image is cached while the
 * protos are unchanged), sorted by name so output does not depend on file order.
 */
export function loadServices(
  image?: string,
  options: { cwd?: string; cache?: string | false } = {},
): DescService[] {
  let bytes: Uint8Array;
  if (image) {
    try {
      bytes = readFileSync(image);
    } catch (err) {
      throw new ProtoImageError(`${image}: cannot read proto image: ${(err as Error).message}`);
    }
  } else {
    bytes = bufBuild(options.cwd ?? process.cwd(), options.cache);
  }
  let registry: ReturnType<typeof createFileRegistry>;
  try {
    registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
  } catch (err) {
    throw new ProtoImageError(
      `${image ?? "buf build"}: not a descriptor set: ${(err as Error).message}`,
    );
  }
  const services: DescService[] = [];
  for (const file of registry.files) services.push(...file.services);
  services.sort((a, b) => (a.typeName < b.typeName ? -1 : a.typeName > b.typeName ? 1 : 0));
  if (services.length === 0)
    throw new ProtoImageError(`${image ?? "buf build"}: the image has no services`);
  return services;
}

/** `buf build` in `cwd`, through the image cache (`cache`: its folder; `false`: off). */
function bufBuild(cwd: string, cache?: string | false): Uint8Array {
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
  const key = dir ? imageKey(cwd, buf) : "";
  const cached = dir ? readCached(dir, key) : undefined;
  if (cached) return cached;
  const work = mkdtempSync(join(tmpdir(), "gwo-image-"));
  try {
    const out = join(work, "image.binpb");
    execFileSync(buf, ["build", "--exclude-source-info", "-o", out], {
      cwd,
      stdio: ["ignore", "ignore", "pipe"],
    });
    const image = readFileSync(out);
    if (dir) writeCached(dir, key, image);
    return image;
  } catch (err) {
    throw new ProtoImageError(`buf build failed: ${(err as Error).message}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
