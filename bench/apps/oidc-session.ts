// The hand-written OIDC part of the anchor apps (grpc-web, protobuf-ts), on oidc-client-ts
// alone: sign in with code + PKCE, keep the user in localStorage (shared by tabs), and renew
// with the refresh token when the access token is about to expire. This is what people write
// without our SDK (no single-flight, no cross-tab lock).
import { type User, UserManager, WebStorageStateStore } from "oidc-client-ts";
import { AUTHORITY, CLIENT_ID } from "./shared.js";

export const userManager = new UserManager({
  authority: AUTHORITY,
  client_id: CLIENT_ID,
  redirect_uri: `${location.origin}/callback`,
  scope: "openid offline_access",
  userStore: new WebStorageStateStore({ store: localStorage }),
});

/** The signed-in user; completes a redirect sign-in, or starts one. */
export async function signIn(): Promise<User | null> {
  if (location.search.includes("code=")) return await userManager.signinRedirectCallback();
  const user = await userManager.getUser();
  if (!user) await userManager.signinRedirect();
  return user;
}

/** A usable access token: renewed (refresh token) when it expires within 30 s. */
export async function accessToken(force = false): Promise<string> {
  let user = await userManager.getUser();
  if (force || !user || (user.expires_in ?? 0) < 30) user = await userManager.signinSilent();
  if (!user) throw new Error("signed out");
  return user.access_token;
}
