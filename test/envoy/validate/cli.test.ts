import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runValidate } from "../../../src/envoy/validate/cli.js";
import { buildImage, repoRoot } from "../../helpers/buf.js";
import { CASES, GOOD, GOOD_FILE, variantText } from "./corpus.js";

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    const code = await runValidate(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const byName = (n: string) => CASES.find((c) => c.name === n) ?? (undefined as never);

describe("grpc-web-oidc envoy validate", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "gwo-cli-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("exits 0 with no output for a valid, safe config", async () => {
    const r = await run([GOOD_FILE]);
    expect(r).toMatchObject({ code: 0, out: "" });
  });

  it("exits 1 and prints FILE:LINE:COL rule-id message per finding", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, variantText(byName("pgv-stat-prefix-empty")));
    const r = await run(["--no-files", file]);
    expect(r.code).toBe(1);
    const lines = r.out.trim().split("\n");
    for (const l of lines) expect(l).toMatch(/^\S+:\d+:\d+ [a-z0-9-]+ \S/);
    expect(lines.some((l) => l.startsWith(`${file}:`) && l.includes(" pgv-string "))).toBe(true);
  });

  it("exits 0 when there are only warnings, and marks them", async () => {
    const file = join(dir, "warn.yaml");
    writeFileSync(
      file,
      GOOD.replace("codec_type: AUTO", "codec_type: AUTO\n                codec_type: AUTO"),
    );
    const r = await run(["--no-files", file]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ duplicate-key warning: /);
  });

  it("checks referenced files relative to the config unless --no-files", async () => {
    const file = join(dir, "moved.yaml");
    writeFileSync(file, GOOD);
    const withFiles = await run([file]);
    expect(withFiles.code).toBe(1);
    expect(withFiles.out).toMatch(/ missing-file file sds\/server_cert\.yaml does not exist/);
    expect((await run(["--no-files", file])).code).toBe(0);
  });

  it("warns (exit 0) on missing absolute paths outside the config's folder, like the drop-in bundle's /etc/envoy", async () => {
    const copy = join(dir, "fixtures-copy");
    cpSync(dirname(GOOD_FILE), copy, { recursive: true });
    const file = join(copy, "abs.yaml");
    writeFileSync(
      file,
      GOOD.replaceAll("sds/server_cert.yaml", "/nonexistent/gwo/server_cert.yaml"),
    );
    const r = await run([file]);
    expect(r.out).toMatch(
      /:\d+:\d+ missing-file warning: absolute path \/nonexistent\/gwo\/server_cert\.yaml/,
    );
    expect(r.out).not.toMatch(/ missing-file file /);
    expect(r.code).toBe(0);
    const bundle = new URL("../../../envoy/envoy.yaml", import.meta.url).pathname;
    expect((await run([bundle])).code).toBe(0);
  });

  it("reports malformed YAML with a position and exits 1", async () => {
    const file = join(dir, "broken.yaml");
    writeFileSync(file, "static_resources:\n  listeners: [\n");
    const r = await run([file]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/broken\.yaml:\d+:\d+ yaml-syntax /);
  });

  it("exits 2 on usage errors and says why", async () => {
    expect(await run([])).toMatchObject({
      code: 2,
      err: expect.stringContaining("no files given"),
    });
    expect(await run(["--frobnicate", GOOD_FILE])).toMatchObject({
      code: 2,
      err: expect.stringContaining("unknown option"),
    });
    const missing = await run([join(dir, "nope.yaml")]);
    expect(missing).toMatchObject({ code: 2, err: expect.stringContaining("cannot read") });
    expect(missing.err).toContain("ENOENT");
    const img = join(dir, "not-an-image.binpb");
    writeFileSync(img, "garbage");
    expect((await run(["--proto-image", img, GOOD_FILE])).code).toBe(2);
  });
});

describe("envoy validate --proto-image: the policy compared with the protos", () => {
  const notes = readFileSync(join(repoRoot, "proto", "demo", "v1", "notes.proto"), "utf8");
  const bundle = join(repoRoot, "envoy", "envoy.yaml");

  it("passes the checked-in bundle against the protos it was generated from", async () => {
    const image = buildImage({ "demo/v1/notes.proto": notes });
    const r = await run(["--no-files", "--proto-image", image, bundle]);
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  });

  it("reports, per method, a bundle that still allows what the protos took away or changed", async () => {
    // PurgeNotes loses its option (now denied by default); CreateNote now needs notes.admin.
    const changed = notes
      .replace('option (grpcweboidc.v1.access) = {roles: ["admin"]};', "")
      .replace('{scopes: ["notes.write"]}', '{scopes: ["notes.admin"]}');
    expect(changed).not.toBe(notes);
    const image = buildImage({ "demo/v1/notes.proto": changed });
    const r = await run(["--no-files", "--proto-image", image, bundle]);
    expect(r.code).toBe(1);
    const stale = r.out.split("\n").filter((l) => l.includes(" policy-stale "));
    expect(stale).toEqual([
      expect.stringMatching(
        /envoy\/envoy\.yaml:\d+:\d+ policy-stale \/demo\.v1\.NotesService\/CreateNote: the protos ask for scope notes\.admin; RBAC grants it to tokens with notes\.write$/,
      ),
      expect.stringMatching(
        /envoy\/envoy\.yaml:\d+:\d+ policy-stale \/demo\.v1\.NotesService\/PurgeNotes: the protos ask for no access option \(denied by default\); RBAC grants it to tokens with admin$/,
      ),
    ]);
  });
});

describe("the built command (bin/grpc-web-oidc.js on the dist/cli bundle)", () => {
  const bin = join(repoRoot, "bin", "grpc-web-oidc.js");
  const command = (args: string[]) =>
    spawnSync(process.execPath, [bin, "envoy", "validate", ...args], {
      cwd: repoRoot,
      encoding: "utf8",
    });

  it.skipIf(!existsSync(join(repoRoot, "dist", "cli", "bundle", "main.js")))(
    "reads YAML beyond the fast reader (flow style) with the yaml library, as in-process",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "gwo-cli-flow-"));
      const file = join(dir, "flow.yaml");
      writeFileSync(
        file,
        "static_resources: {clusters: [{name: a, connect_timeout: 1s, bogus: 1}]}\n",
      );
      const r = command(["--no-files", file]);
      expect(r.stdout).not.toContain("internal-error");
      expect(r.stdout).toContain(`${file}:1:62 unknown-field unknown field "bogus"`);
      expect(r.stdout).toBe((await run(["--no-files", file])).out);
      expect(r.status).toBe(1);
    },
  );
});
