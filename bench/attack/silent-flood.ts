/**
 * The idle-connection attack: `count` connections that never send a byte (not even a TLS
 * ClientHello) or, with `tls`, that finish the TLS handshake and then send nothing; held until
 * the server closes them. Records when each was closed, so a run can say how long the server
 * let them live.
 */
import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { connect as tlsConnect } from "node:tls";

export interface SilentFloodOptions {
  port: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Connections to open. */
  count: number;
  /** Opened in batches of this many, so the listen backlog is not the limit. @default 100 */
  batch?: number;
  /**
   * Finish the TLS handshake (verified against `ca`, ALPN `alpn`) before going silent.
   * @default undefined (plain TCP, not even a ClientHello)
   */
  tls?: { ca: string | Buffer; alpn?: string[]; servername?: string };
}

export interface SilentFlood {
  /** performance.now() when the first connection was started. */
  readonly startedAt: number;
  /** Connections the server accepted (TCP connected; with `tls`, handshake done). */
  connected(): number;
  /** Connections closed so far (by either side): their `close` event has fired. */
  closed(): number;
  /** Connections still open. */
  open(): number;
  /** ms after `startedAt` at which each closed connection closed, ascending. */
  closeTimes(): number[];
  /** How long the server held each connection it closed, ms from connect to close, ascending. */
  holdTimes(): number[];
  /** Resolves once every connection is closed, or after `timeoutMs`; true when all closed. */
  allClosed(timeoutMs: number): Promise<boolean>;
  /** Closes what is still open (from our side). */
  destroy(): void;
}

/** Opens the silent connections; resolves once every connect attempt has settled. */
export async function openSilentConnections(o: SilentFloodOptions): Promise<SilentFlood> {
  const host = o.host ?? "127.0.0.1";
  const batch = o.batch ?? 100;
  const sockets: Socket[] = [];
  const closedAt: number[] = [];
  const heldFor: number[] = [];
  let closedCount = 0;
  let connected = 0;
  let destroying = false;
  const startedAt = performance.now();
  const waiters = new Set<() => void>();
  for (let i = 0; i < o.count; i += batch) {
    const settled: Promise<void>[] = [];
    for (let j = i; j < Math.min(o.count, i + batch); j++) {
      const s = o.tls
        ? tlsConnect({
            port: o.port,
            host,
            ca: o.tls.ca,
            servername: o.tls.servername ?? "localhost",
            ALPNProtocols: o.tls.alpn ?? ["h2"],
          })
        : connect({ port: o.port, host });
      sockets.push(s);
      let connectedAt: number | undefined;
      settled.push(
        new Promise<void>((resolve) => {
          s.once(o.tls ? "secureConnect" : "connect", () => {
            connected++;
            connectedAt = performance.now();
            resolve();
          });
          s.once("error", () => resolve());
          s.once("close", () => resolve());
        }),
      );
      s.on("error", () => {});
      s.once("close", () => {
        closedCount++;
        const now = performance.now();
        if (!destroying) {
          closedAt.push(now - startedAt);
          if (connectedAt !== undefined) heldFor.push(now - connectedAt);
        }
        for (const w of waiters) w();
      });
    }
    await Promise.all(settled);
  }
  const closed = () => closedCount;
  return {
    startedAt,
    connected: () => connected,
    closed,
    open: () => sockets.length - closed(),
    closeTimes: () => [...closedAt].sort((a, b) => a - b),
    holdTimes: () => [...heldFor].sort((a, b) => a - b),
    allClosed(timeoutMs) {
      return new Promise((resolve) => {
        const check = () => {
          if (closed() === sockets.length) done(true);
        };
        const timer = setTimeout(() => done(false), timeoutMs);
        function done(v: boolean) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(v);
        }
        waiters.add(check);
        check();
      });
    },
    destroy() {
      destroying = true;
      for (const s of sockets) s.destroy();
    },
  };
}
