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
import { rmSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { build } from "esbuild";

/**
 * Node's own modules through the bundle's `require` instead of `import`. An ESM import of a
 * builtin builds its ESM facade, which reads every export once: for `node:fs` that runs the
 * `promises` and stream getters, loading fs/promises, readline and the whole streams stack
 * (~35 internal modules) that the command never uses. Each builtin becomes a module that
 * requires it once and exports its plain (non-getter) properties by name, so no getter runs
 * and no chunk copies the whole export list (as esbuild's CommonJS interop would).
 */
const builtinsByRequire = {
  name: "builtins-by-require",
  setup(b) {
    const names = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    b.onResolve({ filter: /^[a-z_/:]+$/ }, (args) =>
      names.has(args.path) && args.kind !== "require-call"
        ? { path: args.path.replace(/^node:/, ""), namespace: "node-builtin" }
        : undefined,
    );
    const requireHere = createRequire(import.meta.url);
    b.onLoad({ filter: /.*/, namespace: "node-builtin" }, (args) => {
      const id = `node:${args.path}`;
      const names = Object.entries(Object.getOwnPropertyDescriptors(requireHere(id)))
        .filter(([k, d]) => "value" in d && k !== "default" && /^[A-Za-z_$][\w$]*$/.test(k))
        .map(([k]) => k);
      const exports = names.map((n) => `export const ${n} = m.${n};`).join("\n");
      return {
        contents: `const m = require(${JSON.stringify(id)});\nexport default m;\n${exports}\n`,
        loader: "js",
      };
    });
  },
};

const root = new URL("..", import.meta.url).pathname;
// From scratch: chunk names are content hashes, so an earlier build's chunks would linger.
rmSync(`${root}dist/cli/bundle`, { recursive: true, force: true });
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
  plugins: [builtinsByRequire],
  legalComments: "none",
  logLevel: "warning",
});
