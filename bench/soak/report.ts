/**
 * The soak run's result types and its report, `bench/SOAK.md`: tables per path, the fault
 * timeline, the checks with their verdict, and a machine-readable JSON block (from which the
 * report can be rendered again).
 */
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
  };
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
    `Machine: ${input.machine}; IdP, backend and clients share this one process (Envoy is its own).`,
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
    if (f.envoyRssStartBytes !== undefined) {
      figures.push([
        "Envoy RSS start / end",
        `${mib(f.envoyRssStartBytes)} / ${mib(f.envoyRssEndBytes)}`,
      ]);
    }
    lines.push(...table(["figure", "value"], figures), "");
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

/** The clients that got session-ended, then how many did not. */
function fmtSessionEnded(c: Record<string, number>): string {
  const ended = Object.entries(c).filter(([, n]) => n > 0);
  const others = Object.keys(c).length - ended.length;
  return [...ended.map(([k, n]) => `${k}: ${n}`), `${others} other clients: 0`].join("; ");
}

function fmtCounts(c: Record<string, number>): string {
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
