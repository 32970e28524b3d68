/**
 * One simulated SPA client of the soak run: the real SDK (`OidcTokenSource` on oidc-client-ts,
 * `createOidcTransport`) in Node, signed in over HTTP against the real IdP, issuing a mix of
 * unary calls and short server streams at a bounded rate for a bounded time.
 *
 * Each client is its own "browser": private in-memory token storage, its own lock name and its
 * own connection pool. Nothing here ever records a token: failures keep only the code and
 * the SDK's (token-free) reason.
 */
import { performance } from "node:perf_hooks";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { type IdTokenClaims, InMemoryWebStorage, User } from "oidc-client-ts";
import { Agent, fetch as undiciFetch } from "undici";
import { NotesService } from "../../demo/gen/demo/v1/notes_pb.js";
import {
  type AuthEvent,
  createOidcTransport,
  isSessionEnded,
  type LockManagerLike,
  OidcTokenSource,
  refreshErrorReason,
} from "../../src/web/index.js";
import { DEMO_CLIENT_ID, DEMO_SCOPE, signIn } from "../../test/helpers/oidc-flow.js";
import { bump, sleep } from "./stats.js";

export const METHODS = ["WhoAmI", "ListNotes", "CreateNote", "WatchNotes"] as const;
export type Method = (typeof METHODS)[number];

/** Share of each method in the call mix (sums to 1). */
const MIX: ReadonlyArray<readonly [Method, number]> = [
  ["WhoAmI", 0.3],
  ["ListNotes", 0.3],
  ["CreateNote", 0.2],
  ["WatchNotes", 0.2],
];

/** Messages asked of each WatchNotes stream, and their spacing. */
const WATCH_COUNT = 3;
const WATCH_INTERVAL_MS = 100;

/** A failed call: when, what, and how (never a token). */
export interface FailureRecord {
  /** Epoch ms when the call failed. */
  t: number;
  client: number;
  login: string;
  method: Method | "probe";
  /** Connect code name, or `CHECK` when the answer was wrong (subject, short stream). */
  code: string;
  sessionEnded: boolean;
  refreshReason: string | undefined;
  /** Life left on the client's current access token when the call failed, ms. */
  tokenValidMs: number;
}

/** One refresh this client completed. */
export interface RefreshRecord {
  t: number;
  /** Life left on the previous token when the new one arrived, ms. */
  remainingMs: number;
  /** The refresh followed a forced expiry (`forceExpiry`). */
  forced: boolean;
}

export interface SoakClientOptions {
  id: number;
  login: string;
  issuer: string;
  redirectUri: string;
  /** Where the API is (Envoy or the backend's gRPC-Web listener). */
  apiUrl: string;
  /** The web app's origin, sent as `Origin` like a browser would. */
  origin: string;
  /** The dev CA (PEM). */
  ca: Buffer;
  /** Refresh this many seconds before expiry. */
  leewaySeconds: number;
  /** Calls per second of this client (all workers together). */
  rate: number;
  /** Concurrent call loops (a page with several components calling at once). */
  workers: number;
  /** Per-call deadline, ms. */
  timeoutMs: number;
  /** Long server streams this client holds open besides its calls (`runStreams`). @default 0 */
  streams?: number;
}

/** Messages of one long stream (randomised ±20 % so reopenings spread), and their spacing. */
const LONG_STREAM_MESSAGES = 240;
const LONG_STREAM_INTERVAL_MS = 500;

/** What the long streams of a client saw. Every message is numbered (`seq` from 1). */
export interface StreamTally {
  opened: number;
  /** Ran to their last message. */
  completed: number;
  /** Cut by the end of the run (client cancel), not a failure. */
  cancelledAtEnd: number;
  /** Ended by an error before their last message, by code. */
  endedEarly: Record<string, number>;
  messages: number;
  /** A `seq` skipped inside a stream (a message that never arrived while later ones did). */
  lost: number;
  /** A `seq` received twice, or going backwards. */
  duplicated: number;
  /** Messages a stream that ended early with an error had yet to send. */
  undeliveredAfterError: number;
}

