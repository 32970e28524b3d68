/**
 * The backend against the real demo IdP (node-oidc-provider): tokens from the full
 * Authorization Code + PKCE flow (driven over HTTP) are accepted on both listeners with
 * the scopes and roles the IdP granted, and so is the token from a refresh.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotesService } from "../../demo/gen/demo/v1/notes_pb.js";
import { type Idp, startIdp } from "../../demo/idp/server.js";
import { type DevPki, ensureDevPki, GATEWAY_SPIFFE } from "../../demo/pki.js";
import { type Backend, startBackend } from "../../demo/server/server.js";
import { HttpSession, refreshTokens, type SignInOptions, signIn } from "../helpers/oidc-flow.js";
import { leakedSecrets } from "./helpers/fixture.js";
import { grpcClients } from "./helpers/grpc-client.js";

const WEB = "https://localhost:5998";
const REDIRECT = `${WEB}/callback`;
let dir: string;
let pki: DevPki;
let ca: Buffer;
let idp: Idp;
let backend: Backend;
const records: object[] = [];
const secrets = new Set<string>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gwo-server-idp-"));
  pki = ensureDevPki(join(dir, "pki"));
  ca = readFileSync(pki.ca.cert);
  idp = await startIdp({
    pki,
    port: 0,
    accessTokenTtl: 120,
    redirectUris: [REDIRECT],
    log: () => {},
  });
  backend = await startBackend({
    pki,
    issuer: idp.issuer,
    jwksUri: idp.jwksUri,
    allowedOrigins: [WEB],
    log: (r) => records.push(r),
  });
});
afterAll(async () => {
  await backend?.close();
  await idp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const as = (login: string): SignInOptions => ({
  issuer: idp.issuer,
  ca,
  redirectUri: REDIRECT,
  login,
  password: login,
});

describe("tokens from the demo IdP", () => {
  it("admin: accepted on the mTLS listener with scopes, roles and the gateway peer", async () => {
    const tokens = await signIn(as("admin"));
    secrets.add(tokens.access_token);
    const c = grpcClients(backend.mtlsPort, { ca: pki.meshCa.cert, identity: pki.gateway });
    try {
      const md = { authorization: `Bearer ${tokens.access_token}` };
      const who = await c.unary("notes", "WhoAmI", {}, md);
      expect(who.code).toBe(0);
      expect(who.messages[0]).toMatchObject({
        subject: "admin",
        roles: ["admin"],
        peerIdentity: GATEWAY_SPIFFE,
      });
      expect((who.messages[0] as { scopes: string[] }).scopes).toEqual(
        expect.arrayContaining(["notes.read", "notes.write"]),
      );
      expect((await c.unary("notes", "PurgeNotes", {}, md)).code).toBe(0);
    } finally {
      c.close();
    }
  });

  it("reader: reads on the gRPC-Web listener, cannot write; a refreshed token works too", async () => {
    const tokens = await signIn(as("reader"));
    secrets.add(tokens.access_token);
    if (tokens.refresh_token) secrets.add(tokens.refresh_token);
    const client = createClient(
      NotesService,
      createGrpcWebTransport({
        baseUrl: `https://localhost:${backend.webPort}`,
        httpVersion: "2",
        nodeOptions: { ca },
      }),
    );
    const headers = { authorization: `Bearer ${tokens.access_token}` };
    expect((await client.whoAmI({}, { headers })).subject).toBe("reader");
    await client.listNotes({}, { headers });
    const denied = await client
      .createNote({ text: "x" }, { headers })
      .catch((e) => ConnectError.from(e));
    expect(denied).toMatchObject({ code: 7 });

    expect(tokens.refresh_token).toBeTruthy();
    const http = new HttpSession(ca);
    const { status, body: refreshed } = await refreshTokens(
      http,
      idp.issuer,
      tokens.refresh_token!,
    );
    await http.close();
    expect(status).toBe(200);
    secrets.add(refreshed.access_token);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    const who = await client.whoAmI(
      {},
      { headers: { authorization: `Bearer ${refreshed.access_token}` } },
    );
    expect(who.subject).toBe("reader");
  });

  it("the logs hold no token", () => {
    expect(records.some((r) => (r as { layer?: string }).layer === "authz")).toBe(true);
    expect(leakedSecrets(records, secrets)).toEqual([]);
  });
});
