/** GET over HTTPS trusting only the development CA: for tests that check a listener from Node. */
import { readFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { get } from "node:https";

export function httpsGet(
  url: string,
  caPath: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((ok, fail) => {
    get(url, { ca: readFileSync(caPath) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on("error", fail);
  });
}

/** GET a JSON document over HTTPS, trusting only the development CA. */
export async function getJson(url: string, caPath: string): Promise<unknown> {
  const res = await httpsGet(url, caPath);
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return JSON.parse(res.body);
}
