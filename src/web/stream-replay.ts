/**
 * Replaying a server-streaming call: its request iterable is single-use, and a refusal
 * may arrive after the headers, in the body's trailer. Shared by the auth and DPoP
 * interceptors, which both retry such calls once.
 */

import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";

type Call = (req: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse>;

/**
 * A call that can be sent again: a unary request as it is; a stream with its one request
 * message read now (the iterable is single-use) and given to each attempt anew, each attempt
 * waiting for the first response message ({@link peekFirst}).
 */
export async function replayable(
  next: Call,
  req: UnaryRequest | StreamRequest,
): Promise<() => Promise<UnaryResponse | StreamResponse>> {
  if (!req.stream) return () => next(req);
  const r = await req.message[Symbol.asyncIterator]().next();
  if (r.done) throw new ConnectError("missing request message", Code.Internal);
  const first = r.value as MessageShape<DescMessage>;
  return async () => peekFirst(await next({ ...req, message: once(first) }));
}

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
