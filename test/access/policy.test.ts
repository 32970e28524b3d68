import type { DescService } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { NotesService } from "../../demo/gen/demo/v1/notes_pb.js";
import {
  AccessPolicyError,
  buildAccessPolicy,
  HEALTH_PATHS,
  principalFromClaims,
} from "../../src/access/index.js";
import { HEALTH_OUTLINE } from "../../src/access/outline.js";
import { outlineService } from "../../src/access/policy.js";
import { Health } from "../../src/gen/grpc/health/v1/health_pb.js";
import { compileProtos } from "../helpers/buf.js";

const reader = { subject: "r", scopes: ["notes.read"], roles: [] };
const writer = { subject: "w", scopes: ["notes.read", "notes.write"], roles: [] };
const admin = { subject: "a", scopes: ["notes.read"], roles: ["admin"] };

function service(registry: ReturnType<typeof compileProtos>, name: string): DescService {
  const s = registry.getService(name);
  if (!s) throw new Error(`no service ${name}`);
  return s;
}

const fixture = (methods: string) => ({
  "t/v1/t.proto": `syntax = "proto3";
package t.v1;
import "grpcweboidc/v1/access.proto";
message Req {}
service T {
${methods}
}`,
});

describe("access policy from proto options", () => {
  const policy = buildAccessPolicy([NotesService]);

  it("reads every demo method's option", () => {
    const rules = Object.fromEntries(policy.methods.map((m) => [m.path, m.rule]));
    expect(rules["/demo.v1.NotesService/GetNote"]).toEqual({
      kind: "claims",
      scopes: ["notes.read"],
      roles: [],
    });
    expect(rules["/demo.v1.NotesService/PurgeNotes"]).toEqual({
      kind: "claims",
      scopes: [],
      roles: ["admin"],
    });
    expect(rules["/demo.v1.NotesService/WhoAmI"]).toEqual({ kind: "authenticated" });
    expect(policy.lookup("/demo.v1.NotesService/WatchNotes")?.kind).toBe("server_streaming");
  });

  it("matches the access matrix the demo proto declares", () => {
    const matrix = [
      ["/demo.v1.NotesService/ListNotes", [false, true, true, true]],
      ["/demo.v1.NotesService/CreateNote", [false, false, true, false]],
      ["/demo.v1.NotesService/PurgeNotes", [false, false, false, true]],
      ["/demo.v1.NotesService/WhoAmI", [false, true, true, true]],
      ["/demo.v1.NotesService/WatchNotes", [false, true, true, true]],
      [HEALTH_PATHS[0], [true, true, true, true]],
      [HEALTH_PATHS[1], [true, true, true, true]],
    ] as const;
    for (const [path, expected] of matrix) {
      const got = [undefined, reader, writer, admin].map((p) => policy.evaluate(path, p).allowed);
      expect([path, got]).toEqual([path, expected]);
    }
  });

  it("denies unknown paths, including near-misses", () => {
    for (const path of [
      "/demo.v1.NotesService/Nope",
      "/demo.v1.NotesService/getnote",
      "/demo.v1.NotesService/GetNote/",
      "//demo.v1.NotesService/GetNote",
      "/demo.v1.NotesService/GetNote?x=1",
    ]) {
      expect(policy.evaluate(path, admin)).toEqual({ allowed: false, reason: "no-policy" });
    }
  });

  it("denies a method with no option (default deny)", () => {
    const reg = compileProtos(fixture("  rpc Open(Req) returns (Req);"));
    const p = buildAccessPolicy([service(reg, "t.v1.T")]);
    expect(p.lookup("/t.v1.T/Open")?.rule).toBeUndefined();
    expect(p.evaluate("/t.v1.T/Open", admin)).toEqual({ allowed: false, reason: "no-policy" });
  });

  it("requires one of each list when both scopes and roles are set", () => {
    const reg = compileProtos(
      fixture(
        `  rpc Both(Req) returns (Req) { option (grpcweboidc.v1.access) = { scopes: ["x"], roles: ["y"] }; }`,
      ),
    );
    const p = buildAccessPolicy([service(reg, "t.v1.T")]);
    const path = "/t.v1.T/Both";
    expect(p.evaluate(path, { subject: "", scopes: ["x"], roles: [] }).reason).toBe("missing-role");
    expect(p.evaluate(path, { subject: "", scopes: [], roles: ["y"] }).reason).toBe(
      "missing-scope",
    );
    expect(p.evaluate(path, { subject: "", scopes: ["x"], roles: ["y"] }).allowed).toBe(true);
  });

  it.each([
    ["an empty option", "{}", /names nothing/],
    ["public with scopes", `{ public: true, scopes: ["a"] }`, /public/],
    ["authenticated with roles", `{ authenticated: true, roles: ["a"] }`, /authenticated/],
    ["a scope with a space", `{ scopes: ["a b"] }`, /invalid scope/],
    ["an empty role", `{ roles: [""] }`, /invalid role/],
  ])("fails the build on %s", (_name, opt, message) => {
    const reg = compileProtos(
      fixture(`  rpc Bad(Req) returns (Req) { option (grpcweboidc.v1.access) = ${opt}; }`),
    );
    const build = () => buildAccessPolicy([service(reg, "t.v1.T")]);
    expect(build).toThrow(AccessPolicyError);
    expect(build).toThrow(message);
    expect(build).toThrow(/t\.v1\.T\.Bad/);
  });

  it("fails the build on an override that names no method", () => {
    expect(() =>
      buildAccessPolicy([NotesService], {
        overrides: { "/demo.v1.NotesService/Missing": { kind: "public" } },
      }),
    ).toThrow(/does not exist/);
  });

  it("can keep health closed when asked", () => {
    const p = buildAccessPolicy([NotesService], { publicHealth: false });
    expect(p.evaluate(HEALTH_PATHS[0], undefined).allowed).toBe(false);
  });
});

describe("principalFromClaims", () => {
  it("splits a space-delimited scope and reads roles", () => {
    expect(
      principalFromClaims({ sub: "u", scope: "openid  notes.read", roles: ["admin", 3] }),
    ).toEqual({ subject: "u", scopes: ["openid", "notes.read"], roles: ["admin"] });
  });
  it("reads array scopes and dotted role paths", () => {
    expect(
      principalFromClaims(
        { sub: "u", scp: ["a"], realm_access: { roles: ["r"] } },
        { scope: "scp", roles: "realm_access.roles" },
      ),
    ).toEqual({ subject: "u", scopes: ["a"], roles: ["r"] });
  });
  it("yields nothing for odd shapes", () => {
    expect(principalFromClaims({ scope: 5, roles: { admin: true } })).toEqual({
      subject: "",
      scopes: [],
      roles: [],
    });
  });
});

describe("the health service outline", () => {
  it("is the generated grpc.health.v1.Health descriptor's outline", () => {
    expect(HEALTH_OUTLINE).toEqual(outlineService(Health));
    expect(HEALTH_PATHS).toEqual(Health.methods.map((m) => `/${Health.typeName}/${m.name}`));
  });
});
