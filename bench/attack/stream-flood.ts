/**
 * The stream-exhaustion attack: one client opens many long-lived gRPC-Web server streams
 * (e.g. `grpc.health.v1.Health/Watch`, public; or `WatchNotes` with a token) over as few
 * HTTP/2 connections as the server allows, and holds them. Each stream's fate is recorded:
 * held open (response headers, no status yet), ended with a gRPC status, or reset.
 */
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants,
  type IncomingHttpHeaders,
} from "node:http2";

export interface StreamFloodOptions {
  /** `https://localhost:<port>` */
  url: string;
  /** PEM CA that verifies the server. */
  ca: string | Buffer;
  /** e.g. `/grpc.health.v1.Health/Watch` */
  path: string;
  /** The encoded request message (protobuf binary). */
  message: Uint8Array;
  /** Streams to open. */
  count: number;
  /** Streams per HTTP/2 connection (the attacker packs them). @default 100 */
  perConnection?: number;
  /** Extra request headers (e.g. `authorization`, `origin`). */
  headers?: Readonly<Record<string, string>>;
  /** ms to wait for each stream's first answer (headers or reset). @default 10000 */
  answerTimeoutMs?: number;
}

/** How one stream fared, as seen when its first answer arrived. */
export type StreamFate =
  | { kind: "held" }
  | { kind: "status"; grpcStatus: number; message: string; httpStatus: number }
  | { kind: "reset"; code: number }
  | { kind: "timeout" };

export interface StreamFlood {
  /** One entry per stream, in open order. */
  readonly fates: readonly StreamFate[];
  /** Streams still open now. */
  open(): number;
  /** Messages received on held streams so far. */
  messages(): number;
  /** Counts by kind (`held`, `status:14`, `reset:7`, `timeout`). */
  summary(): Record<string, number>;
  /** Ends every stream and connection. */
  close(): void;
}

/** gRPC-Web length-prefixed frame of one message. */
export function grpcWebFrame(message: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** Opens the streams; resolves when each has its first answer (or timed out). */
export async function openStreamFlood(o: StreamFloodOptions): Promise<StreamFlood> {
  const per = o.perConnection ?? 100;
  const sessions: ClientHttp2Session[] = [];
  const streams: ClientHttp2Stream[] = [];
  const fates: StreamFate[] = [];
  let messages = 0;
  const body = grpcWebFrame(o.message);
  const answers: Promise<void>[] = [];
  for (let i = 0; i < o.count; i++) {
    if (i % per === 0) {
      const s = connect(o.url, { ca: o.ca, servername: new URL(o.url).hostname });
      s.on("error", () => {});
      sessions.push(s);
    }
    const session = sessions[sessions.length - 1] as ClientHttp2Session;
    const index = i;
    fates.push({ kind: "timeout" });
    answers.push(
      new Promise<void>((resolve) => {
        let settled = false;
        const settle = (fate: StreamFate) => {
          if (settled) return;
          settled = true;
          fates[index] = fate;
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => settle({ kind: "timeout" }), o.answerTimeoutMs ?? 10_000);
        let stream: ClientHttp2Stream;
        try {
          stream = session.request({
            [constants.HTTP2_HEADER_METHOD]: "POST",
            [constants.HTTP2_HEADER_PATH]: o.path,
            "content-type": "application/grpc-web+proto",
            "x-grpc-web": "1",
            ...o.headers,
          });
        } catch {
          settle({ kind: "reset", code: -1 });
          return;
        }
        streams.push(stream);
        stream.on("error", () => {});
        // Trailers-only answers carry the status in the headers; a backend's refusal relayed by
        // Envoy's grpc_web filter comes as 200 headers and a trailer frame instead. The stream
        // counts as held only once a message (data frame) arrives.
        stream.once("response", (h: IncomingHttpHeaders) => {
          const status = h["grpc-status"];
          if (status !== undefined) {
            settle({
              kind: "status",
              grpcStatus: Number(status),
              message: decodeURIComponent(String(h["grpc-message"] ?? "")),
              httpStatus: Number(h[":status"]),
            });
          } else if (Number(h[":status"]) !== 200) {
            settle({
              kind: "status",
              grpcStatus: -1,
              message: "",
              httpStatus: Number(h[":status"]),
            });
          }
        });
        let buffered = Buffer.alloc(0);
        stream.on("data", (chunk: Buffer) => {
          buffered = Buffer.concat([buffered, chunk]);
          while (buffered.length >= 5) {
            const len = buffered.readUInt32BE(1);
            if (buffered.length < 5 + len) break;
            const flag = buffered[0] as number;
            const payload = buffered.subarray(5, 5 + len).toString("utf8");
            buffered = buffered.subarray(5 + len);
            if (flag & 0x80) {
              const code = /grpc-status:\s*(\d+)/i.exec(payload)?.[1];
              const message = /grpc-message:\s*([^\r\n]*)/i.exec(payload)?.[1] ?? "";
              settle({
                kind: "status",
                grpcStatus: code === undefined ? -1 : Number(code),
                message: decodeURIComponent(message),
                httpStatus: 200,
              });
            } else {
              messages++;
              settle({ kind: "held" });
            }
          }
        });
        stream.once("close", () => settle({ kind: "reset", code: stream.rstCode ?? -1 }));
        stream.end(body);
      }),
    );
  }
  await Promise.all(answers);
  return {
    fates,
    open: () => streams.filter((s) => !s.closed && !s.destroyed).length,
    messages: () => messages,
    summary() {
      const out: Record<string, number> = {};
      for (const f of fates) {
        const key =
          f.kind === "status"
            ? `status:${f.grpcStatus}`
            : f.kind === "reset"
              ? `reset:${f.code}`
              : f.kind;
        out[key] = (out[key] ?? 0) + 1;
      }
      return out;
    },
    close() {
      for (const s of streams) s.close(constants.NGHTTP2_CANCEL);
      for (const s of sessions) s.destroy();
    },
  };
}
