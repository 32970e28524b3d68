/**
 * The SDK test page over HTTPS on a loopback port: `/` and `/callback` load `page.ts` (bundled
 * with esbuild from this working tree), `/config.json` tells it which IdP to use. Any OIDC
 * provider works: register `<url>/callback` as a redirect URI of a public client.
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import type { PageConfig } from "./page.js";

export interface TestPageServer {
  /** `https://localhost:<port>` (no trailing slash). */
  readonly url: string;
  /** The redirect URI to register at the IdP. */
  readonly redirectUri: string;
  setConfig(config: PageConfig): void;
  close(): Promise<void>;
}

let bundle: Promise<string> | undefined;

function pageBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [new URL("./page.ts", import.meta.url).pathname],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    logLevel: "silent",
  }).then((r) => r.outputFiles[0]!.text);
  return bundle;
}

const html =
  '<!doctype html><meta charset="utf-8"><title>grpc-web-oidc SDK test page</title>' +
  '<script type="module" src="/page.js"></script>';

/** Serves the test page with `tls` (a certificate valid for `localhost`). */
export async function startTestPage(tls: { cert: string; key: string }): Promise<TestPageServer> {
  const js = await pageBundle();
  let config: PageConfig | undefined;
  const server: Server = createServer(
    { cert: readFileSync(tls.cert), key: readFileSync(tls.key) },
    (req, res) => {
      const path = new URL(req.url ?? "/", "https://localhost").pathname;
      const send = (type: string, body: string) => {
        res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
        res.end(body);
      };
      if (path === "/" || path === "/callback") return send("text/html", html);
      if (path === "/page.js") return send("text/javascript", js);
      if (path === "/config.json" && config)
        return send("application/json", JSON.stringify(config));
      res.writeHead(404).end();
    },
  );
  await once(server.listen(0, "127.0.0.1"), "listening");
  const url = `https://localhost:${(server.address() as AddressInfo).port}`;
  return {
    url,
    redirectUri: `${url}/callback`,
    setConfig(c) {
      config = c;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
