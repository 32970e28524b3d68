/** The one type table a process validates with (table.ts; the parser when no snapshot matches). */
import { type EnvoyTypes, snapshotTypes } from "./table.js";

let shared: Promise<EnvoyTypes> | undefined;

/** The shared table: the snapshot, or (none matching) the parsed `.proto` files. */
export function envoyTypes(): Promise<EnvoyTypes> {
  shared ??= (async () => {
    const snapshot = snapshotTypes();
    if (snapshot) return snapshot;
    // protobufjs and the parser load only here.
    const { parsedTypes } = await import("./parsed.js");
    return parsedTypes();
  })();
  return shared;
}
