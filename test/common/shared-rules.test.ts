// The rules written once in src/common/, each pinned here once, and checked to be the
// rule every room applies: the SDK's plaintext guard, the backend kit's CORS, the gateway
// generator and the lint.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cors as connectCors } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { NotesService } from "../../demo/gen/demo/v1/notes_pb.js";
import { buildAccessPolicy } from "../../src/access/index.js";
import {
  CONNECT_ALLOWED_HEADERS,
  CONNECT_EXPOSED_HEADERS,
  CORS_ALLOWED_HEADERS,
  CORS_EXPOSED_HEADERS,
  corsHeaders,
  isLoopbackHost,
  methodPath,
  originProblem,
} from "../../src/common/index.js";
import { GatewayConfigError, parseGateway, validateEnvoyConfig } from "../../src/envoy/index.js";
import { validateOrigins } from "../../src/server/index.js";
import { assertSecureUrl } from "../../src/web/secure-url.js";
import { repoRoot } from "../helpers/buf.js";
import { importGraph, tsFiles } from "../helpers/import-graph.js";

const LOOPBACK = [
  "localhost",
  "127.0.0.1",
  "127.0.0.2",
  "127.255.255.255",
  "[::1]",
  "::1",
  "[0:0:0:0:0:0:0:1]",
];
const NOT_LOOPBACK = [
  "localhost.",
  "localhost.evil.test",
  "127.0.0.1.evil.test",
  "127.256.0.1",
  "128.0.0.1",
  "0.0.0.0",
  "10.0.0.1",
  "[::2]",
  "::",
  "[::ffff:127.0.0.1]",
  "example.com",
];

/** Origins and whether the one rule allows them. */
const ORIGINS: [string, boolean][] = [
  ["https://app.example.com", true],
  ["https://app.example.com:8443", true],
  ["http://localhost:5173", true],
  ["http://127.0.0.2:5173", true],
  ["http://[::1]:5173", true],
  ["http://app.example.com", false],
  ["http://10.0.0.1", false],
  ["https://app.example.com/", false],
  ["https://app.example.com/app", false],
  ["https://*.example.com", false],
  ["*", false],
  ["null", false],
  ["ftp://app.example.com", false],
];

describe("isLoopbackHost: localhost, 127.0.0.0/8 and ::1, nothing else", () => {
  it.each(LOOPBACK)("%s is loopback", (h) => expect(isLoopbackHost(h)).toBe(true));
  it.each(NOT_LOOPBACK)("%s is not", (h) => expect(isLoopbackHost(h)).toBe(false));
});

describe("originProblem: exact origins, https or loopback http", () => {
  it.each(ORIGINS)("%s allowed: %s", (o, ok) => {
    const why = originProblem(o);
    if (ok) expect(why).toBeUndefined();
    else expect(why).toContain(JSON.stringify(o));
  });
});

describe("the CORS header lists", () => {
  it("allow the gRPC-Web request headers and authorization, and expose the status headers", () => {
    expect([...CORS_ALLOWED_HEADERS].sort()).toEqual(
      ["authorization", "content-type", "grpc-timeout", "x-grpc-web", "x-user-agent"].sort(),
    );
    expect(CORS_EXPOSED_HEADERS).toEqual([
      "grpc-status",
      "grpc-message",
      "grpc-status-details-bin",
    ]);
  });

  it("add exactly Connect's own lists for the Connect protocol", () => {
    const lower = (a: readonly string[]) => a.map((h) => h.toLowerCase()).sort();
    const withConnect = corsHeaders({ connect: true });
    expect([...withConnect.allowed].sort()).toEqual(
      lower([...connectCors.allowedHeaders, "authorization"]),
    );
    expect([...withConnect.exposed].sort()).toEqual(lower(connectCors.exposedHeaders));
    expect(new Set(withConnect.allowed).size).toBe(withConnect.allowed.length);
    expect(CONNECT_ALLOWED_HEADERS.length + CONNECT_EXPOSED_HEADERS.length).toBeGreaterThan(0);
    expect(corsHeaders()).toEqual({ allowed: CORS_ALLOWED_HEADERS, exposed: CORS_EXPOSED_HEADERS });
  });

  it("add the DPoP proof header and expose the nonce and the challenge for DPoP", () => {
    const { allowed, exposed } = corsHeaders({ dpop: true });
    expect(allowed).toEqual([...CORS_ALLOWED_HEADERS, "dpop"]);
    expect(exposed).toEqual([...CORS_EXPOSED_HEADERS, "dpop-nonce", "www-authenticate"]);
  });
});

