import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotesService } from "../../../demo/gen/demo/v1/notes_pb.js";
import { findEnvoy } from "../../../src/envoy/find-binary.js";
import { formatFinding, validateEnvoyConfig } from "../../../src/envoy/index.js";
import { ENVOY_LOAD_RULES } from "../../../src/envoy/validate/cross-refs.js";
import { CASES, FIXTURES, GOOD, GOOD_FILE, randomVariant, variantText } from "./corpus.js";

/**
 * Envoy's own verdict (`envoy --mode validate`) against ours on every corpus
 * case. Our "schema verdict" counts schema, PGV and the cross-reference rules
 * Envoy also enforces at load; lint findings are ours alone (lint variants are
 * valid Envoy configs, so Envoy must accept them and our schema checks too).
 */
const OURS_ONLY = new Set(["unknown-filter-config"]);
const SCHEMA =
  /^(yaml-syntax|unknown-field|duplicate-field|schema-type|bad-enum|bad-duration|bad-type-url|oneof-multiple|disallowed-field|empty-config|pgv-)/;

const envoy = (() => {
  try {
    return findEnvoy(join(FIXTURES, "..", "..", ".."));
  } catch {
    return undefined;
  }
})();

interface Verdict {
  readonly ok: boolean;
  readonly why: string;
}

function runEnvoy(bin: string, file: string): Promise<Verdict> {
  return new Promise((resolve) => {
    execFile(
      bin,
      ["--mode", "validate", "-c", file, "--log-level", "critical", "--disable-hot-restart"],
      // A kill here would read as "Envoy refused the file": leave room for a busy machine.
      { cwd: FIXTURES, timeout: 60_000 },
      (err, stdout, stderr) => {
        const text = `${stdout}\n${stderr}`;
        resolve({
          ok: !err,
          why:
            text.split("\n").find((l) => /error|critical|rejected|Unable|exception/i.test(l)) ??
            text.trim().slice(0, 300),
        });
      },
    );
  });
}

/** Runs `tasks` with at most `limit` in flight (Envoy is heavy; the machine is shared). */
async function bounded<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

const cases = CASES.filter((c) => !OURS_ONLY.has(c.rule ?? ""));
/** Seeded random variants (one node replaced or deleted) also checked against Envoy. */
const RANDOM_SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);

describe.skipIf(!envoy)("differential: Envoy's verdict and ours agree", () => {
  let dir = "";
  const envoyVerdicts = new Map<string, Verdict>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gwo-diff-"));
    const all: { name: string; text: string }[] = [
      { name: "good", text: GOOD },
      ...cases.map((c) => ({ name: c.name, text: variantText(c) })),
      ...RANDOM_SEEDS.map((seed) => ({ name: `random-${seed}`, text: randomVariant(seed) })),
    ];
    const verdicts = await bounded(
      all.map(({ name, text }) => () => {
        const file = join(dir, `${name}.yaml`);
        writeFileSync(file, text);
        return runEnvoy((envoy as { path: string }).path, file);
      }),
      2,
    );
    all.forEach(({ name }, i) => {
      envoyVerdicts.set(name, verdicts[i] as Verdict);
    });
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("Envoy accepts the good fixture", () => {
    expect(envoyVerdicts.get("good")).toMatchObject({ ok: true });
  });

  const ours = async (text: string) => {
    const r = await validateEnvoyConfig(text, {
      filename: GOOD_FILE,
      services: [NotesService],
    });
    const blocking = r.findings.filter(
      (f) => f.severity === "error" && (SCHEMA.test(f.rule) || ENVOY_LOAD_RULES.has(f.rule)),
    );
    return { ok: blocking.length === 0, why: blocking.map(formatFinding).join("; ") };
  };

  for (const c of cases) {
    it(`${c.kind} ${c.name}`, async () => {
      const e = envoyVerdicts.get(c.name) as Verdict;
      const o = await ours(variantText(c));
      expect({ envoyAccepts: e.ok, weAccept: o.ok }, `envoy: ${e.why}\nours: ${o.why}`).toEqual({
        envoyAccepts: e.ok,
        weAccept: e.ok,
      });
    });
  }

  it(`agrees on ${RANDOM_SEEDS.length} seeded random variants`, async () => {
    const disagreements: string[] = [];
    for (const seed of RANDOM_SEEDS) {
      const e = envoyVerdicts.get(`random-${seed}`) as Verdict;
      const o = await ours(randomVariant(seed));
      if (e.ok !== o.ok)
        disagreements.push(
          `seed ${seed}: envoy ${e.ok ? "accepts" : `rejects (${e.why})`}, we ${o.ok ? "accept" : `reject (${o.why})`}`,
        );
    }
    expect(disagreements).toEqual([]);
  });
});

if (!envoy) {
  describe("differential: Envoy's verdict and ours agree", () => {
    it.skip("skipped: no Envoy binary", () => {});
  });
}
