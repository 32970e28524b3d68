/** `grpc-web-oidc envoy validate` (not built yet). */
export async function runValidate(_argv: readonly string[]): Promise<number> {
  process.stderr.write("envoy validate: not implemented yet\n");
  return 2;
}
