// SessionInfo.roles reads the roles claim the way the backend kit and the gateway do:
// a name, or a dotted path into objects (Keycloak's `realm_access.roles`).
import { afterEach, describe, expect, it } from "vitest";
import { OidcTokenSource } from "../../src/web/index.js";
import { StubIdp } from "./helpers/stub-idp.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function sessionWith(claims: Record<string, unknown>, rolesClaim?: string) {
  const idp = await new StubIdp({ accessClaims: claims }).start();
  cleanups.push(() => idp.stop());
  const { storage } = idp.storageWithSession("alice");
  const t = new OidcTokenSource({
    ...idp.tokenSourceOptions(storage),
    ...(rolesClaim ? { rolesClaim } : {}),
  });
  cleanups.push(() => t.close());
  return t.getSession();
}

describe("rolesClaim", () => {
  it("reads Keycloak's realm_access.roles as a dotted path", async () => {
    const session = await sessionWith(
      { roles: undefined, realm_access: { roles: ["admin", "offline_access"] } },
      "realm_access.roles",
    );
    expect(session?.roles).toEqual(["admin", "offline_access"]);
  });

  it("reads a flat claim by default, and a missing path as no roles", async () => {
    expect((await sessionWith({ roles: ["writer"] }))?.roles).toEqual(["writer"]);
    expect((await sessionWith({ roles: undefined }, "realm_access.roles"))?.roles).toEqual([]);
  });
});
