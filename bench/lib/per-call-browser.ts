/**
 * The Chromium half of the per-call bench: a loopback server (the page and a gRPC-Web Health
 * service on one origin, http://127.0.0.1, a secure context) and Debian's Chromium driven by
 * Playwright. Returns undefined when there is no Chromium.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { chromium } from "@playwright/test";
import { build } from "esbuild";
import {
  Health,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../../src/gen/grpc/health/v1/health_pb.js";
import { CHROMIUM, CHROMIUM_ARGS, hasChromium } from "../../test/e2e/chromium.js";
import type { Work } from "./per-call-page.js";
import { median } from "./stats.js";

const serving = () =>
  create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING });

export interface BrowserRounds {
  version: string;
  /** Calls + messages per second, medians. */
  throughput: { ours: number; theirs: number };
  /** Renderer main-thread µs per call or message, medians. */
  cpu: { ours: number; theirs: number };
}

export async function chromiumRounds(o: Omit<Work, "transport"> & { rounds: number }) {
  if (!hasChromium()) return undefined;
  const page = await build({
    entryPoints: [new URL("per-call-page.ts", import.meta.url).pathname],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const script = page.outputFiles[0]!.contents;
  const grpc = connectNodeAdapter({
    routes: (router: ConnectRouter) =>
      router.service(Health, {
        check: async () => serving(),
        async *watch(req) {
          const n = Number(req.service) || 1;
          for (let i = 0; i < n; i++) yield serving();
        },
      }),
    grpcWeb: true,
    connect: false,
    grpc: false,
  });
  const server = createServer((req, res) => {
    if (req.url === "/") {
      res
        .writeHead(200, { "content-type": "text/html" })
        .end('<script type="module" src="/page.js"></script>');
    } else if (req.url === "/page.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    } else grpc(req, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
  try {
    const tab = await browser.newPage();
    await tab.goto(origin);
    await tab.waitForFunction(() => window.perCall !== undefined);
    await tab.evaluate(() => window.perCall.ready);
    const cdp = await tab.context().newCDPSession(tab);
    await cdp.send("Performance.enable");
    const taskSeconds = async () => {
      const { metrics } = await cdp.send("Performance.getMetrics");
      return metrics.find((m) => m.name === "TaskDuration")?.value ?? Number.NaN;
    };
    const work = (transport: Work["transport"]) =>
      tab.evaluate((w) => window.perCall.run(w), { ...o, transport });
    await work("ours");
    await work("theirs");
    const rounds = {
      ours: [] as { perSecond: number; cpuUs: number }[],
      theirs: [] as { perSecond: number; cpuUs: number }[],
    };
    const units = o.unary + o.streams * o.messages;
    for (let r = 0; r < o.rounds; r++) {
      for (const t of r % 2 ? (["theirs", "ours"] as const) : (["ours", "theirs"] as const)) {
        const cpu0 = await taskSeconds();
        const ms = await work(t);
        const cpu = (await taskSeconds()) - cpu0;
        rounds[t].push({ perSecond: (units * 1000) / ms, cpuUs: (cpu * 1e6) / units });
      }
    }
    const m = (t: "ours" | "theirs", k: "perSecond" | "cpuUs") =>
      median(rounds[t].map((x) => x[k]));
    return {
      version: browser.version(),
      throughput: { ours: m("ours", "perSecond"), theirs: m("theirs", "perSecond") },
      cpu: { ours: m("ours", "cpuUs"), theirs: m("theirs", "cpuUs") },
    } satisfies BrowserRounds;
  } finally {
    await browser.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
