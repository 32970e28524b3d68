// The default, secure path: https to a loopback gRPC-Web server with a development CA
// (no allowInsecureLoopback). The CA is trusted only by this test's fetch.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConnectRouter } from "@connectrpc/connect";
import { createClient } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCa, issueCert } from "../../demo/pki.js";
import { Health } from "../../src/gen/grpc/health/v1/health_pb.js";
import { createOidcTransport, StaticTokenSource } from "../../src/index.js";
import { serving } from "./helpers/servers.js";

let dir: string;
let url: string;
let ca: Buffer;
let close: () => Promise<void>;
const seen: (string | undefined)[] = [];

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
  const routes = (r: ConnectRouter) => r.service(Health, { check: async () => serving() });
  const handler = connectNodeAdapter({ routes, grpcWeb: true, connect: false, grpc: false });
  const server = createServer(
    { cert: readFileSync(leaf.cert), key: readFileSync(leaf.key) },
    (req, res) => {
      seen.push(req.headers.authorization);
      handler(req, res);
    },
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `https://localhost:${(server.address() as AddressInfo).port}`;
  close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
});

afterAll(async () => {
  await close?.();
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
      createOidcTransport({ baseUrl: url, tokens: new StaticTokenSource("tok-tls"), fetch }),
    );
    const res = await client.check({});
    expect(res.status).toBe(serving().status);
    expect(seen).toEqual(["Bearer tok-tls"]);
    await dispatcher.close();
  });
});
