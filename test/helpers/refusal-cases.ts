/**
 * The refusals every gRPC-Web client must read alike, with the code and message each
 * one must read. One table for the Node suites and the Chromium suites.
 */
import { Code } from "@connectrpc/connect";
import { PERMISSION_DENIED_MESSAGE } from "../../src/server/access-interceptor.js";
import { UNAUTHENTICATED_MESSAGE } from "../../src/server/authn-interceptor.js";
import { UNKNOWN_METHOD_MESSAGE } from "../../src/server/unknown-method.js";

/** Mints tokens (the test signer of gateway-stack.ts). */
export interface TokenMinter {
  mint(o: { scope?: string; roles?: string[]; forged?: boolean }): Promise<string>;
}

export interface RefusalCase {
  readonly name:
    | "missing token"
    | "bad token"
    | "RBAC denial"
    | "rate limit"
    | "unknown method"
    | "unknown method without a token";
  /** Method path called. */
  readonly path: string;
  /** The bearer token to send (undefined: none). */
  readonly token: (signer: TokenMinter) => Promise<string | undefined>;
  readonly code: Code;
  readonly message: string;
}

const LIST = "/demo.v1.NotesService/ListNotes";

/**
 * At the gateway. An unknown method is UNIMPLEMENTED "unknown method", as at the backend: a
 * path no proto method has matches only the gateway's catch-all route, which Envoy answers
 * itself (never forwarded); the rate limit is RESOURCE_EXHAUSTED (see
 * src/envoy/generate/local-replies.ts for why not UNAVAILABLE).
 */
export const GATEWAY_REFUSALS: readonly RefusalCase[] = [
  {
    name: "missing token",
    path: LIST,
    token: async () => undefined,
    code: Code.Unauthenticated,
    message: UNAUTHENTICATED_MESSAGE,
  },
  {
    name: "bad token",
    path: LIST,
    token: (s) => s.mint({ scope: "notes.read", forged: true }),
    code: Code.Unauthenticated,
    message: UNAUTHENTICATED_MESSAGE,
  },
  {
    name: "RBAC denial",
    path: "/demo.v1.NotesService/PurgeNotes",
    token: (s) => s.mint({ scope: "notes.read" }),
    code: Code.PermissionDenied,
    message: PERMISSION_DENIED_MESSAGE,
  },
  {
    name: "rate limit",
    path: LIST,
    token: (s) => s.mint({ scope: "notes.read" }),
    code: Code.ResourceExhausted,
    message: "rate limit exceeded",
  },
  {
    name: "unknown method",
    path: "/demo.v1.NotesService/DropTables",
    token: (s) => s.mint({ scope: "notes.read notes.write", roles: ["admin"] }),
    code: Code.Unimplemented,
    message: UNKNOWN_METHOD_MESSAGE,
  },
  {
    name: "unknown method without a token",
    path: "/demo.v1.NotesService/DropTables",
    token: async () => undefined,
    code: Code.Unimplemented,
    message: UNKNOWN_METHOD_MESSAGE,
  },
];

/**
 * On the backend kit's gRPC-Web dev listener (no rate limit there): the same, the unknown
 * method too (no route, answered before any interceptor).
 */
export const DEV_LISTENER_REFUSALS: readonly RefusalCase[] = GATEWAY_REFUSALS.filter(
  (c) => c.name !== "rate limit",
);
