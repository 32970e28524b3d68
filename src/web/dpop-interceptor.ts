/**
 * The DPoP interceptor (RFC 9449 §7): turns the auth interceptor's `Bearer` into the
 * `DPoP` scheme and adds a fresh proof to every attempt of every call (unary calls, and
 * server streams once at their start), with `htm` POST and `htu` the request URL. When
 * the server answers UNAUTHENTICATED with `WWW-Authenticate: DPoP error="use_dpop_nonce"`
 * and a `DPoP-Nonce`, it retries once with that nonce; nonces the server hands out on
 * success are kept for the next call to the same origin (§8.2).
 *
 * Put it inside the auth interceptor (`[authInterceptor(tokens), dpopInterceptor(...)]`),
 * so each of the auth interceptor's attempts gets its own proof.
 */

import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { createDpopProver, type DpopProver } from "./dpop-prover.js";
import { replayable } from "./stream-replay.js";

/** Options of {@link dpopInterceptor}. */
export interface DpopInterceptorOptions {
  /**
   * The key pair the access tokens are bound to, for the token about to be sent. Called
   * again only when the token changes (a new sign-in may come with a new key).
   *
   * @example
   * keys: () => tokens.dpopKeys()
   */
  keys: (accessToken: string) => Promise<CryptoKeyPair>;
}

const SCHEME = /^(bearer|dpop) +(\S+)$/i;

/** True when a refusal asks for a (new) server nonce. */
function nonceChallenge(err: unknown): string | undefined {
  if (!(err instanceof ConnectError) || err.code !== Code.Unauthenticated) return undefined;
  const challenge = err.metadata.get("www-authenticate") ?? "";
  if (!/(^|[\s,])DPoP\b[^,]*?error="use_dpop_nonce"/i.test(challenge)) return undefined;
  return err.metadata.get("dpop-nonce") ?? undefined;
}

/** Create the interceptor. */
export function dpopInterceptor(options: DpopInterceptorOptions): Interceptor {
  let prover: { token: string; prover: Promise<DpopProver> } | undefined;
  /** The last nonce each origin handed out. */
  const nonces = new Map<string, string>();

  return (next) => async (req) => {
    const match = SCHEME.exec(req.header.get("authorization") ?? "");
    if (!match) return next(req); // no token on this call (public method): nothing to prove
    const token = match[2]!;
    if (prover?.token !== token) {
      const made = options.keys(token).then(createDpopProver);
      prover = { token, prover: made };
      // A missing key is not cached: a later call (after a new sign-in) asks again.
      made.catch(() => {
        if (prover?.prover === made) prover = undefined;
      });
    }
    const current = prover.prover.catch((err: unknown) => {
      throw new ConnectError(
        "no DPoP key for this session; sign in again",
        Code.Unauthenticated,
        undefined,
        undefined,
        err,
      );
    });
    const url = new URL(req.url);
    const origin = url.origin;
    const htu = `${origin}${url.pathname}`;
    const sign = async () => {
      const nonce = nonces.get(origin);
      const proof = await (await current).proof({
        htm: req.requestMethod,
        htu,
        accessToken: token,
        ...(nonce === undefined ? {} : { nonce }),
      });
      req.header.set("authorization", `DPoP ${token}`);
      req.header.set("dpop", proof);
    };
    const remember = (headers: Headers) => {
      const nonce = headers.get("dpop-nonce");
      if (nonce) nonces.set(origin, nonce);
    };

    // Server streams wait for their first message: a refusal may come in the body's trailer.
    const attempt = await replayable(next, req);

    await sign();
    try {
      const res = await attempt();
      remember(res.header);
      return res;
    } catch (err) {
      const nonce = nonceChallenge(err);
      if (nonce === undefined || nonce === nonces.get(origin) || req.signal.aborted) throw err;
      nonces.set(origin, nonce);
      await sign();
      const res = await attempt();
      remember(res.header);
      return res;
    }
  };
}
