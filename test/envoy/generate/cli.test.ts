import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runGenerate } from "../../../src/envoy/generate/cli.js";
import { repoRoot } from "../../helpers/buf.js";

function captureStderr(): () => string {
  let out = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  return () => {
    spy.mockRestore();
    return out;
  };
}

async function inRepo<T>(f: () => Promise<T>): Promise<T> {
  const cwd = process.cwd();
  process.chdir(repoRoot);
  try {
    return await f();
  } finally {
    process.chdir(cwd);
  }
}

describe("grpc-web-oidc envoy generate", () => {
  afterEach(() => vi.restoreAllMocks());

  it("exits 2 on a usage error", async () => {
    const stderr = captureStderr();
    expect(await runGenerate(["--nope"])).toBe(2);
    expect(stderr()).toContain("usage:");
  });

  it("exits 1 naming FILE:LINE:COL and the field for a bad gateway file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwo-cli-"));
    const file = join(dir, "gateway.yaml");
    const text = readFileSync(join(repoRoot, "envoy", "gateway.yaml"), "utf8").replace(
      "admin:\n  address: 127.0.0.1",
      "admin:\n  address: 0.0.0.0",
    );
    writeFileSync(file, text);
    const line = text.split("\n").indexOf("admin:") + 2; // the line after `admin:`, 1-based
    const stderr = captureStderr();
    expect(
      await inRepo(() => runGenerate(["--gateway", file, "-o", join(dir, "envoy.yaml")])),
    ).toBe(1);
    expect(stderr()).toMatch(
      new RegExp(`^${file.replace(/[.]/g, "\\.")}:${line}:12 admin\\.address: .*loopback`, "m"),
    );
  });

  it("exits 1 for a proto image that is not one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwo-cli-"));
    writeFileSync(join(dir, "image.binpb"), "not protobuf at all");
    const stderr = captureStderr();
    const code = await inRepo(() =>
      runGenerate(["--proto-image", join(dir, "image.binpb"), "-o", join(dir, "envoy.yaml")]),
    );
    expect(code).toBe(1);
    expect(stderr()).toMatch(/image/);
  });

  it("reads services from a buf image (--proto-image) and produces the checked-in bundle", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwo-cli-"));
    const image = join(dir, "image.binpb");
    execFileSync(join(repoRoot, "node_modules", ".bin", "buf"), ["build", "-o", image], {
      cwd: repoRoot,
    });
    const out = join(dir, "envoy.yaml");
    const code = await inRepo(() => runGenerate(["--proto-image", image, "-o", out]));
    expect(code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(
      readFileSync(join(repoRoot, "envoy", "envoy.yaml"), "utf8"),
    );
  });

  it("--check passes on the checked-in bundle", async () => {
    const stderr = captureStderr();
    expect(await inRepo(() => runGenerate(["--check"]))).toBe(0);
    expect(stderr()).toBe("");
  });

  it("--check fails when the output is stale", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwo-cli-"));
    writeFileSync(join(dir, "envoy.yaml"), "stale\n");
    const stderr = captureStderr();
    expect(await inRepo(() => runGenerate(["--check", "-o", join(dir, "envoy.yaml")]))).toBe(1);
    expect(stderr()).toContain("out of date");
  });
});
