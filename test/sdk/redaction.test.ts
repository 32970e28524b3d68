// No access token, refresh token or authorization code in any error message, thrown object,
// cause chain or console output, on every error path the SDK has.
import { Code, ConnectError } from "@connectrpc/connect";
import { InMemoryWebStorage } from "oidc-client-ts";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createOidcTransport,
  OidcTokenSource,
  StaticTokenSource,
  tokenSourceFromFunction,
} from "../../src/web/index.js";
import { healthClient, startGrpcWebServer, startRawServer } from "./helpers/servers.js";
import { StubIdp } from "./helpers/stub-idp.js";
import { installWindowShim } from "./helpers/window-shim.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** Every string representation of an error we can think of, including its cause chain. */
function dump(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 10 && cur != null; i++) {
    parts.push(String(cur));
    try {
      parts.push(JSON.stringify(cur));
    } catch {
      parts.push("[unserialisable]");
    }
    if (typeof cur === "object") {
      for (const k of Object.getOwnPropertyNames(cur)) {
        const v = (cur as Record<string, unknown>)[k];
        parts.push(`${k}=${v instanceof Headers ? JSON.stringify([...v]) : String(v)}`);
      }
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return parts.join("\n");
}

function captureConsole(): string[] {
  const out: string[] = [];
  for (const m of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      out.push(args.map((a) => (a instanceof Error ? dump(a) : String(a))).join(" "));
    });
  }
  return out;
}

function expectClean(text: string, secrets: string[]) {
  for (const s of secrets) expect(text).not.toContain(s);
  expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
}

describe("redaction", () => {
  it("token-source error paths (invalid_grant, network, idp error, no refresh token, sign-in) leak nothing", async () => {
    const logs = captureConsole();
    const p = await new StubIdp().start();
    cleanups.push(() => p.stop());
    const mk = (storage: Storage) => {
      const t = new OidcTokenSource(p.tokenSourceOptions(storage));
      cleanups.push(() => t.close());
      return t;
    };
    const errors: unknown[] = [];
    const s1 = p.storageWithSession("alice", { expired: true });
    const t1 = mk(s1.storage);
    p.mode = "down";
    errors.push(await t1.getToken().catch((e: unknown) => e));
    p.mode = "server_error";
    errors.push(await t1.getToken().catch((e: unknown) => e));
    p.mode = "ok";
    p.revokeAll();
    errors.push(await t1.getToken().catch((e: unknown) => e));
    errors.push(await t1.getToken().catch((e: unknown) => e));
    const s2 = p.storageWithSession("bob", { expired: true, noRefresh: true });
    errors.push(
      await mk(s2.storage)
        .getToken()
        .catch((e: unknown) => e),
    );

    // A callback whose code exchange fails (wrong PKCE verifier): the code must not leak.
    const shim = installWindowShim("https://app.test/");
    cleanups.push(() => shim.restore());
    const t3 = mk(new InMemoryWebStorage());
    void t3.signinRedirect();
    await expect.poll(() => shim.navigations.length).toBe(1);
    const authorize = new URL(shim.navigations[0]!);
    authorize.searchParams.set("code_challenge", "tampered");
    const back = (await fetch(authorize, { redirect: "manual" })).headers.get("location")!;
    errors.push(await t3.handleCallback(back).catch((e: unknown) => e));

    expect(errors.every((e) => e instanceof Error)).toBe(true);
    expectClean(errors.map(dump).join("\n") + logs.join("\n"), p.issuedSecrets);
  });

  it("transport error paths (401 from the server, session end, refresh outage, plaintext) leak nothing", async () => {
    const logs = captureConsole();
    const secret = "tok-SECRET-abcdef";
    const errors: unknown[] = [];
    const unauth = await startGrpcWebServer({
      check: async () => {
        throw new ConnectError(`rejected ${secret}`.replace(secret, "token"), Code.Unauthenticated);
      },
    });
    cleanups.push(() => unauth.stop());
    const client = healthClient(unauth.url, new StaticTokenSource(secret));
    errors.push(await client.check({}).catch((e: unknown) => e));
    const raw = await startRawServer((_q, res) => {
      res.writeHead(401, { "www-authenticate": "Bearer" });
      res.end();
    });
    cleanups.push(() => raw.stop());
    const rawClient = healthClient(raw.url, new StaticTokenSource(secret));
    errors.push(await rawClient.check({}).catch((e: unknown) => e));
    try {
      createOidcTransport({
        baseUrl: `http://x.test/?t=${secret}`,
        tokens: new StaticTokenSource(secret),
      });
    } catch (e) {
      errors.push(e);
    }
    const failing = healthClient(
      raw.url,
      tokenSourceFromFunction(() => {
        throw new TypeError("fetch failed");
      }),
    );
    errors.push(await failing.check({}).catch((e: unknown) => e));
    expect(errors).toHaveLength(4);
    expectClean(errors.map(dump).join("\n") + logs.join("\n"), [secret]);
    // The sanity check above is only meaningful if dump() would have shown a header value.
    expect(dump(new ConnectError("x", Code.Unknown, { authorization: secret }))).toContain(secret);
  });
});
