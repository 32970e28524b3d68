/**
 * `grpc-web-oidc envoy validate [--no-files] [--proto-image FILE] FILE...`
 * Exit 0 valid (warnings allowed), 1 invalid, 2 usage error.
 */
import { readFileSync } from "node:fs";
import { policyFromOutlines, type ServiceOutline } from "../../access/outline.js";
import { type Out, processStdout } from "../output.js";
import { loadServiceOutlines } from "../proto-image/outline.js";
import { formatFinding, validateWithPolicy } from "./validate.js";

const USAGE = `usage: grpc-web-oidc envoy validate [--no-files] [--proto-image FILE] FILE...
  --no-files          do not check that SDS and certificate files named by the config exist
  --proto-image FILE  a \`buf build\` image of the services behind the gateway (default: \`buf build\`
                      of the current directory when it has a buf.yaml; otherwise the checks that
                      compare the config with the protos' access options are skipped)
output: FILE:LINE:COL rule-id message, one line per finding
`;

interface Args {
  files: string[];
  checkFiles: boolean;
  protoImage: string | undefined;
}

function parseArgs(argv: readonly string[]): Args | string {
  const args: Args = { files: [], checkFiles: true, protoImage: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--no-files") args.checkFiles = false;
    else if (a === "--proto-image") {
      const v = argv[++i];
      if (!v) return "--proto-image needs a file";
      args.protoImage = v;
    } else if (a.startsWith("--proto-image=")) args.protoImage = a.slice("--proto-image=".length);
    else if (a === "-h" || a === "--help") return "";
    else if (a.startsWith("-") && a !== "-") return `unknown option ${a}`;
    else args.files.push(a);
  }
  if (args.files.length === 0) return "no files given";
  return args;
}

/** Runs the validator over files; returns the exit code. Findings go to `out`. */
export async function runValidate(
  argv: readonly string[],
  out: Out = processStdout,
): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    process.stderr.write(args ? `envoy validate: ${args}\n${USAGE}` : USAGE);
    return 2;
  }
  let services: ServiceOutline[] | undefined;
  try {
    services = await loadServiceOutlines(args.protoImage);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    if (args.protoImage) {
      process.stderr.write(`envoy validate: ${why}\n`);
      return 2;
    }
    process.stderr.write(`envoy validate: note: proto access checks skipped (${why})\n`);
  }
  const texts: { file: string; text: string }[] = [];
  for (const file of args.files) {
    try {
      texts.push({
        file,
        text: file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8"),
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      process.stderr.write(
        `envoy validate: cannot read ${file}: ${code ?? (e as Error).message}\n`,
      );
      return 2;
    }
  }
  let failed = false;
  for (const { file, text } of texts) {
    const result = await validateWithPolicy(
      text,
      { filename: file === "-" ? "<stdin>" : file, checkFiles: args.checkFiles },
      () => services && policyFromOutlines(services),
    );
    for (const f of result.findings) out(`${formatFinding(f)}\n`);
    if (!result.ok) failed = true;
  }
  return failed ? 1 : 0;
}
