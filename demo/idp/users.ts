/**
 * The demo's development users. Passwords equal the login on purpose: these
 * accounts exist only on the local IdP and are documented in the README.
 */

/** The API scopes the demo resource server knows. */
export const API_SCOPES = ["notes.read", "notes.write"] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface DevUser {
  /** Login name; also the `sub` of the user's tokens. */
  readonly login: string;
  readonly password: string;
  /** Display name (`name` claim, profile scope). */
  readonly name: string;
  /** The API scopes this user may be granted; anything else requested is rejected at consent. */
  readonly scopes: readonly ApiScope[];
  /** The `roles` claim of the user's access tokens. */
  readonly roles: readonly string[];
}

export const DEV_USERS: readonly DevUser[] = [
  { login: "reader", password: "reader", name: "Rita Reader", scopes: ["notes.read"], roles: [] },
  {
    login: "writer",
    password: "writer",
    name: "Walter Writer",
    scopes: ["notes.read", "notes.write"],
    roles: [],
  },
  {
    login: "admin",
    password: "admin",
    name: "Ada Admin",
    scopes: ["notes.read", "notes.write"],
    roles: ["admin"],
  },
];

export function findUser(login: string): DevUser | undefined {
  return DEV_USERS.find((u) => u.login === login);
}

/** Checks a login/password pair in constant time per candidate; returns the user or undefined. */
export function authenticate(login: string, password: string): DevUser | undefined {
  const user = findUser(login);
  if (!user) return undefined;
  return timingSafeStringEqual(user.password, password) ? user : undefined;
}

function timingSafeStringEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
