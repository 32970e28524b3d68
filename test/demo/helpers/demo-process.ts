/**
 * `npm run demo` as a person starts it from a terminal: through npm, in its own process group,
 * so a test can send a signal to the whole group the way a terminal's Ctrl-C does. Every port
 * is ephemeral; callers give TMPDIR and GWO_CERT_DIR folders of their own. Call `startDemo`
 * inside a test: the group is killed when the test finishes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { onTestFinished } from "vitest";

export const root = new URL("../../..", import.meta.url).pathname;

export const ALL_EPHEMERAL = {
  GWO_WEB_PORT: "0",
  GWO_GRPC_WEB_PORT: "0",
  GWO_BACKEND_PORT: "0",
  GWO_IDP_PORT: "0",
  GWO_ENVOY_PORT: "0",
  GWO_ENVOY_ADMIN_PORT: "0",
};

export interface DemoProcess {
  readonly child: ChildProcess;
  output(): string;
  /**
   * Resolves with npm's exit code (or the signal name) once its output is complete: every
   * process sharing its stdout and stderr is gone.
   */
  readonly exit: Promise<number | string | null>;
  /** Resolves once the banner's ready line is out; rejects if the demo exits first. */
  ready(): Promise<void>;
  /** Resolves once the demo says it is starting (before anything listens). */
  started(): Promise<void>;
  /** Sends `signal` to every process of the group (npm, its shell, node, Envoy), as a terminal does. */
  signalGroup(signal: NodeJS.Signals): void;
  /**
   * Resolves once no process of the group is left (npm may exit before its child does),
   * polling up to `polls` times 100 ms apart; rejects listing what still runs.
   */
  groupGone(polls?: number): Promise<void>;
}

export function startDemo(env: Record<string, string>): DemoProcess {
  const child = spawn("npm", ["run", "-s", "demo"], {
    cwd: root,
    env: { ...process.env, ...ALL_EPHEMERAL, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  // Whatever the test's outcome, nothing of this demo outlives it. (Not once the group is known
  // to be gone: its id could belong to someone else's group by then.)
  let gone = false;
  onTestFinished(() => {
    try {
      if (child.pid && !gone) process.kill(-child.pid, "SIGKILL");
    } catch {
      // the group is gone already
    }
  });
  let out = "";
  const append = (d: Buffer) => {
    out += d.toString();
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  // "close", not "exit": it comes once every process holding npm's stdout and stderr (node,
  // Envoy) has let go, so the last lines ("Stopped.") have been read by then.
  const exit = new Promise<number | string | null>((ok) =>
    child.once("close", (code, signal) => ok(code ?? signal)),
  );
  const waitFor = (line: RegExp) =>
    new Promise<void>((ok, fail) => {
      const check = setInterval(() => {
        if (line.test(out)) {
          clearInterval(check);
          ok();
        }
      }, 20);
      void exit.then((code) => {
        clearInterval(check);
        fail(new Error(`demo exited early (${code}):\n${out}`));
      });
    });
  return {
    child,
    output: () => out,
    exit,
    ready: () => waitFor(/^Ready\b/m),
    started: () => waitFor(/^Starting the demo stack/m),
    signalGroup: (signal) => {
      if (child.pid) process.kill(-child.pid, signal);
    },
    groupGone: async (polls = 300) => {
      for (let i = 0; i < polls; i++) {
        try {
          process.kill(-(child.pid ?? 0), 0);
        } catch {
          gone = true; // ESRCH: the group is empty
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`still running after ${polls} polls:\n${processesInGroup(child.pid ?? 0)}`);
    },
  };
}

function processesInGroup(pgid: number): string {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        // Field 5 of /proc/<pid>/stat is the process group (after the parenthesised name).
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) === pgid;
      } catch {
        return false;
      }
    })
    .map((pid) => `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ")}`)
    .join("\n");
}

/** Processes whose command line mentions `text` (Linux /proc), e.g. an Envoy using a temp dir. */
export function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmd.includes(text)) found.push(`${pid}: ${cmd}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}
