/**
 * Certificate reload without a restart: watch the PEM files, and when they change,
 * build a new SecureContext and hand it to `server.setSecureContext`. New handshakes
 * use the new certificate; established connections keep the one they negotiated.
 * A half-written or mismatched pair is never applied: the new files are parsed and
 * the key is checked against the certificate first, and the old context stays on error.
 */
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { type FSWatcher, readFileSync, watch } from "node:fs";
import { basename, dirname } from "node:path";
import type { SecureContextOptions } from "node:tls";

/** The files that make up a TLS identity. */
export interface TlsFiles {
  /** PEM certificate (chain) path. */
  cert: string;
  /** PEM private key path. */
  key: string;
  /** PEM CA bundle for verifying client certificates (mTLS). @default undefined */
  ca?: string;
}

/** Anything with `setSecureContext`: `tls.Server`, `https.Server`, `Http2SecureServer`. */
export interface SecureContextTarget {
  setSecureContext(options: SecureContextOptions): void;
}

export interface ReloadingTlsOptions {
  /** The files to read and watch. */
  files: TlsFiles;
  /**
   * Extra context options applied on every (re)build, e.g. `{ minVersion: "TLSv1.2" }`.
   * @default {}
   */
  contextOptions?: SecureContextOptions;
  /** Milliseconds to wait for writes to settle after a change. @default 200 */
  debounceMs?: number;
  /** Called after a new context is applied, with the new certificate's serial number. */
  onReload?: (info: { serialNumber: string; fingerprint256: string }) => void;
  /** Called when a change could not be applied (the old context stays). */
  onError?: (error: Error) => void;
}

/** A running watcher. */
export interface ReloadingTls {
  /** The context options currently in force (pass to `createSecureServer` at start). */
  current(): SecureContextOptions;
  /** Starts applying changes to `server`. */
  attach(server: SecureContextTarget): void;
  /** Re-reads the files now; resolves true when a new context was applied. */
  reload(): boolean;
  /** Stops watching. */
  close(): void;
}

/** Reads the files once (throws if they are invalid) and prepares the watcher. */
export function createReloadingTls(options: ReloadingTlsOptions): ReloadingTls {
  const debounceMs = options.debounceMs ?? 200;
  let state = load(options);
  let target: SecureContextTarget | undefined;
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];

  const reload = (): boolean => {
    let next: Loaded;
    try {
      next = load(options);
    } catch (err) {
      options.onError?.(err instanceof Error ? err : new Error(String(err)));
      return false;
    }
    if (next.digest === state.digest) return false;
    try {
      target?.setSecureContext(next.context);
    } catch (err) {
      options.onError?.(err instanceof Error ? err : new Error(String(err)));
      return false;
    }
    state = next;
    options.onReload?.({
      serialNumber: next.serialNumber,
      fingerprint256: next.fingerprint256,
    });
    return true;
  };

  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      reload();
    }, debounceMs);
    timer.unref();
  };

  return {
    current: () => state.context,
    attach(server) {
      target = server;
      // Watch directories, not files: deployments replace files by rename (or swap a
      // symlinked directory, as Kubernetes secret mounts do), which ends a file watch.
      const files = [options.files.cert, options.files.key, options.files.ca].filter(
        (f): f is string => typeof f === "string",
      );
      const names = new Set(files.map((f) => basename(f)));
      for (const dir of new Set(files.map((f) => dirname(f)))) {
        const w = watch(dir, { persistent: false }, (_event, filename) => {
          if (filename === null || names.has(filename.toString()) || filename.startsWith("..")) {
            schedule();
          }
        });
        w.on("error", (err) => options.onError?.(err));
        watchers.push(w);
      }
    },
    reload,
    close() {
      if (timer) clearTimeout(timer);
      for (const w of watchers.splice(0)) w.close();
    },
  };
}

interface Loaded {
  context: SecureContextOptions;
  digest: string;
  serialNumber: string;
  fingerprint256: string;
}

function load(options: ReloadingTlsOptions): Loaded {
  const cert = readFileSync(options.files.cert);
  const key = readFileSync(options.files.key);
  const ca = options.files.ca ? readFileSync(options.files.ca) : undefined;
  const x509 = new X509Certificate(cert);
  if (!x509.checkPrivateKey(createPrivateKey(key))) {
    throw new Error(`TLS key ${options.files.key} does not match ${options.files.cert}`);
  }
  if (ca) new X509Certificate(ca);
  const digest = createHash("sha256")
    .update(cert)
    .update(key)
    .update(ca ?? "")
    .digest("hex");
  return {
    context: { ...options.contextOptions, cert, key, ...(ca ? { ca } : {}) },
    digest,
    serialNumber: x509.serialNumber,
    fingerprint256: x509.fingerprint256,
  };
}
