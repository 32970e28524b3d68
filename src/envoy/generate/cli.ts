/**
 * `grpc-web-oidc envoy generate [--gateway envoy/gateway.yaml] [-o envoy/envoy.yaml]
 *   [--sds-out DIR] [--proto-image FILE] [--check]`
 * Exit 0 written (or up to date with --check), 1 bad input (or out of date), 2 usage error.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { createFileRegistry, type DescService, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { AccessPolicyError } from "../../access/index.js";
import { generateGateway } from "./emit.js";
import { GatewayConfigError, loadGatewayFile } from "./load.js";

const USAGE = `usage: grpc-web-oidc envoy generate [--gateway FILE] [-o FILE] [--sds-out DIR] [--proto-image FILE] [--check]
  --gateway FILE      gateway inputs (default envoy/gateway.yaml)
  -o, --out FILE      the Envoy bootstrap to write (default envoy/envoy.yaml)
  --sds-out DIR       where the SDS secret files go (default: sds/ next to --out)
  --proto-image FILE  a \`buf build\` image with your services (default: \`buf build\` of the current directory)
  --check             write nothing; exit 1 when the files on disk differ from what would be generated
`;

interface Args {
  gateway: string;
  out: string;
  sdsOut: string | undefined;
  protoImage: string | undefined;
  check: boolean;
}

/** Runs the command; returns the exit code. */
export async function runGenerate(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (typeof args === "string") {
    process.stderr.write(`envoy generate: ${args}\n${USAGE}`);
    return 2;
  }
  try {
    const model = loadGatewayFile(args.gateway);
    const services = loadServices(args.protoImage);
    const bundle = generateGateway(model, services, {
      comments: [
        `source: ${args.gateway}`,
        `services: ${services.map((s) => s.typeName).join(", ")}`,
      ],
    });
    const sdsDir = args.sdsOut ?? join(dirname(args.out), "sds");
    const files: [string, string][] = [
      [args.out, bundle.envoyYaml],
      ...Object.entries(bundle.sds).map(([name, text]): [string, string] => [
        join(sdsDir, name),
        text,
      ]),
    ];
    if (args.check) {
      const stale = files.filter(([f, text]) => !existsSync(f) || readFileSync(f, "utf8") !== text);
      for (const [f] of stale)
        process.stderr.write(`${f}: out of date (run grpc-web-oidc envoy generate)\n`);
      return stale.length === 0 ? 0 : 1;
    }
    for (const [f, text] of files) {
      mkdirSync(dirname(f), { recursive: true });
      writeFileSync(f, text);
      process.stdout.write(`wrote ${f}\n`);
    }
    return 0;
  } catch (err) {
    if (
      err instanceof GatewayConfigError ||
      err instanceof AccessPolicyError ||
      err instanceof ProtoImageError
    ) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** Options that take a value: which field it sets, and the error when it is missing. */
const VALUE_OPTIONS = new Map<string, [keyof Omit<Args, "check">, string]>([
  ["--gateway", ["gateway", "--gateway needs a file"]],
  ["-o", ["out", "-o needs a file"]],
  ["--out", ["out", "-o needs a file"]],
  ["--sds-out", ["sdsOut", "--sds-out needs a directory"]],
  ["--proto-image", ["protoImage", "--proto-image needs a file"]],
]);

function parseArgs(argv: readonly string[]): Args | string {
  const args: Args = {
    gateway: "envoy/gateway.yaml",
    out: "envoy/envoy.yaml",
    sdsOut: undefined,
    protoImage: undefined,
    check: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    const [flag, inline] =
      a.startsWith("--") && a.includes("=")
        ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
        : [a, undefined];
    const option = VALUE_OPTIONS.get(flag);
    if (option) {
      const v = inline ?? argv[++i];
      if (!v) return option[1];
      args[option[0]] = v;
    } else if (flag === "--check") args.check = true;
    else if (flag === "-h" || flag === "--help") return "help";
    else return `unknown argument ${JSON.stringify(a)}`;
  }
  return args;
}

/** A proto image that cannot be read or built. */
export class ProtoImageError extends Error {
  override name = "ProtoImageError";
}

/**
 * The services of a `buf build` image (or of `buf build` run in the current
 * directory when no image is given), sorted by name so output does not depend
 * on file order.
 */
export function loadServices(image: string | undefined): DescService[] {
  let bytes: Uint8Array;
  if (image) {
    try {
      bytes = readFileSync(image);
    } catch (err) {
      throw new ProtoImageError(`${image}: cannot read proto image: ${(err as Error).message}`);
    }
  } else {
    bytes = bufBuild(process.cwd());
  }
  let registry: ReturnType<typeof createFileRegistry>;
  try {
    registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
  } catch (err) {
    throw new ProtoImageError(
      `${image ?? "buf build"}: not a descriptor set: ${(err as Error).message}`,
    );
  }
  const services: DescService[] = [];
  for (const file of registry.files) services.push(...file.services);
  services.sort((a, b) => (a.typeName < b.typeName ? -1 : a.typeName > b.typeName ? 1 : 0));
  if (services.length === 0)
    throw new ProtoImageError(`${image ?? "buf build"}: the image has no services`);
  return services;
}

function bufBuild(cwd: string): Uint8Array {
  if (!existsSync(join(cwd, "buf.yaml"))) {
    throw new ProtoImageError("no --proto-image given and no buf.yaml in the current directory");
  }
  const candidates = [
    join(cwd, "node_modules", ".bin", "buf"),
    ...(process.env.PATH ?? "").split(delimiter).map((d) => join(d, "buf")),
  ];
  const buf = candidates.find((c) => existsSync(c));
  if (!buf)
    throw new ProtoImageError(
      "no --proto-image given and `buf` was not found (npm i -D @bufbuild/buf)",
    );
  const dir = mkdtempSync(join(tmpdir(), "gwo-image-"));
  try {
    const out = join(dir, "image.binpb");
    execFileSync(buf, ["build", "--exclude-source-info", "-o", out], {
      cwd,
      stdio: ["ignore", "ignore", "pipe"],
    });
    return readFileSync(out);
  } catch (err) {
    throw new ProtoImageError(`buf build failed: ${(err as Error).message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
