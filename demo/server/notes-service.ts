/**
 * The demo NotesService: in-memory notes. Validation errors are INVALID_ARGUMENT;
 * the caller's identity comes from the context values set by the security layer.
 */
import { randomUUID } from "node:crypto";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { peerKey, principalKey } from "../../src/server/index.js";
import type { Note, NotesService } from "../gen/demo/v1/notes_pb.js";

const MAX_NOTES = 10_000;
const MAX_TEXT = 1000;

/** Options for {@link createNotesService}. */
export interface NotesServiceOptions {
  /** Longest total duration of one WatchNotes stream, in ms. @default 600000 */
  maxWatchMs?: number;
}

/** Creates the service implementation and its store. */
export function createNotesService(
  options: NotesServiceOptions = {},
): ServiceImpl<typeof NotesService> {
  const notes: Note[] = [];
  const maxWatchMs = options.maxWatchMs ?? 600_000;

  const subjectOf = (ctx: HandlerContext) => ctx.values.get(principalKey)?.subject ?? "";

  return {
    whoAmI(_req, ctx) {
      const principal = ctx.values.get(principalKey);
      const expiresIn = principal ? principal.expiresAt - Math.floor(Date.now() / 1000) : 0;
      return {
        subject: principal?.subject ?? "",
        scopes: [...(principal?.scopes ?? [])],
        roles: [...(principal?.roles ?? [])],
        peerIdentity: ctx.values.get(peerKey)?.id ?? "",
        tokenExpiresInS: BigInt(Math.max(0, expiresIn)),
      };
    },
    listNotes(req) {
      if (req.limit < 0 || req.limit > 100) {
        throw new ConnectError("limit must be between 0 and 100", Code.InvalidArgument);
      }
      const limit = req.limit === 0 ? 20 : req.limit;
      return { notes: notes.slice(-limit).reverse() };
    },
    getNote(req) {
      if (req.id.length === 0 || req.id.length > 64) {
        throw new ConnectError("id must be 1..64 characters", Code.InvalidArgument);
      }
      const note = notes.find((n) => n.id === req.id);
      if (!note) throw new ConnectError("note not found", Code.NotFound);
      return { note };
    },
    createNote(req, ctx) {
      const length = [...req.text].length;
      if (length === 0 || length > MAX_TEXT) {
        throw new ConnectError(`text must be 1..${MAX_TEXT} characters`, Code.InvalidArgument);
      }
      if (notes.length >= MAX_NOTES) {
        throw new ConnectError("note store is full", Code.ResourceExhausted);
      }
      const note: Note = {
        $typeName: "demo.v1.Note",
        id: randomUUID(),
        text: req.text,
        author: subjectOf(ctx),
        createdAtMs: BigInt(Date.now()),
      };
      notes.push(note);
      return { note };
    },
    purgeNotes() {
      const deleted = notes.length;
      notes.length = 0;
      return { deleted };
    },
    async *watchNotes(req, ctx) {
      if (req.count < 0 || req.count > 1000) {
        throw new ConnectError("count must be between 0 and 1000", Code.InvalidArgument);
      }
      if (req.intervalMs < 0 || req.intervalMs > 60_000) {
        throw new ConnectError("interval_ms must be between 0 and 60000", Code.InvalidArgument);
      }
      const count = req.count === 0 ? 10 : req.count;
      if (count * req.intervalMs > maxWatchMs) {
        throw new ConnectError("count × interval_ms is too long", Code.InvalidArgument);
      }
      for (let seq = 1; seq <= count; seq++) {
        if (seq > 1 && req.intervalMs > 0) await sleep(req.intervalMs, ctx.signal);
        // Deadline or cancel: end with its status (DEADLINE_EXCEEDED, CANCELED), not OK.
        ctx.signal.throwIfAborted();
        const latest = notes[notes.length - 1];
        yield {
          seq,
          note: latest ?? {
            id: "",
            text: `tick ${seq}`,
            author: "",
            createdAtMs: BigInt(Date.now()),
          },
        };
      }
    },
  };
}

/** Resolves after `ms`, or early when `signal` aborts (the stream then ends with its reason). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
