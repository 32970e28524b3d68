/**
 * The soak run's result types and its report, `bench/SOAK.md`: tables per path, the fault
 * timeline, the checks with their verdict, and a machine-readable JSON block (from which the
 * report can be rendered again).
 */
import type { StreamTally } from "./client.js";
import { type LatencySummary, mib } from "./stats.js";

export interface Settings {
  durationS: number;
  clients: number;
  rate: number;
  ttlS: number;
  leewayS: number;
  outageS: number;
  /** `aligned`: the outage sits between two refresh points; `straddle`: across one. */
  outagePhase: "aligned" | "straddle";
  /** Long server streams held open besides the calls. */
  streams: number;
  paths: Array<"direct" | "envoy">;
  out: string;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface TimelineEntry {
  /** Seconds since the load started. */
  at: number;
  event: string;
}

export interface PathResult {
  path: "direct" | "envoy";
  verdict: "PASS" | "FAIL";
  checks: Check[];
  timeline: TimelineEntry[];
  /** Absent when the run crashed before measuring. */
  figures?: {
    durationS: number;
    clients: number;
    callsMade: number;
    callsOk: number;
    callsFailed: number;
    expectedFailures: number;
    unexpectedFailures: number;
    failuresByCode: Record<string, { expected: number; unexpected: number }>;
    expectedReasons: Record<string, number>;
    latencyMs: Record<string, LatencySummary>;
    refreshGrantsAtIdp: number;
    clientRefreshes: number;
    tokenExpiries: number;
    missedExpiries: number;
    revokedGrantExpiries: number;
    grantsPerExpiry: number;
    earlyRefreshes: number;
    lateRefreshes: number;
    refreshErrors: Record<string, number>;
    retries: number;
    refreshReuse: number;
    sessionEnded: Record<string, number>;
    callsOkDuringIdpOutage: number;
    rssStartBytes: number;
    rssEndBytes: number;
    rssMaxBytes: number;
    heapAfterGcStartBytes: number;
    heapAfterGcEndBytes: number;
    envoyRssStartBytes?: number;
    envoyRssEndBytes?: number;
    authFailures?: number;
    callsPerSecond?: number;
    streams?: StreamTally;
    memorySeries?: MemorySample[];
    keyRotation?: {
      publishedKid: string;
      signingKid: string;
      fetchesBetweenPublishAndSwitch: { backend: number; gateway: number };
      fetchesAfterSwitch: { backend: number; gateway: number };
      firstBackendFetchAfterSwitchMs: number;
    };
    backendHeapSnapshot?: { file: string; bytes: number };
  };
}

/** One memory sample: the backend (its own process), Envoy, and the clients' process (+ IdP). */
export interface MemorySample {
  /** Seconds since the load started. */
  t: number;
  backendRss: number;
  backendHeapAfterGc: number;
  envoyRss?: number;
  clientsRss: number;
  clientsHeapAfterGc: number;
  callsOk: number;
  streamMessages: number;
  /** The clients' process event-loop delay since the previous sample, p99 ms. */
  clientsLoopDelayP99Ms?: number;
}

/** Everything the report shows; also its machine-readable block, so it can be re-rendered. */
export interface ReportInput {
  verdict: "PASS" | "FAIL";
  /** ISO time the run started. */
  startedAt: string;
  /** CPU model × count and Node version. */
  machine: string;
  settings: Omit<Settings, "out">;
  /** Paths not run, with why. */
  skipped: string[];
  paths: PathResult[];
}

/** The Markdown of bench/SOAK.md, tables padded the way the formatter writes them. */
export function renderReport(input: ReportInput): string {
  const { settings: s, paths: results, skipped, verdict: overall } = input;
  const lines: string[] = [
    "# Soak run",
    "",
    `Written by \`npm run soak\` (bench/soak.ts) on ${input.startedAt}.`,
    `Settings: ${s.clients} clients × ${s.rate} calls/s, ${s.durationS} s per path, access-token TTL ${s.ttlS} s, renew window ${s.leewayS} s, IdP outage ${s.outageS} s (${s.outagePhase}).`,
    `Long server streams: ${s.streams ?? 0} (WatchNotes, 240 ± 20 % numbered messages 500 ms apart, reopened when done).`,
    `Machine: ${input.machine}; the backend runs in its own process, the IdP and the clients share the soak's process, Envoy is its own.`,
    "",
    `**Verdict: ${overall}** (${results.map((r) => `${r.path}: ${r.verdict}`).join(", ")}${skipped.length ? `; ${skipped.join("; ")}` : ""})`,
    "",
    "Call mix per client: WhoAmI 30 %, ListNotes 30 %, CreateNote 20 %, WatchNotes 20 % (3 messages, 100 ms apart),",
    "from two concurrent loops. Client 0 signs in as `admin` (its grant is revoked), client 1 as `reader`",
    "(its CreateNote calls are PERMISSION_DENIED by design), the others as `writer`. Latency is per call,",
    "whole stream for WatchNotes, including token refreshes that the call waited for.",
    "",
  ];
  for (const r of results) {
    const f = r.figures;
    lines.push(`## ${r.path} path — ${r.verdict}`, "");
    if (!f) {
      for (const c of r.checks)
        lines.push(`- ${c.ok ? "PASS" : "**FAIL**"} ${c.name}: ${c.detail}`);
      lines.push("");
      continue;
    }
    const figures: Array<[string, string | number]> = [
      ["calls made", f.callsMade],
      ["calls ok", f.callsOk],
      ["calls failed: expected / unexpected", `${f.expectedFailures} / ${f.unexpectedFailures}`],
      ["refresh_token grants at the IdP", f.refreshGrantsAtIdp],
      ["token expiries while calling (natural + forced)", f.tokenExpiries],
      ["grants per expiry", f.grantsPerExpiry],
      ["expiries left unrefreshed (missed)", f.missedExpiries],
      ["expiries answered invalid_grant (revoked client)", f.revokedGrantExpiries],
      ["early (duplicate) refreshes", f.earlyRefreshes],
      ["refreshes after expiry (late)", f.lateRefreshes],
      ["refresh errors seen by clients", fmtCounts(f.refreshErrors)],
      ["UNAUTHENTICATED retries", f.retries],
      ["refreshReuse (IdP)", f.refreshReuse],
      ["session-ended events", fmtSessionEnded(f.sessionEnded)],
      ["calls ok while the IdP was down", f.callsOkDuringIdpOutage],
      [
        "process RSS start / end / max",
        `${mib(f.rssStartBytes)} / ${mib(f.rssEndBytes)} / ${mib(f.rssMaxBytes)}`,
      ],
      [
        "heap after GC start / end",
        `${mib(f.heapAfterGcStartBytes)} / ${mib(f.heapAfterGcEndBytes)}`,
      ],
    ];
    if (f.authFailures !== undefined)
      figures.unshift(["calls failed because of auth", f.authFailures]);
    if (f.callsPerSecond !== undefined)
      figures.push(["unary calls ok per second", f.callsPerSecond]);
    if (f.streams) {
      const t = f.streams;
      figures.push(
        [
          "long streams opened / completed / cancelled at the end",
          `${t.opened} / ${t.completed} / ${t.cancelledAtEnd}`,
        ],
        ["long streams ended early (by code)", fmtCounts(t.endedEarly)],
        ["stream messages received", t.messages],
        ["stream messages lost / duplicated", `${t.lost} / ${t.duplicated}`],
        ["messages a stream ended early had yet to send", t.undeliveredAfterError],
      );
    }
    if (f.keyRotation) {
      const k = f.keyRotation;
      figures.push([
        "key rotation: JWKS fetches gateway / backend (publish→switch; after switch)",
        `${k.fetchesBetweenPublishAndSwitch.gateway} / ${k.fetchesBetweenPublishAndSwitch.backend}; ${k.fetchesAfterSwitch.gateway} / ${k.fetchesAfterSwitch.backend} (backend's first ${k.firstBackendFetchAfterSwitchMs} ms after)`,
      ]);
    }
    if (f.backendHeapSnapshot)
      figures.push([
        "backend heap snapshot at the end",
        `${mib(f.backendHeapSnapshot.bytes)} file`,
      ]);
    if (f.envoyRssStartBytes !== undefined) {
      figures.push([
        "Envoy RSS start / end",
        `${mib(f.envoyRssStartBytes)} / ${mib(f.envoyRssEndBytes)}`,
      ]);
    }
    lines.push(...table(["figure", "value"], figures), "");
    if (f.memorySeries && f.memorySeries.length > 0) {
      lines.push(
        "Memory over time (heap after two full GCs; the soak process holds the IdP and the clients):",
        "",
      );
      lines.push(
        ...table(
          [
            "t s",
            "backend RSS",
            "backend heap",
            "Envoy RSS",
            "clients+IdP RSS",
            "clients+IdP heap",
            "calls ok",
            "stream msgs",
            "clients loop delay p99 ms",
          ],
          f.memorySeries.map((m) => [
            m.t,
            mib(m.backendRss),
            mib(m.backendHeapAfterGc),
            m.envoyRss !== undefined ? mib(m.envoyRss) : "—",
            mib(m.clientsRss),
            mib(m.clientsHeapAfterGc),
            m.callsOk,
            m.streamMessages,
            m.clientsLoopDelayP99Ms ?? "—",
          ]),
        ),
        "",
      );
    }
    if (f.memorySeries && f.memorySeries.length >= 3)
      lines.push(...memoryReading(f.memorySeries), "");
    lines.push(
      ...table(
        ["method", "calls ok", "p50 ms", "p95 ms", "p99 ms", "max ms"],
        Object.entries(f.latencyMs).map(([m, l]) => [m, l.count, l.p50, l.p95, l.p99, l.max]),
      ),
      "",
    );
    const codes = Object.entries(f.failuresByCode);
    lines.push(
      ...table(
        ["failure code", "expected", "unexpected"],
        codes.length === 0
          ? [["(none)", 0, 0]]
          : codes.map(([code, v]) => [code, v.expected, v.unexpected]),
      ),
    );
    if (Object.keys(f.expectedReasons).length > 0) lines.push("");
    for (const [why, n] of Object.entries(f.expectedReasons))
      lines.push(`- expected: ${n}× ${why}`);
    lines.push("", "Timeline (seconds since the load started):", "");
    for (const t of r.timeline) lines.push(`- t+${t.at.toFixed(1)} s: ${t.event}`);
    lines.push("", "Checks:", "");
    for (const c of r.checks) lines.push(`- ${c.ok ? "PASS" : "**FAIL**"} ${c.name}: ${c.detail}`);
    lines.push("");
  }
  lines.push("## Machine-readable", "", "```json", jsonBlock(input), "```", "");
  return lines.join("\n");
}

/**
 * What the memory table says, computed from it: growth after warm-up (the first 5 % of the
 * run, when 200 streams and their connections open) to the end, heap after GC against RSS.
 * A leak shows as heap after GC rising with the work done; allocator high-water shows as RSS
 * rising while the live heap stays flat.
 */
function memoryReading(series: MemorySample[]): string[] {
  const last = series[series.length - 1] as MemorySample;
  const warm = series.find((m) => m.t >= last.t * 0.05 && m.t > 0) ?? (series[1] as MemorySample);
  const line = (name: string, pick: (m: MemorySample) => number | undefined) => {
    const a = pick(warm);
    const b = pick(series[series.length - 2] as MemorySample);
    const vals = series
      .slice(series.indexOf(warm))
      .map(pick)
      .filter((v) => v !== undefined);
    if (a === undefined || b === undefined || vals.length === 0) return undefined;
    const max = Math.max(...(vals as number[]));
    return `- ${name}: ${mib(a)} at t+${warm.t}s → ${mib(b)} before the streams close (max ${mib(max)}, end ${mib(pick(last) ?? 0)}), ${((b - a) / 1048576 / Math.max(1, (last.t - warm.t) / 60)).toFixed(2)} MiB/min`;
  };
  const rows = [
    line("backend heap after GC", (m) => m.backendHeapAfterGc),
    line("backend RSS", (m) => m.backendRss),
    line("Envoy RSS", (m) => m.envoyRss),
    line("clients+IdP heap after GC", (m) => m.clientsHeapAfterGc),
    line("clients+IdP RSS", (m) => m.clientsRss),
  ].filter((r): r is string => r !== undefined);
  return ["Memory, after warm-up:", "", ...rows];
}

/** The clients that got session-ended, then how many did not. */
function fmtSessionEnded(c: Record<string, number>): string {
  const ended = Object.entries(c).filter(([, n]) => n > 0);
  const others = Object.keys(c).length - ended.length;
  return [...ended.map(([k, n]) => `${k}: ${n}`), `${others} other clients: 0`].join("; ");
}

export function fmtCounts(c: Record<string, number>): string {
  const e = Object.entries(c);
  return e.length === 0 ? "0" : e.map(([k, v]) => `${k}: ${v}`).join(", ");
}

/** A Markdown table with every column padded to its widest cell. */
function table(head: string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string[] {
  const all = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(3, ...all.map((r) => width(r[i] ?? ""))));
  const line = (r: readonly string[]) =>
    `| ${widths.map((w, i) => pad(r[i] ?? "", w)).join(" | ")} |`;
  return [
    line(head),
    `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`,
    ...rows.map((r) => line(r.map(String))),
  ];
}

const width = (text: string): number => [...text].length;
const pad = (text: string, w: number): string => text + " ".repeat(Math.max(0, w - width(text)));

/**
 * JSON as the formatter prints it in a Markdown code block: objects expanded, arrays of
 * plain values on one line when they fit in 100 columns.
 */
function jsonBlock(value: unknown): string {
  const flat =
    /^( *)("(?:[^"\\]|\\.)*": )?\[\n((?: *(?:"(?:[^"\\]|\\.)*"|-?[\d.eE+-]+|true|false|null),?\n)+) *\]/gm;
  return JSON.stringify(value, null, 2).replace(
    flat,
    (whole: string, indent: string, key: string | undefined, body: string) => {
      const items = body
        .split("\n")
        .map((item) => item.trim().replace(/,$/, ""))
        .filter((item) => item !== "");
      const line = `${indent}${key ?? ""}[${items.join(", ")}]`;
      return line.length < 100 ? line : whole;
    },
  );
}
