import { runEnvoyCli } from "../envoy/cli.js";
import { type Out, processStdout } from "../envoy/output.js";

export { directStdout } from "../envoy/output.js";

const USAGE = `usage: grpc-web-oidc <command>

commands:
  envoy generate [--gateway envoy/gateway.yaml] [-o envoy/envoy.yaml] [--check] [--strict]
  envoy validate FILE...
`;

/**
 * CLI entry: returns the process exit code (0 ok, 1 failure, 2 usage error). `out` takes what
 * goes to standard output (bin/grpc-web-oidc.js passes directStdout).
 */
export async function main(argv: readonly string[], out: Out = processStdout): Promise<number> {
  const [group, ...rest] = argv;
  if (group === "envoy") return runEnvoyCli(rest, out);
  if (group === "--help" || group === "-h") {
    out(USAGE);
    return 0;
  }
  process.stderr.write(group ? `unknown command: ${group}\n${USAGE}` : USAGE);
  return 2;
}
