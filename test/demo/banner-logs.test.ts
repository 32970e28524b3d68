/**
 * What `npm run demo` tells a person, and what it keeps: the banner (every URL with the Envoy
 * admin one, the renew window, the log files, the ready line last), the path it took and why,
 * and the log files under GWO_LOG_DIR: Envoy's access log and the backend's denial records.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindAndRelease } from "../../demo/envoy.js";
import { NotesService } from "../../demo/gen/demo/v1/notes_pb.js";
import { findEnvoy } from "../../src/envoy/find-binary.js";
import { type DemoProcess, root, startDemo } from "./helpers/demo-process.js";

let work: string;
let certDir: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "gwo-banner-"));
  certDir = join(work, "certs");
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Reads `file` until `predicate` holds, 100 ms apart, at most `polls` times; returns its text. */
async function waitForFile(file: string, predicate: (text: string) => boolean, polls = 100) {
  let text = "";
  for (let i = 0; i < polls; i++) {
    try {
      text = readFileSync(file, "utf8");
    } catch {
      text = "";
    }
    if (predicate(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${file} never matched; it holds:\n${text}`);
}

/** One unauthenticated ListNotes against `baseUrl`: the code it gets. */
async function listWithoutToken(baseUrl: string): Promise<Code | undefined> {
  const client = createClient(
    NotesService,
    createGrpcWebTransport({
      baseUrl,
      httpVersion: "1.1",
      nodeOptions: { ca: readFileSync(join(certDir, "ca.crt")) },
    }),
  );
  try {
    await client.listNotes({});
    return undefined;
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

async function stop(demo: DemoProcess): Promise<void> {
  demo.signalGroup("SIGINT");
  await demo.exit;
  await demo.groupGone();
}

const urlOf = (out: string, label: string) =>
  new RegExp(`^  ${label}\\s+(https?://\\S+)`, "m").exec(out)?.[1] ?? "";

describe.skipIf(!findEnvoy(root))("npm run demo with Envoy", () => {
  it("prints the admin URL (GWO_ENVOY_ADMIN_PORT), the renew window, the logs and a ready line; keeps Envoy's access log and the backend's denials", async () => {
    const adminPort = await bindAndRelease(0);
    const logDir = join(work, "logs-envoy");
    const demo = startDemo({
      GWO_ENVOY: "on",
      GWO_ENVOY_ADMIN_PORT: String(adminPort),
      GWO_LOG_DIR: logDir,
      GWO_CERT_DIR: certDir,
      GWO_TOKEN_TTL: "120",
      GWO_RENEW_WINDOW: "45",
    });
    try {
      await demo.ready();
      const out = demo.output();
      expect(out).toMatch(
        new RegExp(`^  Envoy admin\\s+http://127\\.0\\.0\\.1:${adminPort} `, "m"),
      );
      const admin = await fetch(`http://127.0.0.1:${adminPort}/ready`);
      expect(await admin.text()).toBe("LIVE\n");
      expect(out).toContain(
        "Access tokens live 120 s (GWO_TOKEN_TTL); the app renews them 45 s before expiry (GWO_RENEW_WINDOW).",
      );
      expect(out).toContain(
        `Logs: ${join(logDir, "envoy.log")} (Envoy access log), ${join(logDir, "backend.log")} (backend`,
      );
      expect(out).toContain("API calls take the Envoy path");
      expect(out).not.toContain("SHOULD");
      // The ready line is the banner's last line.
      expect(out.trimEnd().split("\n").at(-1)).toMatch(
        /^Ready: open https:\/\/localhost:\d+ — Ctrl-C stops everything\.$/,
      );

      const envoyUrl = urlOf(out, "Envoy");
      expect(await listWithoutToken(envoyUrl)).toBe(Code.Unauthenticated);
      const access = await waitForFile(join(logDir, "envoy.log"), (t) =>
        t.includes('"/demo.v1.NotesService/ListNotes"'),
      );
      expect(access).toMatch(/"grpc_status":"?(16|Unauthenticated)\b/);
      expect(access).not.toMatch(/authorization|bearer/i);

      const backendUrl = urlOf(out, "backend gRPC-Web \\(dev\\)");
      expect(await listWithoutToken(backendUrl)).toBe(Code.Unauthenticated);
      const denials = await waitForFile(join(logDir, "backend.log"), (t) =>
        t.includes("ListNotes"),
      );
      const record = denials
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { event: string; method: string; code: string })
        .find((r) => r.method === "/demo.v1.NotesService/ListNotes");
      expect(record).toMatchObject({ event: "denied", code: "unauthenticated" });
    } finally {
      await stop(demo);
    }
  }, 180_000);
});

describe("npm run demo without a usable Envoy", () => {
  it("falls back to the direct path and says why (GWO_ENVOY=auto)", async () => {
    const missing = join(work, "no-such-envoy");
    const demo = startDemo({
      ENVOY_BIN: missing,
      GWO_CERT_DIR: certDir,
      GWO_LOG_DIR: join(work, "logs-direct"),
    });
    try {
      await demo.ready();
      const out = demo.output();
      expect(out).toContain(`API calls take the direct path: browser → backend https://localhost:`);
      expect(out).toContain(`(development only; ENVOY_BIN=${missing} is not an executable file)`);
      expect(out).toMatch(/^ {2}Envoy admin\s+\(not running\)$/m);
    } finally {
      await stop(demo);
    }
  }, 180_000);

  it("exits 1 saying why with GWO_ENVOY=on", async () => {
    const missing = join(work, "no-such-envoy");
    const demo = startDemo({ GWO_ENVOY: "on", ENVOY_BIN: missing, GWO_CERT_DIR: certDir });
    expect(await demo.exit).toBe(1);
    expect(demo.output()).toContain(
      `demo: GWO_ENVOY=on but ENVOY_BIN=${missing} is not an executable file`,
    );
  }, 180_000);
});
