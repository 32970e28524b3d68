/** Starts bench/servers/backend.ts as a child process and talks to it over HTTP/2 + TLS. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { NotesService } from "../../demo/gen/demo/v1/notes_pb.js";
import { ensureDevPki } from "../../demo/pki.js";
import type { BackendProcessOptions } from "../servers/backend.js";

const root = new URL("../..", import.meta.url).pathname;

export interface BackendProcess {
  pid: number;
  webPort: number;
  mtlsPort: number;
  issuer: string;
  jwksUri: string;
  /** A token the backend accepts (scopes notes.read, notes.write; an hour). */
  token: string;
  /** Collect garbage in the backend, then its RSS and V8 heap in use, bytes. */
  gc(): Promise<{ rss: number; heapUsed: number }>;
  stop(): Promise<void>;
}

/** A child process running `node --import tsx <script> <json>`; resolves its first stdout line. */
export async function spawnTsx<T>(
  script: string,
  args: unknown,
): Promise<{ child: ChildProcess; ready: T; nextLine(): Promise<string>; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    ["--expose-gc", "--import", "tsx", script, JSON.stringify(args)],
    {
      cwd: root,
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code} before ready`)));
  });
  return {
    child,
    ready: JSON.parse(first) as T,
    nextLine: () => new Promise<string>((resolve) => lines.once("line", resolve)),
    async stop() {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function spawnBackend(o: BackendProcessOptions): Promise<BackendProcess> {
  const p = await spawnTsx<Omit<BackendProcess, "pid" | "stop">>(
    `${root}bench/servers/backend.ts`,
    o,
  );
  return {
    ...p.ready,
    pid: p.child.pid ?? 0,
    async gc() {
      const reply = p.nextLine();
      p.child.stdin?.write("gc\n");
      return JSON.parse(await reply) as { rss: number; heapUsed: number };
    },
    stop: p.stop,
  };
}

/** A NotesService client over gRPC-Web, HTTP/2 and TLS (trusting the dev CA) to `baseUrl`. */
export function notesClient(pkiDir: string, baseUrl: string): Client<typeof NotesService> {
  const pki = ensureDevPki(pkiDir);
  return createClient(
    NotesService,
    createGrpcWebTransport({
      baseUrl,
      httpVersion: "2",
      nodeOptions: { ca: readFileSync(pki.ca.cert) },
    }),
  );
}
