// Bundle bench: oidc-client-ts alone, used as the anchor apps use it (sign in, a token),
// subtracted to find the SDK's own share.
import { accessToken, signIn } from "./oidc-session.js";
import { render } from "./shared.js";

await signIn();
render([await accessToken()]);
