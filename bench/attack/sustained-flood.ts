/**
 * A sustained stream flood in its own process, so the attacker's CPU is not the victims' event
 * loop: `count` stream slots, 100 per HTTP/2 connection; a slot whose stream is answered with a
 * status (refused, ended) opens the next one at once, a held stream stays open. Runs until it
 * reads a line on stdin, then prints one JSON line `{ attempts, fates, held }` and exits.
 *
 *   node --import tsx bench/attack/sustained-flood.ts '<StreamFloodOptions as JSON>'
 *
 * Prints `ready` once every slot has had a first answer.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { type ClientHttp2Session, connect, constants } from "node:http2";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { grpcWebFrame, type StreamFloodOptions } from "./stream-flood.js";

/** The JSON-safe options of a sustained flood (the message as base64). */
export interface SustainedFloodOptions extends Omit<StreamFloodOptions, "message" | "ca"> {
  ca: string;
  messageBase64: string;
}

export interface SustainedFloodSummary {
  /** Streams opened in all (refused ones re-opened count again). */
  attempts: number;
  /** First answers by kind: `held`, `status:N`, `reset`. */
  fates: Record<string, number>;
  /** Streams still held when stopped. */
  held: number;
}

/** Starts the flood process; resolves once every slot has had a first answer. */
export async function startSustainedFlood(o: SustainedFloodOptions): Promise<{
  stop(): Promise<SustainedFloodSummary>;
}> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), JSON.stringify(o)],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.value !== "ready") throw new Error(`flood process: ${String(first.value)}`);
  return {
    async stop() {
      child.stdin?.write("stop\n");
      const summary = await iterator.next();
      await once(child, "exit");
      return JSON.parse(String(summary.value)) as SustainedFloodSummary;
    },
  };
}

async function run(o: SustainedFloodOptions): Promise<void> {
  const per = o.perConnection ?? 100;
  const body = grpcWebFrame(Buffer.from(o.messageBase64, "base64"));
  const fates: Record<string, number> = {};
  let attempts = 0;
  let held = 0;
  let stopped = false;
  const sessions: ClientHttp2Session[] = [];
  const sessionFor = (slot: number): ClientHttp2Session => {
    const i = Math.floor(slot / per);
    const s = sessions[i];
    if (s && !s.closed && !s.destroyed) return s;
    const fresh = connect(o.url, { ca: o.ca, servername: new URL(o.url).hostname });
    fresh.on("error", () => {});
    sessions[i] = fresh;
    return fresh;
  };
  /** One stream: resolves with its fate when the first answer comes, and `ended` when it is over. */
  const open = (slot: number) =>
    new Promise<{ fate: string; ended: Promise<void> }>((resolve) => {
      attempts++;
      let answered = false;
      const answer = (fate: string, ended: Promise<void>) => {
        if (answered) return;
        answered = true;
        resolve({ fate, ended });
      };
      let stream: ReturnType<ClientHttp2Session["request"]>;
      try {
        stream = sessionFor(slot).request({
          [constants.HTTP2_HEADER_METHOD]: "POST",
          [constants.HTTP2_HEADER_PATH]: o.path,
          "content-type": "application/grpc-web+proto",
          "x-grpc-web": "1",
          ...o.headers,
        });
      } catch {
        answer("reset", Promise.resolve());
        return;
      }
      const ended = once(stream, "close").then(() => undefined);
      stream.on("error", () => {});
      stream.once("response", (h) => {
        if (h["grpc-status"] !== undefined) answer(`status:${h["grpc-status"]}`, ended);
      });
      stream.on("data", (chunk: Buffer) => {
        if (chunk[0] === 0) answer("held", ended);
        else if ((chunk[0] ?? 0) & 0x80) {
          const code = /grpc-status:\s*(\d+)/i.exec(chunk.toString("latin1"))?.[1] ?? "?";
          answer(`status:${code}`, ended);
        }
      });
      void ended.then(() => answer("reset", ended));
      stream.end(body);
    });
  let ready = 0;
  const slot = async (i: number) => {
    let firstRound = true;
    while (!stopped) {
      const { fate, ended } = await open(i);
      if (firstRound && ++ready === o.count) process.stdout.write("ready\n");
      firstRound = false;
      fates[fate] = (fates[fate] ?? 0) + 1;
      if (fate === "held") {
        held++;
        await ended;
        held--;
      } else await ended;
    }
  };
  const slots = Array.from({ length: o.count }, (_, i) => slot(i));
  const lines = createInterface({ input: process.stdin });
  await once(lines, "line");
  stopped = true;
  const heldAtStop = held;
  for (const s of sessions) s?.destroy();
  await Promise.race([Promise.all(slots), new Promise((r) => setTimeout(r, 2000))]);
  process.stdout.write(`${JSON.stringify({ attempts, fates, held: heldAtStop })}\n`);
  process.exit(0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  void run(JSON.parse(process.argv[2] ?? "{}") as SustainedFloodOptions);
}
