/**
 * The page that carries `clients.ts` into Chromium, for any browser test runner: the
 * bundle (esbuild, IIFE) and a loopback HTTPS server for it, whose origin the gateway and
 * the dev listener are told to allow.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import type { Page } from "playwright-core";
import type { CallResult, CallSpec } from "./spec.js";

/** Bundles the four clients for the browser. */
export async function bundleClients(): Promise<string> {
  const out = await build({
    entryPoints: [new URL("./clients.ts", import.meta.url).pathname],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "chrome120",
    write: false,
    logLevel: "silent",
  });
  return out.outputFiles[0]!.text;
}

/** A page server on loopback (HTTPS, port 0): its origin is what the endpoints must allow. */
export interface ClientsPageServer {
  /** `https://localhost:<port>` */
  origin: string;
  close(): Promise<void>;
}

/**
 * Serves a blank page with the bundle from a real loopback server: Chromium's local
 * network access rules block a page from elsewhere (e.g. one faked by request
 * interception) from calling loopback endpoints.
 */
export async function serveClientsPage(
  tls: { cert: string; key: string },
  bundle: string,
): Promise<ClientsPageServer> {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>foreign clients</title></head><body><script>${bundle.replace(/<\/script/gi, "<\\/script")}</script></body></html>`;
  const server = createServer(
    { cert: readFileSync(tls.cert), key: readFileSync(tls.key) },
    (_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    },
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    origin: `https://localhost:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Opens the page and waits for the clients. */
export async function openClientsPage(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => "foreignClients" in window);
}

/** One call from the page. */
export function runInPage(page: Page, spec: CallSpec): Promise<CallResult> {
  return page.evaluate((s) => window.foreignClients.run(s), spec);
}
