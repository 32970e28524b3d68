// Size of the browser SDK: its own code (deps external) and the full bundle with deps,
// minified, gzip and brotli. Compared with the published connect-web-bench figure for
// grpc-web (min + compressed, one RPC): 70,184 B (see FIELD-NOTES).
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const GRPC_WEB = 70_184;
const CONNECT_WEB = 36_513;

async function bundle(external) {
  const r = await build({
    entryPoints: [`${root}src/web/index.ts`],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    external,
    logLevel: "silent",
  });
  const bytes = r.outputFiles[0].contents;
  return {
    min: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

export async function run() {
  const own = await bundle(["@connectrpc/*", "@bufbuild/*", "oidc-client-ts"]);
  const full = await bundle([]);
  const ratio = (a, b) => Math.round((a / b) * 1000) / 1000;
  return [
    {
      name: "SDK own code, min+gzip (deps external)",
      unit: "bytes",
      ours: own.gzip,
      compared_to: "grpc-web, connect-web-bench (min+compressed, one RPC)",
      theirs: GRPC_WEB,
      ratio: ratio(own.gzip, GRPC_WEB),
      goal: "≤ 10,240 B",
      met: own.gzip <= 10_240,
      note: `minified ${own.min} B, brotli ${own.brotli} B.`,
    },
    {
      name: "SDK full bundle with deps (connect-web, protobuf-es, oidc-client-ts), min+gzip",
      unit: "bytes",
      ours: full.gzip,
      compared_to: "grpc-web, connect-web-bench (min+compressed, one RPC)",
      theirs: GRPC_WEB,
      ratio: ratio(full.gzip, GRPC_WEB),
      goal: "< grpc-web's 70,184 B",
      met: full.gzip < GRPC_WEB,
      note:
        `minified ${full.min} B, brotli ${full.brotli} B. connect-web alone (one RPC) is ` +
        `${CONNECT_WEB} B in the same published table; our bundle has no generated service ` +
        "code, a real app adds its own.",
    },
  ];
}
