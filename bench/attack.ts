/**
 * `npm run attack`: the two unauthenticated ways in of issue 9, at full size, against the
 * production path (generated Envoy config → mTLS → demo backend, real demo IdP), with the
 * figures written to `bench/ATTACK.md` (tables plus a machine-readable JSON block whose
 * `figures` follow bench/results.json's shape, so `npm run bench` can pick them up).
 *
 *   npm run attack -- --silent 1000 --streams 2000
 *
 * Phases, each bounded by count:
 *  1. quiet: `--victims` users make `--victim-calls` WhoAmI calls at `--rate` calls/s;
 *  2. silent connections: `--silent` TCP connections that never send a byte; a new client
 *     tries a fresh connection every 250 ms until a call succeeds, the probe listener is polled;
 *  3. TLS-then-silent: the same count completing the TLS handshake, then sending nothing;
 *  4. public Watch flood: one client opens `--streams` `grpc.health.v1.Health/Watch` streams,
 *     100 per HTTP/2 connection, and holds what it gets while the victims run again; then the
 *     same sustained: another process re-opens every refused stream at once;
 *  5. authenticated stream flood: one reader does the same with `WatchNotes` streams.
 * Exits 1 when a goal of the issue (the one-shot floods and the silent connections) is missed;
 * the sustained floods are reported beside them.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { toBinary } from "@bufbuild/protobuf";
import { Agent, fetch as undiciFetch } from "undici";
import { type RunningEnvoy, startEnvoy } from "../demo/envoy.js";
import { WatchNotesRequestSchema } from "../demo/gen/demo/v1/notes_pb.js";
import { startIdp } from "../demo/idp/server.js";
import { ensureDevPki } from "../demo/pki.js";
import { startBackend } from "../demo/server/server.js";
import { findEnvoy } from "../src/envoy/find-binary.js";
import { signIn } from "../test/helpers/oidc-flow.js";
import {
  type AttackResult,
  attackFigures,
  type FloodPhase,
  renderAttackReport,
  type SilentPhase,
} from "./attack/report.js";
import { openSilentConnections } from "./attack/silent-flood.js";
import { openStreamFlood } from "./attack/stream-flood.js";
import { startSustainedFlood } from "./attack/sustained-flood.js";
import { unaryCall } from "./attack/unary-call.js";
import { runVictims } from "./attack/victims.js";

const ROOT = new URL("..", import.meta.url).pathname;
const ORIGIN = "https://localhost:5173";
const HEALTH_CHECK = "/grpc.health.v1.Health/Check";
const HEALTH_WATCH = "/grpc.health.v1.Health/Watch";
const WATCH_NOTES = "/demo.v1.NotesService/WatchNotes";
const EMPTY = new Uint8Array(0);

interface Settings {
  silent: number;
  streams: number;
  victims: number;
  victimCalls: number;
  rate: number;
  out: string;
}

function settings(): Settings {
  const { values } = parseArgs({
    options: {
      silent: { type: "string", default: "1000" },
      streams: { type: "string", default: "2000" },
      victims: { type: "string", default: "4" },
      "victim-calls": { type: "string", default: "600" },
      rate: { type: "string", default: "30" },
      out: { type: "string", default: join(ROOT, "bench", "ATTACK.md") },
    },
    strict: true,
  });
  const int = (name: string, raw: string, min: number, max: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer in ${min}..${max}, got "${raw}"`);
    return n;
  };
  return {
    silent: int("silent", values.silent, 10, 20_000),
    streams: int("streams", values.streams, 10, 20_000),
    victims: int("victims", values.victims, 1, 64),
    victimCalls: int("victim-calls", values["victim-calls"], 20, 100_000),
    rate: int("rate", values.rate, 1, 1000),
    out: values.out,
  };
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (v: number) => Math.round(v * 10) / 10;

/** Polls the probe listener; counts answers by status. */
async function probeStatus(agent: Agent, envoy: RunningEnvoy, path: string): Promise<number> {
  try {
    const res = await undiciFetch(`https://localhost:${envoy.probePort}${path}`, {
      dispatcher: agent,
      signal: AbortSignal.timeout(2000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return -1;
  }
}

/** Phase 2/3: holds `count` connections (TCP-only or TLS-completed) and watches a new client. */
async function silentPhase(
  envoy: RunningEnvoy,
  ca: string,
  probeAgent: Agent,
  count: number,
  tls: boolean,
  limitS: number,
): Promise<SilentPhase> {
  const t0 = performance.now();
  const flood = await openSilentConnections({
    port: envoy.port,
    count,
    ...(tls ? { tls: { ca } } : {}),
  });
  const accepted = flood.connected();
  let firstSuccessS: number | undefined;
  let attempts = 0;
  const failures: Record<string, number> = {};
  const probe = { ready: {} as Record<string, number>, livez: {} as Record<string, number> };
  const bump = (m: Record<string, number>, k: string) => {
    m[k] = (m[k] ?? 0) + 1;
  };
  while ((performance.now() - t0) / 1000 < limitS) {
    const [call, ready, livez] = await Promise.all([
      unaryCall({
        url: envoy.url,
        ca,
        path: HEALTH_CHECK,
        message: EMPTY,
        headers: { origin: ORIGIN },
        timeoutMs: 2000,
      }),
      probeStatus(probeAgent, envoy, "/ready"),
      probeStatus(probeAgent, envoy, "/livez"),
    ]);
    attempts++;
    bump(probe.ready, String(ready));
    bump(probe.livez, String(livez));
    if (call.grpcStatus === 0) firstSuccessS ??= (performance.now() - t0) / 1000;
    else bump(failures, call.detail || `status ${call.grpcStatus}`);
    if (firstSuccessS !== undefined && flood.open() === 0) break;
    await sleep(250);
  }
  const closes = flood.closeTimes();
  const closedByServer = closes.length;
  const holds = flood.holdTimes();
  const allClosedS =
    flood.open() === 0 && closes.length > 0
      ? (flood.startedAt - t0 + (closes[closes.length - 1] ?? 0)) / 1000
      : undefined;
  const observedS = round((performance.now() - t0) / 1000);
  flood.destroy();
  return {
    count,
    accepted,
    firstSuccessS: firstSuccessS === undefined ? null : round(firstSuccessS),
    allClosedS: allClosedS === undefined ? null : round(allClosedS),
    closedByServer,
    maxHeldS: holds.length > 0 ? round((holds[holds.length - 1] ?? 0) / 1000) : null,
    newClientAttempts: attempts,
    observedS,
    probe,
  };
}

/**
 * Phase 4/5 while the victims run: `hold` opens the streams at once from this process and keeps
 * what it gets (the attack); `sustained` runs in another process and re-opens every
 * refused stream at once.
 */
async function floodPhase(
  envoy: RunningEnvoy,
  ca: string,
  s: Settings,
  tokens: string[],
  mode: "hold" | "sustained",
  flood: { path: string; message: Uint8Array; headers: Record<string, string> },
): Promise<FloodPhase> {
  if (mode === "hold") {
    const f = await openStreamFlood({ url: envoy.url, ca, count: s.streams, ...flood });
    const victims = await victimRun(envoy, ca, s, tokens);
    const phase = { streams: s.streams, fates: f.summary(), heldAtEnd: f.open(), victims };
    f.close();
    await sleep(1000);
    return phase;
  }
  const attacker = await startSustainedFlood({
    url: envoy.url,
    ca,
    path: flood.path,
    messageBase64: Buffer.from(flood.message).toString("base64"),
    count: s.streams,
    headers: flood.headers,
  });
  const victims = await victimRun(envoy, ca, s, tokens);
  const summary = await attacker.stop();
  await sleep(1000);
  return {
    streams: s.streams,
    attempts: summary.attempts,
    heldAtEnd: summary.held,
    fates: summary.fates,
    victims,
  };
}

/** The other users: WhoAmI calls, every 10th a 2-message WatchNotes stream. */
function victimRun(envoy: RunningEnvoy, ca: string, s: Settings, tokens: string[]) {
  return runVictims({
    url: envoy.url,
    ca,
    tokens,
    calls: s.victimCalls,
    rate: s.rate,
    origin: ORIGIN,
    streamEvery: 10,
  });
}

async function main(): Promise<number> {
  const s = settings();
  const bin = findEnvoy(ROOT);
  if (!bin) throw new Error("no Envoy binary: set ENVOY_BIN or run npm run setup:envoy");
  const pki = ensureDevPki(join(os.tmpdir(), `gwo-attack-${process.pid}`));
  const ca = readFileSync(pki.ca.cert, "utf8");
  const idp = await startIdp({
    pki,
    redirectUris: [`${ORIGIN}/`],
    accessTokenTtl: 3600,
    renewWindow: 60,
    log: () => {},
  });
  const backend = await startBackend({
    pki,
    issuer: idp.issuer,
    jwksUri: idp.jwksUri,
    allowedOrigins: [ORIGIN],
  });
  const envoy = await startEnvoy({
    pki,
    probePort: 0,
    idpIssuer: idp.issuer,
    jwksUri: idp.jwksUri,
    backendPort: backend.mtlsPort,
    allowedOrigins: [ORIGIN],
  });
  const probeAgent = new Agent({ connect: { ca } });
  try {
    log(`== attack run: Envoy ${envoy.version} at ${envoy.url}, probe :${envoy.probePort}`);
    const login = async (user: string) =>
      (
        await signIn({
          issuer: idp.issuer,
          ca,
          redirectUri: `${ORIGIN}/`,
          login: user,
          password: user,
        })
      ).access_token;
    const tokens: string[] = [];
    for (let i = 0; i < s.victims; i++) tokens.push(await login("writer"));
    const attackerToken = await login("reader");

    log("-- 1. quiet");
    const quiet = await victimRun(envoy, ca, s, tokens);
    log(`    ${JSON.stringify(quiet)}`);

    log(`-- 2. ${s.silent} silent TCP connections`);
    const silent = await silentPhase(envoy, ca, probeAgent, s.silent, false, 40);
    log(`    ${JSON.stringify(silent)}`);
    await sleep(2000);

    log(`-- 3. ${s.silent} TLS-then-silent connections`);
    const tlsSilent = await silentPhase(envoy, ca, probeAgent, s.silent, true, 40);
    log(`    ${JSON.stringify(tlsSilent)}`);
    await sleep(2000);

    const floods = {
      watch: { path: HEALTH_WATCH, message: EMPTY, headers: { origin: ORIGIN } },
      notes: {
        path: WATCH_NOTES,
        message: toBinary(WatchNotesRequestSchema, {
          $typeName: "demo.v1.WatchNotesRequest",
          count: 600,
          intervalMs: 1000,
        }),
        headers: { origin: ORIGIN, authorization: `Bearer ${attackerToken}` },
      },
    };
    const phase = async (k: keyof typeof floods, mode: "hold" | "sustained") => {
      log(
        `-- ${k === "watch" ? 4 : 5}. ${s.streams} ${k === "watch" ? "public Health/Watch" : "WatchNotes (one reader)"} streams, ${mode}`,
      );
      const r = await floodPhase(envoy, ca, s, tokens, mode, floods[k]);
      log(`    ${JSON.stringify(r)}`);
      return r;
    };
    const watch = await phase("watch", "hold");
    const watchSustained = await phase("watch", "sustained");
    const notes = await phase("notes", "hold");
    const notesSustained = await phase("notes", "sustained");

    const now: AttackResult = {
      quiet,
      silent,
      tlsSilent,
      watch,
      notes,
      watchSustained,
      notesSustained,
    };
    const before = JSON.parse(
      readFileSync(join(ROOT, "bench", "attack", "before.json"), "utf8"),
    ) as AttackResult & { commit: string };
    const beforeLabel = `before (${before.commit})`;
    const figures = attackFigures(now, before, beforeLabel);
    const cpu = os.cpus()[0]?.model ?? "unknown CPU";
    const header = [
      `Generated by \`npm run attack\` on ${new Date().toISOString()}: Envoy ${envoy.version} with the`,
      "generated config (production defaults, a 1,000-connection cap) in front of the demo backend",
      `and IdP; Node ${process.version}, ${os.cpus().length} × ${cpu}, shared with other work (times`,
      `are indicative, counts exact). Settings: ${JSON.stringify({ ...s, out: undefined })}.`,
      "The attack tools are bench/attack/*.ts; short versions run in `npm test`",
      "(test/envoy/integration/hostile-load.test.ts).",
    ];
    writeFileSync(s.out, renderAttackReport({ now, before, beforeLabel, figures, header }));
    // Tables padded as the repository's formatter writes them, so `biome check` stays green.
    spawnSync(join(ROOT, "node_modules", ".bin", "biome"), ["format", "--write", s.out], {
      stdio: "ignore",
    });
    for (const f of figures)
      log(
        `  [${f.met ? "met" : "NOT met"}] ${f.name}: ${f.ours ?? "never"} ${f.unit} (goal ${f.goal})`,
      );
    log(`wrote ${s.out}`);
    // The exit status follows the goals; the sustained floods are reported beside them.
    return figures.every((f) => f.met || f.name.includes("re-opened as refused")) ? 0 : 1;
  } finally {
    await probeAgent.close();
    await envoy.close();
    await backend.close();
    await idp.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
