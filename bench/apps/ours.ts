// Bundle bench (b): the same app on grpc-web-oidc (createOidcTransport + OidcTokenSource).
import { createClient } from "@connectrpc/connect";
import { createOidcTransport, OidcTokenSource } from "../../src/web/index.js";
import { NotesService } from "./gen/full/es/demo/v1/notes_pb.js";
import { API, AUTHORITY, CLIENT_ID, render } from "./shared.js";

const tokens = new OidcTokenSource({
  authority: AUTHORITY,
  clientId: CLIENT_ID,
  redirectUri: `${location.origin}/callback`,
  storage: "local",
});
if (location.search.includes("code=")) await tokens.handleCallback();
else if (!(await tokens.getSession())) await tokens.signinRedirect();
const client = createClient(NotesService, createOidcTransport({ baseUrl: API, tokens }));
const list = await client.listNotes({ limit: 10 });
render(list.notes.map((n) => n.text));
for await (const event of client.watchNotes({ count: 3 })) render([event.note?.text ?? ""]);
