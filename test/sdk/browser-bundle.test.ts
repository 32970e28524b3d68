// The browser entry must bundle for the browser without Node built-ins or Node-only parts
// of this package (src/server, src/envoy).
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

describe("browser entry", () => {
  it("bundles src/web/index.ts for platform browser without node: imports or server/envoy modules", async () => {
    const result = await build({
      entryPoints: ["src/web/index.ts"],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain("src/web/oidc-token-source.ts");
    expect(inputs.filter((f) => /^src\/(server|envoy|cli)/.test(f))).toEqual([]);
    const imports = Object.values(result.metafile.inputs).flatMap((i) =>
      i.imports.map((x) => x.path),
    );
    expect(
      imports.filter((p) => p.startsWith("node:") || /^(fs|path|http2?|crypto|net|tls)$/.test(p)),
    ).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });

  it("carries neither oidc-client-ts's UserManager nor the DPoP code (that is grpc-web-oidc/dpop)", async () => {
    const bundle = async (entry: string) => {
      const r = await build({
        entryPoints: [entry],
        bundle: true,
        platform: "browser",
        format: "esm",
        write: false,
        metafile: true,
        logLevel: "silent",
      });
      return { inputs: Object.keys(r.metafile.inputs), code: r.outputFiles[0]!.text };
    };
    const main = await bundle("src/web/index.ts");
    expect(main.inputs.filter((f) => /^src\/web\/dpop/.test(f))).toEqual([]);
    // UserManager's silent renew and navigators, and oidc-client-ts's IndexedDB key store.
    expect(main.code).not.toMatch(/No silent_redirect_uri configured|SilentRenewService = class/);
    expect(main.code).not.toMatch(/IndexedDbDPoPStore = class/);
    expect(main.code).toMatch(/OidcClient = class/);
    const withDpop = await bundle("src/web/dpop.ts");
    expect(withDpop.inputs).toContain("src/web/dpop-interceptor.ts");
    expect(withDpop.code).toMatch(/IndexedDbDPoPStore = class/);
  });
});