export class SoakClient {
  readonly id: number;
  readonly login: string;
  readonly tokens: OidcTokenSource;
  readonly lockName: string;
  /** Calls that succeeded, by method. */
  readonly ok: Record<string, number> = {};
  /** Latency samples of successful calls, by method, ms. */
  readonly latency: Record<string, number[]> = {};
  /** Every failure (bounded). */
  readonly failures: FailureRecord[] = [];
  /** Failures by code (unbounded count). */
  readonly failedByCode: Record<string, number> = {};
  readonly events = {
    refreshStart: [] as number[],
    refreshDone: [] as RefreshRecord[],
    refreshError: {} as Record<string, number>,
    retry: 0,
    sessionEnded: [] as Array<{ t: number; reason: string }>,
  };
  /** When the client stopped issuing calls, epoch ms. */
  stoppedAt: number | undefined;
  stoppedBecause: "time" | "session-ended" | undefined;

  readonly #o: SoakClientOptions;
  readonly #agent: Agent;
  readonly #client: Client<typeof NotesService>;
  #expiresAt = 0;
  #forcedPending = false;
  #calls = 0;
  readonly #stop = new AbortController();
  readonly #storage = new InMemoryWebStorage();
  readonly streamTally: StreamTally = emptyTally();

  constructor(o: SoakClientOptions) {
    this.#o = o;
    this.id = o.id;
    this.login = o.login;
    this.lockName = `grpc-web-oidc-soak:${o.id}`;
    this.tokens = new OidcTokenSource({
      authority: o.issuer,
      clientId: DEMO_CLIENT_ID,
      redirectUri: o.redirectUri,
      scope: DEMO_SCOPE,
      // Its own in-memory Storage, so the harness can hand it the signed-in user.
      storage: this.#storage,
      refreshLeewaySeconds: o.leewaySeconds,
      lockName: this.lockName,
    });
    this.tokens.subscribe((e) => this.#onEvent(e));
    // A browser keeps a handful of connections per origin; so does each simulated client.
    // gRPC-Web over fetch is HTTP/1.1 here: each open stream holds a connection.
    this.#agent = new Agent({ connect: { ca: o.ca }, connections: 6 + (o.streams ?? 0) });
    const agent = this.#agent;
    const origin = o.origin;
    const clientFetch = ((input: RequestInfo | URL, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      headers.set("origin", origin);
      const url = typeof input === "string" || input instanceof URL ? input : input.url;
      return undiciFetch(url, {
        ...(init as Record<string, unknown>),
        headers,
        dispatcher: agent,
      } as unknown as Parameters<typeof undiciFetch>[1]);
    }) as unknown as typeof globalThis.fetch;
    this.#client = createClient(
      NotesService,
      createOidcTransport({
        baseUrl: o.apiUrl,
        tokens: this.tokens,
        fetch: clientFetch,
        defaultTimeoutMs: o.timeoutMs,
      }),
    );
  }

