/**
 * JWT attack matrix: every malformed, forged or misused credential is refused with
 * UNAUTHENTICATED, on a unary method (WhoAmI) and a server-streaming one (WatchNotes),
 * on both listeners (mTLS via @grpc/grpc-js, gRPC-Web via Connect), and each refusal is
 * logged with the reason we expect — so no case passes for an accidental reason.
 */
import { readFileSync } from "node:fs";
import { connect as tlsConnect } from "node:tls";
import { Code, ConnectError } from "@connectrpc/connect";
import { base64url, exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DenialRecord } from "../../src/server/index.js";
import { type Fixture, leakedSecrets, startFixture } from "./helpers/fixture.js";
import { type GrpcClients, grpcClients } from "./helpers/grpc-client.js";
import { AUDIENCE } from "./helpers/token-issuer.js";

const UNAUTHENTICATED = 16;
let fx: Fixture;
let grpc: GrpcClients;

beforeAll(async () => {
  fx = await startFixture();
  grpc = grpcClients(fx.backend.mtlsPort, { ca: fx.pki.meshCa.cert, identity: fx.pki.gateway });
});
afterAll(async () => {
  grpc?.close();
  await fx?.close();
});

const enc = (o: object) => base64url.encode(JSON.stringify(o));
const now = () => Math.floor(Date.now() / 1000);
/** Claims an attacker would like to have. */
const greedy = { sub: "attacker", scope: "openid notes.read notes.write", roles: ["admin"] };
const claimsFor = () => ({
  ...greedy,
  iss: fx.issuer.issuer,
  aud: AUDIENCE,
  iat: now(),
  exp: now() + 300,
});

interface Case {
  name: string;
  /** The authorization header value to send. */
  authorization: () => Promise<string>;
  /** The reason(s) the denial log must name. */
  reason: string | string[];
}

