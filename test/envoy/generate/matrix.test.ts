// The generator's golden matrix (Envoy Gateway's translator testdata pattern):
// every `testdata/in/<case>.yaml` is a gateway file, and `testdata/out/<case>/`
// holds what `envoy generate` makes of it with the demo services: envoy.yaml
// and sds/*.yaml. The checked-in bundle (envoy/gateway.yaml → envoy/) is one
// more case. Every output also passes our validator (schema, PGV,
// cross-references, lint, SDS files) and, when an Envoy binary is found,
// `envoy --mode validate`.
//
// After a deliberate generator change: `npm run golden:update` (UPDATE_GOLDEN=1)
// rewrites every output and deletes outputs whose input is gone.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { NotesService } from "../../../demo/gen/demo/v1/notes_pb.js";
import {
  formatFinding,
  generateGateway,
  loadGatewayFile,
  validateEnvoyConfig,
} from "../../../src/envoy/index.js";
import { Health } from "../../../src/gen/grpc/health/v1/health_pb.js";
import { repoRoot } from "../../helpers/buf.js";
import { type BundleText, envoyBin, envoyValidate, stageBundle } from "./stage.js";

const UPDATE = process.env.UPDATE_GOLDEN === "1";
const TESTDATA = join(repoRoot, "test", "envoy", "generate", "testdata");
const IN = join(TESTDATA, "in");
const OUT = join(TESTDATA, "out");
/** What `buf build` of this repository holds, sorted by name as the CLI sorts it. */
const SERVICES = [NotesService, Health];

interface Case {
  readonly name: string;
  /**
   * Lint warnings the case is expected to get, from a `# lint-warnings: id, id` line in its
   * input (a deliberate, documented trade-off, e.g. `public-stream-at-edge` with health.watch).
   */
  readonly warnings: readonly string[];
  /** The gateway file. */
  readonly input: string;
  /** Where envoy.yaml and sds/ go. */
  readonly outDir: string;
}

const cases: Case[] = [
  {
    name: "bundle",
    input: join(repoRoot, "envoy", "gateway.yaml"),
    outDir: join(repoRoot, "envoy"),
    warnings: [],
  },
  ...readdirSync(IN)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => ({
      name: f.slice(0, -".yaml".length),
      input: join(IN, f),
      outDir: join(OUT, f.slice(0, -".yaml".length)),
      warnings: (/^# lint-warnings: (.+)$/m.exec(readFileSync(join(IN, f), "utf8"))?.[1] ?? "")
        .split(",")
        .map((id) => id.trim())
        .filter(Boolean),
    })),
];

/** The bundle for a case, with the comments `envoy generate` writes (the input path as given from the repo root). */
function generate(c: Case): BundleText {
  return generateGateway(loadGatewayFile(c.input), SERVICES, {
    comments: [
      `source: ${relative(repoRoot, c.input)}`,
      `services: ${SERVICES.map((s) => s.typeName).join(", ")}`,
    ],
  });
}

/** Every output file of a case: path relative to its out dir → text. */
function files(bundle: BundleText): Map<string, string> {
  return new Map([
    ["envoy.yaml", bundle.envoyYaml],
    ...Object.entries(bundle.sds).map(([f, t]): [string, string] => [join("sds", f), t]),
  ]);
}

function listOut(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".yaml"))
    .sort();
}

if (UPDATE) {
  // Outputs without an input are stale: remove them before writing the current ones.
  const names = new Set(cases.map((c) => c.name));
  for (const d of existsSync(OUT) ? readdirSync(OUT) : [])
    if (!names.has(d)) rmSync(join(OUT, d), { recursive: true });
  for (const c of cases) {
    const want = files(generate(c));
    if (c.name !== "bundle") rmSync(c.outDir, { recursive: true, force: true });
    for (const [f, text] of want) {
      mkdirSync(join(c.outDir, f, ".."), { recursive: true });
      writeFileSync(join(c.outDir, f), text);
    }
  }
}

describe("the generator golden matrix (testdata/in → testdata/out)", () => {
  it("covers the cases the generator branches on", () => {
    expect(cases.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        "bundle",
        "no-probe",
        "no-rate-limit",
        "ip-upstream-sni",
        "connect-protocol",
        "several-audiences",
        "minimal",
      ]),
    );
  });

  it("has no output without an input (UPDATE_GOLDEN=1 deletes stale ones)", () => {
    const names = new Set(cases.map((c) => c.name));
    expect(readdirSync(OUT).filter((d) => !names.has(d))).toEqual([]);
  });

  for (const c of cases) {
    describe(c.name, () => {
      const bundle = generate(c);

      it("generates exactly the golden files", () => {
        const want = files(bundle);
        expect(listOut(c.outDir).filter((f) => f === "envoy.yaml" || f.startsWith("sds/"))).toEqual(
          [...want.keys()].sort(),
        );
        for (const [f, text] of want)
          expect(readFileSync(join(c.outDir, f), "utf8"), `${c.name}/${f}`).toBe(text);
      });

      it("passes our validator: schema, PGV, cross-references, lint and the SDS files", async () => {
        const config = stageBundle(mkdtempSync(join(tmpdir(), `gwo-matrix-${c.name}-`)), bundle);
        const r = await validateEnvoyConfig(readFileSync(config, "utf8"), {
          filename: config,
          services: SERVICES,
        });
        const unexpected = r.findings.filter(
          (f) => !(f.severity === "warning" && c.warnings.includes(f.rule)),
        );
        expect(unexpected.map(formatFinding)).toEqual([]);
        expect([...new Set(r.findings.map((f) => f.rule))].sort()).toEqual([...c.warnings].sort());
        expect(r.ok).toBe(true);
      });

      it.skipIf(!envoyBin)("passes envoy --mode validate", () => {
        const r = envoyValidate(
          stageBundle(mkdtempSync(join(tmpdir(), `gwo-matrix-${c.name}-`)), bundle),
        );
        expect(r.output).not.toMatch(/deprecated/i);
        expect(r.status, r.output).toBe(0);
      });
    });
  }
});
