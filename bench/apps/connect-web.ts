// Bundle bench (a): plain connect-web, one unary and one server-streaming call, no auth.
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { NotesService } from "./gen/full/es/demo/v1/notes_pb.js";
import { API, render } from "./shared.js";

const client = createClient(NotesService, createGrpcWebTransport({ baseUrl: API }));
const list = await client.listNotes({ limit: 10 });
render(list.notes.map((n) => n.text));
for await (const event of client.watchNotes({ count: 3 })) render([event.note?.text ?? ""]);
