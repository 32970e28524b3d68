import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parsedTypes } from "../../../src/envoy/schema/parsed.js";
import { buildSnapshot } from "../../../src/envoy/schema/snapshot.js";
import {
  type EnvoyTypes,
  readPackageFile,
  SNAPSHOT_DIR,
  SNAPSHOT_INDEX,
  type SnapshotIndex,
  snapshotTypes,
} from "../../../src/envoy/schema/table.js";

/**
 * Packages a config for Envoy 1.40 can name: versioned v3 (and later) Envoy APIs, xds and
 * udpa (the well-known types are decoded by name, decode.ts). Left out, because a lazy parse answers for them by load order
 * (files whose imports are not shipped, extensions registered by whichever file was read):
 * the v2-era Envoy API (removed from Envoy), PGV's and xds's test protos, and google.protobuf
 * (its files are read only when imported; descriptor *Options carry every option extension
 * loaded so far).
 */
function readByEnvoy(pkg: string): boolean {
  if (pkg.startsWith("envoy.")) return /\.v[3-9](alpha)?(\.|$)/.test(pkg);
  return pkg.startsWith("xds.") || pkg.startsWith("udpa.");
}

describe("the Envoy API snapshot (the type table a built package reads instead of .proto files)", () => {
  let dir = "";
  let index: SnapshotIndex;
  let snapshot: EnvoyTypes;
  let parsed: EnvoyTypes;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "gwo-envoy-api-"));
    index = buildSnapshot(dir);
    snapshot = snapshotTypes(dir) as EnvoyTypes;
    // Parsed package by package on first use, as a run without a snapshot does.
    parsed = parsedTypes();
  }, 120_000);

  it("is read when it matches the installed protos, and not when it was made from others", () => {
    expect(Object.keys(index.packages).length).toBeGreaterThan(300);
    expect(snapshot.source).toBe("snapshot");
    const stale = mkdtempSync(join(tmpdir(), "gwo-envoy-api-stale-"));
    writeFileSync(
      join(stale, SNAPSHOT_INDEX),
      JSON.stringify({ ...index, version: `${index.version}-other` }),
    );
    expect(snapshotTypes(stale)).toBeUndefined();
  });

  it("gives every message and enum the parser gives, field by field (v3 and later)", () => {
    let messages = 0;
    let enums = 0;
    for (const [pkg, file] of Object.entries(index.packages)) {
      if (!readByEnvoy(pkg)) continue;
      const p = readPackageFile(readFileSync(join(dir, file), "utf8"));
      for (const name of Object.keys(p.messages)) {
        expect(snapshot.message(name), name).toEqual(parsed.message(name));
        messages++;
      }
      for (const name of Object.keys(p.enums)) {
        expect(snapshot.enumType(name), name).toEqual(parsed.enumType(name));
        enums++;
      }
    }
    expect(messages).toBeGreaterThan(1000);
    expect(enums).toBeGreaterThan(100);
  });

  it("holds what validation reads: resolved types, JSON names, oneofs, PGV rules, deprecation, overlays", () => {
    const field = (type: string, name: string) =>
      snapshot.message(type)?.fields.find((f) => f.name === name);
    expect(field("envoy.config.bootstrap.v3.Bootstrap", "static_resources")).toMatchObject({
      jsonName: "staticResources",
      kind: "message",
      typeName: "envoy.config.bootstrap.v3.Bootstrap.StaticResources",
      repeated: false,
    });
    expect(field("envoy.config.cluster.v3.Cluster", "connect_timeout")?.rules).toEqual({
      duration: { gt: {} },
    });
    expect(field("envoy.config.cluster.v3.Cluster", "type")).toMatchObject({
      kind: "enum",
      typeName: "envoy.config.cluster.v3.Cluster.DiscoveryType",
      oneof: "cluster_discovery_type",
    });
    expect(field("envoy.config.core.v3.HeaderValueOption", "append")).toMatchObject({
      deprecated: true,
    });
    expect(
      snapshot.message("envoy.config.route.v3.RouteConfiguration")?.byKey.get("virtualHosts")?.name,
    ).toBe("virtual_hosts");
    expect(field("envoy.config.core.v3.Metadata", "filter_metadata")).toMatchObject({
      mapKey: "string",
      typeName: "google.protobuf.Struct",
    });
    // Overlays: fields of Envoy 1.40 the shipped protos lack.
    expect(field("envoy.config.rbac.v3.Principal", "sourced_metadata")?.oneof).toBe("identifier");
    expect(field("envoy.config.rbac.v3.Principal", "metadata")?.deprecated).toBe(true);
    expect(
      field("envoy.extensions.filters.http.oauth2.v3.OAuth2Config", "cookie_configs")?.typeName,
    ).toBe("envoy.extensions.filters.http.oauth2.v3.CookieConfigs");
    const tls = snapshot.enumType(
      "envoy.extensions.transport_sockets.tls.v3.TlsParameters.TlsProtocol",
    );
    expect(tls?.values.get("TLSv1_3")).toBe(4);
    expect(tls?.byNumber.get(0)).toBe("TLS_AUTO");
    expect(snapshot.message("no.such.Type")).toBeUndefined();
  });

  it.skipIf(!existsSync(join(SNAPSHOT_DIR, SNAPSHOT_INDEX)))(
    "in dist/envoy-api is the one this code writes (else: npm run build)",
    () => {
      const files = readdirSync(dir).sort();
      expect(readdirSync(SNAPSHOT_DIR).sort()).toEqual(files);
      for (const f of files)
        expect(readFileSync(join(SNAPSHOT_DIR, f), "utf8"), f).toBe(
          readFileSync(join(dir, f), "utf8"),
        );
    },
  );
});
