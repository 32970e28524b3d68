/**
 * Access matrix: every NotesService method × (no token, reader, writer, admin), on
 * both listeners, gives exactly what the proto declares. The expectation is written
 * out below AND recomputed from the policy, so neither a policy bug nor a stale table
 * can hide. Health answers without a token.
 */
import { create } from "@bufbuild/protobuf";
import { ConnectError, createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotesService } from "../../demo/gen/demo/v1/notes_pb.js";
import { buildAccessPolicy, principalFromClaims } from "../../src/access/index.js";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
} from "../../src/gen/grpc/health/v1/health_pb.js";
import type { DenialRecord } from "../../src/server/index.js";
import { type Fixture, leakedSecrets, startFixture } from "./helpers/fixture.js";
import { type GrpcClients, grpcClients } from "./helpers/grpc-client.js";
import { USERS } from "./helpers/token-issuer.js";

const OK = 0;
const UNAUTHENTICATED = 16;
const PERMISSION_DENIED = 7;
type Who = "none" | "reader" | "writer" | "admin";
const WHO: Who[] = ["none", "reader", "writer", "admin"];

/** What notes.proto declares, by hand. 0 = OK, 16 = UNAUTHENTICATED, 7 = PERMISSION_DENIED. */
const EXPECTED: Record<string, Record<Who, number>> = {
  WhoAmI: { none: 16, reader: 0, writer: 0, admin: 0 },
  ListNotes: { none: 16, reader: 0, writer: 0, admin: 0 },
  GetNote: { none: 16, reader: 0, writer: 0, admin: 0 },
  CreateNote: { none: 16, reader: 7, writer: 0, admin: 0 },
  PurgeNotes: { none: 16, reader: 7, writer: 7, admin: 0 },
  WatchNotes: { none: 16, reader: 0, writer: 0, admin: 0 },
};

let fx: Fixture;
let grpc: GrpcClients;
const tokens: Partial<Record<Who, string>> = {};

beforeAll(async () => {
  fx = await startFixture();
  grpc = grpcClients(fx.backend.mtlsPort, { ca: fx.pki.meshCa.cert, identity: fx.pki.gateway });
  for (const who of ["reader", "writer", "admin"] as const) tokens[who] = await fx.issuer.user(who);
});
afterAll(async () => {
  grpc?.close();
  await fx?.close();
});

describe("the expected table", () => {
  it("covers every NotesService method", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(NotesService.methods.map((m) => m.name).sort());
  });
  it("agrees with the policy read from the proto", () => {
    const policy = buildAccessPolicy([NotesService]);
    for (const [method, row] of Object.entries(EXPECTED)) {
      for (const who of WHO) {
        const principal =
          who === "none"
            ? undefined
            : principalFromClaims({ ...USERS[who], roles: [...USERS[who].roles] });
        const d = policy.evaluate(`/demo.v1.NotesService/${method}`, principal);
        const code = d.allowed
          ? OK
          : d.reason === "no-credentials"
            ? UNAUTHENTICATED
            : PERMISSION_DENIED;
        expect({ method, who, code }).toEqual({ method, who, code: row[who] });
      }
    }
  });
});

const requests: Record<string, object> = {
  WhoAmI: {},
  ListNotes: { limit: 5 },
  GetNote: { id: "" },
  CreateNote: { text: "hello from the access matrix" },
  PurgeNotes: {},
  WatchNotes: { count: 2, intervalMs: 0 },
};

/** Makes sure a note exists and returns its id (GetNote needs one to answer OK). */
async function noteId(): Promise<string> {
  const r = await grpc.unary(
    "notes",
    "CreateNote",
    { text: "fixture" },
    {
      authorization: `Bearer ${tokens.writer}`,
    },
  );
  expect(r.code).toBe(OK);
  return (r.messages[0] as { note: { id: string } }).note.id;
}

async function callMtls(method: string, who: Who): Promise<number> {
  const md: Record<string, string> =
    who === "none" ? {} : { authorization: `Bearer ${tokens[who]}` };
  const req = method === "GetNote" ? { id: await noteId() } : requests[method]!;
  const r =
    method === "WatchNotes"
      ? await grpc.stream("notes", method, req, md)
      : await grpc.unary("notes", method, req, md);
  return r.code;
}

