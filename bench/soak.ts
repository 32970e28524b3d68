/**
 * `npm run soak`: the long load-and-fault run (DESIGN.md). Starts the real stack (IdP with a
 * short access-token TTL, backend, and Envoy when a binary is found) on ephemeral loopback
 * ports, drives K simulated SPA clients built on the SDK, injects faults on a schedule, and
 * writes `bench/SOAK.md` (tables plus a machine-readable JSON block). Exits 1 on FAIL.
 *
 *   npm run soak                        # both paths, 10 min each (issue 9's run)
 *   npm run soak -- --duration 90 --path envoy
 *
 * Flags (all bounded): --duration S (per path, 45..3600, default 600 or GWO_SOAK_DURATION),
 * --streams N (long server streams, 0..1000, default 200 or GWO_SOAK_STREAMS), --clients K
 * (3..64, default 8), --rate R (unary calls/s per client, 0.5..20, default 4), --ttl S
 * (access-token TTL, default 10), --leeway S (renew window, default 5), --outage S (IdP down,
 * default 10), --outage-phase aligned|straddle (default aligned: the outage starts once every
 * client holds the token of the forced refresh, so calls carry on with it until it expires;
 * straddle: across one refresh point), --path direct|envoy|both (default both; Envoy only
 * when `findEnvoy()` finds a binary), --out FILE (default bench/SOAK.md).
 *
 * Processes: the backend runs in a child process (soak/backend-process.ts) so its RSS and heap
 * after GC are its own; the IdP and the clients share this process; Envoy is its own. Memory
 * is sampled 20 times per path (and at both ends); a V8 heap snapshot of the backend is
 * written at the end (its path is in the report).
 *
 * Load: K SDK clients (unary calls at R/s each, plus short WatchNotes) and N long WatchNotes
 * streams spread over them (240 ± 20 % numbered messages, 500 ms apart, reopened when done,
 * each open with the token of that moment): every gap or repeat in the numbering is counted.
 *
 * Faults, in order, at fixed fractions of the duration:
 *  1. forced expiry: every client's stored token is marked expired at once (client view);
 *     each must refresh exactly once however many calls are in flight;
 *  2. IdP unreachable (listener closed, connections refused) right after, for --outage
 *     seconds, then back: calls keep working on the current token, refresh resumes after;
 *  3. backend certificates re-issued in place: the backend reloads them without a restart;
 *  4. Envoy's SDS directories swapped (kubelet-style symlink swap), when Envoy runs;
 *  5. signing-key rotation at the IdP: a new key published, then (Envoy's JWKS cache + 10 s
 *     later; the soak sets that cache to 10 % of the run, 10..60 s) used for every token:
 *     Envoy has it from its refresh, the backend meets an unknown kid and refetches;
 *  6. the grant of one client (the only `admin`) revoked at the IdP: that client gets exactly
 *     one session-ended, stops, and makes no further token request.
 *
 * "Calls failed because of auth" counts UNAUTHENTICATED / PERMISSION_DENIED that were not
 * expected (the reader's CreateNote and the revoked client's end are expected). Calls that
 * could not get a token because the IdP was down and the token had expired are UNAVAILABLE,
 * counted as expected failures with that reason.
 */

import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import vm from "node:vm";
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from "undici";
import { certFiles, type RunningEnvoy, startEnvoy } from "../demo/envoy.js";
import { BACKEND_DNS, BACKEND_SPIFFE, GATEWAY_SPIFFE, issueCert } from "../demo/pki.js";
import { startStack } from "../demo/stack.js";
import { findEnvoy } from "../src/envoy/find-binary.js";
import {
  emptyTally,
  type FailureRecord,
  METHODS,
  SoakClient,
  type StreamTally,
} from "./soak/client.js";
import { listenerSwitch, reachable, reissueInPlace, servedSerial } from "./soak/faults.js";
import { type RemoteBackend, startRemoteBackend } from "./soak/remote-backend.js";
import {
  type Check,
  fmtCounts,
  type MemorySample,
  type PathResult,
  type ReportInput,
  renderReport,
  type Settings,
  type TimelineEntry,
} from "./soak/report.js";
import { bump, type LatencySummary, mib, rssOfPid, sleep, summarize } from "./soak/stats.js";

const ROOT = new URL("..", import.meta.url).pathname;
const LOCAL_SANS = ["DNS:localhost", "IP:127.0.0.1", "IP:::1"];
const REVOKED_LOGIN = "admin";
const PROBES_AFTER_END = 3;
/** Heap growth (after GC) tolerated over one path's run. */
const HEAP_GROWTH_LIMIT = 64 * 1048576;

