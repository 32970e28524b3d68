/**
 * The step that makes Chrome/Chromium on Linux trust the development CA works as printed
 * (banner and README), on a machine where the browser never ran (no ~/.pki/nssdb yet), and
 * again on one where it did.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linuxTrustStep, trustInstructions } from "../../demo/banner.js";
import { ensureDevPki } from "../../demo/pki.js";
import { root } from "./helpers/demo-process.js";

const hasCertutil = spawnSync("sh", ["-c", "command -v certutil"]).status === 0;
let home: string;
let caPath: string;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), "gwo-home-"));
  caPath = ensureDevPki(join(home, "certs")).ca.cert;
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

describe("trusting the development CA on Linux", () => {
  it("the README prints the same step as the banner", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    expect(readme).toContain(`\`${linuxTrustStep(".certs/ca.crt")}\``);
    expect(trustInstructions(join(root, ".certs/ca.crt"), "linux")[1]).toContain(
      linuxTrustStep(".certs/ca.crt"),
    );
  });

  it.skipIf(!hasCertutil)(
    "works on a fresh HOME (no ~/.pki/nssdb), and again when the CA is already there",
    () => {
      const run = () =>
        execFileSync("sh", ["-c", linuxTrustStep(caPath)], {
          env: { ...process.env, HOME: home },
          stdio: ["ignore", "pipe", "pipe"],
          timeout: 30_000,
        });
      expect(existsSync(join(home, ".pki"))).toBe(false);
      run();
      run();
      const list = execFileSync("certutil", ["-d", `sql:${home}/.pki/nssdb`, "-L"], {
        encoding: "utf8",
      });
      expect(list).toMatch(/grpc-web-oidc-dev\s+C,,/);
    },
  );
});
