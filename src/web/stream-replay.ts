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
  // The first message again, then the response's own iterator: no extra async generator
  // (and its promise hops) per message. A consumer that stops early calls return(), which
  // cancels the response stream.
  let first = true;
  const message: AsyncIterable<unknown> = {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        if (!first) return it.next();
        first = false;
        return Promise.resolve(head);
      },
      return: (value?: unknown) =>
        it.return?.(value) ?? Promise.resolve({ done: true as const, value: undefined }),
    }),
  };
  return { ...res, message } as StreamResponse;
}