function settings(): Settings {
  const { values } = parseArgs({
    options: {
      duration: { type: "string", default: process.env.GWO_SOAK_DURATION ?? "600" },
      clients: { type: "string", default: "8" },
      rate: { type: "string", default: "4" },
      ttl: { type: "string", default: "10" },
      leeway: { type: "string", default: "5" },
      outage: { type: "string", default: "10" },
      "outage-phase": { type: "string", default: "aligned" },
      streams: { type: "string", default: process.env.GWO_SOAK_STREAMS ?? "200" },
      path: { type: "string", default: "both" },
      out: { type: "string", default: join(ROOT, "bench", "SOAK.md") },
    },
    strict: true,
  });
  const num = (name: string, raw: string, min: number, max: number): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new Error(`--${name} must be a number in ${min}..${max}, got "${raw}"`);
    }
    return n;
  };
  const ttlS = Math.round(num("ttl", values.ttl, 6, 3600));
  const leewayS = Math.round(num("leeway", values.leeway, 1, ttlS - 1));
  const path = values.path;
  if (path !== "direct" && path !== "envoy" && path !== "both") {
    throw new Error(`--path must be direct, envoy or both, got "${path}"`);
  }
  const durationS = num("duration", values.duration, 45, 3600);
  // Revocation comes after the other faults (about 0.55 of the run) and needs a token life
  // plus margin before the end for the client to find out.
  if (durationS * 0.45 < ttlS + 10) {
    throw new Error(
      `--duration ${durationS} is too short for --ttl ${ttlS}: need at least ${Math.ceil((ttlS + 10) / 0.45)}`,
    );
  }
  return {
    durationS,
    clients: Math.round(num("clients", values.clients, 3, 64)),
    rate: num("rate", values.rate, 0.5, 20),
    ttlS,
    leewayS,
    outageS: num("outage", values.outage, 1, 600),
    streams: Math.round(num("streams", values.streams, 0, 1000)),
    outagePhase: outagePhase(values["outage-phase"]),
    paths: path === "both" ? ["direct", "envoy"] : [path],
    out: values.out,
  };
}

function outagePhase(raw: string): "aligned" | "straddle" {
  if (raw !== "aligned" && raw !== "straddle") {
    throw new Error(`--outage-phase must be aligned or straddle, got "${raw}"`);
  }
  return raw;
}

const gc = (): (() => void) => {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
};

