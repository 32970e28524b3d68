/**
 * `application/grpc-web-text`: gRPC-Web with base64 bodies, the default of Google's
 * grpc-web runtime, which connect-node refuses with HTTP 415. These transforms sit
 * between the Node request and connect-node's gRPC-Web handler (grpc/grpc
 * PROTOCOL-WEB.md, "text format"):
 *
 * - the request body is base64; it may arrive as several base64 chunks, each padded, so
 *   it is decoded quantum by quantum (4 characters), never by whole-body `atob`, and
 *   without buffering more than one quantum;
 * - the response is sent as base64 of whole frames (each write is one or more complete
 *   frames, padded on its own), with content type `application/grpc-web-text+proto`,
 *   as Envoy's grpc_web filter does.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";

/** The content type of grpc-web-text replies. */
export const GRPC_WEB_TEXT_RESPONSE_TYPE = "application/grpc-web-text+proto";
const BINARY_TYPE = "application/grpc-web+proto";
const TEXT_TYPE = /^application\/grpc-web-text(\+proto)?\s*(;.*)?$/i;

/** Whether a content type (or Accept value) names the gRPC-Web text format. */
export function isGrpcWebText(contentType: string | null | undefined): boolean {
  return contentType != null && TEXT_TYPE.test(contentType.trim());
}

const ALPHABET = new Int16Array(128).fill(-1);
for (const [i, c] of [
  ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
].entries()) {
  ALPHABET[c.charCodeAt(0)] = i;
}
const PAD = 0x3d; // "="

/** Thrown (as INVALID_ARGUMENT) for a body that is not base64 as the text format requires. */
function malformed(detail: string): ConnectError {
  return new ConnectError(`invalid grpc-web-text request body: ${detail}`, Code.InvalidArgument);
}

/**
 * Decodes a stream of base64 text into bytes. Padding may end any 4-character quantum
 * (concatenated, separately padded chunks); anything else that is not in the standard
 * alphabet, a quantum with misplaced padding, or a body whose length is not a multiple of
 * 4 is an INVALID_ARGUMENT error.
 */
export async function* decodeBase64Stream(
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const quantum = new Uint8Array(4);
  let filled = 0;
  let offset = 0; // characters consumed so far, for error messages
  for await (const chunk of chunks) {
    const out = new Uint8Array(Math.ceil((filled + chunk.length) / 4) * 3);
    let written = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      quantum[filled++] = c;
      if (filled < 4) continue;
      filled = 0;
      written = decodeQuantum(quantum, out, written, offset + i - 3);
    }
    offset += chunk.length;
    if (written > 0) yield out.subarray(0, written);
  }
  if (filled !== 0) throw malformed(`length is not a multiple of 4 (${offset} characters)`);
}

function decodeQuantum(q: Uint8Array, out: Uint8Array, at: number, position: number): number {
  const v = [0, 0, 0, 0];
  let pads = 0;
  for (let k = 0; k < 4; k++) {
    const c = q[k]!;
    if (c === PAD && k >= 2) {
      pads++;
      continue;
    }
    const d = c < 128 ? ALPHABET[c]! : -1;
    // A character after padding, padding in the first two places, or outside the alphabet.
    if (d < 0 || pads > 0) throw malformed(`not base64 at character ${position + k}`);
    v[k] = d;
  }
  const n = (v[0]! << 18) | (v[1]! << 12) | (v[2]! << 6) | v[3]!;
  out[at++] = (n >> 16) & 0xff;
  if (pads < 2) out[at++] = (n >> 8) & 0xff;
  if (pads < 1) out[at++] = n & 0xff;
  return at;
}

/**
 * Re-chunks a binary gRPC-Web body into whole frames and base64-encodes each write, so a
 * client can decode every chunk on its own. Connect-node writes one frame per chunk today;
 * a partial frame is held until it is complete.
 */
export async function* encodeBase64Frames(
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  let pending = new Uint8Array(0);
  for await (const chunk of body) {
    const joined = pending.length === 0 ? chunk : concat(pending, chunk);
    const whole = wholeFramesLength(joined);
    if (whole > 0) yield new TextEncoder().encode(toBase64(joined.subarray(0, whole)));
    pending = joined.slice(whole);
  }
  // A truncated last frame (never written by connect-node) is passed on as it is.
  if (pending.length > 0) yield new TextEncoder().encode(toBase64(pending));
}

/** Length of the complete frames at the start of `bytes`. */
function wholeFramesLength(bytes: Uint8Array): number {
  let at = 0;
  while (at + 5 <= bytes.length) {
    const len = new DataView(bytes.buffer, bytes.byteOffset + at + 1, 4).getUint32(0);
    if (at + 5 + len > bytes.length) break;
    at += 5 + len;
  }
  return at;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64");
}

/**
 * The binary gRPC-Web request connect-node understands, from a text one: content type
 * `application/grpc-web+proto`, body decoded from base64 as it streams in.
 */
export function textRequestToBinary(req: UniversalServerRequest): UniversalServerRequest {
  const header = new Headers(req.header);
  header.set("content-type", BINARY_TYPE);
  header.delete("content-length");
  const body = req.body;
  if (!isAsyncIterable(body)) return { ...req, header };
  return { ...req, header, body: decodeBase64Stream(body) };
}

/** The text reply to a client that asked for one: content type and base64 body of whole frames. */
export function binaryResponseToText(res: UniversalServerResponse): UniversalServerResponse {
  const header = new Headers(res.header);
  const type = header.get("content-type");
  // Replies that are not gRPC-Web (415, 405, 404 with no body) stay as they are.
  if (type === null || !type.startsWith("application/grpc-web")) return res;
  header.set("content-type", GRPC_WEB_TEXT_RESPONSE_TYPE);
  header.delete("content-length");
  return { ...res, header, ...(res.body ? { body: encodeBase64Frames(res.body) } : {}) };
}

function isAsyncIterable(v: unknown): v is AsyncIterable<Uint8Array> {
  return typeof v === "object" && v !== null && Symbol.asyncIterator in v;
}
