/**
 * The SDK's DPoP interceptor against the real backend kit (the demo backend's gRPC-Web
 * listener with `dpop`): a fresh proof per call and per retry, streams proved once at
 * their start, one retry on `use_dpop_nonce` and the nonce kept for the next calls, and
 * the proof key's thumbprint equal to the token's `cnf.jkt`.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotesService } from "../../demo/gen/demo/v1/notes_pb.js";
import type { DenialRecord } from "../../src/server/index.js";
import { authInterceptor } from "../../src/web/auth-interceptor.js";
import { dpopInterceptor } from "../../src/web/dpop-interceptor.js";
import { createDpopProver } from "../../src/web/dpop-prover.js";
import { tokenSourceFromFunction } from "../../src/web/index.js";
import { type Fixture, startFixture } from "../server/helpers/fixture.js";
import { USERS } from "../server/helpers/token-issuer.js";

let plain: Fixture;
let withNonces: Fixture;
let keys: CryptoKeyPair;
let jkt: string;

beforeAll(async () => {
  plain = await startFixture({ dpop: {} });
  withNonces = await startFixture({ dpop: { nonceSecret: new Uint8Array(32).fill(3) } });
  // As oidc-client-ts makes them: ECDSA P-256, private key not extractable.
  keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
    "verify",
  ]);
  jkt = await createDpopProver(keys).thumbprint();
});
afterAll(async () => {
  await plain?.close();
  await withNonces?.close();
});

/** A client through auth + DPoP interceptors, counting the requests that leave. */
function client(fx: Fixture, token: () => Promise<string>) {
  const agent = new Agent({ connect: { ca: readFileSync(fx.pki.ca.cert) } });
  const sent: { authorization: string; dpop: string }[] = [];
  const transport = createGrpcWebTransport({
    baseUrl: `https://localhost:${fx.backend.webPort}`,
    interceptors: [
      authInterceptor(tokenSourceFromFunction(token)),
      dpopInterceptor({ keys: async () => keys }),
    ],
    fetch: (input, init) => {
      const h = new Headers(init?.headers);
      sent.push({ authorization: h.get("authorization") ?? "", dpop: h.get("dpop") ?? "" });
      return undiciFetch(input as string, { ...(init as object), dispatcher: agent }) as never;
    },
  });
  return { notes: createClient(NotesService, transport), sent };
}

const boundToken = (fx: Fixture) =>
  fx.issuer.mint({ ...USERS.reader, roles: [], jti: randomUUID(), cnf: { jkt } });

describe("dpopInterceptor against the backend kit", () => {
  it("sends Authorization: DPoP and a fresh proof on every unary call and once per stream", async () => {
    const token = await boundToken(plain);
    const { notes, sent } = client(plain, async () => token);
    for (let i = 0; i < 20; i++) expect((await notes.whoAmI({})).subject).toBe("reader");
    let streamed = 0;
    for await (const _ of notes.watchNotes({ count: 3, intervalMs: 0 })) streamed++;
    expect(streamed).toBe(3);
    expect(sent).toHaveLength(21);
    expect(new Set(sent.map((s) => s.dpop)).size).toBe(21);
    for (const s of sent) {
      expect(s.authorization).toBe(`DPoP ${token}`);
      const claims = JSON.parse(Buffer.from(s.dpop.split(".")[1]!, "base64url").toString());
      expect(claims.htm).toBe("POST");
      expect(claims.htu).toMatch(
        new RegExp(
          `^https://localhost:${plain.backend.webPort}/demo\\.v1\\.NotesService/(WhoAmI|WatchNotes)$`,
        ),
      );
    }
  });

  it("retries once with the server's nonce, then keeps using it (one extra request in total)", async () => {
    const token = await boundToken(withNonces);
    const { notes, sent } = client(withNonces, async () => token);
    await notes.whoAmI({});
    expect(sent).toHaveLength(2); // use_dpop_nonce, then the retry
    await notes.whoAmI({});
    let streamed = 0;
    for await (const _ of notes.watchNotes({ count: 2, intervalMs: 0 })) streamed++;
    expect(streamed).toBe(2);
    expect(sent).toHaveLength(4);
    const reasons = withNonces.records.map((r) => (r as DenialRecord).reason);
    expect(reasons.filter((r) => r === "dpop-nonce-required")).toHaveLength(1);
  });

  it("answers a nonce challenge on a server stream's first attempt, replaying its request", async () => {
    const token = await boundToken(withNonces);
    const { notes, sent } = client(withNonces, async () => token);
    const got: number[] = [];
    for await (const m of notes.watchNotes({ count: 2, intervalMs: 0 })) got.push(m.seq ?? 0);
    expect(got).toHaveLength(2);
    expect(sent).toHaveLength(2);
  });

  it("gives the auth interceptor's retry (after a refresh) its own proof for the new token", async () => {
    const stale = await plain.issuer.mint({
      ...USERS.reader,
      roles: [],
      cnf: { jkt: "not-this-key" },
    });
    const fresh = await boundToken(plain);
    let n = 0;
    const { notes, sent } = client(plain, async () => (n++ === 0 ? stale : fresh));
    expect((await notes.whoAmI({})).subject).toBe("reader");
    expect(sent.map((s) => s.authorization)).toEqual([`DPoP ${stale}`, `DPoP ${fresh}`]);
    expect(sent[0]!.dpop).not.toBe(sent[1]!.dpop);
  });

  it("does not retry a refusal that is not a nonce challenge", async () => {
    const unbound = await plain.issuer.user("reader");
    const { notes, sent } = client(plain, async () => unbound);
    await expect(notes.whoAmI({})).rejects.toMatchObject({ code: 16 });
    // The auth interceptor asks for another token, gets the same one, and stops.
    expect(sent).toHaveLength(1);
  });
});