function heapAfterGc(collect: () => void): number {
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

async function runPath(
  path: "direct" | "envoy",
  s: Settings,
  collect: () => void,
): Promise<PathResult> {
  const certDir = mkdtempSync(join(os.tmpdir(), "gwo-soak-"));
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail });
    log(`  [${ok ? "ok" : "FAIL"}] ${name}: ${detail}`);
  };
  const timeline: TimelineEntry[] = [];
  let t0 = Date.now();
  const mark = (event: string) => {
    const at = Math.round((Date.now() - t0) / 100) / 10;
    timeline.push({ at, event });
    log(`  t+${at.toFixed(1)}s ${event}`);
  };

  const heapStart = heapAfterGc(collect);
  const rssStart = process.memoryUsage().rss;
  const idpErrors: string[] = [];
  // The gateway's JWKS cache: short enough that a key published before it is used reaches
  // Envoy within the run (jwt_authn does not refetch on an unknown kid).
  const envoyJwksCacheS = Math.max(10, Math.min(60, Math.round(0.1 * s.durationS)));
  const stack = await startStack({
    certDir,
    envoy: path === "envoy",
    web: false,
    // Its own JWKS URL (same keys), so the IdP can tell the backend's fetches from Envoy's.
    startBackend: (o) => startRemoteBackend({ ...o, jwksUri: `${o.jwksUri}?via=backend` }),
    // Streams per subject: the writers share one subject.
    backendOptions: { maxStreamsPerCaller: s.streams + 16 },
    startEnvoy: (o) =>
      startEnvoy({
        ...o,
        configTransform: (y) =>
          y.replace(/cache_duration: \d+s/, `cache_duration: ${envoyJwksCacheS}s`),
      }),
    tokenTtl: s.ttlS,
    renewWindow: s.leewayS,
    idpLog: (r) => {
      if (idpErrors.length < 50) idpErrors.push(`${r.level} ${r.event}`);
    },
  }).catch((err: unknown) => {
    rmSync(certDir, { recursive: true, force: true });
    throw err;
  });
  const clients: SoakClient[] = [];
  let globalAgent: Agent | undefined;
  const previousDispatcher = getGlobalDispatcher();
  try {
    log(`== ${path} path: API ${stack.apiUrl}, IdP ${stack.idp.issuer}, TTL ${s.ttlS}s`);
    const idpSwitch = listenerSwitch(stack.idp.server, stack.idp.port, "127.0.0.1");
    const ca = readFileSync(stack.pki.ca.cert);
    // oidc-client-ts calls the global fetch: make it trust this run's dev CA.
    // Restored (not just closed) afterwards: Envoy's readiness probe uses the global fetch too.
    globalAgent = new Agent({ connect: { ca } });
    setGlobalDispatcher(globalAgent);
    const envoy = stack.envoy as RunningEnvoy | undefined;
    const envoyRssStart = envoy ? await rssOfPid(envoy.pid) : undefined;

    // Client 0 is the only admin (its grant gets revoked), client 1 a reader (CreateNote is
    // PERMISSION_DENIED, never retried), the rest writers.
    for (let id = 0; id < s.clients; id++) {
      const login = id === 0 ? REVOKED_LOGIN : id === 1 ? "reader" : "writer";
      const c = new SoakClient({
        id,
        login,
        issuer: stack.idp.issuer,
        redirectUri: stack.redirectUri,
        apiUrl: stack.apiUrl,
        origin: stack.webOrigin,
        ca,
        leewaySeconds: s.leewayS,
        rate: s.rate,
        workers: 2,
        timeoutMs: 10_000,
        // 200 streams spread over the clients (client 0's end with its revoked grant).
        streams: Math.floor(s.streams / s.clients) + (id < s.streams % s.clients ? 1 : 0),
      });
      clients.push(c);
      await c.signIn();
    }
    const revoked = clients[0]!;
    const grantsAtStart = stack.idp.stats.refreshGrants;
    const reuseAtStart = stack.idp.stats.refreshReuse;

    const d = s.durationS * 1000;
    t0 = Date.now();
    const endAt = t0 + d;
    const forcedAt = t0 + 0.2 * d;
    // Every client refreshed at `forcedAt`; its next refresh point is TTL - leeway later.
    // aligned: the outage starts right after that refresh, so tokens live through most of it.
    // (aligned: set once every client has its forced refresh, see below).
    let outageStart =
      s.outagePhase === "aligned"
        ? forcedAt + 1000
        : forcedAt + (s.ttlS - s.leewayS) * 1000 - (s.outageS * 1000) / 2;
    let outageEnd = outageStart + s.outageS * 1000;
    const rotateAt = Math.max(outageEnd + 2000, t0 + 0.35 * d);
    const sdsAt = rotateAt + Math.max(3000, 0.08 * d);
    const publishKeyAt = Math.max(sdsAt + 3000, t0 + 0.5 * d);
    const signNewKeyAt = publishKeyAt + (envoyJwksCacheS + 10) * 1000;
    const revokeAt = Math.max(
      signNewKeyAt + 2000,
      Math.min(t0 + 0.7 * d, endAt - (s.ttlS + 8) * 1000),
    );
    mark(
      `load started: ${s.clients} clients × ${s.rate} calls/s and ${s.streams} long streams for ${s.durationS}s`,
    );

    let rssMax = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      rssMax = Math.max(rssMax, process.memoryUsage().rss);
    }, 1000);
    const okTotal = () => sum(clients.map((c) => sum(Object.values(c.ok))));
    const remote = stack.backend as RemoteBackend;
    const memorySeries: MemorySample[] = [];
    const loopDelay = monitorEventLoopDelay({ resolution: 20 });
    loopDelay.enable();
    const sampleMemory = async () => {
      const b = await remote.memory();
      memorySeries.push({
        t: Math.round((Date.now() - t0) / 1000),
        backendRss: b.rss,
        backendHeapAfterGc: b.heapAfterGc,
        ...(envoy ? { envoyRss: await rssOfPid(envoy.pid) } : {}),
        clientsRss: process.memoryUsage().rss,
        clientsHeapAfterGc: heapAfterGc(collect),
        callsOk: okTotal(),
        streamMessages: sum(clients.map((c) => c.streamTally.messages)),
        clientsLoopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e6),
      });
      loopDelay.reset();
    };
    await sampleMemory();
    const sampleEveryMs = Math.max(5000, d / 20);
    let sampling = Promise.resolve();
    const memoryTimer = setInterval(() => {
      sampling = sampling.then(sampleMemory, () => {});
    }, sampleEveryMs);

    const faults = (async () => {
      const at = async (when: number) => sleep(when - Date.now());
      const forcedTimes = new Map<number, number>();

      // 1. Forced expiry for every client at once.
      await at(forcedAt);
      await Promise.all(
        clients.map(async (c) => {
          if (await c.forceExpiry()) forcedTimes.set(c.id, Date.now());
        }),
      );
      mark(`forced expiry: ${forcedTimes.size} clients' tokens marked expired`);
      if (s.outagePhase === "aligned") {
        // The outage starts once every client holds its fresh token (at most 15 s).
        const refreshed = () =>
          clients.every((c) => {
            const ft = forcedTimes.get(c.id);
            return ft === undefined || c.events.refreshDone.some((r) => r.t >= ft);
          });
        for (let i = 0; i < 150 && !refreshed(); i++) await sleep(100);
        mark(`forced refreshes done: ${refreshed()}`);
        outageStart = Date.now() + 200;
        outageEnd = outageStart + s.outageS * 1000;
      }

      // 2. IdP unreachable between two refresh points.
      await at(outageStart);
      const grantsBeforeOutage = stack.idp.stats.refreshGrants;
      await idpSwitch.down();
      const downOk = !(await reachable(stack.idp.port));
      const okAtOutage = okTotal();
      mark(`IdP listener closed (connections refused: ${downOk})`);
      await at(outageEnd);
      const okDuringOutage = okTotal() - okAtOutage;
      const grantsDuringOutage = stack.idp.stats.refreshGrants - grantsBeforeOutage;
      await idpSwitch.up();
      const upOk = await reachable(stack.idp.port);
      mark(
        `IdP listener reopened (reachable: ${upOk}); ${okDuringOutage} calls succeeded meanwhile`,
      );

      // 3. Backend certificates re-issued in place; the file watcher must reload them.
      await at(rotateAt);
      const pki = stack.pki;
      const meshClient = {
        ca: readFileSync(pki.meshCa.cert),
        cert: readFileSync(pki.gateway.cert),
        key: readFileSync(pki.gateway.key),
      };
      const probeWeb = () =>
        servedSerial({ port: stack.backend.webPort, ca, servername: "localhost" });
      const probeMtls = () =>
        servedSerial({
          port: stack.backend.mtlsPort,
          servername: BACKEND_DNS,
          alpn: ["h2"],
          ...meshClient,
        });
      const before = { web: await probeWeb(), mtls: await probeMtls() };
      const reloadsBefore = countLogs(stack.backend.logs, "tls-reloaded");
      reissueInPlace(pki.localhost, { ca: pki.ca, usage: "server", sans: LOCAL_SANS });
      reissueInPlace(pki.backend, {
        ca: pki.meshCa,
        usage: "server",
        sans: [`DNS:${BACKEND_DNS}`, ...LOCAL_SANS, `URI:${BACKEND_SPIFFE}`],
      });
      mark("backend certificates re-issued in place (web + mTLS listener)");
      let after = before;
      for (let i = 0; i < 20; i++) {
        await sleep(250);
        after = { web: await probeWeb(), mtls: await probeMtls() };
        if (after.web !== before.web && after.mtls !== before.mtls) break;
      }
      const reloads = countLogs(stack.backend.logs, "tls-reloaded") - reloadsBefore;
      const reloadFailures = countLogs(stack.backend.logs, "tls-reload-failed");
      mark(
        `backend serving new certificates: web ${after.web !== before.web}, mTLS ${after.mtls !== before.mtls} (${reloads} reloads, ${reloadFailures} reload errors)`,
      );

      // 4. Envoy SDS directory swap.
      let sds = { server: false, upstream: false, tried: false };
      if (envoy) {
        await at(sdsAt);
        const probeEnvoy = () => servedSerial({ port: envoy.port, ca, servername: "localhost" });
        const envoyBefore = await probeEnvoy();
        const staging = mkdtempSync(join(certDir, "sds-"));
        const server = issueCert({
          ca: pki.ca,
          dir: staging,
          name: "server",
          usage: "server",
          sans: LOCAL_SANS,
        });
        const client = issueCert({
          ca: pki.meshCa,
          dir: staging,
          name: "gateway",
          usage: "client",
          sans: [`URI:${GATEWAY_SPIFFE}`],
        });
        envoy.rotate("server", certFiles(server));
        envoy.rotate("upstream-client", certFiles(client, pki.meshCa.cert));
        mark("Envoy SDS directories swapped (server + upstream-client)");
        let envoyAfter = envoyBefore;
        for (let i = 0; i < 40 && envoyAfter === envoyBefore; i++) {
          await sleep(250);
          envoyAfter = await probeEnvoy();
        }
        const clientSerial = new X509Certificate(readFileSync(client.cert)).serialNumber;
        let upstream = false;
        for (let i = 0; i < 20 && !upstream; i++) {
          upstream = (await envoyCertSerials(envoy.adminPort)).has(normalSerial(clientSerial));
          if (!upstream) await sleep(250);
        }
        sds = { server: envoyAfter !== envoyBefore, upstream, tried: true };
        mark(
          `Envoy serving the new listener certificate: ${sds.server}; new upstream client certificate loaded (admin /certs): ${upstream}`,
        );
      }

      // 5. Signing-key rotation at the IdP: the new key is published first (the gateway picks
      // it up when its JWKS cache refreshes), then used; the backend meets its kid unknown and
      // refetches.
      await at(publishKeyAt);
      const jwksBefore = stack.idp.stats.jwksRequests.length;
      const publishedKid = stack.idp.publishNextKey();
      mark(`IdP published a new signing key (${publishedKid}), not yet used`);
      // Measured from the publication itself, in case the faults before ran late.
      await sleep((envoyJwksCacheS + 10) * 1000);
      const jwksAtSwitch = stack.idp.stats.jwksRequests.length;
      const signingKid = stack.idp.signWithNewestKey();
      const switchedAt = Date.now();
      mark(`IdP signs with the new key (${signingKid}) from now on`);
      const byWho = (from: number, to: number) => {
        const r = stack.idp.stats.jwksRequests.slice(from, to);
        const backend = r.filter((x) => x.via === "backend").length;
        return { backend, gateway: r.length - backend };
      };

      // 6. Revoke one client's grant.
      await at(revokeAt);
      const keyRotation = () => ({
        publishedKid,
        signingKid,
        fetchesBetweenPublishAndSwitch: byWho(jwksBefore, jwksAtSwitch),
        fetchesAfterSwitch: byWho(jwksAtSwitch, stack.idp.stats.jwksRequests.length),
        firstBackendFetchAfterSwitchMs: (() => {
          const x = stack.idp.stats.jwksRequests
            .slice(jwksAtSwitch)
            .find((r) => r.via === "backend");
          return x ? x.t - switchedAt : -1;
        })(),
      });
      const revokedGrants = await stack.idp.revokeGrants(REVOKED_LOGIN);
      const revokedAtMs = Date.now();
      mark(`grant of client 0 (${REVOKED_LOGIN}) revoked at the IdP (${revokedGrants} grant)`);
      return {
        forcedTimes,
        downOk,
        upOk,
        okDuringOutage,
        grantsDuringOutage,
        certs: { before, after, reloads, reloadFailures },
        sds,
        revokedGrants,
        revokedAtMs,
        keyRotation,
      };
    })();

    await Promise.all(clients.flatMap((c) => [c.run(endAt), c.runStreams(endAt)]));
    const f0 = await faults;
    const f = { ...f0, keyRotation: f0.keyRotation() };
    mark(
      `JWKS fetches: between publish and switch gateway ${f.keyRotation.fetchesBetweenPublishAndSwitch.gateway} / backend ${f.keyRotation.fetchesBetweenPublishAndSwitch.backend}; after the switch gateway ${f.keyRotation.fetchesAfterSwitch.gateway} / backend ${f.keyRotation.fetchesAfterSwitch.backend} (first backend fetch ${f.keyRotation.firstBackendFetchAfterSwitchMs} ms after the switch)`,
    );
    clearInterval(sampler);
    clearInterval(memoryTimer);
    loopDelay.disable();
    await sampling;
    await sampleMemory();
    const snapshotFile = join(os.tmpdir(), `gwo-soak-backend-${path}-${process.pid}.heapsnapshot`);
    const snapshot = await remote.heapSnapshot(snapshotFile).then(
      (file) => ({ file, bytes: statSync(file).size }),
      () => undefined,
    );
    mark("load finished");
    const ended = revoked.events.sessionEnded[0];
    if (ended)
      mark(
        `client 0 got session-ended (${ended.reason}) at t+${((ended.t - t0) / 1000).toFixed(1)}s`,
      );
    const probe = await revoked.probeAfterEnd(PROBES_AFTER_END);

    // ---- figures ----
    const grants = stack.idp.stats.refreshGrants - grantsAtStart;
    const refreshReuse = stack.idp.stats.refreshReuse - reuseAtStart;
    const latencyMs: Record<string, LatencySummary> = {};
    for (const m of METHODS) latencyMs[m] = summarize(clients.flatMap((c) => c.latency[m] ?? []));
    const callsOk = okTotal();
    const failures = clients.flatMap((c) => c.failures);
    const failuresByCode: Record<string, { expected: number; unexpected: number }> = {};
    const expectedReasons: Record<string, number> = {};
    let expectedFailures = 0;
    const unexpected: FailureRecord[] = [];
    for (const fr of failures) {
      const reason = expectedBecause(fr, f.revokedAtMs, outageStart, outageEnd);
      const slot = failuresByCode[fr.code] ?? { expected: 0, unexpected: 0 };
      failuresByCode[fr.code] = slot;
      if (reason) {
        slot.expected++;
        expectedFailures++;
        bump(expectedReasons, reason);
      } else {
        slot.unexpected++;
        unexpected.push(fr);
      }
    }
    const callsFailed = failures.length;
    const streams = sumTallies(clients.map((c) => c.streamTally));
    // A call refused because of its token: UNAUTHENTICATED / PERMISSION_DENIED that was not
    // expected (the reader's CreateNote, the revoked client's end).
    const authFailures = unexpected.filter(
      (fr) => fr.code === "Unauthenticated" || fr.code === "PermissionDenied",
    ).length;
    const heapGrowth = heapGrowthSecondHalf(memorySeries);

    // Refresh accounting: every refresh is either forced, or within the renew window
    // ("natural"); one earlier than that would be a duplicate grant for the same expiry.
    const graceMs = 1000;
    let early = 0;
    let late = 0;
    let expiries = 0;
    let revokedExpiries = 0;
    let missed = 0;
    let clientRefreshes = 0;
    const refreshErrors: Record<string, number> = {};
    let retries = 0;
    const sessionEnded: Record<string, number> = {};
    let forcedWindowOk = 0;
    let resumedAfterOutage = 0;
    let activeAfterOutage = 0;
    for (const c of clients) {
      clientRefreshes += c.events.refreshDone.length;
      for (const r of c.events.refreshDone) {
        expiries++;
        if (!r.forced && r.remainingMs > s.leewayS * 1000 + graceMs) early++;
        if (r.remainingMs < 0) late++;
      }
      // An expiry that found the grant revoked: a token request, but no grant.
      if (c === revoked && c.events.sessionEnded.length > 0) revokedExpiries++;
      // A token whose refresh point passed while the client was still calling, unrefreshed.
      const stopped = c.stoppedAt ?? Date.now();
      if (c !== revoked && c.expiresAt - s.leewayS * 1000 < stopped - graceMs) missed++;
      for (const [k, v] of Object.entries(c.events.refreshError)) bump(refreshErrors, k, v);
      retries += c.events.retry;
      sessionEnded[`client ${c.id} (${c.login})`] = c.events.sessionEnded.length;
      const forcedAt = f.forcedTimes.get(c.id);
      if (forcedAt !== undefined) {
        // One refresh between the forced expiry and the outage (aligned) or within 5 s.
        const windowEnd = s.outagePhase === "aligned" ? outageStart : forcedAt + 5000;
        const inWindow = c.events.refreshDone.filter((r) => r.t >= forcedAt && r.t < windowEnd);
        if (inWindow.length === 1 && inWindow[0]?.forced) forcedWindowOk++;
      }
      if (c !== revoked) {
        activeAfterOutage++;
        if (c.events.refreshDone.some((r) => r.t > outageEnd)) resumedAfterOutage++;
      }
    }

    // Expiries that a grant could answer: refreshed ones plus missed ones (the revoked
    // client's last expiry is answered by invalid_grant and reported on its own).
    expiries += missed;
    const grantsPerExpiry = expiries === 0 ? 0 : grants / expiries;
    const revokedRequestsAfter = revoked.events.refreshStart.filter(
      (t) => t >= f.revokedAtMs,
    ).length;
    const heapEnd = heapAfterGc(collect);
    const rssEnd = process.memoryUsage().rss;
    const envoyRssEnd = envoy ? await rssOfPid(envoy.pid) : undefined;

    // ---- checks ----
    log(`  checks (${path}):`);
    check(
      "calls made",
      callsOk > 0 && clients.every((c) => sum(Object.values(c.ok)) > 0),
      `${callsOk + callsFailed} calls, ${callsOk} ok, every client made successful calls`,
    );
    check(
      "no unexpected failures",
      unexpected.length === 0,
      unexpected.length === 0
        ? `${expectedFailures} expected failures only`
        : `${unexpected.length} unexpected: ${describeFailures(unexpected, t0)}`,
    );
    check("calls failed because of auth", authFailures === 0, `${authFailures}`);
    check(
      "long streams: numbered messages lost / duplicated",
      streams.lost === 0 && streams.duplicated === 0 && streams.opened > 0,
      `${streams.messages} messages over ${streams.opened} streams (${streams.completed} completed, ${streams.cancelledAtEnd} cancelled at the end, ended early ${fmtCounts(streams.endedEarly)}); lost ${streams.lost}, duplicated ${streams.duplicated}`,
    );
    check(
      "signing-key rotation: backend refetched on the unknown kid",
      f.keyRotation.fetchesAfterSwitch.backend > 0,
      `${f.keyRotation.fetchesAfterSwitch.backend} backend JWKS fetches after the switch (first after ${f.keyRotation.firstBackendFetchAfterSwitchMs} ms); gateway fetches between publish and switch ${f.keyRotation.fetchesBetweenPublishAndSwitch.gateway}`,
    );
    check(
      "backend heap after GC, second half of the run",
      heapGrowth.bytes < HEAP_GROWTH_LIMIT,
      `${mib(heapGrowth.from)} at t+${heapGrowth.fromT}s → ${mib(heapGrowth.to)} at t+${heapGrowth.toT}s (limit +${mib(HEAP_GROWTH_LIMIT)})`,
    );
    check("refresh-token reuse at the IdP", refreshReuse === 0, `refreshReuse = ${refreshReuse}`);
    check(
      "IdP grants match client refreshes",
      grants === clientRefreshes,
      `${grants} refresh_token grants at the IdP, ${clientRefreshes} refresh-done events`,
    );
    check(
      "one grant per token expiry",
      early === 0 && missed === 0 && grantsPerExpiry >= 0.9 && grantsPerExpiry <= 1.1,
      `${grants} grants / ${expiries} expiries = ${grantsPerExpiry.toFixed(3)}; early (duplicate) refreshes ${early}; missed ${missed}; late ${late}; revoked-grant expiries ${revokedExpiries} (invalid_grant)`,
    );
    check(
      "forced expiry: exactly one refresh per client",
      forcedWindowOk === f.forcedTimes.size && f.forcedTimes.size === clients.length,
      `${forcedWindowOk}/${f.forcedTimes.size} clients refreshed exactly once before the outage (${clients.length} clients)`,
    );
    check(
      "IdP outage: current token carries the calls",
      f.downOk && f.okDuringOutage > 0 && f.grantsDuringOutage === 0,
      `listener refused connections: ${f.downOk}; ${f.okDuringOutage} calls ok during ${s.outageS}s outage; ${f.grantsDuringOutage} grants meanwhile`,
    );
    check(
      "IdP back: refresh resumes",
      f.upOk && resumedAfterOutage === activeAfterOutage,
      `${resumedAfterOutage}/${activeAfterOutage} clients refreshed after the IdP came back`,
    );
    check(
      "backend certificate rotation without restart",
      f.certs.after.web !== f.certs.before.web && f.certs.after.mtls !== f.certs.before.mtls,
      `web listener serial changed: ${f.certs.after.web !== f.certs.before.web}, mTLS serial changed: ${f.certs.after.mtls !== f.certs.before.mtls}; ${f.certs.reloads} reloads, ${f.certs.reloadFailures} reload errors`,
    );
    if (f.sds.tried) {
      check(
        "Envoy SDS swap",
        f.sds.server && f.sds.upstream,
        `listener serial changed after the symlink swap: ${f.sds.server}; new upstream client certificate in Envoy's /certs: ${f.sds.upstream}`,
      );
    }
    const othersEnded = clients.filter((c) => c !== revoked && c.events.sessionEnded.length > 0);
    check(
      "revoked client: exactly one session-ended",
      f.revokedGrants === 1 &&
        revoked.events.sessionEnded.length === 1 &&
        revoked.stoppedBecause === "session-ended" &&
        othersEnded.length === 0,
      `${f.revokedGrants} grant revoked; client 0 session-ended events ${revoked.events.sessionEnded.length} (${ended?.reason ?? "none"}), stopped by ${revoked.stoppedBecause}; other clients ended: ${othersEnded.length}`,
    );
    check(
      "revoked client: no loop",
      revokedRequestsAfter === 1 &&
        probe.failedFast === PROBES_AFTER_END &&
        probe.tokenRequests === 0,
      `token requests after revocation ${revokedRequestsAfter}; ${probe.failedFast}/${PROBES_AFTER_END} later calls failed fast (max ${probe.maxMs.toFixed(1)} ms) with ${probe.tokenRequests} token requests`,
    );
    check(
      "other clients ran to the end",
      clients.every((c) => c === revoked || c.stoppedBecause === "time"),
      clients
        .filter((c) => c !== revoked && c.stoppedBecause !== "time")
        .map((c) => `client ${c.id} stopped by ${c.stoppedBecause}`)
        .join(", ") || "all stopped by time",
    );
    check(
      "heap after GC",
      heapEnd - heapStart < HEAP_GROWTH_LIMIT,
      `${mib(heapStart)} → ${mib(heapEnd)} (limit +${mib(HEAP_GROWTH_LIMIT)})`,
    );
    if (idpErrors.length > 0) mark(`IdP log: ${idpErrors.slice(0, 5).join("; ")}`);

    return {
      path,
      verdict: checks.every((c) => c.ok) ? "PASS" : "FAIL",
      checks,
      timeline,
      figures: {
        durationS: s.durationS,
        clients: s.clients,
        callsMade: callsOk + callsFailed,
        callsOk,
        callsFailed,
        expectedFailures,
        unexpectedFailures: unexpected.length,
        failuresByCode,
        expectedReasons,
        latencyMs,
        refreshGrantsAtIdp: grants,
        clientRefreshes,
        tokenExpiries: expiries,
        missedExpiries: missed,
        revokedGrantExpiries: revokedExpiries,
        grantsPerExpiry: Math.round(grantsPerExpiry * 1000) / 1000,
        earlyRefreshes: early,
        lateRefreshes: late,
        refreshErrors,
        retries,
        refreshReuse,
        sessionEnded,
        callsOkDuringIdpOutage: f.okDuringOutage,
        authFailures,
        callsPerSecond: Math.round((callsOk / s.durationS) * 10) / 10,
        streams,
        memorySeries,
        keyRotation: f.keyRotation,
        ...(snapshot ? { backendHeapSnapshot: snapshot } : {}),
        rssStartBytes: rssStart,
        rssEndBytes: rssEnd,
        rssMaxBytes: Math.max(rssMax, rssEnd),
        heapAfterGcStartBytes: heapStart,
        heapAfterGcEndBytes: heapEnd,
        ...(envoyRssStart !== undefined ? { envoyRssStartBytes: envoyRssStart } : {}),
        ...(envoyRssEnd !== undefined ? { envoyRssEndBytes: envoyRssEnd } : {}),
      },
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await stack.close();
    setGlobalDispatcher(previousDispatcher);
    await globalAgent?.close();
    rmSync(certDir, { recursive: true, force: true });
  }
}

