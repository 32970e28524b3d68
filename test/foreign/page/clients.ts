/**
 * Runs in Chromium (bundled by esbuild): the same call through four gRPC-Web clients —
 * Google's `grpc-web` runtime in binary and in text mode (GrpcWebClientBase with
 * hand-written MethodDescriptors; messages serialized by protobuf-es), Connect-ES's
 * plain `createGrpcWebTransport`, and our `createOidcTransport` — reporting what each
 * one read: code, message, messages received. Runner-agnostic: any test runner that
 * can load a page and evaluate `window.foreignClients.run(spec)` drives it.
 */
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { GrpcWebClientBase, MethodDescriptor, type RpcError } from "grpc-web";
import {
  ListNotesRequestSchema,
  ListNotesResponseSchema,
  NotesService,
  WatchNotesRequestSchema,
  WatchNotesResponseSchema,
  WhoAmIRequestSchema,
  WhoAmIResponseSchema,
} from "../../../demo/gen/demo/v1/notes_pb.js";
import { createOidcTransport, StaticTokenSource } from "../../../src/web/index.js";
import { type CallResult, type CallSpec, CLIENTS, type ClientName } from "./spec.js";

const METHODS = {
  WhoAmI: { kind: "unary", req: WhoAmIRequestSchema, res: WhoAmIResponseSchema },
  ListNotes: { kind: "unary", req: ListNotesRequestSchema, res: ListNotesResponseSchema },
  WatchNotes: {
    kind: "server_streaming",
    req: WatchNotesRequestSchema,
    res: WatchNotesResponseSchema,
  },
} as const;

function request(spec: CallSpec) {
  const m = METHODS[spec.method];
  return spec.method === "WatchNotes"
    ? create(WatchNotesRequestSchema, { count: spec.count ?? 1, intervalMs: spec.intervalMs ?? 0 })
    : create(m.req as DescMessage, {});
}

async function viaGrpcWeb(spec: CallSpec, format: "binary" | "text"): Promise<CallResult> {
  const m = METHODS[spec.method];
  const path = spec.path ?? `/${NotesService.typeName}/${spec.method}`;
  const descriptor = new MethodDescriptor<unknown, MessageShape<DescMessage>>(
    path,
    m.kind,
    Object as never,
    Object as never,
    (msg: unknown) => toBinary(m.req as DescMessage, msg as MessageShape<DescMessage>),
    (bytes: Uint8Array) => fromBinary(m.res as DescMessage, bytes),
  );
  const client = new GrpcWebClientBase({ format });
  const metadata: Record<string, string> = {};
  if (spec.token) metadata.authorization = `Bearer ${spec.token}`;
  if (spec.deadlineMs !== undefined) metadata.deadline = String(Date.now() + spec.deadlineMs);
  const req = request(spec);

  if (m.kind === "unary") {
    return new Promise((resolve) => {
      client.rpcCall(
        spec.baseUrl + path,
        req,
        metadata,
        descriptor,
        (err: RpcError | null, res) => {
          if (err) resolve({ code: err.code, message: err.message, messages: 0 });
          else
            resolve({
              code: 0,
              message: "",
              messages: 1,
              ...(spec.method === "WhoAmI"
                ? { subject: (res as unknown as { subject: string }).subject }
                : {}),
            });
        },
      );
    });
  }
  return new Promise((resolve) => {
    let messages = 0;
    let done = false;
    const finish = (r: CallResult) => {
      if (!done) resolve(r);
      done = true;
    };
    const stream = client.serverStreaming(spec.baseUrl + path, req, metadata, descriptor);
    stream.on("data", () => messages++);
    stream.on("error", (e: RpcError) => finish({ code: e.code, message: e.message, messages }));
    stream.on("status", (s) => {
      if (s.code !== 0) finish({ code: s.code, message: s.details, messages });
    });
    stream.on("end", () => finish({ code: 0, message: "", messages }));
  });
}

async function viaConnect(spec: CallSpec, transport: Transport): Promise<CallResult> {
  const client = createClient(NotesService, transport);
  const options = spec.deadlineMs === undefined ? {} : { timeoutMs: spec.deadlineMs };
  let messages = 0;
  try {
    if (spec.method === "WatchNotes") {
      for await (const _ of client.watchNotes(request(spec) as never, options)) messages++;
      return { code: 0, message: "", messages };
    }
    if (spec.method === "WhoAmI") {
      const res = await client.whoAmI({}, options);
      return { code: 0, message: "", messages: 1, subject: res.subject };
    }
    await client.listNotes({}, options);
    return { code: 0, message: "", messages: 1 };
  } catch (err) {
    const e = ConnectError.from(err);
    return { code: e.code === Code.Canceled ? 1 : e.code, message: e.rawMessage, messages };
  }
}

/** A fetch that sends every call to `path` instead (for methods the generated client lacks). */
function fetchTo(path: string | undefined): typeof fetch {
  if (path === undefined) return (input, init) => fetch(input, init);
  return (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    url.pathname = path;
    return fetch(url.toString(), init);
  };
}

/** Makes the call with `spec.client` and reports what it read. */
export async function run(spec: CallSpec): Promise<CallResult> {
  switch (spec.client) {
    case "grpc-web-binary":
      return viaGrpcWeb(spec, "binary");
    case "grpc-web-text":
      return viaGrpcWeb(spec, "text");
    case "connect-es": {
      const token = spec.token;
      return viaConnect(
        spec,
        createGrpcWebTransport({
          baseUrl: spec.baseUrl,
          fetch: fetchTo(spec.path),
          interceptors: token
            ? [
                (next) => (req) => {
                  req.header.set("authorization", `Bearer ${token}`);
                  return next(req);
                },
              ]
            : [],
        }),
      );
    }
    case "grpc-web-oidc":
      return viaConnect(
        spec,
        createOidcTransport({
          baseUrl: spec.baseUrl,
          tokens: new StaticTokenSource(spec.token ?? ""),
          fetch: fetchTo(spec.path),
        }),
      );
  }
}

declare global {
  interface Window {
    foreignClients: { run: typeof run; clients: readonly ClientName[] };
  }
}
window.foreignClients = { run, clients: CLIENTS };
