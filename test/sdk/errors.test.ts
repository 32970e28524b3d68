// Every SDK error has a `code`, and the helpers read it instead of the class, so they work when
// a bundle holds two copies of the package (the second copy is a second module instance here).
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import * as errors from "../../src/web/errors.js";
import { tokenSourceFromFunction } from "../../src/web/index.js";
import { healthClient, startGrpcWebServer } from "./helpers/servers.js";

/** The errors module again, as a separate instance: its classes are not ours. */
async function secondCopy(): Promise<typeof errors> {
  const second = new URL("../../src/web/errors.ts?second-copy", import.meta.url).href;
  return (await import(/* @vite-ignore */ second)) as typeof errors;
}

describe("error codes", () => {
  it("every error has a code from one union, so switch (err.code) tells them apart", () => {
    const all: errors.GrpcWebOidcError[] = [
      new errors.InsecureTransportError("http://x", "plaintext"),
      new errors.SessionEndedError("invalid_grant"),
      new errors.TokenRefreshError("network"),
      new errors.SignInError("access_denied"),
      new errors.StorageUnavailableError("local"),
    ];
    const names = all.map((e) => {
      switch (e.code) {
        case "ERR_INSECURE_TRANSPORT":
        case "ERR_SESSION_ENDED":
        case "ERR_TOKEN_REFRESH":
        case "ERR_SIGN_IN":
        case "ERR_STORAGE_UNAVAILABLE":
          return `${e.code}:${e.name}`;
        default: {
          // A new code that this switch does not handle fails the type check here.
          const unhandled: never = e.code;
          return unhandled;
        }
      }
    });
    expect(names).toEqual([
      "ERR_INSECURE_TRANSPORT:InsecureTransportError",
      "ERR_SESSION_ENDED:SessionEndedError",
      "ERR_TOKEN_REFRESH:TokenRefreshError",
      "ERR_SIGN_IN:SignInError",
      "ERR_STORAGE_UNAVAILABLE:StorageUnavailableError",
    ]);
  });

  it("isSessionEnded and the reason helpers work on errors from a second copy of the package", async () => {
    const other = await secondCopy();
    const ended = new other.SessionEndedError("revoked");
    const refresh = new other.TokenRefreshError("idp-error", "server_error");
    expect(ended instanceof errors.SessionEndedError).toBe(false); // why codes are needed
    expect(errors.isSessionEnded(ended)).toBe(true);
    expect(errors.sessionEndedReason(ended)).toBe("revoked");
    expect(errors.refreshErrorReason(refresh)).toBe("idp-error");
    expect(errors.isSessionEnded(refresh)).toBe(false);
    // Through a ConnectError's cause chain, as a client call throws it.
    const wrapped = new ConnectError("x", Code.Unauthenticated, undefined, undefined, ended);
    expect(errors.sessionEndedReason(wrapped)).toBe("revoked");
    expect(errors.isSessionEnded(new Error("session ended"))).toBe(false);
  });

  it("the transport maps a second copy's token-source errors to UNAUTHENTICATED and UNAVAILABLE", async () => {
    const other = await secondCopy();
    const srv = await startGrpcWebServer({});
    try {
      const call = (err: Error) =>
        healthClient(
          srv.url,
          tokenSourceFromFunction(() => {
            throw err;
          }),
        )
          .check({})
          .catch((e: unknown) => e);
      const ended = await call(new other.SessionEndedError("invalid_grant"));
      expect(ConnectError.from(ended).code).toBe(Code.Unauthenticated);
      expect(errors.sessionEndedReason(ended)).toBe("invalid_grant");
      const down = await call(new other.TokenRefreshError("network"));
      expect(ConnectError.from(down).code).toBe(Code.Unavailable);
      expect(srv.seen).toHaveLength(0);
    } finally {
      await srv.stop();
    }
  });
});