/** Why a failure was expected, or undefined when it was not. */
function expectedBecause(
  f: FailureRecord,
  revokedAtMs: number,
  outageStart: number,
  outageEnd: number,
): string | undefined {
  // While the IdP is down a call may fail only once its token has really expired; failing
  // with a token that still had life left is a defect (and stays unexpected).
  if (
    f.code === "Unavailable" &&
    f.refreshReason === "network" &&
    f.t >= outageStart &&
    f.t <= outageEnd + 1000 &&
    f.tokenValidMs <= 0
  ) {
    return "IdP down and the access token expired (UNAVAILABLE)";
  }
  if (f.code === "PermissionDenied" && f.method === "CreateNote" && f.login === "reader") {
    return "reader lacks notes.write (PERMISSION_DENIED, not retried)";
  }
  if (f.sessionEnded && f.login === REVOKED_LOGIN && f.t >= revokedAtMs) {
    return "grant revoked: session ended (UNAUTHENTICATED)";
  }
  return undefined;
}

function describeFailures(list: FailureRecord[], t0: number): string {
  const groups: Record<string, number> = {};
  for (const f of list) {
    const valid = f.refreshReason && f.tokenValidMs > 0 ? " with a still-valid token" : "";
    bump(
      groups,
      `${f.method} ${f.code}${f.refreshReason ? ` refresh:${f.refreshReason}` : ""}${valid}`,
    );
  }
  const first = list[0];
  const firstAt = first
    ? ` (first at t+${((first.t - t0) / 1000).toFixed(1)}s, client ${first.client})`
    : "";
  return (
    Object.entries(groups)
      .map(([k, v]) => `${v}× ${k}`)
      .join(", ") + firstAt
  );
}

