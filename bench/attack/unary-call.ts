/**
 * One gRPC-Web unary call on a fresh HTTP/2 connection (a new client: new TCP, new TLS), with
 * the outcome read the way any gRPC-Web client reads it: `grpc-status` from a trailers-only
 * reply's headers, else from the trailer frame. A connection that cannot be made is `-1`.
 */
import { connect, constants } from "node:http2";
import { performance } from "node:perf_hooks";
import { grpcWebFrame } from "./stream-flood.js";

export interface UnaryCallOptions {
  url: string;
  ca: string | Buffer;
  path: string;
  message: Uint8Array;
  headers?: Readonly<Record<string, string>>;
  /** @default 5000 */
  timeoutMs?: number;
}

export interface UnaryOutcome {
  /** gRPC status; -1 when no answer (connection refused/reset, timeout). */
  grpcStatus: number;
  /** Why, when the status is not 0 (never a token). */
  detail: string;
  ms: number;
}

export function unaryCall(o: UnaryCallOptions): Promise<UnaryOutcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const session = connect(o.url, { ca: o.ca, servername: new URL(o.url).hostname });
    const finish = (grpcStatus: number, detail: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.destroy();
      resolve({ grpcStatus, detail, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => finish(-1, "timeout"), o.timeoutMs ?? 5000);
    session.on("error", (err: NodeJS.ErrnoException) => finish(-1, err.code ?? err.message));
    session.on("close", () => finish(-1, "connection closed"));
    let req: ReturnType<typeof session.request>;
    try {
      req = session.request({
        [constants.HTTP2_HEADER_METHOD]: "POST",
        [constants.HTTP2_HEADER_PATH]: o.path,
        "content-type": "application/grpc-web+proto",
        "x-grpc-web": "1",
        ...o.headers,
      });
    } catch (err) {
      finish(-1, (err as Error).message);
      return;
    }
    req.on("error", (err: NodeJS.ErrnoException) => finish(-1, err.code ?? err.message));
    const chunks: Buffer[] = [];
    let headerStatus: number | undefined;
    let headerMessage = "";
    req.once("response", (h) => {
      if (h["grpc-status"] !== undefined) {
        headerStatus = Number(h["grpc-status"]);
        headerMessage = decodeURIComponent(String(h["grpc-message"] ?? ""));
      } else if (Number(h[":status"]) !== 200) headerMessage = `HTTP ${h[":status"]}`;
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (headerStatus !== undefined) return finish(headerStatus, headerMessage);
      const trailer = trailerOf(Buffer.concat(chunks));
      if (trailer === undefined) return finish(-1, headerMessage || "no trailers");
      finish(trailer.status, trailer.message);
    });
    req.end(grpcWebFrame(o.message));
  });
}

/** The gRPC-Web trailer frame (flag 0x80) of a response body. */
function trailerOf(body: Buffer): { status: number; message: string } | undefined {
  let at = 0;
  while (at + 5 <= body.length) {
    const flag = body[at] as number;
    const len = body.readUInt32BE(at + 1);
    const payload = body.subarray(at + 5, at + 5 + len);
    at += 5 + len;
    if (flag & 0x80) {
      const text = payload.toString("utf8");
      const status = /grpc-status:\s*(\d+)/i.exec(text)?.[1];
      const message = /grpc-message:\s*([^\r\n]*)/i.exec(text)?.[1] ?? "";
      if (status !== undefined)
        return { status: Number(status), message: decodeURIComponent(message) };
    }
  }
  return undefined;
}
