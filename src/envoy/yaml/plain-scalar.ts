/**
 * Envoy's reading of a plain YAML scalar (`source/common/protobuf/yaml_utility.cc`): null,
 * a bool as yaml-cpp reads one, an integer, or the text. A leaf module: the full YAML
 * reader (envoy-yaml.ts, on the yaml library) and the fast one (yaml/simple.ts) share it.
 */
const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const TRUE = new Set(["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]);
const FALSE = new Set(["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]);
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** A plain (unquoted, not block) scalar's value as Envoy reads it: null, bool, integer or text. */
export function plainScalar(text: string): unknown {
  if (NULLS.has(text)) return null;
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  const n = yamlCppInt(text);
  if (n !== undefined) {
    if (n >= BigInt(INT32_MIN) && n <= BigInt(INT32_MAX)) return Number(n);
    return n.toString();
  }
  return text;
}

/** yaml-cpp's integer conversion: sign, then decimal, `0x` hex or leading-zero octal; int64 range. */
function yamlCppInt(s: string): bigint | undefined {
  const m = /^([-+]?)(0x[0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const body = m[2] as string;
  let v: bigint;
  if (body.startsWith("0x")) v = BigInt(body);
  else if (body.length > 1 && body.startsWith("0")) v = BigInt(`0o${body.slice(1)}`);
  else v = BigInt(body);
  if (m[1] === "-") v = -v;
  if (v < -(2n ** 63n) || v > 2n ** 63n - 1n) return undefined;
  return v;
}