/** Serial numbers of every certificate Envoy has loaded (admin `/certs`, loopback). */
async function envoyCertSerials(adminPort: number): Promise<Set<string>> {
  const serials = new Set<string>();
  try {
    const res = await fetch(`http://127.0.0.1:${adminPort}/certs`);
    const text = await res.text();
    for (const m of text.matchAll(/"serial_number":\s*"([0-9a-fA-F]+)"/g)) {
      if (m[1]) serials.add(normalSerial(m[1]));
    }
  } catch {
    // admin not answering: no serials
  }
  return serials;
}

function normalSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+/, "");
}

function sumTallies(ts: StreamTally[]): StreamTally {
  const out = emptyTally();
  for (const t of ts) {
    out.opened += t.opened;
    out.completed += t.completed;
    out.cancelledAtEnd += t.cancelledAtEnd;
    out.messages += t.messages;
    out.lost += t.lost;
    out.duplicated += t.duplicated;
    out.undeliveredAfterError += t.undeliveredAfterError;
    for (const [k, v] of Object.entries(t.endedEarly)) bump(out.endedEarly, k, v);
  }
  return out;
}

/** Backend heap after GC from the sample nearest the middle of the run to the last one. */
function heapGrowthSecondHalf(series: MemorySample[]) {
  const last = series[series.length - 1];
  const mid = series[Math.floor((series.length - 1) / 2)];
  if (!last || !mid) return { from: 0, to: 0, fromT: 0, toT: 0, bytes: 0 };
  return {
    from: mid.backendHeapAfterGc,
    to: last.backendHeapAfterGc,
    fromT: mid.t,
    toT: last.t,
    bytes: last.backendHeapAfterGc - mid.backendHeapAfterGc,
  };
}

