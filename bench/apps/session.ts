// Bundle bench (e): the same app in session mode (createSessionTransport + GatewaySession from
// grpc-web-oidc/session): the gateway holds the tokens, the browser sends cookies.
import { createClient } from "@connectrpc/connect";
import { createSessionTransport, GatewaySession } from "../../src/web/session.js";
import { NotesService } from "./gen/full/es/demo/v1/notes_pb.js";
import { API, render } from "./shared.js";

const session = new GatewaySession({ gateway: API });
session.subscribe((event) => {
  if (event.type === "session-ended") session.signIn();
});
const client = createClient(NotesService, createSessionTransport({ baseUrl: API, session }));
const list = await client.listNotes({ limit: 10 });
render(list.notes.map((n) => n.text));
for await (const event of client.watchNotes({ count: 3 })) render([event.note?.text ?? ""]);
