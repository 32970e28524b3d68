import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotesService } from "../../demo/gen/demo/v1/notes_pb.js";
import { assertPortsFree, PortInUseError, type Stack, startStack } from "../../demo/stack.js";
import { findEnvoy } from "../../src/envoy/find-binary.js";
import { signIn } from "../helpers/oidc-flow.js";

let certDir: string;

beforeAll(() => {
  certDir = mkdtempSync(join(tmpdir(), "gwo-stack-"));
});
afterAll(() => {
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

function transport(stack: Stack): Transport {
  return createGrpcWebTransport({
    baseUrl: stack.apiUrl,
    httpVersion: "1.1",
    nodeOptions: { ca: readFileSync(stack.pki.ca.cert) },
  });
}

async function tokenFor(stack: Stack, login: string): Promise<string> {
  const t = await signIn({
    issuer: stack.idp.issuer,
    ca: readFileSync(stack.pki.ca.cert),
    redirectUri: stack.redirectUri,
    login,
    password: login,
  });
  return t.access_token;
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("startStack, direct path", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ certDir, envoy: false, web: false, idpLog: () => {} });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("reports the direct path and the backend's gRPC-Web URL", () => {
    expect(stack.path).toBe("direct");
    expect(stack.apiUrl).toBe(`https://localhost:${stack.backend.webPort}`);
    expect(stack.directReason).toBe("Envoy disabled");
    expect(stack.envoy).toBeUndefined();
  });

  it("a real IdP token is accepted by the backend; no token is UNAUTHENTICATED", async () => {
    const client = createClient(NotesService, transport(stack));
    const token = await tokenFor(stack, "writer");
    const me = await client.whoAmI({}, bearer(token));
    expect(me.subject).toBe("writer");
    expect([...me.scopes].sort()).toEqual(["notes.read", "notes.write"]);
    const err = await client.whoAmI({}).catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Unauthenticated);
  });

  it("the reader's token cannot write (scope filtered at the IdP, enforced by the backend)", async () => {
    const client = createClient(NotesService, transport(stack));
    const token = await tokenFor(stack, "reader");
    const err = await client
      .createNote({ text: "hi" }, bearer(token))
      .catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.PermissionDenied);
  });

  it("close() is idempotent and frees every port", async () => {
    const s = await startStack({ certDir, envoy: false, web: false, idpLog: () => {} });
    const ports = { idp: s.idp.port, grpcWeb: s.backend.webPort, backend: s.backend.mtlsPort };
    await expect(assertPortsFree(ports)).rejects.toBeInstanceOf(PortInUseError);
    await Promise.all([s.close(), s.close()]);
    await s.close();
    await expect(assertPortsFree(ports)).resolves.toBeUndefined();
  });
});

describe("startStack, Envoy path", () => {
  const haveEnvoy = findEnvoy() !== undefined;
  it.skipIf(!haveEnvoy)(
    "a real IdP token passes Envoy → mTLS → backend; no token is refused",
    async () => {
      const stack = await startStack({ certDir, envoy: true, web: false, idpLog: () => {} });
      try {
        expect(stack.path).toBe("envoy");
        expect(stack.apiUrl).toBe(stack.envoy?.url);
        const client = createClient(NotesService, transport(stack));
        const me = await client.whoAmI({}, bearer(await tokenFor(stack, "admin")));
        expect(me.subject).toBe("admin");
        expect(me.roles).toEqual(["admin"]);
        expect(me.peerIdentity).not.toBe("");
        const err = await client.whoAmI({}).catch((e: unknown) => ConnectError.from(e));
        expect((err as ConnectError).code).toBe(Code.Unauthenticated);
      } finally {
        await stack.close();
      }
    },
  );
});
