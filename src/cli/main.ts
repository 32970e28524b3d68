import { runEnvoyCli } from "../envoy/cli.js";

const USAGE = `usage: grpc-web-oidc <command>

commands:
  envoy generate [--gateway envoy/gateway.yaml] [-o envoy/envoy.yaml] [--check] [--strict]
  envoy validate FILE...
`;

/** CLI entry: returns the process exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: readonly string[]): Promise<number> {
  const [group, ...rest] = argv;
  if (group === "envoy") return runEnvoyCli(rest);
  if (group === "--help" || group === "-h") {
    process.stdout.write(USAGE);
    return 0;
  }
  process.stderr.write(group ? `unknown command: ${group}\n${USAGE}` : USAGE);
  return 2;
}
