/**
 * In-memory storage for oidc-provider that, unlike the bundled LRU adapter,
 * can be enumerated: the demo and the tests revoke every grant of a subject
 * ("refresh token revoked at the IdP"). One store per IdP instance, so
 * several IdPs in one process (tests) never share tokens.
 */
import type { Adapter, AdapterFactory, AdapterPayload } from "oidc-provider";

interface Entry {
  readonly payload: AdapterPayload;
  /** epoch ms; Infinity when the model has no expiry. */
  readonly expiresAt: number;
}

/** Models whose entries belong to a grant (revoked together with it). */
const GRANTABLE = new Set([
  "AccessToken",
  "AuthorizationCode",
  "RefreshToken",
  "DeviceCode",
  "BackchannelAuthenticationRequest",
  "PreAuthorizedCode",
]);

export interface GrantSummary {
  readonly grantId: string;
  readonly accountId: string | undefined;
  readonly clientId: string | undefined;
}

export interface MemoryStore {
  /** The `adapter` option for oidc-provider. */
  readonly factory: AdapterFactory;
  /** Every live grant. */
  grants(): GrantSummary[];
  /** Deletes a grant and every token issued under it. */
  revokeGrant(grantId: string): void;
}

export function createMemoryStore(): MemoryStore {
  const entries = new Map<string, Entry>();
  const grantMembers = new Map<string, Set<string>>();
  const byUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();

  const live = (key: string): AdapterPayload | undefined => {
    const e = entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= Date.now()) {
      remove(key);
      return undefined;
    }
    return e.payload;
  };

  const remove = (key: string): void => {
    const e = entries.get(key);
    entries.delete(key);
    if (!e) return;
    const { grantId, uid, userCode } = e.payload;
    if (grantId) grantMembers.get(grantId)?.delete(key);
    if (uid && byUid.get(uid) === key) byUid.delete(uid);
    if (userCode && byUserCode.get(userCode) === key) byUserCode.delete(userCode);
  };

  const revokeGrant = (grantId: string): void => {
    for (const key of grantMembers.get(grantId) ?? []) remove(key);
    grantMembers.delete(grantId);
    remove(`Grant:${grantId}`);
  };

  let writes = 0;
  const sweep = (): void => {
    const now = Date.now();
    for (const [key, e] of entries) if (e.expiresAt <= now) remove(key);
  };

  const factory: AdapterFactory = (model: string): Adapter => {
    const keyOf = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        const key = keyOf(id);
        remove(key);
        if (++writes % 200 === 0) sweep();
        const expiresAt = typeof expiresIn === "number" ? Date.now() + expiresIn * 1000 : Infinity;
        entries.set(key, { payload, expiresAt });
        if (GRANTABLE.has(model) && payload.grantId) {
          let members = grantMembers.get(payload.grantId);
          if (!members) {
            members = new Set();
            grantMembers.set(payload.grantId, members);
          }
          members.add(key);
        }
        if (model === "Session" && payload.uid) byUid.set(payload.uid, key);
        if (payload.userCode) byUserCode.set(payload.userCode, key);
      },
      async find(id) {
        return live(keyOf(id));
      },
      async findByUid(uid) {
        const key = byUid.get(uid);
        return key ? live(key) : undefined;
      },
      async findByUserCode(userCode) {
        const key = byUserCode.get(userCode);
        return key ? live(key) : undefined;
      },
      async consume(id) {
        const payload = live(keyOf(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        remove(keyOf(id));
      },
      async revokeByGrantId(grantId) {
        for (const key of grantMembers.get(grantId) ?? []) remove(key);
        grantMembers.delete(grantId);
      },
    };
  };

  return {
    factory,
    grants() {
      const out: GrantSummary[] = [];
      for (const key of entries.keys()) {
        if (!key.startsWith("Grant:")) continue;
        const payload = live(key);
        if (payload) {
          out.push({
            grantId: key.slice(6),
            accountId: payload.accountId,
            clientId: payload.clientId,
          });
        }
      }
      return out;
    },
    revokeGrant,
  };
}