async function callWeb(method: string, who: Who): Promise<number> {
  const headers: Record<string, string> =
    who === "none" ? {} : { authorization: `Bearer ${tokens[who]}` };
  const client = fx.webClient();
  const req = method === "GetNote" ? { id: await noteId() } : requests[method]!;
  try {
    switch (method) {
      case "WatchNotes":
        for await (const _ of client.watchNotes(req, { headers })) {
          // drain
        }
        break;
      case "WhoAmI":
        await client.whoAmI(req, { headers });
        break;
      case "ListNotes":
        await client.listNotes(req, { headers });
        break;
      case "GetNote":
        await client.getNote(req, { headers });
        break;
      case "CreateNote":
        await client.createNote(req, { headers });
        break;
      case "PurgeNotes":
        await client.purgeNotes(req, { headers });
        break;
      default:
        throw new Error(`no call for ${method}`);
    }
    return OK;
  } catch (err) {
    return ConnectError.from(err).code as number;
  }
}

describe.each([
  ["mtls (grpc-js)", callMtls],
  ["web (Connect gRPC-Web)", callWeb],
] as const)("access matrix on %s", (_name, callFn) => {
  for (const [method, row] of Object.entries(EXPECTED)) {
    for (const who of WHO) {
      it(`${method} as ${who} → ${row[who]}`, async () => {
        const before = fx.records.length;
        expect(await callFn(method, who)).toBe(row[who]);
        const denial = fx.records
          .slice(before)
          .find((r) => (r as DenialRecord).event === "denied") as DenialRecord | undefined;
        if (row[who] === OK) {
          expect(denial).toBeUndefined();
        } else {
          expect(denial?.method).toBe(`/demo.v1.NotesService/${method}`);
          if (row[who] === PERMISSION_DENIED) {
            expect(denial).toMatchObject({ layer: "authz", subject: who });
          }
        }
      });
    }
  }
});

describe("health is public", () => {
  it("Check and Watch answer on the mTLS listener without a token", async () => {
    const r = await grpc.unary("health", "Check", { service: "" });
    expect(r).toMatchObject({ code: OK, messages: [{ status: "SERVING" }] });
    const unknown = await grpc.unary("health", "Check", { service: "no.such.Service" });
    expect(unknown.code).toBe(5);
    const w = await grpc.stream("health", "Watch", { service: "" }, {}, (_m, call) =>
      call.cancel(),
    );
    expect(w.messages[0]).toMatchObject({ status: "SERVING" });
  });
  it("Check and Watch answer on the gRPC-Web listener without a token", async () => {
    const health = createClient(Health, fx.webTransport());
    const r = await health.check(
      create(HealthCheckRequestSchema, { service: "demo.v1.NotesService" }),
    );
    expect(r.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const ac = new AbortController();
    const seen: HealthCheckResponse_ServingStatus[] = [];
    try {
      for await (const m of health.watch({ service: "" }, { signal: ac.signal })) {
        seen.push(m.status);
        if (seen.length === 1)
          fx.backend.health.setStatus("", HealthCheckResponse_ServingStatus.NOT_SERVING);
        if (seen.length === 2) ac.abort();
      }
    } catch (err) {
      expect(ConnectError.from(err).code).toBe(1); // canceled by us
    } finally {
      fx.backend.health.setStatus("", HealthCheckResponse_ServingStatus.SERVING);
    }
    expect(seen).toEqual([
      HealthCheckResponse_ServingStatus.SERVING,
      HealthCheckResponse_ServingStatus.NOT_SERVING,
    ]);
  });
  it("a token on a health call is ignored, even an invalid one", async () => {
    const r = await grpc.unary(
      "health",
      "Check",
      { service: "" },
      { authorization: "Bearer junk" },
    );
    expect(r.code).toBe(OK);
  });
});

describe("logs", () => {
  it("contain no token", () => {
    expect(fx.records.length).toBeGreaterThan(10);
    expect(leakedSecrets(fx.records, fx.issuer.minted)).toEqual([]);
  });
});
