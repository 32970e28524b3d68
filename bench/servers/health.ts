/**
 * A loopback gRPC-Web server (connect-node, HTTP/1.1, plaintext) for grpc.health.v1.Health in
 * a process of its own, for the per-call client bench: `Check` answers SERVING; `Watch`
 * streams as many SERVING messages as its request's `service` field says ("100"). Prints
 * its URL and runs until stdin closes.
 */
import { serving, startGrpcWebServer } from "../../test/sdk/helpers/servers.js";

const server = await startGrpcWebServer({
  async *watch(req) {
    const n = Number(req.service) || 1;
    for (let i = 0; i < n; i++) yield serving();
  },
});
// The recorder keeps every request; a bench makes many.
setInterval(() => server.seen.splice(0), 1000).unref();
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.stdin.on("end", async () => {
  await server.stop();
  process.exit(0);
});
process.stdin.resume();