describe("methodPath", () => {
  it("is /<package>.<Service>/<Method>, the key of the access policy", () => {
    const get = NotesService.method.getNote;
    expect(methodPath({ service: NotesService, method: get })).toBe(
      "/demo.v1.NotesService/GetNote",
    );
    expect(buildAccessPolicy([NotesService]).lookup("/demo.v1.NotesService/GetNote")?.method).toBe(
      "GetNote",
    );
  });
});

describe("every room applies the same rule", () => {
  const gateway = readFileSync(join(repoRoot, "envoy", "gateway.yaml"), "utf8");
  const withOrigin = (o: string) =>
    gateway.replace(
      "allowedOrigins: [https://notes.example.com]",
      `allowedOrigins: [${JSON.stringify(o)}]`,
    );
  const generatorAllows = (o: string) => {
    try {
      parseGateway(withOrigin(o));
      return true;
    } catch (e) {
      if (e instanceof GatewayConfigError && e.field === "cors.allowedOrigins.0") return false;
      throw e;
    }
  };
  const serverAllows = (o: string) => {
    try {
      validateOrigins([o]);
      return true;
    } catch {
      return false;
    }
  };
  const lintAllows = async (o: string) => {
    const config = `static_resources:
  listeners:
    - name: https
      address: { socket_address: { address: 0.0.0.0, port_value: 8443 } }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: https
                route_config:
                  virtual_hosts:
                    - name: api
                      domains: ["*"]
                      typed_per_filter_config:
                        envoy.filters.http.cors:
                          "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy
                          allow_origin_string_match: [{ exact: ${JSON.stringify(o)} }]
                http_filters:
                  - name: envoy.filters.http.cors
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors }
                  - name: envoy.filters.http.router
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
`;
    const r = await validateEnvoyConfig(config, { checkFiles: false });
    return !r.findings.some(
      (f) => f.rule === "cors-origin-insecure" || f.rule === "cors-origin-wildcard",
    );
  };

  it.each(ORIGINS)(
    "origin %s: the generator, the backend kit and the lint agree (%s)",
    async (o, ok) => {
      expect(generatorAllows(o)).toBe(ok);
      expect(serverAllows(o)).toBe(ok);
      expect(await lintAllows(o)).toBe(ok);
    },
  );

  it.each([
    ...LOOPBACK.filter((h) => h !== "::1"),
    ...NOT_LOOPBACK.filter((h) => !h.startsWith(":")),
  ])(
    "host %s: the SDK's plaintext guard and the generator's admin check agree with isLoopbackHost",
    (h) => {
      let sdk: boolean;
      try {
        assertSecureUrl(`http://${h}:8080/`, true);
        sdk = true;
      } catch {
        sdk = false;
      }
      expect(sdk).toBe(isLoopbackHost(h));
    },
  );

  it("the generator refuses an admin address off loopback and takes any in 127.0.0.0/8", () => {
    const admin = (a: string) =>
      gateway.replace("admin:\n  address: 127.0.0.1", `admin:\n  address: ${a}`);
    expect(parseGateway(admin("127.0.0.2")).admin.address).toBe("127.0.0.2");
    expect(parseGateway(admin("::1")).admin.address).toBe("::1");
    expect(() => parseGateway(admin("0.0.0.0"))).toThrow(/loopback/);
    expect(() => parseGateway(admin("10.0.0.1"))).toThrow(/loopback/);
  });
});

describe("src/common/", () => {
  it("runs in browsers and Node: imports nothing outside itself, no node: module, no package", () => {
    const files = tsFiles(join(repoRoot, "src", "common"));
    const graph = importGraph(repoRoot, files);
    for (const [file, targets] of graph) {
      for (const t of targets) expect(t.startsWith("src/common/"), `${file} → ${t}`).toBe(true);
      const text = readFileSync(join(repoRoot, file), "utf8");
      expect(
        [...text.matchAll(/from "([^."][^"]*)"/g)].map((m) => m[1]),
        file,
      ).toEqual([]);
    }
  });
});
