/**
 * The figures and the markdown report of `npm run attack` (bench/ATTACK.md): each goal of
 * issue 9 as a figure in bench/results.json's shape, measured now and, for comparison, on the
 * code before the edge bounds (bench/attack/before.json).
 */
import type { VictimResult } from "./victims.js";

export interface SilentPhase {
  count: number;
  accepted: number;
  /** s after the flood started when a new client's call first succeeded (null: never). */
  firstSuccessS: number | null;
  /** s after the flood started when the last silent connection was closed by the gateway. */
  allClosedS: number | null;
  closedByServer: number;
  /** Longest time the gateway held one of them, from its connect (or handshake) to its close, s. */
  maxHeldS?: number | null;
  newClientAttempts: number;
  /** How long the phase watched, s. */
  observedS: number;
  probe: { ready: Record<string, number>; livez: Record<string, number> };
}

export interface FloodPhase {
  /** Streams the attacker keeps trying to hold at once. */
  streams: number;
  /** Streams opened in all (a sustained flood re-opens refused ones; absent: one shot). */
  attempts?: number;
  /** Streams still held when the flood stopped. */
  heldAtEnd?: number;
  /** First answers by kind. */
  fates: Record<string, number>;
  victims: VictimResult;
}

export interface AttackResult {
  quiet: VictimResult;
  silent: SilentPhase;
  tlsSilent: SilentPhase;
  /** The issue's attack: one client opens the streams at once and holds what it gets. */
  watch: FloodPhase;
  notes: FloodPhase;
  /** Harder: refused streams are re-opened at once, from another process (absent before). */
  watchSustained?: FloodPhase;
  notesSustained?: FloodPhase;
}

/** One figure, as in bench/results.json. */
export interface Figure {
  name: string;
  unit: string;
  ours: number | null;
  compared_to: string;
  theirs: number | null;
  ratio: number | null;
  goal: string;
  met: boolean;
}

const pct = (v: VictimResult) => Math.round(v.okRatio * 1000) / 10;
const probeOk = (p: SilentPhase) => {
  const all = Object.values(p.probe.ready).reduce((a, b) => a + b, 0);
  return all === 0 ? 0 : Math.round(((p.probe.ready["200"] ?? 0) / all) * 1000) / 10;
};
const p99Ratio = (v: VictimResult, quiet: VictimResult) =>
  v.ok === 0 || quiet.p99 === 0 ? null : Math.round((v.p99 / quiet.p99) * 100) / 100;

/** The issue's goals as figures: `now` against `before` (same phases, older code). */
export function attackFigures(
  now: AttackResult,
  before: AttackResult,
  beforeLabel: string,
): Figure[] {
  const fig = (
    name: string,
    unit: string,
    ours: number | null,
    theirs: number | null,
    goal: string,
    met: boolean,
  ): Figure => ({
    name,
    unit,
    ours,
    compared_to: beforeLabel,
    theirs,
    ratio:
      ours !== null && theirs !== null && theirs !== 0
        ? Math.round((ours / theirs) * 100) / 100
        : null,
    goal,
    met,
  });
  const s = now.silent;
  return [
    fig(
      `${s.count} silent connections: a new client's call succeeds after`,
      "s",
      s.firstSuccessS,
      before.silent.firstSuccessS,
      "≤ 15 s (null: never while watched)",
      s.firstSuccessS !== null && s.firstSuccessS <= 15,
    ),
    fig(
      `${s.count} silent connections: the last one is closed by the gateway after`,
      "s",
      s.allClosedS,
      before.silent.allClosedS,
      "≤ 15 s",
      s.allClosedS !== null && s.allClosedS <= 15,
    ),
    fig(
      `${s.count} silent connections: probe /ready answers 200`,
      "%",
      probeOk(s),
      probeOk(before.silent),
      "100 %",
      probeOk(s) === 100,
    ),
    fig(
      `${now.tlsSilent.count} TLS-then-silent connections: longest held after its handshake`,
      "s",
      now.tlsSilent.maxHeldS ?? null,
      before.tlsSilent.maxHeldS ?? null,
      "≤ idle timeout + 2 s (12 s)",
      now.tlsSilent.maxHeldS !== null &&
        now.tlsSilent.maxHeldS !== undefined &&
        now.tlsSilent.maxHeldS <= 12,
    ),
    ...(["watch", "notes", "watchSustained", "notesSustained"] as const).flatMap((k) => {
      const phase = now[k];
      if (!phase) return [];
      const what =
        k === "watch" || k === "watchSustained"
          ? `${phase.streams} public Health/Watch streams from one client`
          : `${phase.streams} WatchNotes streams from one signed-in reader`;
      const label = k.endsWith("Sustained") ? `${what}, re-opened as refused` : what;
      const v = phase.victims;
      const b = before[k]?.victims;
      const r = p99Ratio(v, now.quiet);
      return [
        fig(
          `${label}: other users' calls ok`,
          "%",
          pct(v),
          b ? pct(b) : null,
          "≥ 99 %",
          pct(v) >= 99,
        ),
        fig(
          `${label}: other users' p99 / quiet p99`,
          "×",
          r,
          b ? p99Ratio(b, before.quiet) : null,
          "≤ 3×",
          r !== null && r <= 3,
        ),
      ];
    }),
  ];
}

