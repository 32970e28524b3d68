/**
 * The oidc-client-ts `UserManager` the token source runs on, cut the way oidc-client-ts cuts
 * its own extensions: a subclass. It routes every `signinSilent()` (the app's, and the one
 * oidc-client-ts's `automaticSilentRenew` timer makes) through the token source's
 * single-flight, cross-tab refresh, and names the store key from oidc-client-ts's own
 * (protected) `_userStoreKey` instead of a copy of its format.
 */

import {
  type SigninSilentArgs,
  type User,
  UserManager,
  type UserManagerSettings,
} from "oidc-client-ts";

/** How a routed `signinSilent()` is served: by the token source's coordinated refresh. */
export type SilentRenewRoute = (args?: SigninSilentArgs) => Promise<User | null>;

export class RoutedUserManager extends UserManager {
  readonly #route: SilentRenewRoute;

  constructor(settings: UserManagerSettings, route: SilentRenewRoute) {
    super(settings);
    this.#route = route;
  }

  /** The key under which oidc-client-ts keeps the signed-in user in `settings.userStore`. */
  get userKey(): string {
    return this._userStoreKey;
  }

  /** Routed: see the module comment. `signinSilentDirect` is oidc-client-ts's own. */
  override signinSilent(args?: SigninSilentArgs): Promise<User | null> {
    return this.#route(args);
  }

  /** oidc-client-ts's `signinSilent`, for the token source's refresh under its lock. */
  signinSilentDirect(args?: SigninSilentArgs): Promise<User | null> {
    return super.signinSilent(args);
  }
}
