/**
 * What `npm i grpc-web-oidc` gets: the packed file list (`npm pack --dry-run --json`) holds
 * everything the entries, the CLI, the source maps, README.md and envoy/README.md point at; and
 * a user's own proto imports the access option from the installed package exactly as README
 * says, with buf and with protoc.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAccessPolicy } from "../../src/access/index.js";
import { loadServices } from "../../src/envoy/index.js";
import { repoRoot } from "../helpers/buf.js";

const bin = (name: string) => join(repoRoot, "node_modules", ".bin", name);
const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  name: string;
  version: string;
  license: string;
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
  engines: { node: string };
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};

let packed: Set<string>;
/** Files tracked in the repository (what a fresh clone has). */
const tracked = new Set(
  execFileSync("git", ["ls-files"], { cwd: repoRoot, encoding: "utf8" })
    .split("\n")
    .filter(Boolean),
);
const inRepo = (path: string) => {
  const p = normalize(path).replace(/\/$/, "");
  return tracked.has(p) || [...tracked].some((f) => f.startsWith(`${p}/`));
};

beforeAll(() => {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: repoRoot,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [entry] = JSON.parse(out) as Array<{ files: Array<{ path: string }> }>;
  packed = new Set(entry?.files.map((f) => f.path) ?? []);
}, 120_000);

