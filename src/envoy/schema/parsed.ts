/**
 * The type table from the `.proto` files themselves (parsed with protobufjs, package by
 * package on first use), for when no snapshot matches the installed protos. Slow (a parse
 * per package) but the same table: the records come from records.ts, as the snapshot's do.
 */
import protobuf from "protobufjs";
import { createEnvoyApi } from "./protos.js";
import { enumRecord, messageRecord } from "./records.js";
import { type EnvoyTypes, typeTable } from "./table.js";

/** A table over a fresh parse of the Envoy API protos. */
export function parsedTypes(): EnvoyTypes {
  const api = createEnvoyApi();
  return typeTable("protos", (fullName) => {
    const type = api.lookupType(fullName);
    if (type) return { message: messageRecord(type) };
    const e = api.lookupEnum(fullName);
    return e instanceof protobuf.Enum ? { enum: enumRecord(e) } : undefined;
  });
}
