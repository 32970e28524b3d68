/**
 * The soak's backend in a process of its own, so that its RSS and heap are its own figures,
 * not mixed with the clients' and the IdP's. Started by `remote-backend.ts` (fork, IPC); runs
 * `startBackend` with the options it is sent and answers: `mem` (heap after two full GCs and
 * RSS), `snapshot` (a V8 heap snapshot written to the given file), `reload-tls`,
 * `gateway-origin`, `close`. Its log records go to the parent as they are written.
 */
import v8 from "node:v8";
import { type Backend, type BackendOptions, startBackend } from "../../demo/server/server.js";

export type ToBackend =
  | { type: "start"; options: Omit<BackendOptions, "log"> }
  | { type: "mem"; id: number }
  | { type: "snapshot"; id: number; file: string }
  | { type: "reload-tls" }
  | { type: "gateway-origin"; origin: string }
  | { type: "close"; id: number };

export type FromBackend =
  | { type: "started"; mtlsPort: number; webPort: number }
  | { type: "failed"; message: string }
  | { type: "log"; record: object }
  | { type: "mem"; id: number; heapAfterGc: number; rss: number }
  | { type: "snapshot"; id: number; file: string }
  | { type: "closed"; id: number };

const send = (m: FromBackend) => process.send?.(m);
const gc = (globalThis as { gc?: () => void }).gc;
let backend: Backend | undefined;

process.on("message", (m: ToBackend) => {
  void handle(m);
});
process.on("disconnect", () => process.exit(0));

async function handle(m: ToBackend): Promise<void> {
  switch (m.type) {
    case "start":
      try {
        backend = await startBackend({
          ...m.options,
          log: (record) => send({ type: "log", record }),
        });
        send({ type: "started", mtlsPort: backend.mtlsPort, webPort: backend.webPort });
      } catch (err) {
        send({ type: "failed", message: err instanceof Error ? err.message : String(err) });
      }
      return;
    case "mem":
      gc?.();
      gc?.();
      send({
        type: "mem",
        id: m.id,
        heapAfterGc: process.memoryUsage().heapUsed,
        rss: process.memoryUsage().rss,
      });
      return;
    case "snapshot":
      gc?.();
      send({ type: "snapshot", id: m.id, file: v8.writeHeapSnapshot(m.file) });
      return;
    case "reload-tls":
      backend?.reloadTls();
      return;
    case "gateway-origin":
      backend?.setGatewayOrigin(m.origin);
      return;
    case "close":
      await backend?.close();
      send({ type: "closed", id: m.id });
      process.disconnect();
      return;
  }
}
