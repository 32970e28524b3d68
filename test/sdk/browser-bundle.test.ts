// The browser entry must bundle for the browser without Node built-ins or Node-only parts
// of this package (src/server, src/envoy), and without what an app opts into separately.
import { describe, expect, it } from "vitest";
import { bundleForBrowser } from "./helpers/browser-bundle.js";

describe("browser entry", () => {
  it("bundles src/web/index.ts for platform browser without node: imports or server/envoy modules", async () => {
    const { inputs, imports, code } = await bundleForBrowser("src/web/index.ts");
    expect(inputs).toContain("src/web/oidc-token-source.ts");
    expect(inputs.filter((f) => /^src\/(server|envoy|cli)/.test(f))).toEqual([]);
    expect(
      imports.filter((p) => p.startsWith("node:") || /^(fs|path|http2?|crypto|net|tls)$/.test(p)),
    ).toEqual([]);
    expect(code).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });

  it("carries no oidc-client-ts and no DPoP code (that is grpc-web-oidc/dpop)", async () => {
    const main = await bundleForBrowser("src/web/index.ts");
    expect(main.inputs.filter((f) => /^src\/web\/dpop/.test(f))).toEqual([]);
    // The protocol is the SDK's own (src/web/oidc-protocol.ts).
    expect(main.inputs.filter((f) => f.includes("oidc-client-ts"))).toEqual([]);
    expect(main.inputs).toContain("src/web/oidc-protocol.ts");
    const withDpop = await bundleForBrowser("src/web/dpop.ts");
    expect(withDpop.inputs).toContain("src/web/dpop-interceptor.ts");
    expect(withDpop.inputs.filter((f) => f.includes("oidc-client-ts"))).toEqual([]);
  });
});
