/**
 * The ports `startEnvoy` picks for Envoy's listener, admin and probe: distinct from each other
 * (one bind-and-release after another could return the same port twice), and a start whose
 * picked port was taken meanwhile, by someone else or by another of Envoy's own listeners, is
 * recognised as such and retried with fresh ports.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvoyStartError, freePorts, startEnvoy } from "../../demo/envoy.js";
import { ensureDevPki } from "../../demo/pki.js";
import { findEnvoy } from "../../src/envoy/find-binary.js";
import { root } from "./helpers/demo-process.js";

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "gwo-ports-"));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("ports picked for Envoy", () => {
  it("freePorts(200) gives 200 distinct ports", async () => {
    const ports = await freePorts(200);
    expect(ports).toHaveLength(200);
    expect(new Set(ports).size).toBe(200);
    expect(ports.every((p) => p > 0)).toBe(true);
  });

  it("reads Envoy's refusals of a taken port as 'address in use' (the cases a start retries)", () => {
    const refusals = [
      "error adding listener: 'probe' has duplicate address '127.0.0.1:21010' as existing listener",
      "cannot bind '127.0.0.1:8080': Address already in use",
    ];
    for (const text of refusals) expect(new EnvoyStartError(text).addressInUse, text).toBe(true);
    expect(new EnvoyStartError("envoy not ready after 30 s").addressInUse).toBe(false);
  });

  it.skipIf(!findEnvoy(root))(
    "a real Envoy given one port for two listeners fails with a duplicate address that reads as in use",
    async () => {
      const [port = 0, adminPort = 0] = await freePorts(2);
      const start = startEnvoy({
        pki: ensureDevPki(join(work, "certs")),
        // Every port chosen by the caller: no retry, the first refusal comes back.
        port,
        adminPort,
        probePort: port,
        idpIssuer: "https://localhost:9",
        jwksUri: "https://localhost:9/jwks",
        backendPort: 9,
        allowedOrigins: ["https://localhost:9"],
      });
      const err = await start.then(
        (e) => e.close().then(() => new Error("Envoy started")),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EnvoyStartError);
      expect((err as EnvoyStartError).message).toMatch(/duplicate address/);
      expect((err as EnvoyStartError).addressInUse).toBe(true);
    },
  );
});