const cell = (v: number | null, unit: string) => (v === null ? "never" : `${v} ${unit}`.trim());

/** bench/ATTACK.md. */
export function renderAttackReport(o: {
  now: AttackResult;
  before: AttackResult;
  beforeLabel: string;
  figures: Figure[];
  header: string[];
}): string {
  const { now, before } = o;
  const lines = [
    "# Hostile load: the attack run",
    "",
    ...o.header,
    "",
    "## Goals (issue 9)",
    "",
    `| figure | now | ${o.beforeLabel} | goal | met |`,
    "| --- | ---: | ---: | --- | --- |",
    ...o.figures.map(
      (f) =>
        `| ${f.name} | ${cell(f.ours, f.unit)} | ${cell(f.theirs, f.unit)} | ${f.goal} | ${f.met ? "yes" : "**no**"} |`,
    ),
    "",
    "## Phases",
    "",
    "| phase | now | before |",
    "| --- | --- | --- |",
    `| quiet: other users (${now.quiet.calls} calls) | ${victims(now.quiet)} | ${victims(before.quiet)} |`,
    `| silent TCP flood | ${silent(now.silent)} | ${silent(before.silent)} |`,
    `| TLS-then-silent flood | ${silent(now.tlsSilent)} | ${silent(before.tlsSilent)} |`,
    ...(["watch", "notes", "watchSustained", "notesSustained"] as const).flatMap((k) => {
      const phase = now[k];
      if (!phase) return [];
      const name = `${k.startsWith("watch") ? "public Health/Watch" : "WatchNotes (one reader)"} flood${k.endsWith("Sustained") ? ", sustained" : ""}`;
      const b = before[k];
      return [
        `| ${name}: the attacker's streams | ${fates(phase)} | ${b ? fates(b) : "not run"} |`,
        `| ${name}: other users | ${victims(phase.victims)} | ${b ? victims(b.victims) : "not run"} |`,
      ];
    }),
    "",
    "Stream fates: `held` = messages flowing; `status:N` = ended with gRPC status N (12",
    "UNIMPLEMENTED: answered by the gateway; 8 RESOURCE_EXHAUSTED: the backend's per-caller stream",
    "limit; 14 UNAVAILABLE: a circuit breaker's budget was full).",
    "",
    "## Machine-readable",
    "",
    "```json",
    JSON.stringify({ figures: o.figures, now, before }, null, 2),
    "```",
    "",
  ];
  return lines.join("\n");
}

function victims(v: VictimResult): string {
  const failed = Object.entries(v.failed)
    .map(([k, n]) => `${n} ${k}`)
    .join(", ");
  return `${v.ok}/${v.calls} ok (${v.streamsOk ?? 0} streams)${failed ? `, failed: ${failed}` : ""}; p50 ${v.p50} ms, p99 ${v.p99} ms`;
}

function silent(p: SilentPhase): string {
  const held =
    p.maxHeldS === undefined || p.maxHeldS === null ? "" : `, each held at most ${p.maxHeldS} s`;
  return `${p.accepted}/${p.count} accepted; new client in after ${cell(p.firstSuccessS, "s")}; all closed by the gateway after ${cell(p.allClosedS, "s")} (${p.closedByServer} closed within ${p.observedS} s${held}); probe /ready 200 in ${probeOk(p)} % of ${p.newClientAttempts} polls`;
}

function fates(f: FloodPhase): string {
  const kinds = Object.entries(f.fates)
    .map(([k, n]) => `${n} ${k}`)
    .join(", ");
  return f.attempts === undefined
    ? `one shot of ${f.streams}: ${kinds}`
    : `sustained, ${f.streams} at a time: ${f.attempts} opened (${kinds}); ${f.heldAtEnd} held at the end`;
}
