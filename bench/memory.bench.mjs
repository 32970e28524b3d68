// Bench 6, memory. The demo backend (auth on) behind the generated Envoy chain, next to the
// same backend without auth behind the same config without jwt_authn and RBAC, each pair
// loaded alike: RSS (/proc/<pid>/status VmRSS) after start, after 10,000 authenticated calls,
// after 1,000 stream opens and closes, and after 10,000 more calls (a leak shows there).
// Bounds: backend V8 heap after a full GC grows ≤ 8 MB from start and ≤ 2 MB over the last
// 10,000 calls, and its RSS stays ≤ 1.25 × the no-auth backend's; Envoy RSS grows ≤ 32 MB
// from start and ≤ 4 MB over the last 10,000 calls. Medians are not needed: RSS is read
// once per phase, after a 1 s pause and a full garbage collection in the backend (its V8 heap
// otherwise grows to what the collector has not reclaimed yet, which says nothing of leaks).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CALLS = 10_000;
const STREAMS = 1_000;
const CONCURRENCY = 32;
/** Streams the demo backend serves one caller at once (its createStreamLimitInterceptor). */
const STREAMS_PER_CALLER = 16;
const MB = 1_000_000;

export async function run() {
  const { spawnBackend, notesClient } = await import("./lib/backend-process.ts");
  const { runLoad } = await import("./lib/load.ts");
  const { ratio, round } = await import("./lib/stats.ts");
  const { rssBytes } = await import("./lib/proc.ts");
  const { withoutAuthFilters } = await import("./lib/envoy-variants.ts");
  const { startEnvoy } = await import("../demo/envoy.ts");
  const { ensureDevPki } = await import("../demo/pki.ts");
  const { ORIGIN } = await import("../test/helpers/gateway-stack.ts");

  const pkiDir = mkdtempSync(join(tmpdir(), "gwo-bench-pki-"));
  const stacks = {};
  try {
    const pki = ensureDevPki(pkiDir);
    for (const [name, o] of [
      ["ours", {}],
      ["bare", { unsafeWithoutAuth: true }],
    ]) {
      const backend = await spawnBackend({ pkiDir, ...o });
      stacks[name] = { backend };
      const envoy = await startEnvoy({
        pki,
        idpIssuer: backend.issuer,
        jwksUri: backend.jwksUri,
        backendPort: backend.mtlsPort,
        allowedOrigins: [ORIGIN],
        // The bench client multiplexes every call on one HTTP/2 connection, which the
        // per-connection request bucket (limits.requestsPerConnection, 25/s, a flood bound)
        // exists to refuse: off in every variant, so what is measured is the auth chain.
        limits: { requestsPerConnection: 0 },
        ...(name === "bare" ? { configTransform: withoutAuthFilters } : {}),
      });
      stacks[name] = {
        backend,
        envoy,
        client: notesClient(pkiDir, envoy.url),
        headers: { authorization: `Bearer ${backend.token}` },
        rss: [],
      };
    }
    const settle = () => new Promise((r) => setTimeout(r, 1000));
    const sample = async () => {
      await settle();
      for (const s of Object.values(stacks)) {
        const after = await s.backend.gc();
        s.rss.push({ backend: after.rss, heap: after.heapUsed, envoy: rssBytes(s.envoy.pid) });
      }
    };
    const failures = { ours: 0, bare: 0 };
    const calls = async () => {
      for (const [n, s] of Object.entries(stacks)) {
        const res = await runLoad(() => s.client.whoAmI({}, { headers: s.headers }), {
          calls: CALLS,
          concurrency: CONCURRENCY,
        });
        failures[n] += res.failed;
      }
    };
    const streams = async () => {
      for (const [n, s] of Object.entries(stacks)) {
        const res = await runLoad(
          async () => {
            for await (const _ of s.client.watchNotes(
              { count: 1, intervalMs: 0 },
              { headers: s.headers },
            )) {
              // one message, then the stream closes
            }
          },
          // The demo backend serves 16 streams per caller at a time (createStreamLimitInterceptor,
          // a flood bound); every stream here is one caller's, so at most 16 at once.
          { calls: STREAMS, concurrency: Math.min(CONCURRENCY, STREAMS_PER_CALLER) },
        );
        failures[n] += res.failed;
      }
    };
    await sample(); // after start
    await calls();
    await sample(); // after 10,000 calls
    await streams();
    await sample(); // after 1,000 streams
    await calls();
    await sample(); // after 10,000 more calls

    const o = stacks.ours.rss;
    const b = stacks.bare.rss;
    const growth = (rss, who) => rss[3][who] - rss[0][who];
    const last = (rss, who) => rss[3][who] - rss[2][who];
    const mb = (x) => round(x / MB, 1);
    const series = (rss, who) => rss.map((x) => mb(x[who])).join(" → ");
    const how = `RSS (backend: after a full GC; Envoy: /proc) after start → ${CALLS.toLocaleString("en-US")} WhoAmI calls → ${STREAMS.toLocaleString("en-US")} WatchNotes opened and closed (16 at a time, the backend's per-caller stream bound) → ${CALLS.toLocaleString("en-US")} more calls (concurrency ${CONCURRENCY}, through Envoy with 1 worker, per-connection request bucket off: one client connection carries every call)`;
    // The backend's bound is on what it retains: its V8 heap after a full GC (RSS after a
    // burst of HTTP/2 + TLS traffic is the allocator's high-water mark, the same with and
    // without auth, and Node does not hand it back), plus RSS next to the no-auth backend.
    const backendOk =
      growth(o, "heap") <= 8 * MB &&
      last(o, "heap") <= 2 * MB &&
      o[3].backend <= 1.25 * b[3].backend &&
      failures.ours === 0 &&
      failures.bare === 0;
    const envoyOk = growth(o, "envoy") <= 32 * MB && last(o, "envoy") <= 4 * MB;
    return {
      figures: [
        {
          name: "memory: backend RSS after 20,000 authenticated calls and 1,000 streams",
          unit: "MB",
          ours: mb(o[3].backend),
          compared_to: "the same backend without auth, same load",
          theirs: mb(b[3].backend),
          ratio: ratio(o[3].backend, b[3].backend),
          goal: "retained heap (after GC) growth ≤ 8 MB, ≤ 2 MB over the last 10,000 calls; RSS ≤ 1.25 × without auth",
          met: backendOk,
          how,
          note: `backend with auth ${series(o, "backend")} MB (growth ${mb(growth(o, "backend"))}, last 10,000 calls ${mb(last(o, "backend"))}; V8 heap in use ${series(o, "heap")} MB); without auth ${series(b, "backend")} MB (heap ${series(b, "heap")} MB); ${failures.ours} / ${failures.bare} calls failed. The verified-token cache is bounded (10,000 entries).`,
        },
        {
          name: "memory: Envoy RSS after 20,000 authenticated calls and 1,000 streams",
          unit: "MB",
          ours: mb(o[3].envoy),
          compared_to: "the same Envoy config without jwt_authn and RBAC, same load",
          theirs: mb(b[3].envoy),
          ratio: ratio(o[3].envoy, b[3].envoy),
          goal: "growth from start ≤ 32 MB, ≤ 4 MB over the last 10,000 calls",
          met: envoyOk,
          how,
          note: `Envoy with the chain ${series(o, "envoy")} MB (growth ${mb(growth(o, "envoy"))}, last 10,000 calls ${mb(last(o, "envoy"))}); without jwt_authn and RBAC ${series(b, "envoy")} MB. jwt_cache_config holds at most 1,000 tokens per worker.`,
        },
      ],
    };
  } finally {
    for (const s of Object.values(stacks)) {
      await s.envoy?.close();
      await s.backend.stop();
    }
    rmSync(pkiDir, { recursive: true, force: true });
  }
}
