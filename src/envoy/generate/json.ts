/** A JSON value: what the generator builds and `emit.ts` prints. */
export type Json =
  | string
  | number
  | boolean
  | null
  | readonly Json[]
  | { readonly [key: string]: Json };

/** A JSON object. */
export type JsonObject = { readonly [key: string]: Json };

/** `Any` wrapper: `{ "@type": type.googleapis.com/<typeName>, ...fields }`. */
export function typed(typeName: string, fields: JsonObject = {}): JsonObject {
  return { "@type": `type.googleapis.com/${typeName}`, ...fields };
}

/** A proto3 JSON Duration for whole or fractional seconds, e.g. `300s`, `0.5s`. */
export function seconds(n: number): string {
  return `${n}s`;
}