const cases: Case[] = [
  {
    name: "alg none, empty signature",
    authorization: async () => `Bearer ${enc({ alg: "none" })}.${enc(claimsFor())}.`,
    reason: "malformed-token",
  },
  {
    name: "alg none with a signature part",
    authorization: async () => {
      const sig = (await fx.issuer.user("reader")).split(".")[2];
      return `Bearer ${enc({ alg: "none", typ: "JWT" })}.${enc(claimsFor())}.${sig}`;
    },
    reason: "alg-not-allowed",
  },
  {
    name: "alg 'None' (case variant)",
    authorization: async () => `Bearer ${enc({ alg: "None" })}.${enc(claimsFor())}.c2ln`,
    reason: "alg-not-allowed",
  },
  {
    name: "HS256 signed with the RSA public key (PEM) as HMAC secret",
    authorization: async () => {
      const t = await new SignJWT(claimsFor())
        .setProtectedHeader({ alg: "HS256", kid: "rsa-1" })
        .sign(new TextEncoder().encode(fx.issuer.rsaPublicPem));
      return `Bearer ${t}`;
    },
    reason: "alg-not-allowed",
  },
  {
    name: "expired (beyond the clock tolerance)",
    authorization: async () => `Bearer ${await fx.issuer.mint(greedy, { expiresIn: -120 })}`,
    reason: "expired",
  },
  {
    name: "nbf in the future",
    authorization: async () => `Bearer ${await fx.issuer.mint(greedy, { notBefore: 600 })}`,
    reason: "not-yet-valid",
  },
  {
    name: "wrong issuer",
    authorization: async () =>
      `Bearer ${await fx.issuer.mint(greedy, { iss: "https://evil.example" })}`,
    reason: "wrong-issuer",
  },
  {
    name: "issuer with a trailing slash",
    authorization: async () =>
      `Bearer ${await fx.issuer.mint(greedy, { iss: `${fx.issuer.issuer}/` })}`,
    reason: "wrong-issuer",
  },
  {
    name: "wrong audience",
    authorization: async () =>
      `Bearer ${await fx.issuer.mint(greedy, { aud: "https://other-api.example" })}`,
    reason: "wrong-audience",
  },
  {
    name: "no audience",
    authorization: async () => `Bearer ${await fx.issuer.mint(greedy, { aud: null })}`,
    reason: "wrong-audience",
  },
  {
    name: "typ JWT instead of at+jwt (an ID token or other JWT from the same issuer)",
    authorization: async () => `Bearer ${await fx.issuer.mint(greedy, { header: { typ: "JWT" } })}`,
    reason: "wrong-type",
  },
  {
    name: "an ID token for the SPA client (aud = client id)",
    authorization: async () =>
      `Bearer ${await fx.issuer.mint(
        { ...greedy, nonce: "n", azp: "grpc-web-oidc-demo" },
        { aud: "grpc-web-oidc-demo", header: { typ: "JWT" } },
      )}`,
    reason: ["wrong-audience", "wrong-type"],
  },
  {
    name: "missing exp",
    authorization: async () => `Bearer ${await fx.issuer.mint(greedy, { expiresIn: null })}`,
    reason: "missing-claim",
  },
  {
    name: "tampered payload (reader promoted to admin)",
    authorization: async () => {
      const [h, , s] = (await fx.issuer.user("reader")).split(".");
      return `Bearer ${h}.${enc(claimsFor())}.${s}`;
    },
    reason: "bad-signature",
  },
  {
    name: "tampered signature",
    authorization: async () => {
      const [h, p, s] = (await fx.issuer.user("reader")).split(".");
      const flipped = (s![0] === "A" ? "B" : "A") + s!.slice(1);
      return `Bearer ${h}.${p}.${flipped}`;
    },
    reason: "bad-signature",
  },
  {
    name: "unknown kid",
    authorization: async () =>
      `Bearer ${await fx.issuer.mint(greedy, { key: "rogue", kid: "rogue-1" })}`,
    reason: "unknown-key",
  },
  {
    name: "valid signature by a key not in the JWKS, published kid",
    authorization: async () => `Bearer ${await fx.issuer.mint(greedy, { key: "rogue" })}`,
    reason: "bad-signature",
  },
  {
    name: "valid signature by a key not in the JWKS, no kid",
    authorization: async () =>
      `Bearer ${await fx.issuer.mint(greedy, { key: "rogue", kid: null })}`,
    reason: "bad-signature",
  },
  {
    name: "attacker key embedded in the header (jwk)",
    authorization: async () => {
      const k = await generateKeyPair("RS256");
      const t = await new SignJWT(claimsFor())
        .setProtectedHeader({ alg: "RS256", jwk: await exportJWK(k.publicKey) })
        .sign(k.privateKey);
      return `Bearer ${t}`;
    },
    reason: "bad-signature",
  },
  {
    name: "jku header pointing at an attacker's JWKS",
    authorization: async () =>
      `Bearer ${await fx.issuer.mint(greedy, {
        key: "rogue",
        kid: "rogue-2",
        header: { jku: "https://evil.example/jwks" },
      })}`,
    reason: "unknown-key",
  },
  {
    name: "kid with a path traversal",
    authorization: async () =>
      `Bearer ${await fx.issuer.mint(greedy, { key: "rogue", kid: "../../../../dev/null" })}`,
    reason: "unknown-key",
  },
  {
    name: "alg RS256 in the header, kid of the EC key",
    authorization: async () =>
      `Bearer ${await fx.issuer.mint(greedy, { key: "rogue", alg: "RS256", kid: "ec-1" })}`,
    reason: "unknown-key",
  },
  {
    name: "alg ES256 in the header, kid of the RSA key",
    authorization: async () =>
      `Bearer ${await fx.issuer.mint(greedy, { key: "ec", alg: "ES256", kid: "rsa-1" })}`,
    reason: "unknown-key",
  },
  {
    name: "crit header naming an unknown extension",
    authorization: async () =>
      `Bearer ${await fx.issuer.mintRaw({ crit: ["x-gwo"], "x-gwo": 1 }, claimsFor())}`,
    reason: "unsupported",
  },
  {
    name: "truncated signature",
    authorization: async () => `Bearer ${(await fx.issuer.user("reader")).slice(0, -8)}`,
    reason: "bad-signature",
  },
  {
    name: "truncated to header.payload",
    authorization: async () =>
      `Bearer ${(await fx.issuer.user("reader")).split(".").slice(0, 2).join(".")}`,
    reason: "malformed-token",
  },
  {
    name: "oversized (16 KB, validly signed)",
    authorization: async () =>
      `Bearer ${await fx.issuer.mint({ ...greedy, pad: "x".repeat(16 * 1024) })}`,
    reason: "token-too-long",
  },
  {
    name: "JWE-shaped (5 parts)",
    authorization: async () => `Bearer ${enc({ alg: "dir", enc: "A256GCM" })}..aXY.Y3Q.dGFn`,
    reason: "malformed-token",
  },
  {
    name: "non-JWT garbage",
    authorization: async () => "Bearer hello-world-this-is-not-a-jwt",
    reason: "malformed-token",
  },
  {
    name: "Basic scheme carrying a valid token",
    authorization: async () => `Basic ${await fx.issuer.user("admin")}`,
    reason: "wrong-scheme",
  },
  {
    name: "other scheme (Token)",
    authorization: async () => `Token ${await fx.issuer.user("admin")}`,
    reason: "wrong-scheme",
  },
  {
    name: "token without a scheme",
    authorization: async () => await fx.issuer.user("admin"),
    reason: "malformed-authorization",
  },
  {
    name: "'Bearer' without a token",
    authorization: async () => "Bearer",
    reason: "malformed-authorization",
  },
  {
    name: "empty authorization header",
    authorization: async () => "",
    reason: ["malformed-authorization", "no-credentials"],
  },
  {
    name: "two credentials in one header (as a proxy merges repeated headers)",
    authorization: async () =>
      `Bearer ${await fx.issuer.user("admin")}, Bearer ${await fx.issuer.user("reader")}`,
    reason: "malformed-authorization",
  },
  {
    name: "Basic credentials, then a Bearer token, in one value",
    authorization: async () => `Basic eDp5, Bearer ${await fx.issuer.user("admin")}`,
    reason: "malformed-authorization",
  },
  {
    name: "a prefix glued to the scheme (xyzBearer)",
    authorization: async () => `xyzBearer ${await fx.issuer.user("admin")}`,
    reason: "wrong-scheme",
  },
  {
    name: "padding after the token (<jws>==)",
    authorization: async () => `Bearer ${await fx.issuer.user("admin")}==`,
    reason: "malformed-token",
  },
  {
    name: "two spaces after the scheme",
    authorization: async () => `Bearer  ${await fx.issuer.user("admin")}`,
    reason: "malformed-authorization",
  },
  {
    name: "no authorization header",
    authorization: async () => "",
    reason: "no-credentials",
  },
];

