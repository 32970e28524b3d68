/**
 * The independent client: @grpc/grpc-js + @grpc/proto-loader reading the .proto
 * sources (not the generated Connect code), over mutual TLS.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { CertPair } from "../../../demo/pki.js";

const root = new URL("../../..", import.meta.url).pathname;

const definition = protoLoader.loadSync(["demo/v1/notes.proto", "grpc/health/v1/health.proto"], {
  includeDirs: [join(root, "proto")],
  longs: String,
  defaults: true,
  enums: String,
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  demo: { v1: { NotesService: grpc.ServiceClientConstructor } };
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};

export interface CallResult {
  code: number;
  details: string;
  /** Unary response, or every streamed message. */
  messages: Record<string, unknown>[];
  /** Trailers of a failed call (e.g. `www-authenticate`). */
  trailers?: Record<string, unknown>;
}

export interface GrpcClients {
  notes: grpc.Client;
  health: grpc.Client;
  unary(
    client: "notes" | "health",
    method: string,
    request: object,
    metadata?: Record<string, string | string[]>,
  ): Promise<CallResult>;
  stream(
    client: "notes" | "health",
    method: string,
    request: object,
    metadata?: Record<string, string | string[]>,
    onMessage?: (m: Record<string, unknown>, call: grpc.ClientReadableStream<unknown>) => void,
  ): Promise<CallResult>;
  close(): void;
}

/** Connects to the mTLS listener as `identity` (undefined: no client certificate). */
export function grpcClients(
  port: number,
  o: { ca: string; identity?: CertPair; serverName?: string },
): GrpcClients {
  const creds = grpc.credentials.createSsl(
    readFileSync(o.ca),
    o.identity ? readFileSync(o.identity.key) : null,
    o.identity ? readFileSync(o.identity.cert) : null,
  );
  const options = {
    "grpc.use_local_subchannel_pool": 1,
    "grpc.initial_reconnect_backoff_ms": 100,
    ...(o.serverName ? { "grpc.ssl_target_name_override": o.serverName } : {}),
  };
  const target = `localhost:${port}`;
  const notes = new loaded.demo.v1.NotesService(target, creds, options);
  const health = new loaded.grpc.health.v1.Health(target, creds, options);
  const pick = (c: "notes" | "health") => (c === "notes" ? notes : health);
  // A value that is an array becomes repeated headers of that name.
  const md = (m?: Record<string, string | string[]>) => {
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(m ?? {})) {
      for (const one of [v].flat()) metadata.add(k, one);
    }
    return metadata;
  };
  const deadline = () => new Date(Date.now() + 10_000);
  type AnyFn = (...args: unknown[]) => unknown;

  return {
    notes,
    health,
    unary: (c, method, request, metadata) =>
      new Promise((resolve) => {
        const fn = (pick(c) as unknown as Record<string, AnyFn>)[method]!.bind(pick(c));
        fn(
          request,
          md(metadata),
          { deadline: deadline() },
          (err: grpc.ServiceError | null, res: Record<string, unknown>) => {
            resolve(
              err
                ? {
                    code: err.code,
                    details: err.details,
                    messages: [],
                    trailers: err.metadata?.getMap() ?? {},
                  }
                : { code: 0, details: "", messages: [res] },
            );
          },
        );
      }),
    stream: (c, method, request, metadata, onMessage) =>
      new Promise((resolve) => {
        const fn = (pick(c) as unknown as Record<string, AnyFn>)[method]!.bind(pick(c));
        const call = fn(request, md(metadata), {
          deadline: deadline(),
        }) as grpc.ClientReadableStream<Record<string, unknown>>;
        const messages: Record<string, unknown>[] = [];
        call.on("data", (m: Record<string, unknown>) => {
          messages.push(m);
          onMessage?.(m, call);
        });
        call.on("error", (err: grpc.ServiceError) =>
          resolve({
            code: err.code,
            details: err.details,
            messages,
            trailers: err.metadata?.getMap() ?? {},
          }),
        );
        call.on("status", (s: grpc.StatusObject) => {
          if (s.code === 0) resolve({ code: 0, details: s.details, messages });
        });
      }),
    close() {
      notes.close();
      health.close();
    },
  };
}
