/**
 * Where a command's standard output goes. Commands take an `Out` (default: process.stdout),
 * so tests can spy on process.stdout.write as before, while bin/grpc-web-oidc.js passes
 * {@link directStdout}: touching process.stdout on a pipe builds a net.Socket, loading the
 * socket and stream modules, about 5 ms of a validate run's CPU for a few lines of text.
 */
import { writeSync } from "node:fs";

/** Writes text to standard output. */
export type Out = (text: string) => void;

/** process.stdout.write. */
export const processStdout: Out = (text) => {
  process.stdout.write(text);
};

let viaStream = false;

/**
 * Writes to file descriptor 1 directly, which is what process.stdout does for files and, on
 * Linux, pipes (synchronous writes). On any error (a full non-blocking pipe, a closed reader)
 * it hands the rest, and every later write, to process.stdout, which handles them as before.
 */
export const directStdout: Out = (text) => {
  if (viaStream) {
    process.stdout.write(text);
    return;
  }
  const bytes = Buffer.from(text, "utf8");
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done);
  } catch {
    viaStream = true;
    process.stdout.write(bytes.subarray(done));
  }
};