  /** Where the token source keeps the user: oidc-client-ts's key, with the "oidc." prefix. */
  get #userKey(): string {
    return `oidc.user:${this.#o.issuer}:${DEMO_CLIENT_ID}`;
  }

  /** Signs in over HTTP (code + PKCE) and hands the tokens to the SDK, as its callback would. */
  async signIn(): Promise<void> {
    const t = await signIn({
      issuer: this.#o.issuer,
      ca: this.#o.ca,
      redirectUri: this.#o.redirectUri,
      login: this.login,
      password: this.login,
    });
    const profile = decodePayload(t.id_token) as IdTokenClaims;
    const expiresAt = Math.floor(Date.now() / 1000) + t.expires_in;
    const user = new User({
      id_token: t.id_token,
      access_token: t.access_token,
      refresh_token: t.refresh_token,
      token_type: t.token_type,
      scope: t.scope,
      profile,
      expires_at: expiresAt,
    });
    this.#storage.setItem(this.#userKey, user.toStorageString());
    this.#expiresAt = expiresAt * 1000;
  }

  /**
   * Marks the stored access token as expired (the client's view only; the server still
   * accepts it), under the client's refresh lock so that a refresh in flight is never undone.
   */
  async forceExpiry(): Promise<boolean> {
    const locks = (globalThis.navigator as unknown as { locks: LockManagerLike }).locks;
    return await locks.request(this.lockName, async () => {
      const raw = this.#storage.getItem(this.#userKey);
      if (!raw || this.stoppedAt !== undefined) return false;
      const user = User.fromStorageString(raw);
      user.expires_at = Math.floor(Date.now() / 1000) - 1;
      this.#forcedPending = true;
      this.#storage.setItem(this.#userKey, user.toStorageString());
      return true;
    });
  }

  /** Runs the call loops until `endAt` (epoch ms) or the session ends. */
  async run(endAt: number): Promise<void> {
    const intervalMs = (1000 * this.#o.workers) / this.#o.rate;
    const maxCalls = Math.ceil((endAt - Date.now()) / intervalMs) * 2 + 10;
    await Promise.all(
      Array.from({ length: this.#o.workers }, () => this.#worker(endAt, intervalMs, maxCalls)),
    );
    this.stoppedAt ??= Date.now();
    this.stoppedBecause ??= "time";
  }

  /**
   * Holds `streams` WatchNotes streams open until `endAt`: each runs to its last message
   * (about 2 min), then the next opens (with the token of that moment). Numbering is checked
   * message by message. Openings are spread over the first 10 s.
   */
  async runStreams(endAt: number): Promise<void> {
    const n = this.#o.streams ?? 0;
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        await sleep((10_000 * i) / Math.max(1, n) + Math.random() * 500, this.#stop.signal);
        while (Date.now() < endAt - 1000 && !this.#stop.signal.aborted) {
          const ok = await this.#longStream(endAt);
          if (!ok) await sleep(500, this.#stop.signal);
        }
      }),
    );
  }

  async #longStream(endAt: number): Promise<boolean> {
    const t = this.streamTally;
    const count = Math.round(LONG_STREAM_MESSAGES * (0.8 + Math.random() * 0.4));
    const end = AbortSignal.any([
      this.#stop.signal,
      AbortSignal.timeout(Math.max(1, endAt - Date.now())),
    ]);
    let last = 0;
    t.opened++;
    try {
      for await (const m of this.#client.watchNotes(
        { count, intervalMs: LONG_STREAM_INTERVAL_MS },
        { signal: end, timeoutMs: 0 },
      )) {
        t.messages++;
        if (m.seq <= last) t.duplicated++;
        else if (m.seq > last + 1) t.lost += m.seq - last - 1;
        last = Math.max(last, m.seq);
      }
      if (last < count) {
        t.lost += count - last;
        this.#fail("WatchNotes", new CheckError(`stream ended at ${last} of ${count}`));
        return false;
      }
      t.completed++;
      return true;
    } catch (err) {
      if (end.aborted) {
        t.cancelledAtEnd++;
        return true;
      }
      const code = Code[ConnectError.from(err).code] ?? "Unknown";
      bump(t.endedEarly, code);
      t.undeliveredAfterError += count - last;
      this.#fail("WatchNotes", err);
      return false;
    }
  }

  /**
   * After the session ended: `n` more calls, each of which must fail at once with the
   * session-ended error and make no token request. Returns how many did, and the slowest.
   */
  async probeAfterEnd(
    n: number,
  ): Promise<{ failedFast: number; maxMs: number; tokenRequests: number }> {
    const before = this.events.refreshStart.length;
    let failedFast = 0;
    let maxMs = 0;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      try {
        await this.#client.whoAmI({});
      } catch (err) {
        if (isSessionEnded(err)) failedFast++;
        else this.#fail("probe", err);
      }
      maxMs = Math.max(maxMs, performance.now() - t0);
    }
    return { failedFast, maxMs, tokenRequests: this.events.refreshStart.length - before };
  }

  /** When the token the client holds now expires, epoch ms. */
  get expiresAt(): number {
    return this.#expiresAt;
  }

  async close(): Promise<void> {
    this.#stop.abort();
    this.tokens.close();
    await this.#agent.close();
  }

  async #worker(endAt: number, intervalMs: number, maxCalls: number): Promise<void> {
    for (let i = 0; i < maxCalls && Date.now() < endAt && !this.#stop.signal.aborted; i++) {
      const started = performance.now();
      const method = pick();
      const n = this.#calls++;
      try {
        await this.#call(method, n);
        bump(this.ok, method);
        const samples = this.latency[method] ?? [];
        samples.push(performance.now() - started);
        this.latency[method] = samples;
      } catch (err) {
        this.#fail(method, err);
        if (isSessionEnded(err)) {
          // What an app does on session end: stop calling and send the user to sign in.
          this.stoppedAt ??= Date.now();
          this.stoppedBecause = "session-ended";
          this.#stop.abort();
          return;
        }
      }
      const wait = intervalMs * (0.5 + Math.random()) - (performance.now() - started);
      await sleep(Math.min(wait, endAt - Date.now()), this.#stop.signal);
    }
  }

  async #call(method: Method, n: number): Promise<void> {
    const c = this.#client;
    switch (method) {
      case "WhoAmI": {
        const me = await c.whoAmI({});
        if (me.subject !== this.login) throw new CheckError("WhoAmI returned another subject");
        return;
      }
      case "ListNotes":
        await c.listNotes({ limit: 5 });
        return;
      case "CreateNote":
        await c.createNote({ text: `soak client ${this.id} note ${n}` });
        return;
      case "WatchNotes": {
        let got = 0;
        for await (const _ of c.watchNotes({ count: WATCH_COUNT, intervalMs: WATCH_INTERVAL_MS })) {
          got++;
        }
        if (got !== WATCH_COUNT) throw new CheckError(`WatchNotes ended after ${got} messages`);
        return;
      }
    }
  }

  #fail(method: Method | "probe", err: unknown): void {
    const code =
      err instanceof CheckError ? "CHECK" : (Code[ConnectError.from(err).code] ?? "Unknown");
    bump(this.failedByCode, code);
    if (this.failures.length < 5000) {
      this.failures.push({
        t: Date.now(),
        client: this.id,
        login: this.login,
        method,
        code,
        sessionEnded: isSessionEnded(err),
        refreshReason: refreshErrorReason(err),
        tokenValidMs: this.#expiresAt - Date.now(),
      });
    }
  }

  #onEvent(e: AuthEvent): void {
    const now = Date.now();
    switch (e.type) {
      case "refresh-start":
        this.events.refreshStart.push(now);
        break;
      case "refresh-done":
        this.events.refreshDone.push({
          t: now,
          remainingMs: this.#expiresAt - now,
          forced: this.#forcedPending,
        });
        this.#forcedPending = false;
        this.#expiresAt = e.session.expiresAt;
        break;
      case "refresh-error":
        bump(this.events.refreshError, e.reason);
        break;
      case "retry":
        this.events.retry++;
        break;
      case "session-ended":
        this.events.sessionEnded.push({ t: now, reason: e.reason });
        break;
      default:
        break;
    }
  }
}

/** A tally with nothing counted yet. */
export function emptyTally(): StreamTally {
  return {
    opened: 0,
    completed: 0,
    cancelledAtEnd: 0,
    endedEarly: {},
    messages: 0,
    lost: 0,
    duplicated: 0,
    undeliveredAfterError: 0,
  };
}

/** The answer arrived but was wrong. */
class CheckError extends Error {
  override readonly name = "CheckError";
}

function pick(): Method {
  let r = Math.random();
  for (const [m, share] of MIX) {
    r -= share;
    if (r < 0) return m;
  }
  return "WhoAmI";
}

function decodePayload(jwt: string | undefined): Record<string, unknown> {
  const part = jwt?.split(".")[1];
  if (!part) return {};
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
}
