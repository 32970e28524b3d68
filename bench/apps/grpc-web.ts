// Bundle bench (c): the same app on Google's grpc-web runtime (code from protoc-gen-js and
// protoc-gen-grpc-web, committed under gen/grpc-web: see gen/README.md), with a hand-written
// auth interceptor (Bearer token, one retry after UNAUTHENTICATED) on oidc-client-ts.
import type { Request, UnaryInterceptor, UnaryResponse } from "grpc-web";
import { NotesServicePromiseClient } from "./gen/full/grpc-web/demo/v1/notes_grpc_web_pb.js";
import { ListNotesRequest, WatchNotesRequest } from "./gen/full/grpc-web/demo/v1/notes_pb.js";
import { accessToken, signIn } from "./oidc-session.js";
import { API, render } from "./shared.js";

class AuthInterceptor implements UnaryInterceptor<unknown, unknown> {
  async intercept(
    request: Request<unknown, unknown>,
    invoker: (request: Request<unknown, unknown>) => Promise<UnaryResponse<unknown, unknown>>,
  ): Promise<UnaryResponse<unknown, unknown>> {
    request.getMetadata().authorization = `Bearer ${await accessToken()}`;
    try {
      return await invoker(request);
    } catch (err) {
      if ((err as { code?: number }).code !== 16) throw err;
      request.getMetadata().authorization = `Bearer ${await accessToken(true)}`;
      return await invoker(request);
    }
  }
}

await signIn();
const client = new NotesServicePromiseClient(API, null, {
  unaryInterceptors: [new AuthInterceptor()],
});
const list = await client.listNotes(new ListNotesRequest().setLimit(10));
render(list.getNotesList().map((n) => n.getText()));
// grpc-web's stream interceptors are synchronous: the token goes in the call's metadata.
const stream = client.watchNotes(new WatchNotesRequest().setCount(3), {
  authorization: `Bearer ${await accessToken()}`,
});
await new Promise<void>((resolve, reject) => {
  stream.on("data", (event) => render([event.getNote()?.getText() ?? ""]));
  stream.on("error", reject);
  stream.on("end", resolve);
});
