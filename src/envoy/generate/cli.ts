/**
 * `grpc-web-oidc envoy generate [--gateway envoy/gateway.yaml] [-o envoy/envoy.yaml]
 *   [--sds-out DIR] [--proto-image FILE] [--check] [--strict]`
 * Exit 0 written (or up to date with --check), 1 bad input (or out of date, or with --strict
 * a method without an access option), 2 usage error.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { HEALTH_SERVICE, policyFromOutlines, type ServiceOutline } from "../../access/outline.js";
import { isEnvoyError } from "../errors.js";
import { type Out, processStdout } from "../output.js";
import { loadServiceOutlines } from "../proto-image/outline.js";
import { unifiedDiff } from "./line-diff.js";
import { loadGatewayFile } from "./load.js";
import { renderGateway } from "./render.js";

const USAGE = `usage: grpc-web-oidc envoy generate [--gateway FILE] [-o FILE] [--sds-out DIR] [--proto-image FILE] [--check] [--strict]
  --gateway FILE      gateway inputs (default envoy/gateway.yaml)
  -o, --out FILE      the Envoy bootstrap to write (default envoy/envoy.yaml)
  --sds-out DIR       where the SDS secret files go (default: sds/ next to --out)
  --proto-image FILE  a \`buf build\` image with your services (default: \`buf build\` of the current directory)
  --check             write nothing; exit 1 when the files on disk differ from what would be
                      generated, and show the difference as a unified diff
  --strict            a method without an access option (denied at the gateway) is an error, not a
                      warning
`;

interface Args {
  gateway: string;
  out: string;
  sdsOut: string | undefined;
  protoImage: string | undefined;
  check: boolean;
  strict: boolean;
}

/** Runs the command; returns the exit code. What it wrote is listed on `out`. */
export async function runGenerate(
  argv: readonly string[],
  out: Out = processStdout,
): Promise<number> {
  const args = parseArgs(argv);
  if (args === "help") {
    out(USAGE);
    return 0;
  }
  if (typeof args === "string") {
    process.stderr.write(`envoy generate: ${args}\n${USAGE}`);
    return 2;
  }
  try {
    const model = loadGatewayFile(args.gateway);
    const services = await loadServiceOutlines(args.protoImage);
    const bundle = renderGateway(model, policyFromOutlines(services), [
      `source: ${args.gateway}`,
      `services: ${services.map((s) => s.typeName).join(", ")}`,
    ]);
    const sdsDir = args.sdsOut ?? join(dirname(args.out), "sds");
    const files: [string, string][] = [
      [args.out, bundle.envoyYaml],
      ...Object.entries(bundle.sds).map(([name, text]): [string, string] => [
        join(sdsDir, name),
        text,
      ]),
    ];
    if (bundle.deniedMethods.length > 0) {
      process.stderr.write(deniedReport(bundle.deniedMethods, services, args.strict));
      if (args.strict) return 1;
    }
    if (args.check) {
      let stale = 0;
      for (const [f, text] of files) {
        const current = existsSync(f) ? readFileSync(f, "utf8") : undefined;
        if (current === text) continue;
        stale++;
        process.stderr.write(
          current === undefined
            ? `${f}: missing (run grpc-web-oidc envoy generate)\n`
            : `${f}: out of date (run grpc-web-oidc envoy generate); what would change:\n${unifiedDiff(current, text, `${f} (on disk)`, `${f} (generated)`)}`,
        );
      }
      return stale === 0 ? 0 : 1;
    }
    for (const [f, text] of files) {
      mkdirSync(dirname(f), { recursive: true });
      writeFileSync(f, text);
      out(`wrote ${f}\n`);
    }
    return 0;
  } catch (err) {
    // By code, not class: the error may come from another copy of the package.
    if (isEnvoyError(err)) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/**
 * The warning (or, with --strict, the error) for methods without an access option: they
 * are denied at the gateway, which is safe but rarely meant, and silent otherwise.
 */
function deniedReport(
  denied: readonly string[],
  services: readonly ServiceOutline[],
  strict: boolean,
): string {
  const guarded = services.filter((s) => s.typeName !== HEALTH_SERVICE);
  const total = guarded.reduce((n, s) => n + s.methods.length, 0);
  const what =
    denied.length >= total
      ? `no method of ${guarded.map((s) => s.typeName).join(", ")} has a (grpcweboidc.v1.access) option: the gateway denies every call (deny-all)`
      : `${denied.length} of ${total} methods have no (grpcweboidc.v1.access) option and are denied at the gateway`;
  const list = denied.map((p) => `  ${p}\n`).join("");
  const hint = strict ? "" : "  (--strict makes this an error)\n";
  return `envoy generate: ${strict ? "error" : "warning"}: ${what}:\n${list}${hint}`;
}

/** Options that take a value: which field it sets, and the error when it is missing. */
const VALUE_OPTIONS = new Map<string, [keyof Omit<Args, "check" | "strict">, string]>([
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
    strict: false,
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
    else if (flag === "--strict") args.strict = true;
    else if (flag === "-h" || flag === "--help") return "help";
    else return `unknown argument ${JSON.stringify(a)}`;
  }
  return args;
}
