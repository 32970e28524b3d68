// Bench 4, what authentication + authorization cost in the backend kit. Three demo backends,
// each in its own process, the same handlers (NotesService.WhoAmI over gRPC-Web, HTTP/2,
// TLS on the dev listener): with auth (verified-token cache on, the default), with auth and
// the cache off (how it was before), and without auth (unsafeWithoutAuth). One client process
// (this one), concurrency 32; the variants take turns in every round (the order rotates),
// and each figure is the median over the rounds.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CALLS = 2000;
const CONCURRENCY = 32;

export async function run() {
  const { spawnBackend, notesClient } = await import("./lib/backend-process.ts");
  const { runLoad } = await import("./lib/load.ts");
  const { median, quantile, ratio, round } = await import("./lib/stats.ts");
  const { cpuSeconds } = await import("./lib/proc.ts");

  const pkiDir = mkdtempSync(join(tmpdir(), "gwo-bench-pki-"));
  const variants = {
    auth: { tokenCache: undefined },
    nocache: { tokenCache: false },
    none: { unsafeWithoutAuth: true },
  };
  const procs = {};
  try {
    for (const [name, o] of Object.entries(variants))
      procs[name] = await spawnBackend({ pkiDir, ...o });
    const clients = Object.fromEntries(
      Object.entries(procs).map(([name, p]) => [
        name,
        {
          client: notesClient(pkiDir, `https://localhost:${p.webPort}`),
          headers: { authorization: `Bearer ${p.token}` },
          p,
        },
      ]),
    );
    const names = Object.keys(variants);
    // Warm-up: connections, JIT, JWKS fetched.
    for (const n of names) {
      const { client, headers } = clients[n];
      await runLoad(() => client.whoAmI({}, { headers }), { calls: 500, concurrency: CONCURRENCY });
    }
    const rounds = Object.fromEntries(names.map((n) => [n, []]));
    const failures = Object.fromEntries(names.map((n) => [n, 0]));
    const firstErrors = {};
    for (let r = 0; r < ROUNDS; r++) {
      const order = names.map((_, i) => names[(i + r) % names.length]);
      for (const n of order) {
        const { client, headers, p } = clients[n];
        const cpu0 = cpuSeconds(p.pid);
        const res = await runLoad(() => client.whoAmI({}, { headers }), {
          calls: CALLS,
          concurrency: CONCURRENCY,
        });
        const cpu = cpuSeconds(p.pid) - cpu0;
        failures[n] += res.failed;
        firstErrors[n] ??= res.firstError;
        rounds[n].push({
          rps: (res.calls - res.failed) / res.seconds,
          p50: quantile(res.latencies, 0.5),
          p99: quantile(res.latencies, 0.99),
          cpuMsPerCall: (cpu * 1000) / res.calls,
        });
      }
    }
    const m = Object.fromEntries(
      names.map((n) => [
        n,
        {
          rps: median(rounds[n].map((x) => x.rps)),
          p50: median(rounds[n].map((x) => x.p50)),
          p99: median(rounds[n].map((x) => x.p99)),
          cpu: median(rounds[n].map((x) => x.cpuMsPerCall)),
        },
      ]),
    );
    const how = `${ROUNDS} alternating rounds × ${CALLS} WhoAmI calls, concurrency ${CONCURRENCY}, gRPC-Web over HTTP/2 + TLS to the dev listener, each backend in its own process; medians`;
    const desc = (n) =>
      `${round(m[n].rps, 0)} calls/s, p50 ${round(m[n].p50, 2)} ms, p99 ${round(m[n].p99, 2)} ms, backend CPU ${round(m[n].cpu, 3)} ms/call, ${failures[n]} of ${ROUNDS * CALLS} calls failed${firstErrors[n] ? ` (${firstErrors[n]})` : ""}`;
    return {
      figures: [
        {
          name: "backend kit: throughput with authentication + authorization vs without",
          unit: "calls/s",
          ours: round(m.auth.rps, 0),
          compared_to: "the same backend and handlers without auth (unsafeWithoutAuth)",
          theirs: round(m.none.rps, 0),
          ratio: ratio(m.auth.rps, m.none.rps),
          goal: "≥ 0.90",
          met: m.auth.rps >= 0.9 * m.none.rps && failures.auth === 0 && failures.none === 0,
          how,
          note: `with auth: ${desc("auth")}; without auth: ${desc("none")}. Before the verified-token cache (cache: false, ES256 verified on every call): ${desc("nocache")}, ratio ${ratio(m.nocache.rps, m.none.rps)}.`,
        },
        {
          name: "backend kit: p50 latency with auth vs without",
          unit: "ms",
          ours: round(m.auth.p50, 2),
          compared_to: "the same backend without auth",
          theirs: round(m.none.p50, 2),
          ratio: ratio(m.auth.p50, m.none.p50),
          goal: "informational (throughput is the goal)",
          met: true,
          how,
        },
        {
          name: "backend kit: p99 latency with auth vs without",
          unit: "ms",
          ours: round(m.auth.p99, 2),
          compared_to: "the same backend without auth",
          theirs: round(m.none.p99, 2),
          ratio: ratio(m.auth.p99, m.none.p99),
          goal: "informational (throughput is the goal)",
          met: true,
          how,
        },
        {
          name: "backend kit, before the fix (verified-token cache off): throughput with auth vs without",
          unit: "calls/s",
          ours: round(m.nocache.rps, 0),
          compared_to: "the same backend without auth",
          theirs: round(m.none.rps, 0),
          ratio: ratio(m.nocache.rps, m.none.rps),
          goal: "informational (before)",
          met: true,
          how,
        },
      ],
    };
  } finally {
    for (const p of Object.values(procs)) await p.stop();
    rmSync(pkiDir, { recursive: true, force: true });
  }
}
