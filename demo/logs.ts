/**
 * The demo's log files, so a person can read what the gateway and the backend decided:
 * `envoy.log` (Envoy's access log, one JSON line per request, and its warnings) and
 * `backend.log` (the backend's records: every denial with its reason, certificate reloads,
 * refused mTLS handshakes; never a token). One folder, `.demo/logs` unless `GWO_LOG_DIR`
 * says otherwise; each run starts the files afresh.
 */
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join, resolve } from "node:path";

export const DEFAULT_LOG_DIR = ".demo/logs";

export interface DemoLogs {
  /** The folder, absolute. */
  readonly dir: string;
  readonly envoyFile: string;
  readonly backendFile: string;
  /** Appends one Envoy output line. */
  envoy(line: string): void;
  /** Appends one backend record as a JSON line. */
  backend(record: object): void;
  /** Flushes and closes both files. */
  close(): Promise<void>;
}

export function openDemoLogs(dir: string = DEFAULT_LOG_DIR): DemoLogs {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  const envoyFile = join(abs, "envoy.log");
  const backendFile = join(abs, "backend.log");
  const envoy = createWriteStream(envoyFile, { flags: "w" });
  const backend = createWriteStream(backendFile, { flags: "w" });
  const end = (s: WriteStream) => new Promise<void>((ok) => s.end(ok));
  return {
    dir: abs,
    envoyFile,
    backendFile,
    envoy: (line) => {
      envoy.write(`${line}\n`);
    },
    backend: (record) => {
      backend.write(`${JSON.stringify(record)}\n`);
    },
    close: async () => {
      await Promise.all([end(envoy), end(backend)]);
    },
  };
}