type Listener = "mtls" | "web";
type Method = "WhoAmI" | "WatchNotes";

/** Calls one method with one authorization value; resolves to the gRPC status code. */
async function call(listener: Listener, method: Method, authorization: string | undefined) {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  if (listener === "mtls") {
    const r =
      method === "WhoAmI"
        ? await grpc.unary("notes", "WhoAmI", {}, headers)
        : await grpc.stream("notes", "WatchNotes", { count: 2, intervalMs: 0 }, headers);
    return { code: r.code, messages: r.messages.length };
  }
  const client = fx.webClient();
  try {
    if (method === "WhoAmI") {
      await client.whoAmI({}, { headers });
      return { code: 0, messages: 1 };
    }
    let messages = 0;
    for await (const _ of client.watchNotes({ count: 2, intervalMs: 0 }, { headers })) messages++;
    return { code: 0, messages };
  } catch (err) {
    return { code: ConnectError.from(err).code as number, messages: 0 };
  }
}

function lastAuthnDenial(): DenialRecord | undefined {
  return fx.records.filter((r): r is DenialRecord => (r as DenialRecord).layer === "authn").at(-1);
}

describe.each(["mtls", "web"] as const)("JWT attacks on the %s listener", (listener) => {
  for (const method of ["WhoAmI", "WatchNotes"] as const) {
    describe(method, () => {
      it("control: a valid token is accepted", async () => {
        const r = await call(listener, method, `Bearer ${await fx.issuer.user("reader")}`);
        expect(r.code).toBe(0);
        expect(r.messages).toBeGreaterThan(0);
      });
      it("lowercase scheme 'bearer' is refused, as at the gateway (exactly `Bearer <jws>`)", async () => {
        const r = await call(listener, method, `bearer ${await fx.issuer.user("reader")}`);
        expect(r.code).toBe(Code.Unauthenticated);
      });
      it("control: an EC-signed token is accepted", async () => {
        const r = await call(
          listener,
          method,
          `Bearer ${await fx.issuer.user("reader", { key: "ec" })}`,
        );
        expect(r.code).toBe(0);
      });
      it("control: expiry within the 30 s clock tolerance is accepted", async () => {
        const r = await call(
          listener,
          method,
          `Bearer ${await fx.issuer.user("reader", { expiresIn: -5 })}`,
        );
        expect(r.code).toBe(0);
      });
      it("control: the raw signer's token without crit is accepted", async () => {
        const r = await call(
          listener,
          method,
          `Bearer ${await fx.issuer.mintRaw({}, claimsFor())}`,
        );
        expect(r.code).toBe(0);
      });
      for (const c of cases) {
        it(`refuses ${c.name}`, async () => {
          const value = c.name === "no authorization header" ? undefined : await c.authorization();
          if (value) fx.issuer.remember(value);
          const before = fx.records.length;
          const r = await call(listener, method, value);
          expect(r.code).toBe(UNAUTHENTICATED);
          expect(r.messages).toBe(0);
          const denial = lastAuthnDenial();
          expect(fx.records.length).toBeGreaterThan(before);
          expect(denial?.method).toBe(`/demo.v1.NotesService/${method}`);
          expect([c.reason].flat()).toContain(denial?.reason);
        });
      }
    });
  }
});

