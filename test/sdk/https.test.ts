// The default, secure path: https to a loopback gRPC-Web server with a development CA
// (no allowInsecureLoopback). The CA is trusted only by this test's fetch.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCa, issueCert } from "../../demo/pki.js";
import { Health } from "../../src/gen/grpc/health/v1/health_pb.js";
import { createOidcTransport, StaticTokenSource } from "../../src/web/index.js";
import { type Running, serving, startGrpcWebServer } from "./helpers/servers.js";

let dir: string;
let ca: Buffer;
let srv: Running | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gwo-sdk-https-"));
  const caPair = createCa(dir, "ca", "sdk test CA");
  const leaf = issueCert({
    ca: caPair,
    dir,
    name: "localhost",
    usage: "server",
    sans: ["DNS:localhost", "IP:127.0.0.1"],
  });
  ca = readFileSync(caPair.cert);
  srv = await startGrpcWebServer(
    {},
    { cert: readFileSync(leaf.cert), key: readFileSync(leaf.key) },
  );
});

afterAll(async () => {
  await srv?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("https", () => {
  it("calls an https endpoint without any plaintext option, Bearer attached", async () => {
    const dispatcher = new Agent({ connect: { ca } });
    const fetch = ((input: RequestInfo | URL, init?: RequestInit) =>
      undiciFetch(input as string, {
        ...(init as object),
        dispatcher,
      })) as unknown as typeof globalThis.fetch;
    const client = createClient(
      Health,
      createOidcTransport({ baseUrl: srv!.url, tokens: new StaticTokenSource("tok-tls"), fetch }),
    );
    const res = await client.check({});
    expect(res.status).toBe(serving().status);
    expect(srv!.seen.map((s) => s.authorization)).toEqual(["Bearer tok-tls"]);
    await dispatcher.close();
  });
});
