/**
 * Google's grpc-web runtime (npm `grpc-web` 2.x, GrpcWebClientBase, binary and text),
 * Connect-ES's plain gRPC-Web transport and our createOidcTransport, side by side in
 * Chromium, against the gateway (Envoy with the generated config) and against the
 * backend kit's gRPC-Web dev listener: success, streams, each refusal and deadlines read
 * the same in every client. Playwright project `grpc-web` (`npx playwright test
 * --project grpc-web`); the page and the clients are in ./page (runner-agnostic).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, expect, type Page, test } from "@playwright/test";
import { Agent } from "undici";
import { type DevPki, ensureDevPki } from "../../demo/pki.js";
import { findEnvoy } from "../../src/envoy/index.js";
import { CHROMIUM, CHROMIUM_ARGS, hasChromium, trustSpkiArg } from "../e2e/chromium.js";
import { repoRoot } from "../helpers/buf.js";
import { type Gateway, type Signer, startGateway } from "../helpers/gateway-stack.js";
import { grpcWebCall } from "../helpers/grpc-web-wire.js";
import {
  DEV_LISTENER_REFUSALS,
  GATEWAY_REFUSALS,
  type RefusalCase,
} from "../helpers/refusal-cases.js";
import {
  bundleClients,
  type ClientsPageServer,
  openClientsPage,
  runInPage,
  serveClientsPage,
} from "./page/page.js";
import { type CallSpec, CLIENTS, type ClientName } from "./page/spec.js";

const skip = !hasChromium()
  ? `no Chromium at ${CHROMIUM}`
  : !findEnvoy(repoRoot)
    ? "no Envoy binary (npm run setup:envoy)"
    : "";
const LIST = "/demo.v1.NotesService/ListNotes";

test.describe.configure({ mode: "serial" });
test.skip(skip !== "", skip);

let pki: DevPki;
let gateway: Gateway | undefined;
let limited: Gateway | undefined;
let browser: Browser | undefined;
let page: Page;
let agent: Agent | undefined;
let pageServer: ClientsPageServer | undefined;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  pki = ensureDevPki(mkdtempSync(join(tmpdir(), "gwo-foreign-pki-")));
  agent = new Agent({ connect: { ca: readFileSync(pki.ca.cert, "utf8") }, allowH2: true });
  pageServer = await serveClientsPage(pki.localhost, await bundleClients());
  const allowedOrigins = [pageServer.origin];
  gateway = await startGateway(pki, { allowedOrigins });
  // One token in the bucket, never refilled: spent here, so every client's call is limited.
  limited = await startGateway(pki, {
    envoy: { rateLimit: { maxTokens: 1, tokensPerFill: 1, fillIntervalSeconds: 3600 } },
    allowedOrigins,
  });
  const spent = await grpcWebCall({
    baseUrl: limited.envoy.url,
    path: LIST,
    messages: [new Uint8Array(0)],
    format: "binary",
    headers: { authorization: `Bearer ${await limited.signer.mint({ scope: "notes.read" })}` },
    dispatcher: agent,
  });
  expect(spent.grpcStatus).toBe("0");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, trustSpkiArg(pki.localhostSpki)],
  });
  page = await (await browser.newContext()).newPage();
  await openClientsPage(page, pageServer.origin);
});

test.afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await limited?.close();
  await agent?.close();
  await pageServer?.close();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

const endpoints = [
  { name: "gateway (Envoy)", url: () => gateway!.envoy.url, refusals: GATEWAY_REFUSALS },
  {
    name: "backend kit's dev listener",
    url: () => `https://localhost:${gateway!.backend.webPort}`,
    refusals: DEV_LISTENER_REFUSALS,
  },
] as const;

/** The call of a refusal case for `client` (the rate limit goes to the limited gateway). */
async function refusalSpec(c: RefusalCase, client: ClientName, baseUrl: string): Promise<CallSpec> {
  const gw = c.name === "rate limit" ? limited! : gateway!;
  const token = await c.token(gw.signer as Signer);
  return {
    client,
    baseUrl: c.name === "rate limit" ? gw.envoy.url : baseUrl,
    method: "ListNotes",
    ...(c.path === LIST ? {} : { path: c.path }),
    ...(token === undefined ? {} : { token }),
  };
}

for (const endpoint of endpoints) {
  test.describe(endpoint.name, () => {
    for (const client of CLIENTS) {
      test(`${client}: a unary call and a server stream succeed`, async () => {
        const token = await gateway!.signer.mint({ scope: "notes.read" });
        const who = await runInPage(page, {
          client,
          baseUrl: endpoint.url(),
          method: "WhoAmI",
          token,
        });
        expect(who).toMatchObject({ code: 0, messages: 1, subject: "user-1" });
        const watch = await runInPage(page, {
          client,
          baseUrl: endpoint.url(),
          method: "WatchNotes",
          token,
          count: 5,
          intervalMs: 20,
        });
        expect(watch).toEqual({ code: 0, message: "", messages: 5 });
      });

      test(`${client}: every refusal reads the one code and message`, async () => {
        const read: Record<string, { code: number; message: string }> = {};
        const want: Record<string, { code: number; message: string }> = {};
        for (const c of endpoint.refusals) {
          const r = await runInPage(page, await refusalSpec(c, client, endpoint.url()));
          read[c.name] = { code: r.code, message: r.message };
          want[c.name] = { code: c.code, message: c.message };
        }
        expect(read).toEqual(want);
      });

      test(`${client}: a deadline ends a server stream after the messages sent in time`, async () => {
        const token = await gateway!.signer.mint({ scope: "notes.read" });
        const r = await runInPage(page, {
          client,
          baseUrl: endpoint.url(),
          method: "WatchNotes",
          token,
          count: 50,
          intervalMs: 100,
          deadlineMs: 1500,
        });
        expect(r.messages).toBeLessThan(50);
        // The gateway leaves grpc-timeout to the backend (no grpc_timeout_header_max on its
        // routes): Envoy resetting a started stream at the deadline raced the backend's
        // DEADLINE_EXCEEDED trailers, and clients read 2 (grpc-web binary: no messages).
        expect(r.code).toBe(4);
        expect(r.messages).toBeGreaterThan(2);
      });

      test(`${client}: a deadline reads DEADLINE_EXCEEDED every time (3 calls)`, async () => {
        const token = await gateway!.signer.mint({ scope: "notes.read" });
        const codes: number[] = [];
        for (let i = 0; i < 3; i++) {
          const r = await runInPage(page, {
            client,
            baseUrl: endpoint.url(),
            method: "WatchNotes",
            token,
            count: 20,
            intervalMs: 50,
            deadlineMs: 400,
          });
          codes.push(r.code);
        }
        expect(codes).toEqual([4, 4, 4]);
      });
    }
  });
}
