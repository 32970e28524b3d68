/**
 * Certificate rotation without a restart: the backend's certificate files are
 * re-issued in place; the next new connection sees the new certificate while a stream
 * on a connection made before keeps going.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKEND_DNS, BACKEND_SPIFFE, issueCert } from "../../demo/pki.js";
import { ServingStatus } from "../../src/server/index.js";
import { type Fixture, startFixture } from "./helpers/fixture.js";
import { grpcClients } from "./helpers/grpc-client.js";

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.close();
});

/** Serial number of the certificate a fresh mTLS connection is served. */
function servedSerial(port: number, identity = fx.pki.gateway): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({
      host: "localhost",
      port,
      servername: "localhost",
      ca: readFileSync(fx.pki.meshCa.cert),
      cert: readFileSync(identity.cert),
      key: readFileSync(identity.key),
      ALPNProtocols: ["h2"],
    });
    s.on("secureConnect", () => {
      const serial = s.getPeerCertificate().serialNumber;
      expect(s.alpnProtocol).toBe("h2");
      s.destroy();
      resolve(serial);
    });
    s.on("error", reject);
  });
}

async function waitFor(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 50));
}

describe("certificate reload", () => {
  it("serves a re-issued certificate to new connections; open streams continue", async () => {
    const before = await servedSerial(fx.backend.mtlsPort);
    const old = grpcClients(fx.backend.mtlsPort, {
      ca: fx.pki.meshCa.cert,
      identity: fx.pki.gateway,
    });
    try {
      // A long-lived stream on a connection opened before the rotation.
      const statuses: string[] = [];
      let firstSeen!: () => void;
      const first = new Promise<void>((r) => {
        firstSeen = r;
      });
      const watch = old.stream("health", "Watch", { service: "" }, {}, (m, call) => {
        statuses.push(String(m.status));
        if (statuses.length === 1) firstSeen();
        if (statuses.length === 2) call.cancel();
      });
      await first;

      issueCert({
        ca: fx.pki.meshCa,
        dir: fx.pki.dir,
        name: "backend",
        usage: "server",
        sans: [`DNS:${BACKEND_DNS}`, "DNS:localhost", "IP:127.0.0.1", `URI:${BACKEND_SPIFFE}`],
      });
      await waitFor(() =>
        fx.records.some(
          (r) =>
            (r as { event?: string; listener?: string }).event === "tls-reloaded" &&
            (r as { listener?: string }).listener === "mtls",
        ),
      );
      const after = await servedSerial(fx.backend.mtlsPort);
      expect(after).not.toBe(before);
      const reloaded = fx.records.find((r) => (r as { event?: string }).event === "tls-reloaded");
      expect(reloaded).toMatchObject({ serialNumber: after });

      // The old connection is still the one carrying the stream: it sees the next change.
      fx.backend.health.setStatus("", ServingStatus.NOT_SERVING);
      const result = await watch;
      fx.backend.health.setStatus("", ServingStatus.SERVING);
      expect(statuses).toEqual(["SERVING", "NOT_SERVING"]);
      expect(result.code).toBe(1); // cancelled by the client, not dropped by the server

      // New clients work, and client certificates are still required after the swap.
      const fresh = grpcClients(fx.backend.mtlsPort, {
        ca: fx.pki.meshCa.cert,
        identity: fx.pki.gateway,
      });
      const anon = grpcClients(fx.backend.mtlsPort, { ca: fx.pki.meshCa.cert });
      try {
        expect((await fresh.unary("health", "Check", { service: "" })).code).toBe(0);
        expect((await anon.unary("health", "Check", { service: "" })).code).toBe(14);
      } finally {
        fresh.close();
        anon.close();
      }
    } finally {
      old.close();
    }
  });

  it("keeps the old certificate when the new files are broken", async () => {
    const before = await servedSerial(fx.backend.mtlsPort);
    writeFileSync(fx.pki.backend.cert, "-----BEGIN CERTIFICATE-----\nnot a cert\n");
    fx.backend.reloadTls();
    expect(fx.records.some((r) => (r as { event?: string }).event === "tls-reload-failed")).toBe(
      true,
    );
    expect(await servedSerial(fx.backend.mtlsPort)).toBe(before);
  });
});
