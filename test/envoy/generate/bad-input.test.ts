import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GatewayConfigError, parseGateway } from "../../../src/envoy/index.js";
import { repoRoot } from "../../helpers/buf.js";

const good = readFileSync(join(repoRoot, "envoy", "gateway.yaml"), "utf8");

/** Replaces the first line matching `from` (a regex on one line) with `to`. */
function edit(from: RegExp, to: string): string {
  const lines = good.split("\n");
  const i = lines.findIndex((l) => from.test(l));
  if (i < 0) throw new Error(`fixture has no line matching ${from}`);
  lines[i] = to;
  return lines.join("\n");
}

function failure(text: string): GatewayConfigError {
  try {
    parseGateway(text, "gateway.yaml");
  } catch (err) {
    if (err instanceof GatewayConfigError) return err;
    throw err;
  }
  throw new Error("parsed without error");
}

describe("gateway.yaml: bad input names the field, the position and why", () => {
  it("accepts the example file", () => {
    const model = parseGateway(good);
    expect(model.upstream.san).toBe("spiffe://notes.example.com/ns/notes/sa/notes-backend");
    expect(model.cors.maxAgeSeconds).toBe(7200);
    expect(model.jwt.jwksCacheSeconds).toBe(300);
    expect(model.rateLimit?.maxTokens).toBe(2000);
  });

  const cases: [string, string, string, RegExp][] = [
    [
      "wildcard origin",
      edit(/allowedOrigins:/, "  allowedOrigins: ['*']"),
      "cors.allowedOrigins.0",
      /wildcards/,
    ],
    [
      "origin with a path",
      edit(/allowedOrigins:/, "  allowedOrigins: [https://notes.example.com/app]"),
      "cors.allowedOrigins.0",
      /exact origin/,
    ],
    [
      "plaintext origin",
      edit(/allowedOrigins:/, "  allowedOrigins: [http://notes.example.com]"),
      "cors.allowedOrigins.0",
      /https/,
    ],
    [
      "admin on all interfaces",
      edit(/address: 127.0.0.1/, "  address: 0.0.0.0"),
      "admin.address",
      /loopback/,
    ],
    [
      "plaintext JWKS",
      edit(/jwksUri:/, "  jwksUri: http://login.example.com/certs"),
      "jwt.jwksUri",
      /https/,
    ],
    [
      "plaintext issuer",
      edit(/issuer:/, "  issuer: http://login.example.com/"),
      "jwt.issuer",
      /https/,
    ],
    ["relative CA path", edit(/jwksCa:/, "  jwksCa: certs/ca.crt"), "jwt.jwksCa", /absolute path/],
    [
      "SAN with a wildcard",
      edit(/san:/, "  san: '*.notes.svc.cluster.local'"),
      "upstream.san",
      /wildcards/,
    ],
    ["missing SAN", edit(/san:/, ""), "upstream.san", /required/],
    [
      "port out of range",
      edit(/port: 50051/, "  port: 70000"),
      "upstream.port",
      /between 1 and 65535/,
    ],
    ["port as text", edit(/port: 50051/, "  port: fifty"), "upstream.port", /integer/],
    [
      "bad duration",
      edit(/connectTimeout:/, "  connectTimeout: soon"),
      "upstream.connectTimeout",
      /not a duration/,
    ],
    [
      "unknown key",
      edit(/connectTimeout:/, "  connectTimout: 5s"),
      "upstream.connectTimout",
      /unknown key/,
    ],
    ["unknown top-level key", `${good}\nextras: true\n`, "extras", /unknown key/],
    [
      "empty audiences",
      edit(/audiences:/, "  audiences: []"),
      "jwt.audiences",
      /must not be empty/,
    ],
    [
      "audiences not a list",
      edit(/audiences:/, "  audiences: https://api.notes.example.com"),
      "jwt.audiences",
      /list of strings/,
    ],
    [
      "bad hostname",
      edit(/hostnames:/, "  hostnames: ['api notes']"),
      "listener.hostnames.0",
      /not a host name/,
    ],
    [
      "listener address not an IP",
      edit(/address: 0.0.0.0/, "  address: everywhere"),
      "listener.address",
      /IP address/,
    ],
    ["missing jwt section", good.replace(/^jwt:\n( {2}.*\n|\s*#.*\n)*/m, ""), "jwt", /required/],
    [
      "headers limit too big",
      edit(/maxRequestHeadersKb:/, "  maxRequestHeadersKb: 9000"),
      "limits.maxRequestHeadersKb",
      /between/,
    ],
    [
      "TLS handshake timeout above a minute",
      edit(/tlsHandshakeTimeout:/, "  tlsHandshakeTimeout: 5m"),
      "limits.tlsHandshakeTimeout",
      /between 1s and 60s/,
    ],
    [
      "more than 1,000 streams per connection",
      edit(/maxConcurrentStreams:/, "  maxConcurrentStreams: 100000"),
      "limits.maxConcurrentStreams",
      /between 1 and 1000/,
    ],
    [
      "a stream budget of zero",
      edit(/streamBudget:/, "  streamBudget: 0"),
      "limits.streamBudget",
      /between 1 and/,
    ],
    [
      "the removed maxGrpcTimeout",
      edit(/streamIdleTimeout:/, "  streamIdleTimeout: 5m\n  maxGrpcTimeout: 1h"),
      "limits.maxGrpcTimeout",
      /backend enforces deadlines/,
    ],
    ["health watch as text", edit(/watch:/, "  watch: maybe"), "health.watch", /true or false/],
    ["rate limit without tokens", edit(/maxTokens:/, ""), "rateLimit.maxTokens", /required/],
  ];

  it.each(cases)("%s", (_name, text, field, why) => {
    const err = failure(text);
    expect(err.field).toBe(field);
    expect(err.reason).toMatch(why);
    expect(err.line).toBeGreaterThan(0);
    expect(err.message).toMatch(
      new RegExp(`^gateway\\.yaml:${err.line}:${err.col} ${field.replace(/\./g, "\\.")}: `),
    );
  });

  it("points at the offending line", () => {
    const text = edit(/san:/, "  san: '*.bad'");
    const err = failure(text);
    const lines = text.split("\n");
    expect(lines[err.line - 1]).toContain("*.bad");
  });

  it("reports YAML syntax errors with a position", () => {
    const err = failure("listener:\n  port: [1, 2\n");
    expect(err.field).toBe("");
    expect(err.line).toBeGreaterThan(0);
  });

  it("rejects duplicate keys", () => {
    const err = failure(`${good}\nname: twice\n`);
    expect(err.reason).toMatch(/YAML/);
  });
});
