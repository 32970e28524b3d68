import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as envoy from "../../src/envoy/index.js";
import {
  AccessPolicyError,
  type EnvoyErrorCode,
  GatewayConfigError,
  isEnvoyError,
  ProtoImageError,
  parseGateway,
} from "../../src/envoy/index.js";
import { repoRoot } from "../helpers/buf.js";

const indexText = readFileSync(join(repoRoot, "src", "envoy", "index.ts"), "utf8");
const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
const MARKER = "The end-user API stops here.";

/** Names exported by `export { … }` statements in a piece of the index (types included). */
function exportedNames(text: string): string[] {
  return [...text.matchAll(/export(?: type)? \{([^}]*)\}/g)].flatMap((m) =>
    (m[1] ?? "")
      .split(",")
      .map((n) => n.trim().replace(/^type /, ""))
      .filter(Boolean),
  );
}

describe("grpc-web-oidc/envoy, the public API", () => {
  it("exports by name (no export *), with a marked end of the end-user API", () => {
    expect(indexText).not.toMatch(/export \*/);
    expect(indexText).toContain(MARKER);
  });

  it("documents every end-user export in README", () => {
    const endUser = exportedNames(indexText.slice(0, indexText.indexOf(MARKER)));
    expect(endUser.length).toBeGreaterThan(20);
    const section = readme.slice(
      readme.indexOf("<!-- section:envoy -->"),
      readme.indexOf("<!-- /section:envoy -->"),
    );
    const undocumented = endUser.filter(
      (n) => !/Model$|^CertificateFiles$/.test(n) && !section.includes(n),
    );
    expect(undocumented).toEqual([]);
  });

  it("has at runtime exactly the values the index names", () => {
    const values = Object.keys(envoy).sort();
    expect(values).toEqual(
      [
        "AccessPolicyError",
        "EnvoyToolError",
        "GENERATED_HEADER",
        "GatewayConfigError",
        "HTTP_FILTERS",
        "LINT_RULES",
        "ProtoImageError",
        "envoyVersion",
        "findEnvoy",
        "formatFinding",
        "generateGateway",
        "isEnvoyError",
        "loadGatewayFile",
        "loadServices",
        "parseGateway",
        "runEnvoyCli",
        "validateEnvoyConfig",
      ].sort(),
    );
  });
});

describe("errors of the gateway tools", () => {
  /** What a caller does: switch on the code, never on the class. */
  const describeError = (err: unknown): string => {
    if (!isEnvoyError(err)) return "other";
    const code: EnvoyErrorCode = err.code;
    switch (code) {
      case "ERR_GATEWAY_CONFIG":
        return "gateway";
      case "ERR_PROTO_IMAGE":
        return "image";
      case "ERR_ACCESS_POLICY":
        return "policy";
    }
  };

  it("carry a stable code", () => {
    let thrown: unknown;
    try {
      parseGateway("name: [", "g.yaml");
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(GatewayConfigError);
    expect(describeError(thrown)).toBe("gateway");
    expect(describeError(new ProtoImageError("x"))).toBe("image");
    expect(describeError(new AccessPolicyError("a.B.C", "x"))).toBe("policy");
  });

  it("are recognised by code when they come from another copy of the package", () => {
    // A second copy has its own classes: instanceof fails, the code still matches.
    class GatewayConfigErrorFromAnotherCopy extends Error {
      readonly code = "ERR_GATEWAY_CONFIG";
    }
    const foreign = new GatewayConfigErrorFromAnotherCopy("g.yaml:1:1 name: bad");
    expect(foreign).not.toBeInstanceOf(GatewayConfigError);
    expect(describeError(foreign)).toBe("gateway");
    expect(describeError(Object.assign(new Error("x"), { code: "ENOENT" }))).toBe("other");
    expect(describeError({ code: "ERR_PROTO_IMAGE" })).toBe("other");
  });
});
