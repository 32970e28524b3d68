/**
 * The gateway and the backend accept and refuse the same tokens with the same gRPC code.
 * One probe sends each `authorization` variant to a real Envoy (generated from the claim
 * settings) and to the backend kit's own gRPC-Web listener (configured from the same
 * settings), as raw gRPC-Web requests, and requires the same grpc-status from both; the
 * expected code pins the chosen behaviour (README "Token acceptance").
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEnvoy, startEnvoy } from "../../../demo/envoy.js";
import { demoClaimSettings } from "../../../demo/oidc-client.js";
import { type DevPki, ensureDevPki } from "../../../demo/pki.js";
import { type Backend, startBackend } from "../../../demo/server/server.js";
import type { ClaimSettings } from "../../../src/access/index.js";
import { findEnvoy } from "../../../src/envoy/index.js";
import { repoRoot } from "../../helpers/buf.js";
import { AUDIENCE, startTokenIssuer, type TokenIssuer } from "../../server/helpers/token-issuer.js";

const bin = findEnvoy(repoRoot);
const ORIGIN = "https://localhost:5173";
const WHO_AM_I = "/demo.v1.NotesService/WhoAmI";
const LIST_NOTES = "/demo.v1.NotesService/ListNotes";

/** One probe: a method, an authorization value (or none), and the code both must answer. */
interface Variant {
  name: string;
  path?: string;
  authorization: (t: TokenIssuer) => Promise<string | undefined>;
  code: Code;
}

const reader = { sub: "reader", scope: "openid notes.read", roles: [] as string[] };
const bearer = async (token: Promise<string>) => `Bearer ${await token}`;

/** Variants every claim profile is probed with (the token shape is the profile's own). */
function commonVariants(good: (t: TokenIssuer, o?: object) => Promise<string>): Variant[] {
  return [
    { name: "valid token", authorization: (t) => bearer(good(t)), code: 0 as Code },
    { name: "no authorization header", authorization: async () => undefined, code: 16 },
    {
      name: "lower-case scheme `bearer`",
      authorization: async (t) => `bearer ${await good(t)}`,
      code: Code.Unauthenticated,
    },
    {
      name: "upper-case scheme `BEARER`",
      authorization: async (t) => `BEARER ${await good(t)}`,
      code: Code.Unauthenticated,
    },
    {
      name: "`Basic x, Bearer <t>`",
      authorization: async (t) => `Basic eDp5, Bearer ${await good(t)}`,
      code: Code.Unauthenticated,
    },
    {
      name: "`xyzBearer <t>`",
      authorization: async (t) => `xyzBearer ${await good(t)}`,
      code: Code.Unauthenticated,
    },
    {
      name: "`Bearer <t>==` (padding after the token)",
      authorization: async (t) => `Bearer ${await good(t)}==`,
      code: Code.Unauthenticated,
    },
    {
      name: "two spaces after `Bearer`",
      authorization: async (t) => `Bearer  ${await good(t)}`,
      code: Code.Unauthenticated,
    },
    {
      name: "`Bearer` and no token",
      authorization: async () => "Bearer",
      code: Code.Unauthenticated,
    },
    {
      name: "another audience",
      authorization: (t) => bearer(good(t, { aud: "https://other.example" })),
      code: Code.Unauthenticated,
    },
    {
      name: "another issuer",
      authorization: (t) => bearer(good(t, { iss: "https://other.example" })),
      code: Code.Unauthenticated,
    },
    {
      name: "signed by a key not in the JWKS",
      authorization: (t) => bearer(good(t, { key: "rogue" })),
      code: Code.Unauthenticated,
    },
    {
      name: "expired 10 s ago (inside the 30 s clock skew)",
      authorization: (t) => bearer(good(t, { expiresIn: -10 })),
      code: 0 as Code,
    },
    {
      name: "expired 90 s ago (outside the clock skew)",
      authorization: (t) => bearer(good(t, { expiresIn: -90 })),
      code: Code.Unauthenticated,
    },
    {
      name: "not valid for another 10 s (inside the clock skew)",
      authorization: (t) => bearer(good(t, { notBefore: 10 })),
      code: 0 as Code,
    },
    {
      name: "not valid for another 90 s (outside the clock skew)",
      authorization: (t) => bearer(good(t, { notBefore: 90 })),
      code: Code.Unauthenticated,
    },
    {
      name: "no exp",
      authorization: (t) => bearer(good(t, { expiresIn: null })),
      code: Code.Unauthenticated,
    },
    {
      name: "valid token without the method's scope",
      path: "/demo.v1.NotesService/CreateNote",
      authorization: (t) => bearer(good(t)),
      code: Code.PermissionDenied,
    },
    {
      name: "valid token with the method's scope",
      path: LIST_NOTES,
      authorization: (t) => bearer(good(t)),
      code: 0 as Code,
    },
  ];
}

interface Profile {
  name: string;
  claims: (issuer: string) => ClaimSettings;
  variants: Variant[];
}

/** The demo IdP's tokens: RFC 9068 `typ: at+jwt`, flat `roles`. */
const demoToken = (t: TokenIssuer, o: object = {}) => t.mint({ ...reader }, o);
/** Keycloak's tokens: header `typ: JWT`, payload `typ: Bearer`, roles in `realm_access`. */
const keycloakToken = (t: TokenIssuer, o: object = {}, payloadTyp: string | null = "Bearer") =>
  t.mint(
    {
      sub: "reader",
      scope: "openid notes.read",
      realm_access: { roles: ["reader"] },
      ...(payloadTyp === null ? {} : { typ: payloadTyp }),
    },
    { header: { typ: "JWT" }, ...o },
  );

