import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import type { AccessPolicy } from "../../access/outline.js";
import { LINT_RULES } from "../lint/rules.js";
import type { ConfigQuery } from "../query/index.js";
import { decodeMessage } from "../schema/decode.js";
import type { DecodedMessage } from "../schema/decoded.js";
import { envoyTypes } from "../schema/envoy-types.js";
import { type Issue, pathOf } from "../schema/issue.js";
import type { EnvoyTypes } from "../schema/table.js";
import { readSimpleYaml } from "../yaml/simple.js";
import { crossReferences, fileRefs, missingFiles } from "./cross-refs.js";
import type { Finding } from "./finding.js";
import type { ReadDocument } from "./full-yaml.js";

export type { Finding } from "./finding.js";

/** What {@link validateEnvoyConfig} returns. */
export interface ValidationResult {
  /** Every finding, sorted by file, line and column. */
  readonly findings: readonly Finding[];
  /** True when there is no finding of severity `error` (warnings alone pass). */
  readonly ok: boolean;
}

/** Options of {@link validateEnvoyConfig}. */
export interface ValidateOptions {
  /**
   * Name printed in findings; relative file references (SDS paths, certificate
   * files) are resolved against its directory.
   * @default "<input>" (and the current directory for file references)
   * @example "envoy/envoy.yaml"
   */
  filename?: string;
  /**
   * Check that files named by SDS path configs, watched directories and
   * DataSource `filename`s exist, and validate the SDS files' resources.
   * Turn off for configs validated away from their certificates.
   * @default true
   */
  checkFiles?: boolean;
  /**
   * The proto services the gateway fronts; enables the rules that compare the
   * config with the methods' access options (`policy-path-unknown`,
   * `method-without-policy`, `stream-coverage-gap`).
   * @default undefined (those comparisons are skipped)
   * @example [NotesService]
   */
  services?: readonly DescService[];
  /**
   * The access policy to compare with, instead of building one from `services`.
   * @default buildAccessPolicy(services)
   */
  policy?: AccessPolicy;
  /**
   * Run the security lint (schema, PGV and cross-reference checks always run).
   * @default true
   */
  lint?: boolean;
}

const BOOTSTRAP = "envoy.config.bootstrap.v3.Bootstrap";
const DISCOVERY_RESPONSE = "envoy.service.discovery.v3.DiscoveryResponse";

/**
 * Validates an Envoy v3 bootstrap given as YAML: strict proto3-JSON decoding
 * against Envoy's API, its PGV rules, deprecated fields (warnings),
 * cross-references, referenced files, and the security lint. Never throws
 * for bad input: every problem is a finding.
 */
export async function validateEnvoyConfig(
  text: string,
  options: ValidateOptions = {},
): Promise<ValidationResult> {
  const services = options.services;
  if (options.policy || !services) return validateWithPolicy(text, options, () => options.policy);
  // Loaded only here: the protobuf-es runtime is most of a command's start-up otherwise.
  const { buildAccessPolicy } = await import("../../access/policy.js");
  return validateWithPolicy(text, options, () => buildAccessPolicy(services));
}

/**
 * {@link validateEnvoyConfig} with the access policy from `policy()` (which may throw
 * AccessPolicyError: reported as an `access-policy` finding). The CLI comes here with a
 * policy built from cached service outlines.
 */
export async function validateWithPolicy(
  text: string,
  options: Omit<ValidateOptions, "policy" | "services">,
  accessPolicy: () => AccessPolicy | undefined,
): Promise<ValidationResult> {
  const types = await envoyTypes();
  const file = options.filename ?? "<input>";
  const baseDir = options.filename ? dirname(resolve(options.filename)) : process.cwd();
  let policy: AccessPolicy | undefined;
  const findings: Finding[] = [];
  try {
    policy = accessPolicy();
  } catch (e) {
    findings.push({
      file,
      line: 1,
      col: 1,
      rule: "access-policy",
      severity: "error",
      message: e instanceof Error ? e.message : String(e),
    });
  }
  try {
    findings.push(
      ...(await checkDocument(text, {
        types,
        file,
        baseDir,
        typeName: BOOTSTRAP,
        checkFiles: options.checkFiles ?? true,
        lint: options.lint ?? true,
        policy,
      })),
    );
  } catch (e) {
    // A bug of ours must not pass a config: report it as a finding.
    const why = e instanceof Error ? e.message : String(e);
    findings.push({
      file,
      line: 1,
      col: 1,
      rule: "internal-error",
      severity: "error",
      message: `validator failed: ${why}`,
    });
  }
  findings.sort((a, b) =>
    a.file === b.file
      ? a.line - b.line || a.col - b.col
      : a.file === file
        ? -1
        : b.file === file
          ? 1
          : a.file.localeCompare(b.file),
  );
  return { findings, ok: !findings.some((f) => f.severity === "error") };
}

