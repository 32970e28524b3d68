/**
 * Fault injection of the soak run, all on loopback and all reversible:
 *  - the IdP's listener closed (connections refused) and reopened on the same port, so the
 *    issuer URL, its keys and its grants survive;
 *  - certificates re-issued in place (same CA, same SANs), for the backend's file watcher;
 *  - a TLS probe that reads the serial number a listener serves now.
 */
import { once } from "node:events";
import { mkdtempSync, renameSync, rmSync } from "node:fs";
import type { Server as HttpsServer } from "node:https";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { type CertPair, issueCert } from "../../demo/pki.js";

/** A switch for one listener: `down()` refuses connections, `up()` listens again. */
export interface ListenerSwitch {
  down(): Promise<void>;
  up(): Promise<void>;
}

export function listenerSwitch(server: HttpsServer, port: number, host: string): ListenerSwitch {
  return {
    down: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    up: async () => {
      await once(server.listen(port, host), "listening");
    },
  };
}

/** Whether a TCP connection to `host:port` is accepted now. */
export function reachable(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ port, host });
    s.setTimeout(2000);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
    s.once("timeout", () => {
      s.destroy();
      resolve(false);
    });
  });
}

/**
 * Re-issues `target` from `ca` with the given SANs and moves the new key and certificate over
 * the old files by rename (key first; the watcher's debounce sees both).
 */
export function reissueInPlace(
  target: CertPair,
  o: { ca: CertPair; usage: "server" | "client"; sans: readonly string[]; cn?: string },
): void {
  const staging = mkdtempSync(join(target.cert, "..", ".soak-staging-"));
  try {
    const fresh = issueCert({
      ca: o.ca,
      dir: staging,
      name: "leaf",
      usage: o.usage,
      sans: o.sans,
      ...(o.cn ? { cn: o.cn } : {}),
    });
    renameSync(fresh.key, target.key);
    renameSync(fresh.cert, target.cert);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The serial number of the certificate a TLS listener serves now. */
export function servedSerial(o: {
  port: number;
  ca: Buffer;
  servername: string;
  alpn?: string[];
  cert?: Buffer;
  key?: Buffer;
}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: "127.0.0.1",
      port: o.port,
      servername: o.servername,
      ca: o.ca,
      ...(o.alpn ? { ALPNProtocols: o.alpn } : {}),
      ...(o.cert && o.key ? { cert: o.cert, key: o.key } : {}),
    });
    socket.setTimeout(5000);
    socket.once("secureConnect", () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.destroy();
      resolve(serial);
    });
    socket.once("error", reject);
    socket.once("timeout", () => {
      socket.destroy();
      reject(new Error(`TLS probe to port ${o.port} timed out`));
    });
  });
}
