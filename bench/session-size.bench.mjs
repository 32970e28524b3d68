// Session mode's bundle cost: an app making one RPC over createSessionTransport
// (grpc-web-oidc/session) against the same app over plain connect-web's
// createGrpcWebTransport. Both bundle connect-web, protobuf-es and the demo service; the
// difference is our transport (cookies, the refusal fix, session-ended). Goal: at most 1.1x.
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { build } from "esbuild";
import { ESBUILD_APP } from "./lib/esbuild-app.mjs";

const root = new URL("..", import.meta.url).pathname;

const APPS = {
  plain: `
    import { createClient } from "@connectrpc/connect";
    import { createGrpcWebTransport } from "@connectrpc/connect-web";
    import { NotesService } from "./demo/gen/demo/v1/notes_pb.ts";
    const t = createGrpcWebTransport({ baseUrl: "https://api.example.com" });
    createClient(NotesService, t).listNotes({}).then(console.log);`,
  session: `
    import { createClient } from "@connectrpc/connect";
    import { createSessionTransport, GatewaySession } from "./src/web/session.ts";
    import { NotesService } from "./demo/gen/demo/v1/notes_pb.ts";
    const session = new GatewaySession({ gateway: "https://api.example.com" });
    const t = createSessionTransport({ baseUrl: "https://api.example.com", session });
    createClient(NotesService, t).listNotes({}).then(console.log);`,
};

async function size(contents) {
  const r = await build({
    ...ESBUILD_APP,
    stdin: { contents, resolveDir: root, loader: "ts" },
    metafile: true,
  });
  const bytes = r.outputFiles[0].contents;
  const inputs = Object.keys(r.metafile.inputs);
  return {
    min: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    oidcClient: inputs.some((i) => i.includes("oidc-client-ts")),
  };
}

export async function run() {
  const plain = await size(APPS.plain);
  const session = await size(APPS.session);
  const ratio = Math.round((session.brotli / plain.brotli) * 1000) / 1000;
  return [
    {
      name: "Session-mode app (one RPC over createSessionTransport), min+brotli",
      unit: "bytes",
      ours: session.brotli,
      compared_to: "the same app over plain connect-web createGrpcWebTransport (min+brotli)",
      theirs: plain.brotli,
      ratio,
      goal: "≤ 1.1× plain connect-web, no oidc-client-ts",
      met: ratio <= 1.1 && !session.oidcClient,
      note:
        `gzip ${session.gzip} B vs ${plain.gzip} B; minified ${session.min} B vs ${plain.min} B; ` +
        `oidc-client-ts in the bundle: ${session.oidcClient ? "yes" : "no"}.`,
    },
  ];
}
