/**
 * The per-call bench's page (bundled for Chromium by per-call-browser.ts): the same Health
 * client through createOidcTransport (OidcTokenSource, storage "local": tokens in IndexedDB,
 * as README recommends for apps with several tabs) and through connect-web with a fixed
 * header, driven through `window.perCall`.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { User } from "oidc-client-ts";
import { Health } from "../../src/gen/grpc/health/v1/health_pb.js";
import { createOidcTransport, OidcTokenSource } from "../../src/web/index.js";
import { IndexedDbStore } from "../../src/web/indexeddb-store.js";

const AUTHORITY = "https://idp.invalid";
const CLIENT_ID = "bench";

export interface Work {
  transport: "ours" | "theirs";
  unary: number;
  concurrency: number;
  streams: number;
  messages: number;
}

declare global {
  interface Window {
    perCall: { ready: Promise<void>; run(work: Work): Promise<number> };
  }
}

const b64 = (o: object) =>
  btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

async function setUp() {
  const now = Math.floor(Date.now() / 1000);
  const accessToken = `${b64({ alg: "ES256", typ: "at+jwt" })}.${b64({ sub: "alice", iat: now, exp: now + 3600 })}.c2ln`;
  const user = new User({
    access_token: accessToken,
    token_type: "Bearer",
    refresh_token: "refresh",
    scope: "openid offline_access",
    profile: { sub: "alice", iss: AUTHORITY, aud: CLIENT_ID, exp: now + 3600, iat: now },
    expires_at: now + 3600,
  });
  await new IndexedDbStore().set(`user:${AUTHORITY}:${CLIENT_ID}`, user.toStorageString());
  const tokens = new OidcTokenSource({
    authority: AUTHORITY,
    clientId: CLIENT_ID,
    redirectUri: `${location.origin}/callback`,
    storage: "local",
  });
  const baseUrl = location.origin;
  const fixed = await tokens.getToken();
  return {
    ours: createClient(
      Health,
      createOidcTransport({ baseUrl, tokens, allowInsecureLoopback: true }),
    ),
    theirs: createClient(
      Health,
      createGrpcWebTransport({
        baseUrl,
        interceptors: [
          (next) => (req) => {
            req.header.set("authorization", `Bearer ${fixed}`);
            return next(req);
          },
        ],
      }),
    ),
  };
}

const clients = setUp();

window.perCall = {
  ready: clients.then(() => undefined),
  async run(work) {
    const client = (await clients)[work.transport];
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < work.unary) {
        next++;
        await client.check({});
      }
    };
    await Promise.all(Array.from({ length: work.concurrency }, worker));
    for (let s = 0; s < work.streams; s++) {
      let n = 0;
      for await (const _ of client.watch({ service: String(work.messages) })) n++;
      if (n !== work.messages) throw new Error(`stream ended after ${n} messages`);
    }
    return performance.now() - t0;
  },
};
