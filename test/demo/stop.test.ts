/**
 * Stopping `npm run demo`: one Ctrl-C (SIGINT to the whole foreground process group, as a
 * terminal sends it) stops everything cleanly, every time, and nothing is left behind: no Envoy,
 * no temporary folder, and at no point a copy of a private key outside the PKI folder.
 */
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findEnvoy } from "../../src/envoy/find-binary.js";
import { processesMentioning, root, startDemo } from "./helpers/demo-process.js";

/**
 * Before the fix about 1 stop in 3 was forced (a relayed second SIGINT); 9 clean stops in a
 * row would happen by chance with probability (2/3)^9 ≈ 2.6 %.
 */
const STOPS = 9;
const envoy = findEnvoy(root) ? "on" : "off";

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "gwo-stop-"));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Regular files (not symlinks) under `dir` that hold a PEM private key. */
function privateKeyCopies(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && readFileSync(p, "utf8").includes("PRIVATE KEY")) found.push(p);
    }
  };
  walk(dir);
  return found;
}

describe(`npm run demo (Envoy ${envoy})`, () => {
  it(`stops cleanly on one Ctrl-C, ${STOPS} times out of ${STOPS}`, async () => {
    for (let i = 1; i <= STOPS; i++) {
      const tmp = mkdtempSync(join(work, `run${i}-`));
      const certDir = join(work, "certs"); // shared: the PKI is made once
      const demo = startDemo({ GWO_ENVOY: envoy, GWO_CERT_DIR: certDir, TMPDIR: tmp });
      await demo.ready();
      // While it runs, the temporary folders hold no private key (Envoy's mounts link to the
      // PKI folder instead of copying it).
      expect(privateKeyCopies(tmp), `run ${i}`).toEqual([]);
      const sent = Date.now();
      demo.signalGroup("SIGINT");
      // npm itself ends by the SIGINT it got (status 130 in a shell) once its child is done;
      // what matters is that the demo stopped by itself, in order, without being forced.
      const code = await demo.exit;
      const took = Date.now() - sent; // 0.1-1.3 s measured at load 15-25 on 2 cores
      await demo.groupGone();
      const out = demo.output();
      expect(
        { run: i, stopped: out.includes("Stopped."), forced: /forcing exit/i.test(out) },
        `npm exit ${code} ${took} ms after the SIGINT; output after the ready line:\n${out.slice(out.lastIndexOf("Ready"))}`,
      ).toEqual({ run: i, stopped: true, forced: false });
      // (tsx's and Node's compile caches may stay: they are caches, not the demo's.)
      const left = readdirSync(tmp).filter((name) => name.startsWith("gwo-"));
      expect(left, `run ${i}: left in TMPDIR`).toEqual([]);
      expect(processesMentioning(tmp), `run ${i}: still running`).toEqual([]);
    }
  }, 600_000);

  it("stops cleanly on a Ctrl-C during start-up, before the ready line", async () => {
    const tmp = mkdtempSync(join(work, "early-"));
    const demo = startDemo({ GWO_ENVOY: envoy, GWO_CERT_DIR: join(work, "certs"), TMPDIR: tmp });
    await demo.started();
    demo.signalGroup("SIGINT");
    const code = await demo.exit;
    await demo.groupGone();
    const out = demo.output();
    expect(out, `npm exit ${code}:\n${out}`).toContain("Stopped.");
    expect(out).not.toMatch(/^Ready\b/m);
    expect(out).not.toMatch(/forcing exit|failed to start/i);
    expect(readdirSync(tmp).filter((name) => name.startsWith("gwo-"))).toEqual([]);
    expect(processesMentioning(tmp)).toEqual([]);
  }, 180_000);

  it("leaves no private key behind even when killed outright (SIGKILL to the whole group)", async () => {
    const tmp = mkdtempSync(join(work, "killed-"));
    const demo = startDemo({ GWO_ENVOY: envoy, GWO_CERT_DIR: join(work, "certs"), TMPDIR: tmp });
    await demo.ready();
    demo.signalGroup("SIGKILL");
    await demo.exit;
    await demo.groupGone();
    expect(privateKeyCopies(tmp)).toEqual([]);
  }, 180_000);

  it.skipIf(envoy === "off")(
    "a forced exit (process.exit while Envoy runs, no close) still stops Envoy and removes its folder",
    async () => {
      const tmp = mkdtempSync(join(work, "forced-"));
      const run = spawnSync(
        process.execPath,
        ["--import", "tsx", "test/demo/fixtures/exit-with-envoy.ts"],
        {
          cwd: root,
          env: { ...process.env, TMPDIR: tmp, GWO_CERT_DIR: join(work, "certs") },
          encoding: "utf8",
          timeout: 90_000,
        },
      );
      expect(run.status, run.stderr).toBe(130);
      const { pid, workDir } = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as {
        pid: number;
        workDir: string;
      };
      expect(workDir.startsWith(tmp)).toBe(true);
      expect(existsSync(workDir)).toBe(false);
      // SIGTERM was sent on the way out; Envoy takes a moment to go (bounded: 100 polls).
      let alive = true;
      for (let i = 0; i < 100 && alive; i++) {
        try {
          process.kill(pid, 0);
          await new Promise((r) => setTimeout(r, 100));
        } catch {
          alive = false;
        }
      }
      expect(alive, `Envoy ${pid} still running`).toBe(false);
    },
    120_000,
  );
});
