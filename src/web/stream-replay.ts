/**
 * Replaying a server-streaming call: its request iterable is single-use, and a refusal
 * may arrive after the headers, in the body's trailer. Shared by the auth and DPoP
 * interceptors, which both retry such calls once.
 */

import type { StreamResponse, UnaryResponse } from "@connectrpc/connect";

/** A fresh single-use request iterable that yields `first` once. */
export async function* once<T>(first: T): AsyncIterable<T> {
  yield first;
}

/**
 * Wait for the first message (or the end) of a server stream, so that an error that arrives
 * before any message - in the headers or in the body's trailer - rejects here, where the call
 * can still be replayed. Errors after the first message surface while iterating, as usual.
 */
export async function peekFirst(
  res: StreamResponse | UnaryResponse,
): Promise<StreamResponse | UnaryResponse> {
  if (!res.stream) return res;
  const it = res.message[Symbol.asyncIterator]();
  const head = await it.next();
  async function* rest() {
    if (head.done) return;
    let done = false;
    try {
      yield head.value;
      for (;;) {
        const r = await it.next();
        if (r.done) {
          done = true;
          return;
        }
        yield r.value;
      }
    } finally {
      // The consumer stopped early: cancel the underlying response stream.
      if (!done) await it.return?.();
    }
  }
  return { ...res, message: rest() };
}
