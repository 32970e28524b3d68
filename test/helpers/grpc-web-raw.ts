/**
 * gRPC-Web over HTTP/2 by hand (node:http2), so a test controls every header line
 * (repeated `DPoP` headers stay separate) and reads every response header and trailer,
 * as a browser's fetch would see them.
 */
import { connect } from "node:http2";

export interface RawGrpcWebResult {
  /** HTTP status. */
  status: number;
  /** grpc-status from the headers (trailers-only) or the trailer frame. */
  grpcStatus: number;
  grpcMessage: string;
  headers: Record<string, string>;
  trailers: Record<string, string>;
  /** Number of data frames (messages) received. */
  messages: number;
}

/** One gRPC-Web call: `message` is the serialised request (a frame is added). */
export function rawGrpcWebCall(o: {
  origin: string;
  ca: Buffer;
  path: string;
  message: Uint8Array;
  headers: Record<string, string | string[]>;
}): Promise<RawGrpcWebResult> {
  return new Promise((resolve, reject) => {
    const session = connect(o.origin, { ca: o.ca });
    session.on("error", reject);
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), Buffer.from(o.message)]);
    frame.writeUInt32BE(o.message.length, 1);
    const req = session.request({
      ":method": "POST",
      ":path": o.path,
      "content-type": "application/grpc-web+proto",
      "x-grpc-web": "1",
      ...o.headers,
    });
    const chunks: Buffer[] = [];
    let status = 0;
    let headers: Record<string, string> = {};
    req.on("response", (h) => {
      status = Number(h[":status"]);
      headers = flatten(h);
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", (err) => {
      session.close();
      reject(err);
    });
    req.on("end", () => {
      session.close();
      const body = Buffer.concat(chunks);
      const trailers: Record<string, string> = {};
      let messages = 0;
      for (let i = 0; i + 5 <= body.length; ) {
        const flag = body[i]!;
        const len = body.readUInt32BE(i + 1);
        const payload = body.subarray(i + 5, i + 5 + len);
        if (flag & 0x80) {
          for (const line of payload.toString("latin1").split("\r\n")) {
            const at = line.indexOf(":");
            if (at > 0)
              trailers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
          }
        } else messages++;
        i += 5 + len;
      }
      const grpcStatus = Number(headers["grpc-status"] ?? trailers["grpc-status"] ?? -1);
      const grpcMessage = decodeURIComponent(
        headers["grpc-message"] ?? trailers["grpc-message"] ?? "",
      );
      resolve({ status, grpcStatus, grpcMessage, headers, trailers, messages });
    });
    req.end(frame);
  });
}

function flatten(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (!k.startsWith(":")) out[k] = Array.isArray(v) ? v.join(", ") : String(v);
  }
  return out;
}
