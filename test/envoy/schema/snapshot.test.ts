import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type protobuf from "protobufjs";
import { beforeAll, describe, expect, it } from "vitest";
import { createEnvoyApi, type EnvoyApi } from "../../../src/envoy/schema/protos.js";
import { buildSnapshot } from "../../../src/envoy/schema/snapshot.js";
import { validateEnvoyConfig } from "../../../src/envoy/validate/validate.js";
import { repoRoot } from "../../helpers/buf.js";

/** Every type under a namespace, by full name. */
function types(ns: protobuf.NamespaceBase, out = new Map<string, protobuf.Type>()) {
  for (const c of ns.nestedArray) {
    if ("fieldsArray" in c) out.set(c.fullName, c as protobuf.Type);
    if ("nestedArray" in c) types(c as protobuf.NamespaceBase, out);
  }
  return out;
}

describe("the Envoy API snapshot (what a built package loads instead of .proto files)", () => {
  let snapshot: EnvoyApi;
  let parsed: EnvoyApi;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwo-envoy-api-"));
    const index = buildSnapshot(dir);
    expect(Object.keys(index.packages).length).toBeGreaterThan(300);
    snapshot = createEnvoyApi(dir);
    parsed = createEnvoyApi(false);
    // Load what validating the bundle loads, through the parser, then the same in the snapshot.
    await validateEnvoyConfig(readFileSync(join(repoRoot, "envoy", "envoy.yaml"), "utf8"), {
      checkFiles: false,
    });
  }, 120_000);

  it("is used when present and matches the installed protos", () => {
    expect(snapshot.source).toBe("snapshot");
    expect(parsed.source).toBe("protos");
  });

  it("gives every type the parser gives: fields, options, PGV rules and resolved types", () => {
    const names = [...types(parsed.root).keys()];
    for (const pkg of new Set(names.map((n) => n.split(".").slice(1, -1).join(".")))) {
      parsed.loadPackage(pkg);
      snapshot.loadPackage(pkg);
    }
    const all = types(parsed.root);
    expect(all.size).toBeGreaterThan(400);
    for (const [name, p] of all) {
      const s = snapshot.lookupType(name.slice(1));
      expect(s, name).toBeDefined();
      if (!s) continue;
      expect(s.toJSON({ keepComments: false }), name).toEqual(p.toJSON({ keepComments: false }));
      const resolved = (f: protobuf.Field) => {
        try {
          return f.resolve().resolvedType?.fullName;
        } catch {
          return "(unresolvable)";
        }
      };
      for (const f of p.fieldsArray) {
        const g = s.fields[f.name] as protobuf.Field;
        expect(resolved(g), `${name}.${f.name}`).toBe(resolved(f));
        expect(g.parsedOptions ?? null, `${name}.${f.name}`).toEqual(f.parsedOptions ?? null);
      }
    }
  });
});
