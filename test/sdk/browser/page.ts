/**
 * The test page's script (bundled for the browser by `app-server.ts`): one `OidcTokenSource`
 * per tab, configured from `/config.json`, driven by the test through `window.gwoTest`.
 *
 * It never hands a token to the test: bursts report a short fingerprint of each token, enough
 * to tell "same token" from "new token".
 */
import { UserManager } from "oidc-client-ts";
import { type AuthEvent, OidcTokenSource } from "../../../src/web/index.js";
import { resolveTokenStorage } from "../../../src/web/token-storage.js";

/** What the page server serves as `/config.json`. */
export interface PageConfig {
  authority: string;
  clientId: string;
  scope: string;
  resource?: string;
  storage: "local" | "session" | "memory";
  refreshLeewaySeconds?: number;
}

/** The outcome of one burst of concurrent `getToken` calls in one tab. */
export interface BurstResult {
  ok: number;
  /** `<error name>:<reason>` of each failed call. */
  failures: string[];
  /** Distinct token fingerprints the calls resolved to. */
  tokens: string[];
}

export interface GwoTestApi {
  /** Resolves once the page has its token source (and has finished a sign-in callback). */
  ready: Promise<void>;
  signedIn(): Promise<boolean>;
  signIn(): Promise<void>;
  /** `forced` calls with `forceRefresh`, `plain` calls without, all started together. */
  burst(spec: { forced: number; plain: number }): Promise<BurstResult>;
  /** Move this tab's clock forward (the SDK and oidc-client-ts read `Date.now`). */
  skipClock(ms: number): void;
  /** Types of the auth events this tab has seen, in order. */
  events(): string[];
  /**
   * What oidc-client-ts alone does on expiry in this tab: `UserManager.signinSilent()` with
   * no single-flight and no cross-tab lock (the comparison of `npm run bench`).
   * Resolves "ok" or `<error name>:<reason>`.
   */
  rawRenew(): Promise<string>;
}

declare global {
  interface Window {
    gwoTest: GwoTestApi;
  }
}

// The tab's clock: real time plus what the test skipped, so tokens can expire on demand. Kept
// in sessionStorage so that the tab's clock survives the sign-in redirect.
const skippedKey = "gwoTest.skippedMs";
const realNow = Date.now.bind(Date);
let skipped = Number(sessionStorage.getItem(skippedKey) ?? 0);
Date.now = () => realNow() + skipped;

/** FNV-1a of the token, hex: tells tokens apart without revealing them. */
function fingerprint(token: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) {
    h ^= token.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

function describeError(err: unknown): string {
  const e = err as { name?: string; reason?: string } | null;
  return `${e?.name ?? typeof err}:${e?.reason ?? ""}`;
}

const events: string[] = [];

async function start(): Promise<OidcTokenSource> {
  const config = (await (await fetch("/config.json")).json()) as PageConfig;
  const tokens = new OidcTokenSource({
    ...config,
    redirectUri: `${location.origin}/callback`,
  });
  tokens.subscribe((e: AuthEvent) => events.push(e.type));
  if (location.pathname === "/callback") {
    await tokens.handleCallback();
    history.replaceState(null, "", "/");
  }
  return tokens;
}

const started = start();

/** oidc-client-ts alone on this tab's token store (the SDK's own storage, same key). */
async function plainUserManager(): Promise<UserManager> {
  const config = (await (await fetch("/config.json")).json()) as PageConfig;
  const storage = resolveTokenStorage(config.storage);
  return new UserManager({
    authority: config.authority,
    client_id: config.clientId,
    redirect_uri: `${location.origin}/callback`,
    scope: config.scope,
    userStore: storage.userStore,
    stateStore: storage.stateStore,
  });
}

window.gwoTest = {
  ready: started.then(() => undefined),
  async signedIn() {
    return (await (await started).getSession()) !== undefined;
  },
  async signIn() {
    await (await started).signinRedirect();
  },
  async burst({ forced, plain }) {
    const tokens = await started;
    const calls = [
      ...Array.from({ length: forced }, () => tokens.getToken({ forceRefresh: true })),
      ...Array.from({ length: plain }, () => tokens.getToken()),
    ];
    const settled = await Promise.allSettled(calls);
    const result: BurstResult = { ok: 0, failures: [], tokens: [] };
    const seen = new Set<string>();
    for (const s of settled) {
      if (s.status === "fulfilled") {
        result.ok++;
        seen.add(fingerprint(s.value));
      } else {
        result.failures.push(describeError(s.reason));
      }
    }
    result.tokens = [...seen];
    return result;
  },
  skipClock(ms) {
    skipped += ms;
    sessionStorage.setItem(skippedKey, String(skipped));
  },
  events: () => [...events],
  async rawRenew() {
    await started;
    try {
      await (await plainUserManager()).signinSilent();
      return "ok";
    } catch (err) {
      return describeError(err);
    }
  },
};
