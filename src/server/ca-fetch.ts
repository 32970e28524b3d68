import { request } from "node:https";
import type { FetchImplementation } from "jose";

/** Options for {@link createCaFetch}. */
export interface CaFetchOptions {
  /**
   * PEM certificate(s) of the CA(s) to trust for the JWKS endpoint, instead of the
   * system store. Example: `readFileSync(".certs/ca.crt", "utf8")`.
   */
  ca: string | Buffer | ReadonlyArray<string | Buffer>;
  /**
   * Largest JWKS response accepted, in bytes; a larger body fails the fetch.
   * @default 262144 (256 KiB)
   */
  maxBytes?: number;
}

/**
 * A fetch for jose's `customFetch` that speaks HTTPS only and verifies the server
 * against the given CA. No dependency beyond `node:https`; redirects are not followed.
 */
export function createCaFetch(options: CaFetchOptions): FetchImplementation {
  const maxBytes = options.maxBytes ?? 256 * 1024;
  const ca = Array.isArray(options.ca) ? [...options.ca] : [options.ca as string | Buffer];
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== "https:") {
        reject(new Error("JWKS URL must use https"));
        return;
      }
      const headers: Record<string, string> = {};
      init.headers.forEach((value, name) => {
        headers[name] = value;
      });
      const req = request(
        target,
        { method: "GET", headers, ca, signal: init.signal, minVersion: "TLSv1.2" },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
              res.destroy(new Error("JWKS response too large"));
              return;
            }
            chunks.push(chunk);
          });
          res.on("error", reject);
          res.on("end", () => {
            const h = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              if (typeof value === "string") h.set(name, value);
            }
            resolve(
              new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500, headers: h }),
            );
          });
        },
      );
      req.on("error", reject);
      req.end();
    });
}
