/**
 * gRPC-Web on the wire, written from the protocol text (grpc/grpc PROTOCOL-WEB.md) and
 * independent of the code under test: frames a request in the binary or the text
 * (base64) format, sends it with undici, and reads back status, headers, messages and
 * the trailer frame, so tests see exactly what a browser client would.
 */
import { type Agent, fetch as undiciFetch } from "undici";

export type WireFormat = "binary" | "text";

export interface WireReply {
  /** HTTP status. */
  status: number;
  headers: Headers;
  /** Message payloads, in order. */
  messages: Uint8Array[];
  /**
   * grpc-status/grpc-message: from the trailer frame, else from the headers (trailers-only);
   * the message percent-decoded, as clients show it.
   */
  grpcStatus: string | null;
  grpcMessage: string | null;
  /** Whether the body had a trailer frame (false for trailers-only replies). */
  trailerFrame: boolean;
  /** Raw body bytes as received. */
  body: Uint8Array;
}

/** One length-prefixed frame (flag 0x00 for a message, 0x80 for trailers). */
export function frame(payload: Uint8Array, flag = 0): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flag;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

/** Splits a binary gRPC-Web body into frames; throws on a truncated frame. */
export function parseFrames(body: Uint8Array): { flag: number; payload: Uint8Array }[] {
  const frames: { flag: number; payload: Uint8Array }[] = [];
  let at = 0;
  while (at < body.length) {
    if (at + 5 > body.length) throw new Error("truncated frame header");
    const len = new DataView(body.buffer, body.byteOffset + at + 1, 4).getUint32(0);
    if (at + 5 + len > body.length) throw new Error("truncated frame");
    frames.push({ flag: body[at]!, payload: body.subarray(at + 5, at + 5 + len) });
    at += 5 + len;
  }
  return frames;
}

/**
 * Decodes a grpc-web-text body: a concatenation of base64 chunks, each of which may end
 * in padding (Envoy encodes each frame on its own), so it is decoded chunk by chunk.
 */
export function decodeTextBody(text: string): Uint8Array {
  const parts: Buffer[] = [];
  for (const chunk of text.replace(/\s/g, "").match(/[^=]*=*/g) ?? []) {
    if (chunk) parts.push(Buffer.from(chunk, "base64"));
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** Reads `grpc-status` and friends from a trailer frame's `name:value\r\n` lines. */
export function parseTrailerBlock(payload: Uint8Array): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of Buffer.from(payload).toString("latin1").split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) map.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return map;
}

export interface WireCall {
  /** `https://host:port` */
  baseUrl: string;
  /** `/pkg.Service/Method` */
  path: string;
  /** Serialized request message(s). */
  messages: Uint8Array[];
  format: WireFormat;
  headers?: Record<string, string>;
  dispatcher: Agent;
}

/** Sends one gRPC-Web call and reads the whole reply. */
export async function grpcWebCall(call: WireCall): Promise<WireReply> {
  const framed = Buffer.concat(call.messages.map((m) => frame(m)));
  const text = call.format === "text";
  const contentType = text ? "application/grpc-web-text" : "application/grpc-web+proto";
  const res = await undiciFetch(`${call.baseUrl}${call.path}`, {
    method: "POST",
    headers: {
      "content-type": contentType,
      accept: contentType,
      "x-grpc-web": "1",
      ...call.headers,
    },
    body: text ? framed.toString("base64") : framed,
    dispatcher: call.dispatcher,
  });
  const raw = new Uint8Array(await res.arrayBuffer());
  const body = text ? decodeTextBody(Buffer.from(raw).toString("latin1")) : raw;
  const messages: Uint8Array[] = [];
  let trailers: Map<string, string> | undefined;
  for (const f of parseFrames(body)) {
    if (f.flag & 0x80) trailers = parseTrailerBlock(f.payload);
    else messages.push(f.payload);
  }
  return {
    status: res.status,
    headers: res.headers as unknown as Headers,
    messages,
    grpcStatus: trailers?.get("grpc-status") ?? res.headers.get("grpc-status"),
    grpcMessage: percentDecode(trailers?.get("grpc-message") ?? res.headers.get("grpc-message")),
    trailerFrame: trailers !== undefined,
    body: raw,
  };
}

/** grpc-message is percent-encoded on the wire (PROTOCOL-HTTP2.md). */
export function percentDecode(v: string | null): string | null {
  if (v === null) return null;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
