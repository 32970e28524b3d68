import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runGenerate } from "../../../src/envoy/generate/cli.js";
import { buildImage, repoRoot } from "../../helpers/buf.js";

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

describe("envoy generate: methods the protos leave without an access option", () => {
  afterEach(() => vi.restoreAllMocks());
  const proto = (withOptions: boolean) => `syntax = "proto3";
package shop.v1;
import "grpcweboidc/v1/access.proto";
service Shop {
  rpc List(Empty) returns (Empty) {${withOptions ? " option (grpcweboidc.v1.access) = {authenticated: true};" : ""} }
  rpc Buy(Empty) returns (Empty) {}
}
message Empty {}
`;

  it("warns, listing every denied method, and still writes the bundle", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwo-cli-"));
    const image = buildImage({ "shop/v1/shop.proto": proto(true) });
    const stderr = captureStderr();
    const code = await inRepo(() =>
      runGenerate(["--proto-image", image, "-o", join(dir, "envoy.yaml")]),
    );
    const err = stderr();
    expect(code).toBe(0);
    expect(err).toContain("warning: 1 of 2 methods have no (grpcweboidc.v1.access) option");
    expect(err).toContain("  /shop.v1.Shop/Buy\n");
    expect(err).not.toContain("/shop.v1.Shop/List");
    expect(existsSync(join(dir, "envoy.yaml"))).toBe(true);
  });

  it("says so plainly when no method has an option (a deny-all gateway), and --strict fails writing nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwo-cli-"));
    const image = buildImage({ "shop/v1/shop.proto": proto(false) });
    const stderr = captureStderr();
    const code = await inRepo(() =>
      runGenerate(["--strict", "--proto-image", image, "-o", join(dir, "envoy.yaml")]),
    );
    const err = stderr();
    expect(code).toBe(1);
    expect(err).toMatch(
      /error: no method of shop\.v1\.Shop has a \(grpcweboidc\.v1\.access\) option: the gateway denies every call \(deny-all\)/,
    );
    expect(err).toContain("  /shop.v1.Shop/List\n  /shop.v1.Shop/Buy\n");
    expect(existsSync(join(dir, "envoy.yaml"))).toBe(false);
  });

  it("is silent for the demo protos, where every method has an option", async () => {
    const stderr = captureStderr();
    expect(await inRepo(() => runGenerate(["--check", "--strict"]))).toBe(0);
    expect(stderr()).toBe("");
  });
});

describe("envoy generate --check: what differs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("prints a unified diff of a stale file against what would be generated", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwo-cli-"));
    const current = readFileSync(join(repoRoot, "envoy", "envoy.yaml"), "utf8");
    writeFileSync(join(dir, "envoy.yaml"), current.replace("max_tokens: 2000", "max_tokens: 20"));
    cpSync(join(repoRoot, "envoy", "sds"), join(dir, "sds"), { recursive: true });
    const stderr = captureStderr();
    expect(await inRepo(() => runGenerate(["--check", "-o", join(dir, "envoy.yaml")]))).toBe(1);
    const err = stderr();
    expect(err).toContain(`${join(dir, "envoy.yaml")}: out of date`);
    expect(err).toMatch(/^@@ -\d+,7 \+\d+,7 @@$/m);
    expect(err).toMatch(/^- +max_tokens: 20$/m);
    expect(err).toMatch(/^\+ +max_tokens: 2000$/m);
    expect(err).not.toContain("sds/");
  });

  it("reports one changed byte inside a multi-line string (the Lua filter) with its diff", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwo-cli-"));
    const current = readFileSync(join(repoRoot, "envoy", "envoy.yaml"), "utf8");
    const line = 'local status = handle:headers():get("grpc-status")';
    expect(current).toContain(line);
    const edited = current.replace(line, line.replace("grpc-status", "grpc-statuz"));
    expect(edited.length).toBe(current.length);
    writeFileSync(join(dir, "envoy.yaml"), edited);
    cpSync(join(repoRoot, "envoy", "sds"), join(dir, "sds"), { recursive: true });
    const stderr = captureStderr();
    expect(await inRepo(() => runGenerate(["--check", "-o", join(dir, "envoy.yaml")]))).toBe(1);
    const err = stderr();
    expect(err).toContain(`${join(dir, "envoy.yaml")}: out of date`);
    expect(err).toMatch(/^- +local status = handle:headers\(\):get\("grpc-statuz"\)$/m);
    expect(err).toMatch(/^\+ +local status = handle:headers\(\):get\("grpc-status"\)$/m);
    expect(err.match(/^[-+] /gm)).toHaveLength(2);
  });

  it("names a missing file as missing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwo-cli-"));
    cpSync(join(repoRoot, "envoy", "envoy.yaml"), join(dir, "envoy.yaml"));
    const stderr = captureStderr();
    expect(await inRepo(() => runGenerate(["--check", "-o", join(dir, "envoy.yaml")]))).toBe(1);
    expect(stderr()).toContain(`${join(dir, "sds", "server-cert.yaml")}: missing`);
  });
});
