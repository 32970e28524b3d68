/**
 * The other users: one client per token, each with its own HTTP/2 connection (as browsers keep
 * one per origin), making calls at a fixed pace, bounded by count: WhoAmI, and with
 * `streamEvery`, every n-th call a short WatchNotes stream (2 messages, numbered). Records
 * successes, failures by gRPC code and the latency of each call, so a run under attack can be
 * compared with a quiet one.
 */
import { performance } from "node:perf_hooks";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { NotesService } from "../../demo/gen/demo/v1/notes_pb.js";
import { percentile } from "../soak/stats.js";

export interface VictimOptions {
  url: string;
  ca: string | Buffer;
  /** One access token per user. */
  tokens: readonly string[];
  /** Calls in total (all users). */
  calls: number;
  /** Calls started per second, all users together. */
  rate: number;
  /** Per-call deadline. @default 5000 */
  timeoutMs?: number;
  /** Sent as `Origin`, like a browser. */
  origin?: string;
  /** Every n-th call is a WatchNotes stream of 2 messages instead of WhoAmI. @default 0 (never) */
  streamEvery?: number;
}

export interface VictimResult {
  calls: number;
  ok: number;
  /** Of which streams (WatchNotes, both messages in order). */
  streamsOk: number;
  /** Failures by code name. */
  failed: Record<string, number>;
  /** Share of calls that succeeded, 0..1. */
  okRatio: number;
  p50: number;
  p99: number;
  max: number;
}

export async function runVictims(o: VictimOptions): Promise<VictimResult> {
  const clients = o.tokens.map((token) =>
    createClient(
      NotesService,
      createGrpcWebTransport({
        baseUrl: o.url,
        httpVersion: "2",
        nodeOptions: { ca: o.ca },
        interceptors: [
          (next) => (req) => {
            req.header.set("authorization", `Bearer ${token}`);
            if (o.origin) req.header.set("origin", o.origin);
            return next(req);
          },
        ],
      }),
    ),
  );
  const latencies: number[] = [];
  const failed: Record<string, number> = {};
  let ok = 0;
  let streamsOk = 0;
  const every = o.streamEvery ?? 0;
  const interval = 1000 / o.rate;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < o.calls; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const client = clients[i % clients.length];
    if (!client) break;
    pending.push(
      (async () => {
        const t0 = performance.now();
        const stream = every > 0 && i % every === every - 1;
        try {
          if (stream) {
            const seqs: number[] = [];
            for await (const m of client.watchNotes(
              { count: 2, intervalMs: 10 },
              { timeoutMs: o.timeoutMs ?? 5000 },
            ))
              seqs.push(m.seq);
            if (seqs.join() !== "1,2") throw new ConnectError(`stream gave ${seqs.join()}`);
            streamsOk++;
          } else await client.whoAmI({}, { timeoutMs: o.timeoutMs ?? 5000 });
          ok++;
          latencies.push(performance.now() - t0);
        } catch (err) {
          const name = Code[ConnectError.from(err).code] ?? "Unknown";
          failed[name] = (failed[name] ?? 0) + 1;
        }
      })(),
    );
  }
  await Promise.all(pending);
  const sorted = latencies.sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 10) / 10;
  return {
    calls: o.calls,
    ok,
    streamsOk,
    failed,
    okRatio: o.calls === 0 ? 1 : ok / o.calls,
    p50: r(percentile(sorted, 50)),
    p99: r(percentile(sorted, 99)),
    max: r(sorted[sorted.length - 1] ?? 0),
  };
}
