// Session mode's transport: cookies, never a token; the gateway's UNAUTHENTICATED reads as the
// same SessionEndedError and one `session-ended` event as in token mode; sign-in and sign-out are
// top-level navigations; the entry bundles without oidc-client-ts.
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { NotesService, WhoAmIResponseSchema } from "../../demo/gen/demo/v1/notes_pb.js";
import type { AuthEvent } from "../../src/web/index.js";
import {
  createSessionTransport,
  GatewaySession,
  InsecureTransportError,
  isSessionEnded,
  sessionEndedReason,
} from "../../src/web/session.js";
import { bundleForBrowser } from "./helpers/browser-bundle.js";

const GATEWAY = "https://api.example.com";

/** A gRPC-Web frame: flag byte, 4-byte big-endian length, payload. */
function frame(flag: number, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flag;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

const ok = () => {
  const msg = toBinary(WhoAmIResponseSchema, create(WhoAmIResponseSchema, { subject: "ada" }));
  const trailer = new TextEncoder().encode("grpc-status:0\r\n");
  const body = new Uint8Array([...frame(0, msg), ...frame(0x80, trailer)]);
  return new Response(body, { headers: { "content-type": "application/grpc-web+proto" } });
};
/** The gateway's refusal shape: 200, trailers-only, status in the headers, an empty trailer frame. */
const refused = (code: number) =>
  new Response(frame(0x80, new Uint8Array()), {
    headers: {
      "content-type": "application/grpc-web+proto",
      "grpc-status": String(code),
      "grpc-message": "refused",
    },
  });

/** A fake fetch that records what each call sent and answers from `answer`. */
function fakeFetch(answer: () => Response) {
  const sent: { credentials: RequestCredentials | undefined; headers: Headers }[] = [];
  const fetch: typeof globalThis.fetch = async (_input, init) => {
    sent.push({ credentials: init?.credentials, headers: new Headers(init?.headers) });
    return answer();
  };
  return { fetch, sent };
}

describe("createSessionTransport", () => {
  it("sends the cookies (credentials: include) and never an authorization header", async () => {
    const { fetch, sent } = fakeFetch(ok);
    const client = createClient(NotesService, createSessionTransport({ baseUrl: GATEWAY, fetch }));
    expect((await client.whoAmI({})).subject).toBe("ada");
    expect(sent).toHaveLength(1);
    expect(sent[0]?.credentials).toBe("include");
    expect(sent[0]?.headers.has("authorization")).toBe(false);
  });

  it("turns the gateway's UNAUTHENTICATED into SessionEndedError, and 20 concurrent refusals into one session-ended event", async () => {
    const { fetch } = fakeFetch(() => refused(Code.Unauthenticated));
    const session = new GatewaySession({ gateway: GATEWAY, navigate: () => {} });
    const events: AuthEvent[] = [];
    session.subscribe((e) => events.push(e));
    const client = createClient(
      NotesService,
      createSessionTransport({ baseUrl: GATEWAY, fetch, session }),
    );
    const errors = await Promise.all(
      Array.from({ length: 20 }, () =>
        client.listNotes({}).then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    );
    for (const err of errors) {
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(Code.Unauthenticated);
      expect(isSessionEnded(err)).toBe(true);
      expect(sessionEndedReason(err)).toBe("login_required");
    }
    expect(events).toEqual([{ type: "session-ended", reason: "login_required" }]);
  });

  it("publishes session-ended again only after a call succeeded in between", async () => {
    let answer = () => refused(Code.Unauthenticated);
    const session = new GatewaySession({ gateway: GATEWAY, navigate: () => {} });
    const events: AuthEvent[] = [];
    session.subscribe((e) => events.push(e));
    const client = createClient(
      NotesService,
      createSessionTransport({ baseUrl: GATEWAY, fetch: async () => answer(), session }),
    );
    await client.whoAmI({}).catch(() => {});
    await client.whoAmI({}).catch(() => {});
    answer = ok;
    await client.whoAmI({});
    answer = () => refused(Code.Unauthenticated);
    await client.whoAmI({}).catch(() => {});
    expect(events.map((e) => e.type)).toEqual(["session-ended", "session-ended"]);
  });

  it("leaves PERMISSION_DENIED alone: not a session end, no event", async () => {
    const session = new GatewaySession({ gateway: GATEWAY, navigate: () => {} });
    const events: AuthEvent[] = [];
    session.subscribe((e) => events.push(e));
    const { fetch } = fakeFetch(() => refused(Code.PermissionDenied));
    const client = createClient(
      NotesService,
      createSessionTransport({ baseUrl: GATEWAY, fetch, session }),
    );
    const err = await client.purgeNotes({}).catch((e: unknown) => e);
    expect((err as ConnectError).code).toBe(Code.PermissionDenied);
    expect(isSessionEnded(err)).toBe(false);
    expect(events).toEqual([]);
  });

  it("refuses a plaintext base URL before any request leaves", () => {
    const { fetch, sent } = fakeFetch(ok);
    expect(() => createSessionTransport({ baseUrl: "http://api.example.com", fetch })).toThrow(
      InsecureTransportError,
    );
    expect(sent).toEqual([]);
  });
});

describe("GatewaySession", () => {
  it("signs in and out with top-level navigations to the gateway's paths", () => {
    const went: string[] = [];
    const session = new GatewaySession({ gateway: GATEWAY, navigate: (u) => went.push(u) });
    const events: AuthEvent[] = [];
    session.subscribe((e) => events.push(e));
    session.signIn();
    session.signOut();
    expect(went).toEqual([`${GATEWAY}/oauth2/signin`, `${GATEWAY}/oauth2/signout`]);
    expect(events).toEqual([{ type: "session-ended", reason: "signed-out" }]);
  });
});

describe("grpc-web-oidc/session entry", () => {
  it("bundles for the browser without oidc-client-ts or the token-mode source", async () => {
    const { inputs } = await bundleForBrowser("src/web/session.ts");
    expect(inputs).toContain("src/web/session-transport.ts");
    expect(inputs.filter((f) => /oidc-client-ts|oidc-token-source|user-manager/.test(f))).toEqual(
      [],
    );
  });
});