function countLogs(logs: object[], event: string): number {
  return logs.filter((r) => (r as { event?: unknown }).event === event).length;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<number> {
  const s = settings();
  // Every loop is bounded; this bounds the whole run too (stack start-up and faults included).
  const watchdogMs = (s.durationS + 180) * 1000 * s.paths.length;
  setTimeout(() => {
    process.stderr.write(`soak: watchdog fired after ${watchdogMs / 1000} s\n`);
    process.exit(3);
  }, watchdogMs).unref();
  const startedAt = new Date();
  const collect = gc();
  const results: PathResult[] = [];
  const skipped: string[] = [];
  for (const path of s.paths) {
    if (path === "envoy" && !findEnvoy(ROOT)) {
      skipped.push("envoy path skipped: no Envoy binary (ENVOY_BIN, PATH, npm run setup:envoy)");
      log(`== envoy path skipped: no Envoy binary`);
      continue;
    }
    try {
      results.push(await runPath(path, s, collect));
    } catch (err) {
      const detail = (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
      log(`== ${path} path crashed: ${detail}`);
      results.push({
        path,
        verdict: "FAIL",
        checks: [{ name: "run", ok: false, detail: `crashed: ${detail.slice(0, 300)}` }],
        timeline: [],
      });
    }
  }
  const pass = results.length > 0 && results.every((r) => r.verdict === "PASS");
  const { out: _out, ...shown } = s;
  const input: ReportInput = {
    verdict: pass ? "PASS" : "FAIL",
    startedAt: startedAt.toISOString(),
    machine: `${os.cpus()[0]?.model ?? "unknown CPU"} × ${os.cpus().length}, Node ${process.version}`,
    settings: shown,
    skipped,
    paths: results,
  };
  writeFileSync(s.out, renderReport(input));
  log(`\nSOAK ${pass ? "PASS" : "FAIL"} — wrote ${s.out}`);
  return pass ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `soak crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(2);
  },
);