const PROFILES: Profile[] = [
  {
    name: "demo IdP (typ at+jwt)",
    claims: (issuer) => demoClaimSettings(issuer),
    variants: [
      ...commonVariants(demoToken),
      {
        name: "header typ `application/at+jwt` (same media type)",
        authorization: (t) => bearer(demoToken(t, { header: { typ: "application/at+jwt" } })),
        code: 0 as Code,
      },
      {
        name: "header typ `AT+JWT` (media types are case-insensitive)",
        authorization: (t) => bearer(demoToken(t, { header: { typ: "AT+JWT" } })),
        code: 0 as Code,
      },
      {
        name: "an ID-token-shaped JWT (header typ JWT)",
        authorization: (t) => bearer(demoToken(t, { header: { typ: "JWT" } })),
        code: Code.Unauthenticated,
      },
      {
        name: "no header typ",
        authorization: (t) => bearer(demoToken(t, { header: { typ: undefined } })),
        code: Code.Unauthenticated,
      },
    ],
  },
  {
    name: "Keycloak-shaped (header typ JWT, payload typ Bearer, realm_access.roles)",
    claims: (issuer) => ({
      issuer,
      audiences: [AUDIENCE, "notes-spa"],
      rolesClaim: "realm_access.roles",
      requiredClaims: { typ: "Bearer" },
    }),
    variants: [
      ...commonVariants((t, o) => keycloakToken(t, o)),
      {
        name: "Keycloak ID token (payload typ ID, aud = the client id)",
        authorization: (t) => bearer(keycloakToken(t, { aud: "notes-spa" }, "ID")),
        code: Code.Unauthenticated,
      },
      {
        name: "no payload typ",
        authorization: (t) => bearer(keycloakToken(t, {}, null)),
        code: Code.Unauthenticated,
      },
      {
        name: "payload typ `bearer` (claim values are exact)",
        authorization: (t) => bearer(keycloakToken(t, {}, "bearer")),
        code: Code.Unauthenticated,
      },
    ],
  },
];

/** Sends one raw gRPC-Web call; returns grpc-status from the headers or the trailer frame. */
async function grpcStatus(
  agent: Agent,
  baseUrl: string,
  path: string,
  authorization: string | undefined,
): Promise<number> {
  const res = await undiciFetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/grpc-web+proto",
      "x-grpc-web": "1",
      origin: ORIGIN,
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: new Uint8Array(5), // one empty message frame
    dispatcher: agent,
  });
  const body = new Uint8Array(await res.arrayBuffer());
  const inHeaders = res.headers.get("grpc-status");
  if (inHeaders !== null) return Number(inHeaders);
  for (let i = 0; i + 5 <= body.length; ) {
    const len = new DataView(body.buffer, body.byteOffset + i + 1, 4).getUint32(0);
    if (body[i]! & 0x80) {
      const text = new TextDecoder().decode(body.subarray(i + 5, i + 5 + len));
      const m = /grpc-status:\s*(\d+)/i.exec(text);
      if (m) return Number(m[1]);
    }
    i += 5 + len;
  }
  throw new Error(`no grpc-status (HTTP ${res.status})`);
}

describe.skipIf(!bin)("gateway/backend parity of token acceptance", () => {
  let pki: DevPki;
  let agent: Agent;
  beforeAll(() => {
    pki = ensureDevPki(join(tmpdir(), `gwo-parity-${process.pid}`));
    agent = new Agent({ connect: { ca: readFileSync(pki.ca.cert, "utf8") }, allowH2: true });
  });
  afterAll(async () => {
    await agent?.close();
  });

  describe.each(PROFILES)("$name", (profile) => {
    let issuer: TokenIssuer;
    let backend: Backend;
    let envoy: RunningEnvoy;
    beforeAll(async () => {
      issuer = await startTokenIssuer(pki);
      const claims = profile.claims(issuer.issuer);
      backend = await startBackend({
        pki,
        issuer: issuer.issuer,
        claims,
        jwksUri: issuer.jwksUri,
        allowedOrigins: [ORIGIN],
      });
      envoy = await startEnvoy({
        pki,
        idpIssuer: issuer.issuer,
        jwksUri: issuer.jwksUri,
        backendPort: backend.mtlsPort,
        allowedOrigins: [ORIGIN],
        claims,
      });
    });
    afterAll(async () => {
      await envoy?.close();
      await backend?.close();
      await issuer?.close();
    });

    it.each(profile.variants)(
      "$name: the same code at the gateway and at the backend",
      async (v) => {
        const authorization = await v.authorization(issuer);
        const path = v.path ?? WHO_AM_I;
        const atGateway = await grpcStatus(agent, envoy.url, path, authorization);
        const atBackend = await grpcStatus(
          agent,
          `https://localhost:${backend.webPort}`,
          path,
          authorization,
        );
        expect({ gateway: atGateway, backend: atBackend }).toEqual({
          gateway: v.code,
          backend: v.code,
        });
      },
    );
  });
});
