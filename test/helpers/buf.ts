import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createFileRegistry, type FileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

export const repoRoot = new URL("../..", import.meta.url).pathname;

/**
 * Writes proto sources next to our access.proto and runs `buf build` (the real
 * compiler, not a hand-built descriptor); returns the image file's path.
 */
export function buildImage(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "gwo-proto-"));
  const access = "grpcweboidc/v1/access.proto";
  mkdirSync(join(dir, dirname(access)), { recursive: true });
  copyFileSync(join(repoRoot, "proto", access), join(dir, access));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, dirname(name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  writeFileSync(join(dir, "buf.yaml"), "version: v2\n");
  const out = join(dir, "image.binpb");
  execFileSync(join(repoRoot, "node_modules/.bin/buf"), ["build", dir, "-o", out], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  return out;
}

/** {@link buildImage}, read back as a file registry. */
export function compileProtos(files: Record<string, string>): FileRegistry {
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(buildImage(files))));
}
