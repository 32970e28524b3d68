/**
 * `npm run demo` (demo/run.ts) as a process: clear errors for taken or bad
 * ports, the banner, and a clean stop on SIGINT. Every port is 0 (ephemeral)
 * or a port this test holds, never the fixed demo ports.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { assertPortsFree, PortInUseError, startStack } from "../../demo/stack.js";

const root = new URL("../..", import.meta.url).pathname;
let certDir: string;
let held: Server;
let heldPort: number;

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), "gwo-run-"));
  held = createServer();
  await new Promise<void>((ok) => held.listen(0, "127.0.0.1", () => ok()));
  heldPort = (held.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((ok) => held.close(() => ok()));
  rmSync(certDir, { recursive: true, force: true });
});

const ALL_EPHEMERAL = {
  GWO_WEB_PORT: "0",
  GWO_GRPC_WEB_PORT: "0",
  GWO_BACKEND_PORT: "0",
  GWO_IDP_PORT: "0",
  GWO_ENVOY_PORT: "0",
};

function runDemo(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", "demo/run.ts"], {
    cwd: root,
    env: { ...process.env, GWO_CERT_DIR: certDir, GWO_ENVOY: "off", ...ALL_EPHEMERAL, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exit = new Promise<number | null>((ok) => child.once("exit", (code) => ok(code)));
  return { child, output: () => out, exit };
}

describe("ports", () => {
  it("assertPortsFree names the env var of a taken port", async () => {
    const err = await assertPortsFree({ idp: heldPort }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortInUseError);
    expect((err as PortInUseError).envVar).toBe("GWO_IDP_PORT");
    await expect(assertPortsFree({ idp: 0, web: 0 })).resolves.toBeUndefined();
  });

  it("startStack turns a taken port into PortInUseError and stops what it started", async () => {
    const err = await startStack({
      certDir,
      envoy: false,
      web: false,
      ports: { grpcWeb: heldPort },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortInUseError);
    expect((err as PortInUseError).envVar).toBe("GWO_GRPC_WEB_PORT");
    const mtls = await startStack({
      certDir,
      envoy: false,
      web: false,
      ports: { backend: heldPort },
    }).catch((e: unknown) => e);
    expect(mtls).toBeInstanceOf(PortInUseError);
    expect((mtls as PortInUseError).envVar).toBe("GWO_BACKEND_PORT");
  });

  it("npm run demo exits 1 naming the variable to change when a port is taken", async () => {
    const run = runDemo({ GWO_IDP_PORT: String(heldPort) });
    expect(await run.exit).toBe(1);
    expect(run.output()).toContain(`port ${heldPort} (idp) is already in use`);
    expect(run.output()).toContain("GWO_IDP_PORT=<port> npm run demo");
  });

  it("npm run demo exits 2 on GWO_DPOP=on with GWO_SESSION=bff, and on a GWO_DPOP that is not on/off", async () => {
    const both = runDemo({ GWO_SESSION: "bff", GWO_DPOP: "on" });
    expect(await both.exit).toBe(2);
    expect(both.output()).toContain("in session mode (GWO_SESSION=bff) the browser holds none");
    const bad = runDemo({ GWO_DPOP: "maybe" });
    expect(await bad.exit).toBe(2);
    expect(bad.output()).toContain("GWO_DPOP=maybe: use on or off");
  }, 60_000);

  it("npm run demo exits 2 on a malformed port variable", async () => {
    const run = runDemo({ GWO_WEB_PORT: "70000" });
    expect(await run.exit).toBe(2);
    expect(run.output()).toContain("GWO_WEB_PORT=70000 is not a port number");
  });
});

describe("npm run demo", () => {
  it("prints the URLs, the path, the dev users and the CA step, and stops cleanly on SIGINT", async () => {
    const run = runDemo({});
    await new Promise<void>((ok, fail) => {
      const check = setInterval(() => {
        if (run.output().includes("Ctrl-C stops everything.")) {
          clearInterval(check);
          ok();
        }
      }, 100);
      run.exit.then((code) => {
        clearInterval(check);
        fail(new Error(`demo exited early (${code}):\n${run.output()}`));
      });
    });
    // A failed expectation below must not leave the demo running.
    onTestFinished(() => {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL");
    });
    const out = run.output();
    expect(out).toMatch(/OIDC provider\s+https:\/\/localhost:\d+/);
    expect(out).toMatch(/web app\s+https:\/\/localhost:\d+/);
    expect(out).toContain("direct path");
    expect(out).toContain("reader / reader, writer / writer, admin / admin");
    expect(out).toContain("Trust the development CA");
    expect(out).toMatch(/^Ready: open https:\/\/localhost:\d+/m);
    // Token mode runs with DPoP unless GWO_DPOP=off.
    expect(out).toContain("DPoP is on (the default; GWO_DPOP=off turns it off)");
    run.child.kill("SIGINT");
    expect(await run.exit).toBe(0);
    expect(run.output()).toContain("Stopped.");
  }, 120_000);
});
