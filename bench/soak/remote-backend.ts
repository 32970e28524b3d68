/**
 * Starts the demo backend in a child process (`backend-process.ts`) and gives the stack a
 * `Backend` for it: ports, log records (copied over IPC), TLS reload and the gateway origin,
 * plus what the soak measures: `memory()` (heap after GC and RSS of that process alone) and
 * `heapSnapshot(file)`. `health` and `policy` live in the child and are not reachable here.
 */
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import type { Backend, BackendOptions } from "../../demo/server/server.js";
import type { FromBackend, ToBackend } from "./backend-process.js";

export interface RemoteBackend extends Backend {
  readonly pid: number;
  memory(): Promise<{ heapAfterGc: number; rss: number }>;
  heapSnapshot(file: string): Promise<string>;
}

const SCRIPT = new URL("./backend-process.ts", import.meta.url).pathname;
const ROOT = new URL("../..", import.meta.url).pathname;

export async function startRemoteBackend(o: BackendOptions): Promise<RemoteBackend> {
  const { log, ...options } = o;
  const child: ChildProcess = fork(SCRIPT, [], {
    cwd: ROOT,
    execArgv: ["--import", "tsx", "--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const logs: object[] = [];
  const waiting = new Map<number, (m: FromBackend) => void>();
  let nextId = 1;
  child.on("message", (m: FromBackend) => {
    if (m.type === "log") {
      if (logs.length < 5000) logs.push(m.record);
      log?.(m.record);
    } else if ("id" in m) {
      waiting.get(m.id)?.(m);
      waiting.delete(m.id);
    }
  });
  const ask = <T extends FromBackend>(m: ToBackend & { id: number }) =>
    new Promise<T>((resolve, reject) => {
      waiting.set(m.id, (r) => resolve(r as T));
      child.send(m, (err) => err && reject(err));
    });
  const started = new Promise<FromBackend>((resolve, reject) => {
    child.on("message", (m: FromBackend) => {
      if (m.type === "started" || m.type === "failed") resolve(m);
    });
    child.once("exit", (code) => reject(new Error(`backend process exited (${code})`)));
  });
  child.send({ type: "start", options } satisfies ToBackend);
  const s = await started;
  if (s.type !== "started") {
    child.kill();
    throw new Error(`backend process: ${s.type === "failed" ? s.message : s.type}`);
  }
  const unreachable = (what: string) => () => {
    throw new Error(`the backend's ${what} lives in its child process`);
  };
  let closing: Promise<void> | undefined;
  return {
    pid: child.pid as number,
    mtlsPort: s.mtlsPort,
    webPort: s.webPort,
    logs,
    get health(): Backend["health"] {
      return unreachable("health")();
    },
    get policy(): Backend["policy"] {
      return unreachable("policy")();
    },
    reloadTls: () => child.send({ type: "reload-tls" } satisfies ToBackend),
    setGatewayOrigin: (origin) =>
      child.send({ type: "gateway-origin", origin } satisfies ToBackend),
    async memory() {
      const r = await ask<Extract<FromBackend, { type: "mem" }>>({ type: "mem", id: nextId++ });
      return { heapAfterGc: r.heapAfterGc, rss: r.rss };
    },
    async heapSnapshot(file) {
      const r = await ask<Extract<FromBackend, { type: "snapshot" }>>({
        type: "snapshot",
        id: nextId++,
        file,
      });
      return r.file;
    },
    close() {
      closing ??= (async () => {
        if (child.exitCode !== null) return;
        const exited = once(child, "exit");
        child.send({ type: "close", id: nextId++ } satisfies ToBackend);
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}
