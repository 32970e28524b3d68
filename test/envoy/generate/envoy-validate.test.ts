import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { localGatewayModel, swapMount } from "../../../demo/envoy.js";
import { NotesService } from "../../../demo/gen/demo/v1/notes_pb.js";
import { ensureDevPki } from "../../../demo/pki.js";
import {
  envoyVersion,
  formatFinding,
  generateGateway,
  validateEnvoyConfig,
} from "../../../src/envoy/index.js";
import { checkedInBundle, envoyBin, envoyValidate, stageBundle } from "./stage.js";

const bin = envoyBin;

/** The checked-in bundle staged in a fresh directory, its envoy.yaml passed through `transform`. */
function stageCheckedIn(transform: (yaml: string) => string = (y) => y): string {
  const bundle = checkedInBundle();
  return stageBundle(mkdtempSync(join(tmpdir(), "gwo-validate-")), {
    ...bundle,
    envoyYaml: transform(bundle.envoyYaml),
  });
}

describe.skipIf(!bin)(
  bin ? `envoy --mode validate (Envoy ${envoyVersion(bin.path)})` : "skipped: no Envoy binary",
  () => {
    it("accepts envoy/envoy.yaml with no deprecation warning", () => {
      const r = envoyValidate(stageCheckedIn());
      expect(r.output).toContain("OK");
      expect(r.output).not.toMatch(/deprecated/i);
      expect(r.status).toBe(0);
    });

    it("rejects a broken variant (so the check above can fail)", () => {
      const r = envoyValidate(
        stageCheckedIn((y) => y.replace("codec_type: AUTO", "codec_type: AUTOMATIC")),
      );
      expect(r.status).not.toBe(0);
    });

    describe("the local-stack config (real dev certificates)", () => {
      let config = "";
      let text = "";
      beforeAll(() => {
        const workDir = mkdtempSync(join(tmpdir(), "gwo-local-"));
        const pki = ensureDevPki(join(workDir, "pki"));
        swapMount(join(workDir, "tls", "server"), {
          "tls.crt": pki.localhost.cert,
          "tls.key": pki.localhost.key,
        });
        swapMount(join(workDir, "tls", "upstream-client"), {
          "tls.crt": pki.gateway.cert,
          "tls.key": pki.gateway.key,
          "ca.crt": pki.meshCa.cert,
        });
        swapMount(join(workDir, "tls", "idp-ca"), { "ca.crt": pki.ca.cert });
        const model = localGatewayModel({
          workDir,
          port: 18080,
          adminPort: 19901,
          idpIssuer: "https://localhost:9443",
          jwksUri: "https://localhost:9443/jwks",
          backendPort: 50051,
          allowedOrigins: ["https://localhost:5173"],
        });
        const bundle = generateGateway(model, [NotesService]);
        mkdirSync(model.sds.dir, { recursive: true });
        for (const [f, t] of Object.entries(bundle.sds)) writeFileSync(join(model.sds.dir, f), t);
        config = join(workDir, "envoy.yaml");
        text = bundle.envoyYaml;
        writeFileSync(config, text);
      });

      it("is accepted by envoy --mode validate", () => {
        const r = envoyValidate(config);
        expect(r.output).not.toMatch(/deprecated/i);
        expect(r.status).toBe(0);
      });

      it("is accepted by our validator, files checked", async () => {
        const result = await validateEnvoyConfig(text, {
          filename: config,
          services: [NotesService],
        });
        expect(result.findings.filter((f) => f.severity === "error").map(formatFinding)).toEqual(
          [],
        );
        expect(result.ok).toBe(true);
      });

      it("loads the certificates it names (openssl can read each one)", () => {
        const paths = [...text.matchAll(/filename: (\S+)/g)].map((m) => m[1]);
        const sds = readdirSync(join(config, "..", "sds")).map((f) =>
          readFileSync(join(config, "..", "sds", f), "utf8"),
        );
        const files = sds.flatMap((t) =>
          [...t.matchAll(/filename: (\S+\.crt)/g)].map((m) => m[1] ?? ""),
        );
        expect(paths.length + files.length).toBeGreaterThan(0);
        for (const f of files) execFileSync("openssl", ["x509", "-noout", "-in", f]);
      });
    });
  },
);