interface DocumentJob {
  readonly types: EnvoyTypes;
  readonly file: string;
  readonly baseDir: string;
  readonly typeName: string;
  readonly checkFiles: boolean;
  readonly lint: boolean;
  readonly policy: AccessPolicy | undefined;
}

/**
 * Reads YAML as Envoy does: the fast reader (yaml/simple.ts) for the plain block YAML of
 * nearly every config, else the yaml library (full-yaml.ts), which is loaded only then.
 * Returns the findings instead when the text is not a readable document.
 */
async function readDocument(text: string, file: string): Promise<ReadDocument | Finding[]> {
  const simple = readSimpleYaml(text);
  if (simple) return { ...simple, warnings: [] };
  return (await import("./full-yaml.js")).readFullYaml(text, file);
}

async function checkDocument(text: string, job: DocumentJob): Promise<Finding[]> {
  const read = await readDocument(text, job.file);
  if (Array.isArray(read)) return read;
  const { json } = read;
  if (json === null || json === undefined) {
    return [
      {
        file: job.file,
        line: 1,
        col: 1,
        rule: "empty-config",
        severity: "error",
        message: "the document is empty",
      },
    ];
  }

  const type = job.types.message(job.typeName);
  if (!type) throw new Error(`Envoy API type ${job.typeName} not found in @grpc/grpc-js-xds`);
  const issues: Issue[] = [];
  const byType = new Map<string, DecodedMessage[]>();
  const root = decodeMessage(
    {
      types: job.types,
      issues,
      onMessage: (name, msg) => {
        const list = byType.get(name);
        if (list) list.push(msg);
        else byType.set(name, [msg]);
      },
    },
    type,
    json,
    [],
  );
  const extra: Finding[] = [];
  if (root) {
    const ctx: ConfigQuery = { config: root, all: (t) => byType.get(t) ?? [], policy: job.policy };
    if (job.typeName === BOOTSTRAP) issues.push(...crossReferences(ctx));
    if (job.checkFiles) {
      const refs = fileRefs(ctx, job.baseDir);
      const missing = missingFiles(refs, job.baseDir);
      issues.push(...missing);
      const missingPaths = new Set(missing.map((m) => m.path));
      const seen = new Set<string>();
      for (const r of refs) {
        if (!r.sds || missingPaths.has(r.at) || seen.has(r.absolute)) continue;
        seen.add(r.absolute);
        extra.push(...(await checkSdsFile(r.absolute, r.path, job)));
      }
    }
    if (job.lint) {
      for (const rule of LINT_RULES) {
        try {
          for (const hit of rule.check(ctx)) {
            issues.push({
              path: pathOf(hit.node, hit.field),
              at: "key",
              rule: rule.id,
              severity: rule.severity,
              message: rule.severity === "warning" ? `warning: ${hit.message}` : hit.message,
            });
          }
        } catch (e) {
          issues.push({
            path: [],
            at: "value",
            rule: rule.id,
            severity: "error",
            message: `lint rule failed: ${e instanceof Error ? e.message : String(e)}`,
          });
        }
      }
    }
  }
  const out = issues.map((i): Finding => {
    const p = read.position(i.path, i.at);
    return {
      file: job.file,
      line: p.line,
      col: p.col,
      rule: i.rule,
      severity: i.severity,
      message: i.message,
    };
  });
  return [...read.warnings, ...dedupe(out), ...extra];
}

async function checkSdsFile(absolute: string, shown: string, job: DocumentJob): Promise<Finding[]> {
  let text: string;
  try {
    text = readFileSync(absolute, "utf8");
  } catch {
    return []; // a watched directory or unreadable file: reported as missing or left to Envoy
  }
  return checkDocument(text, {
    types: job.types,
    file: shown,
    baseDir: job.baseDir,
    typeName: DISCOVERY_RESPONSE,
    checkFiles: job.checkFiles,
    lint: false,
    policy: undefined,
  });
}

function dedupe(fs: Finding[]): Finding[] {
  const seen = new Set<string>();
  return fs.filter((f) => {
    const k = `${f.line}:${f.col}:${f.rule}:${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** `FILE:LINE:COL rule-id message`, the CLI's line format. */
export function formatFinding(f: Finding): string {
  return `${f.file}:${f.line}:${f.col} ${f.rule} ${f.message}`;
}
