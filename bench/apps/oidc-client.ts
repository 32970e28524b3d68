// Bundle bench (p): oidc-client-ts's protocol layer (`OidcClient`, without `UserManager`, its
// smallest use) doing what OidcTokenSource's own protocol layer does: code + PKCE sign-in by
// redirect, the callback, refresh with the refresh token, the user kept in oidc-client-ts's
// storage format. The OIDC client an app on connect-web ships without the SDK (earlier SDK
// versions ran on it); subtracted from (b) with (a) for the SDK's own share.
import { OidcClient, User, WebStorageStateStore } from "oidc-client-ts";
import { AUTHORITY, CLIENT_ID, render } from "./shared.js";

const client = new OidcClient({
  authority: AUTHORITY,
  client_id: CLIENT_ID,
  redirect_uri: `${location.origin}/callback`,
  scope: "openid offline_access",
  stateStore: new WebStorageStateStore({ store: localStorage }),
});
const key = `user:${AUTHORITY}:${CLIENT_ID}`;

let raw = localStorage.getItem(key);
if (location.search.includes("code=")) {
  raw = new User(await client.processSigninResponse(location.href)).toStorageString();
  localStorage.setItem(key, raw);
} else if (!raw) {
  location.assign((await client.createSigninRequest({ request_type: "si:r" })).url);
}
let user = User.fromStorageString(raw ?? "{}");
if ((user.expires_in ?? 0) < 30 && user.refresh_token) {
  const state = { ...user, refresh_token: user.refresh_token };
  user = new User({ ...state, ...(await client.useRefreshToken({ state })) });
  localStorage.setItem(key, user.toStorageString());
}
render([user.access_token]);
