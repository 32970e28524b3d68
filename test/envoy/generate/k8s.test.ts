import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { repoRoot } from "../../helpers/buf.js";

// biome-ignore lint/suspicious/noExplicitAny: walking manifests
type Y = any;

const k8sDir = join(repoRoot, "envoy", "k8s");
const docs: Y[] = readdirSync(k8sDir)
  .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
  .flatMap((f) => parseAllDocuments(readFileSync(join(k8sDir, f), "utf8")).map((d) => d.toJS()))
  .filter((d) => d);
const byKind = (kind: string): Y[] => docs.filter((d) => d.kind === kind);
const deployment: Y = byKind("Deployment")[0];
const pod: Y = deployment?.spec.template.spec;
const envoy: Y = pod?.containers.find((c: Y) => c.name === "envoy");

/** Every file or directory the bundle makes Envoy read. */
function bundlePaths(): string[] {
  const texts = [
    readFileSync(join(repoRoot, "envoy", "envoy.yaml"), "utf8"),
    ...readdirSync(join(repoRoot, "envoy", "sds")).map((f) =>
      readFileSync(join(repoRoot, "envoy", "sds", f), "utf8"),
    ),
  ];
  return texts.flatMap((t) =>
    [...t.matchAll(/^\s*(?:filename|path): (\/etc\/\S+)$/gm)].map((m) => m[1] ?? ""),
  );
}

describe("envoy/k8s manifests", () => {
  it("parse, and hold the kinds an operator needs", () => {
    expect(docs.every((d) => typeof d.apiVersion === "string" && typeof d.kind === "string")).toBe(
      true,
    );
    expect(byKind("Certificate").length).toBeGreaterThanOrEqual(1);
    expect(byKind("Deployment")).toHaveLength(1);
    expect(byKind("Service")).toHaveLength(1);
    const kustomization: Y = parse(readFileSync(join(k8sDir, "kustomization.yaml"), "utf8"));
    for (const r of kustomization.resources) expect(readdirSync(k8sDir)).toContain(r);
  });

  it("issue certificates with server auth (listener) and client auth (mTLS to the backend) usages", () => {
    const certs = byKind("Certificate");
    const usages = certs.flatMap((c) => c.spec.usages);
    expect(usages).toContain("server auth");
    expect(usages).toContain("client auth");
    const mesh = certs.find((c) => c.spec.usages.includes("client auth"));
    expect(mesh.spec.uris?.[0]).toMatch(/^spiffe:\/\//);
    // Each Certificate's Secret is mounted.
    const secretVolumes = pod.volumes.filter((v: Y) => v.secret).map((v: Y) => v.secret.secretName);
    for (const c of certs) expect(secretVolumes).toContain(c.spec.secretName);
  });

  it("mounts every file the config and the SDS resources name, whole (no subPath, so renewals arrive)", () => {
    const mounts: Y[] = envoy.volumeMounts;
    const volumeNames = pod.volumes.map((v: Y) => v.name);
    for (const m of mounts) {
      expect(volumeNames).toContain(m.name);
      expect(m.subPath).toBeUndefined();
      expect(m.readOnly).toBe(true);
    }
    const paths = bundlePaths();
    expect(paths.length).toBeGreaterThan(5);
    for (const p of paths) {
      const covered = mounts.some((m) => p === m.mountPath || p.startsWith(`${m.mountPath}/`));
      expect(covered, `${p} is not under any volume mount`).toBe(true);
    }
    const configArg = envoy.args[envoy.args.indexOf("--config-path") + 1];
    expect(mounts.some((m: Y) => configArg.startsWith(`${m.mountPath}/`))).toBe(true);
  });

  it("probes readiness and liveness over HTTPS on the probe listener the config defines", () => {
    const config: Y = parse(readFileSync(join(repoRoot, "envoy", "envoy.yaml"), "utf8"));
    const probe = config.static_resources.listeners.find((l: Y) => l.name === "probe");
    const probePort = envoy.ports.find((p: Y) => p.name === "probe").containerPort;
    expect(probe.address.socket_address.port_value).toBe(probePort);
    expect(envoy.readinessProbe.httpGet).toMatchObject({
      path: "/ready",
      port: "probe",
      scheme: "HTTPS",
    });
    expect(envoy.livenessProbe.httpGet).toMatchObject({
      path: "/livez",
      port: "probe",
      scheme: "HTTPS",
    });
    const hcm = probe.filter_chains[0].filters.find(
      (f: Y) => f.name === "envoy.filters.network.http_connection_manager",
    ).typed_config;
    const hc = hcm.http_filters[0].typed_config;
    expect(hc.headers[0].string_match.exact).toBe("/ready");
    expect(Object.keys(hc.cluster_min_healthy_percentages)).toEqual(["backend", "jwks"]);
    // Ready means the backend passes its gRPC health checks and the IdP's keys can be fetched.
    const cluster = (name: string) =>
      config.static_resources.clusters.find((c: Y) => c.name === name);
    expect(cluster("backend").health_checks[0].grpc_health_check).toBeDefined();
    expect(cluster("jwks").health_checks[0].http_health_check.path).toBe(
      "/realms/notes/protocol/openid-connect/certs",
    );
  });

  it("exposes the HTTPS listener port through the Service", () => {
    const config: Y = parse(readFileSync(join(repoRoot, "envoy", "envoy.yaml"), "utf8"));
    const https = config.static_resources.listeners.find((l: Y) => l.name === "https");
    const svc = byKind("Service")[0];
    const target = svc.spec.ports[0].targetPort;
    const port = envoy.ports.find((p: Y) => p.name === target).containerPort;
    expect(port).toBe(https.address.socket_address.port_value);
    expect(svc.spec.selector).toEqual(deployment.spec.selector.matchLabels);
  });

  it("runs unprivileged with a read-only root filesystem", () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(envoy.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
  });
});
