/** One backend plus a token issuer on ephemeral ports, with a private copy of the dev PKI. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { NotesService } from "../../../demo/gen/demo/v1/notes_pb.js";
import { type DevPki, ensureDevPki } from "../../../demo/pki.js";
import {
  type Backend,
  type BackendDpopOptions,
  startBackend,
} from "../../../demo/server/server.js";
import { startTokenIssuer, type TokenIssuer } from "./token-issuer.js";

export const WEB_ORIGIN = "https://localhost:5173";

export interface Fixture {
  pki: DevPki;
  issuer: TokenIssuer;
  backend: Backend;
  /** Every log record the backend produced (its `log` sink). */
  records: object[];
  /** A Connect client on the gRPC-Web dev listener. */
  webClient(protocol?: "grpc-web" | "connect"): Client<typeof NotesService>;
  webTransport(protocol?: "grpc-web" | "connect"): Transport;
  close(): Promise<void>;
}

export async function startFixture(
  o: {
    allowedPeers?: string[];
    reloadTls?: boolean;
    dpop?: BackendDpopOptions;
    maxStreamsPerCaller?: number;
  } = {},
): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), "gwo-server-test-"));
  const pki = ensureDevPki(join(dir, "pki"));
  const issuer = await startTokenIssuer(pki);
  const records: object[] = [];
  const backend = await startBackend({
    pki,
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    allowedOrigins: [WEB_ORIGIN],
    ...(o.allowedPeers ? { allowedPeers: o.allowedPeers } : {}),
    ...(o.reloadTls !== undefined ? { reloadTls: o.reloadTls } : {}),
    ...(o.dpop ? { dpop: o.dpop } : {}),
    ...(o.maxStreamsPerCaller !== undefined ? { maxStreamsPerCaller: o.maxStreamsPerCaller } : {}),
    log: (r) => records.push(r),
  });
  const ca = readFileSync(pki.ca.cert);
  const transports: Transport[] = [];
  const webTransport = (protocol: "grpc-web" | "connect" = "grpc-web") => {
    const opts = {
      baseUrl: `https://localhost:${backend.webPort}`,
      httpVersion: "2" as const,
      nodeOptions: { ca },
    };
    const t = protocol === "connect" ? createConnectTransport(opts) : createGrpcWebTransport(opts);
    transports.push(t);
    return t;
  };
  return {
    pki,
    issuer,
    backend,
    records,
    webTransport,
    webClient: (protocol) => createClient(NotesService, webTransport(protocol)),
    async close() {
      await backend.close();
      await issuer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Asserts-friendly: every secret that occurs in `records` (should be none). */
export function leakedSecrets(records: readonly object[], secrets: Iterable<string>): string[] {
  const text = JSON.stringify(records);
  const leaks: string[] = [];
  for (const secret of secrets) {
    const parts = secret.replace(/^\S+\s+/, "").split(".");
    const needles = [secret, ...parts].filter((p) => p.length >= 16);
    if (needles.some((n) => text.includes(n))) leaks.push(secret.slice(0, 12));
  }
  return leaks;
}
