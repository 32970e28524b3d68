import type { Out } from "./output.js";

const USAGE = `usage:
  grpc-web-oidc envoy generate [--gateway envoy/gateway.yaml] [-o envoy/envoy.yaml] [--check] [--strict]
  grpc-web-oidc envoy validate FILE...
`;

/** `grpc-web-oidc envoy …`: returns the exit code (0 ok, 1 invalid, 2 usage error). */
export async function runEnvoyCli(argv: readonly string[], out?: Out): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "generate":
      return (await import("./generate/cli.js")).runGenerate(rest, out);
    case "validate":
      return (await import("./validate/cli.js")).runValidate(rest, out);
    default:
      process.stderr.write(command ? `unknown envoy command: ${command}\n${USAGE}` : USAGE);
      return 2;
  }
}
