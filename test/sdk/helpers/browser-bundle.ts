// One of the package's browser entries bundled for the browser as an app's bundler would
// (esbuild, unminified so class names stay readable): which modules it reaches, which
// imports are left, and the code.
import { build } from "esbuild";

export async function bundleForBrowser(entry: string) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const inputs = Object.keys(result.metafile.inputs);
  const imports = Object.values(result.metafile.inputs).flatMap((i) =>
    i.imports.map((x) => x.path),
  );
  return { inputs, imports, code: result.outputFiles[0]!.text };
}
