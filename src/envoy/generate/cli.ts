/** `grpc-web-oidc envoy generate` (not built yet). */
export async function runGenerate(_argv: readonly string[]): Promise<number> {
  process.stderr.write("envoy generate: not implemented yet\n");
  return 2;
}