/** Relative file paths mentioned in Markdown: links and `code` spans that look like paths. */
function mentionedPaths(markdown: string): string[] {
  const found = new Set<string>();
  for (const m of markdown.matchAll(/\]\(([^)#\s]+)\)|`([^`\s]+)`/g)) {
    const p = (m[1] ?? m[2] ?? "").replace(/[.,:;]$/, "");
    if (!p || /^(https?:|\/|\$|-|\.\.\/)/.test(p) || p.includes("*") || p.includes("<")) continue;
    if (p.includes("/") || /\.(ya?ml|md|proto|ts|js|json)$/.test(p)) found.add(p);
  }
  return [...found];
}

/** Whether `path` (a file or a folder, relative to the package root) is in the pack. */
function isPacked(path: string): boolean {
  const p = normalize(path).replace(/\/$/, "");
  return packed.has(p) || [...packed].some((f) => f.startsWith(`${p}/`));
}

describe("npm pack", () => {
  it("has every export target, type file and bin", () => {
    const targets = Object.values(pkg.exports).flatMap((e) =>
      typeof e === "string" ? [e] : Object.values(e),
    );
    const missing = [...targets, ...Object.values(pkg.bin)]
      .map((t) => normalize(t))
      .filter((t) => !packed.has(t));
    expect(missing).toEqual([]);
  });

  it("has the Apache-2.0 LICENSE that package.json names", () => {
    expect(pkg.license).toBe("Apache-2.0");
    expect(packed.has("LICENSE")).toBe(true);
    const text = readFileSync(join(repoRoot, "LICENSE"), "utf8");
    expect(text).toContain("Apache License");
    expect(text).toContain("Version 2.0, January 2004");
    expect(text).toContain("END OF TERMS AND CONDITIONS");
  });

  it("has the source every shipped source map and declaration map points at", () => {
    const maps = [...packed].filter((f) => f.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(100);
    const dangling: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(repoRoot, map), "utf8")) as {
        sources: string[];
      };
      for (const s of sources) {
        const target = normalize(join(dirname(map), s));
        if (!packed.has(target)) dangling.push(`${map} → ${target}`);
      }
    }
    expect(dangling).toEqual([]);
  });

  it("has every file envoy/README.md (shipped) refers to that exists in the repository", () => {
    const readme = readFileSync(join(repoRoot, "envoy/README.md"), "utf8");
    const refs = mentionedPaths(readme);
    expect(refs).toContain("k8s/");
    const missing = refs
      .flatMap((p) => [join("envoy", p), p])
      .filter(inRepo)
      .filter((p) => !isPacked(p));
    expect(missing).toEqual([]);
  });

  it("has what README.md tells package users to use (envoy/, proto/grpcweboidc/, node_modules/grpc-web-oidc/…)", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const refs = mentionedPaths(readme)
      .map((p) => p.replace(/^node_modules\/grpc-web-oidc\//, ""))
      .filter((p) => /^(envoy|proto\/grpcweboidc)(\/|$)/.test(p))
      .filter(inRepo);
    expect(refs).toContain("proto/grpcweboidc/v1/access.proto");
    expect(refs.filter((p) => !isPacked(p))).toEqual([]);
  });

  it("ships no test, demo, bench or certificate", () => {
    const stray = [...packed].filter((f) =>
      /^(test|demo|bench|scripts|\.certs|\.venv|node_modules)\/|\.test\.ts$|\.key$/.test(f),
    );
    expect(stray).toEqual([]);
  });
});

describe("package.json", () => {
  it("makes the Connect and protobuf runtimes peers, and says Node ≥ 22 (connect-node's own floor)", () => {
    const connectNode = JSON.parse(
      readFileSync(join(repoRoot, "node_modules/@connectrpc/connect-node/package.json"), "utf8"),
    ) as { engines: { node: string } };
    expect(connectNode.engines.node).toBe(">=22");
    expect(pkg.engines.node).toBe(">=22");
    for (const peer of [
      "@bufbuild/protobuf",
      "@connectrpc/connect",
      "@connectrpc/connect-web",
      "@connectrpc/connect-node",
    ]) {
      expect(pkg.peerDependencies[peer], peer).toBeTruthy();
      expect(pkg.dependencies[peer], peer).toBeUndefined();
    }
    // The browser SDK speaks OIDC itself: no oidc-client-ts to install.
    expect(pkg.peerDependencies["oidc-client-ts"]).toBeUndefined();
    expect(pkg.dependencies["oidc-client-ts"]).toBeUndefined();
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    expect(readme).toContain(
      "npm i grpc-web-oidc @connectrpc/connect @connectrpc/connect-web @bufbuild/protobuf\n",
    );
  });
});

describe("a user's proto imports grpcweboidc/v1/access.proto from the installed package", () => {
  let app: string;
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const hasProtoc = spawnSync("protoc", ["--version"]).status === 0;

  beforeAll(() => {
    // The package as npm installs it: the real tarball, unpacked into node_modules.
    app = mkdtempSync(join(tmpdir(), "gwo-pkg-"));
    execFileSync("npm", ["pack", "--ignore-scripts", "--pack-destination", app], {
      cwd: repoRoot,
      stdio: "ignore",
    });
    const installed = join(app, "node_modules", "grpc-web-oidc");
    mkdirSync(installed, { recursive: true });
    execFileSync("tar", [
      "-xzf",
      join(app, `${pkg.name}-${pkg.version}.tgz`),
      "-C",
      installed,
      "--strip-components=1",
    ]);
    mkdirSync(join(app, "proto/acme/v1"), { recursive: true });
    writeFileSync(
      join(app, "proto/acme/v1/orders.proto"),
      `syntax = "proto3";
package acme.v1;
import "grpcweboidc/v1/access.proto";
message GetOrderRequest { string id = 1; }
message GetOrderResponse { string id = 1; }
service OrderService {
  rpc GetOrder(GetOrderRequest) returns (GetOrderResponse) {
    option (grpcweboidc.v1.access) = { scopes: ["orders.read"] };
  }
}
`,
    );
  }, 120_000);
  afterAll(() => {
    if (app) rmSync(app, { recursive: true, force: true });
  });

  const ruleIn = (image: string) =>
    buildAccessPolicy(loadServices(image)).lookup("/acme.v1.OrderService/GetOrder")?.rule;
  const env = {
    ...process.env,
    PATH: `${join(repoRoot, "node_modules/.bin")}:${process.env.PATH}`,
  };
  /** The lines of README's code blocks that start with `prefix`. */
  const readmeLines = (prefix: string) => readme.split("\n").filter((l) => l.startsWith(prefix));

  it("with buf: the README's buf.yaml, then `buf build` and `buf generate`", () => {
    const yaml =
      /```yaml\n(version: v2\nmodules:\n[^`]*node_modules\/grpc-web-oidc\/proto\n)```/.exec(
        readme,
      )?.[1];
    expect(yaml).toBeTruthy();
    writeFileSync(join(app, "buf.yaml"), yaml ?? "");
    const [build] = readmeLines("buf build -o image.binpb");
    expect(build).toBe("buf build -o image.binpb");
    execFileSync("sh", ["-c", build ?? ""], { cwd: app, env, stdio: "pipe" });
    expect(ruleIn(join(app, "image.binpb"))).toEqual({
      kind: "claims",
      scopes: ["orders.read"],
      roles: [],
    });
    writeFileSync(
      join(app, "buf.gen.yaml"),
      "version: v2\nplugins:\n  - local: protoc-gen-es\n    out: gen-buf\n    opt: target=ts\n",
    );
    execFileSync(bin("buf"), ["generate"], { cwd: app, env, stdio: "pipe" });
    expect(existsSync(join(app, "gen-buf/grpcweboidc/v1/access_pb.ts"))).toBe(true);
    expect(readFileSync(join(app, "gen-buf/acme/v1/orders_pb.ts"), "utf8")).toContain(
      'from "../../grpcweboidc/v1/access_pb"',
    );
  }, 120_000);

  it.skipIf(!hasProtoc)(
    "with protoc: the README's two commands, --include_imports",
    () => {
      const commands = readmeLines("protoc -I proto -I node_modules/grpc-web-oidc/proto");
      expect(commands).toHaveLength(2);
      mkdirSync(join(app, "gen"), { recursive: true });
      for (const c of commands) execFileSync("sh", ["-c", c], { cwd: app, env, stdio: "pipe" });
      expect(ruleIn(join(app, "image.binpb"))).toMatchObject({ scopes: ["orders.read"] });
      expect(existsSync(join(app, "gen/grpcweboidc/v1/access_pb.ts"))).toBe(true);
      // Without --include_imports the image lacks the option's definition, and says so.
      execFileSync(
        "protoc",
        [
          "-I",
          "proto",
          "-I",
          "node_modules/grpc-web-oidc/proto",
          "--descriptor_set_out=bare.binpb",
          "proto/acme/v1/orders.proto",
        ],
        { cwd: app },
      );
      expect(() => ruleIn(join(app, "bare.binpb"))).toThrow(
        /Cannot find grpcweboidc\/v1\/access\.proto/,
      );
    },
    120_000,
  );
});
