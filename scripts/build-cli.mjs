// Part of `npm run build`: the `grpc-web-oidc` command as one esbuild bundle in
// dist/cli/bundle/ (what bin/grpc-web-oidc.js runs). A command is a fresh process, and
// loading ~150 modules one by one (resolving each, reading package.json files) was a large
// part of `envoy validate`'s cost; one file, tree-shaken, loads in a fraction of that.
// Code a run may not need (decoding a proto image, the .proto parser when no API snapshot
// matches) stays behind dynamic import()s, in chunks of their own.
//
// The chunks sit two folders below the package root, like dist/envoy/schema/*.js, so the
// paths modules compute from import.meta.url (the API snapshot in dist/envoy-api/,
// package.json) are the same from the bundle as from dist/ and src/.
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
await build({
  absWorkingDir: root,
  entryPoints: { main: "dist/cli/main.js" },
  outdir: "dist/cli/bundle",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  // CommonJS dependencies (yaml's Node build) call require() for Node's own modules.
  banner: {
    js: "import { createRequire as __gwoRequire } from 'node:module'; const require = __gwoRequire(import.meta.url);",
  },
  legalComments: "none",
  logLevel: "warning",
});
