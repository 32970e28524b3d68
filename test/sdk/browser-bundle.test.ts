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
});
