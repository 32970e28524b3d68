/**
 * What the app may know about a session, read from the stored tokens: never a
 * token itself. JWT payloads are decoded, not verified: the server verifies; the client only
 * reads its own claims for display and scheduling.
 */

import { claimList, readClaim } from "../access/claims.js";
import { decodeJwtPayload } from "./jwt-payload.js";
import type { StoredUser } from "./oidc-protocol.js";
import type { SessionInfo } from "./token-source.js";

/** A JWT's own lifetime (`exp` - `iat`) in ms, or undefined when it does not say. */
export function jwtLifetimeMs(token: string): number | undefined {
  const c = decodeJwtPayload(token);
  if (typeof c?.iat !== "number" || typeof c.exp !== "number") return undefined;
  const ms = (c.exp - c.iat) * 1000;
  return ms > 0 ? ms : undefined;
}

/**
 * The {@link SessionInfo} of a stored user: roles from `rolesClaim` in the access token,
 * else in the ID token's claims. `rolesClaim` is a name or a dotted path
 * (`realm_access.roles`), read by the same `readClaim` as the backend kit and the gateway.
 */
export function sessionInfo(user: StoredUser, rolesClaim: string): SessionInfo {
  const claims = decodeJwtPayload(user.access_token);
  const profile = user.profile;
  return {
    subject: typeof profile.sub === "string" ? profile.sub : String(claims?.sub ?? ""),
    scopes: user.scope ? user.scope.split(" ").filter(Boolean) : [],
    roles:
      claimList(readClaim(claims ?? {}, rolesClaim), false) ??
      claimList(readClaim(profile, rolesClaim), false) ??
      [],
    expiresAt: (user.expires_at ?? 0) * 1000,
  };
}