/** gRPC-Web over HTTP/1.1 by hand, so two separate authorization header lines can be sent. */
function rawGrpcWeb(path: string, body: Buffer, authorizations: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: "localhost",
      port: fx.backend.webPort,
      ca: readFileSync(fx.pki.ca.cert),
      ALPNProtocols: ["http/1.1"],
      servername: "localhost",
    });
    let response = "";
    socket.on("data", (d) => {
      response += d.toString("latin1");
    });
    socket.on("end", () => resolve(response));
    socket.on("error", reject);
    socket.on("secureConnect", () => {
      const lines = [
        `POST ${path} HTTP/1.1`,
        `Host: localhost:${fx.backend.webPort}`,
        "Content-Type: application/grpc-web+proto",
        "X-Grpc-Web: 1",
        ...authorizations.map((a) => `Authorization: ${a}`),
        `Content-Length: ${body.length}`,
        "Connection: close",
        "",
        "",
      ];
      socket.write(Buffer.concat([Buffer.from(lines.join("\r\n"), "latin1"), body]));
    });
  });
}

describe("two authorization headers (HTTP/1.1, gRPC-Web listener)", () => {
  const frame = (msg: number[]) =>
    Buffer.concat([Buffer.from([0, 0, 0, 0, msg.length]), Buffer.from(msg)]);
  it.each([
    ["WhoAmI", frame([])],
    ["WatchNotes", frame([0x08, 0x01])],
  ])("refuses %s with two valid Bearer headers", async (method, body) => {
    const a = `Bearer ${await fx.issuer.user("admin")}`;
    const b = `Bearer ${await fx.issuer.user("reader")}`;
    const res = await rawGrpcWeb(`/demo.v1.NotesService/${method}`, body, [a, b]);
    expect(res).toMatch(/^HTTP\/1\.1 200/);
    expect(res.toLowerCase()).toContain(`grpc-status: ${UNAUTHENTICATED}`);
    expect(lastAuthnDenial()?.reason).toBe("multiple-authorization-headers");
  });
  it("control: the same request with one header succeeds", async () => {
    const a = `Bearer ${await fx.issuer.user("admin")}`;
    const res = await rawGrpcWeb("/demo.v1.NotesService/WhoAmI", frame([]), [a]);
    expect(res).toMatch(/^HTTP\/1\.1 200/);
    expect(res.toLowerCase()).toContain("grpc-status: 0");
  });
});

describe("logs", () => {
  it("every refusal is a structured record without the token", () => {
    const denials = fx.records.filter((r) => (r as DenialRecord).event === "denied");
    // 34 cases x 2 methods x 2 listeners, plus the raw two-header cases.
    expect(denials.length).toBeGreaterThanOrEqual(cases.length * 4 + 2);
    for (const d of denials) {
      expect(Object.keys(d).sort()).toEqual(
        ["code", "event", "layer", "method", "peer", "reason", "time"].sort(),
      );
    }
    expect(fx.issuer.minted.size).toBeGreaterThan(50);
    expect(leakedSecrets(fx.records, fx.issuer.minted)).toEqual([]);
  });
  it("refusals on the mTLS listener name the gateway as the peer", () => {
    const peers = new Set(
      fx.records.map((r) => (r as DenialRecord).peer).filter((p) => p?.startsWith("spiffe:")),
    );
    expect([...peers]).toEqual(["spiffe://grpc-web-oidc.local/gateway"]);
  });
});
