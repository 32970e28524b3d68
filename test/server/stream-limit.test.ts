/**
 * The per-caller stream budget: Envoy cannot tell users apart, the backend can. One caller's
 * streams beyond the limit are refused at once (RESOURCE_EXHAUSTED), other callers are not
 * touched, and a slot comes back however a stream ends: finished, or cancelled by the client
 * before its first message.
 */
import {
  Code,
  ConnectError,
  createClient,
  createRouterTransport,
  type Interceptor,
} from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotesService } from "../../demo/gen/demo/v1/notes_pb.js";
import {
  createStreamLimitInterceptor,
  principalKey,
  TOO_MANY_STREAMS_MESSAGE,
} from "../../src/server/index.js";
import { type Fixture, startFixture } from "./helpers/fixture.js";

const LIMIT = 4;
let fx: Fixture;

beforeAll(async () => {
  fx = await startFixture({ maxStreamsPerCaller: LIMIT });
});
afterAll(async () => {
  await fx?.close();
});

function clientOf() {
  return createClient(NotesService, fx.webTransport());
}

/** Opens a WatchNotes stream and waits for its first message; resolves to the open iterator. */
async function openStream(token: string, signal?: AbortSignal) {
  const it = clientOf()
    .watchNotes(
      { count: 100, intervalMs: 1000 },
      { headers: { authorization: `Bearer ${token}` }, signal },
    )
    [Symbol.asyncIterator]();
  const first = await it.next();
  expect(first.value?.seq).toBe(1);
  return it;
}

async function refusal(token: string): Promise<ConnectError | undefined> {
  try {
    await openStream(token);
    return undefined;
  } catch (err) {
    return ConnectError.from(err);
  }
}

describe("per-caller stream limit", () => {
  it(`refuses a caller's stream #${LIMIT + 1} with RESOURCE_EXHAUSTED, not another caller's, and gives the slot back`, async () => {
    const reader = await fx.issuer.user("reader");
    const writer = await fx.issuer.user("writer");
    const held = [];
    for (let i = 0; i < LIMIT; i++) held.push(await openStream(reader));
    const refused = await refusal(reader);
    expect(refused?.code).toBe(Code.ResourceExhausted);
    expect(refused?.rawMessage).toBe(TOO_MANY_STREAMS_MESSAGE);
    // Another user streams, and the reader's unary calls are not counted.
    const other = await openStream(writer);
    await other.return?.();
    expect(
      (await clientOf().whoAmI({}, { headers: { authorization: `Bearer ${reader}` } })).subject,
    ).toBe("reader");
    // One of the reader's streams ends: one slot, and only one, comes back.
    await held.pop()?.return?.();
    await expect
      .poll(async () => (await refusal(reader)) === undefined, { timeout: 5000 })
      .toBe(true);
    expect((await refusal(reader))?.code).toBe(Code.ResourceExhausted);
    expect(
      fx.records.filter((r) => (r as { reason?: string }).reason === "too-many-streams").length,
    ).toBeGreaterThanOrEqual(2);
    for (const it of held) await it.return?.();
  });

  it("gives the slot back when a client cancels a stream whose handler never looks at the signal", async () => {
    // In process: a handler that sleeps and yields forever; only the interceptor can tell.
    const limit = createStreamLimitInterceptor({ maxPerCaller: 2 });
    const asReader: Interceptor = (next) => (req) => {
      req.contextValues.set(principalKey, {
        subject: "reader",
        scopes: ["notes.read"],
        roles: [],
        claims: {},
        expiresAt: 0,
      });
      return next(req);
    };
    const transport = createRouterTransport(
      (router) =>
        router.service(NotesService, {
          async *watchNotes() {
            for (let seq = 1; ; seq++) {
              yield { seq };
              await new Promise((r) => setTimeout(r, 20));
            }
          },
        }),
      { router: { interceptors: [asReader, limit] } },
    );
    const client = createClient(NotesService, transport);
    const open = async (signal: AbortSignal) => {
      for await (const m of client.watchNotes({}, { signal })) if (m.seq === 2) return "open";
      return "ended";
    };
    for (let round = 0; round < 5; round++) {
      const a = [new AbortController(), new AbortController()];
      expect(await Promise.all(a.map((c) => open(c.signal)))).toEqual(["open", "open"]);
      for (const c of a) c.abort();
      await new Promise((r) => setTimeout(r, 50));
    }
    // 10 streams opened and cancelled two at a time: both slots are free again.
    const c = new AbortController();
    expect(await open(c.signal)).toBe("open");
    c.abort();
  });
});
