/**
 * The IdP's interaction routes (they replace oidc-provider's devInteractions):
 *
 *   GET  /interaction/:uid         login form, or — for the consent prompt —
 *                                  an automatic grant (the demo client is first-party)
 *   POST /interaction/:uid/login   checks the dev user's password
 *   GET  /interaction/:uid/abort   access_denied back to the client
 *
 * Consent grants every requested OIDC scope (so `offline_access` survives and
 * a refresh token is issued) and, per resource, only the API scopes the user
 * may have; the others are recorded as rejected so the consent prompt is not
 * asked again for them.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type Provider from "oidc-provider";
import type { Interaction } from "oidc-provider";
import { loginPage, messagePage } from "./pages.js";
import { authenticate, findUser } from "./users.js";

const MAX_FORM_BYTES = 4096;
const ROUTE = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/login|\/abort)?$/;

/**
 * Handles the request when it is an interaction route; returns false when the
 * path is not one (the caller passes it on to the provider).
 */
export async function handleInteraction(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const path = new URL(req.url ?? "/", "https://idp.invalid").pathname;
  const match = ROUTE.exec(path);
  if (!match) return false;
  const action = match[2] ?? "";
  try {
    const details = await provider.interactionDetails(req, res);
    if (action === "" && req.method === "GET") {
      if (details.prompt.name === "login") {
        sendHtml(
          res,
          200,
          loginPage({
            uid: details.uid,
            clientName: await clientName(provider, details),
            ...hint(details),
          }),
        );
      } else {
        await grantConsent(provider, details, req, res);
      }
    } else if (action === "/login" && req.method === "POST") {
      const form = await readForm(req);
      const login = form.get("login") ?? "";
      const user = authenticate(login, form.get("password") ?? "");
      if (!user) {
        sendHtml(
          res,
          401,
          loginPage({
            uid: details.uid,
            clientName: await clientName(provider, details),
            login,
            error: "Invalid username or password.",
          }),
        );
        return true;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.login } },
        { mergeWithLastSubmission: false },
      );
    } else if (action === "/abort" && req.method === "GET") {
      await provider.interactionFinished(
        req,
        res,
        { error: "access_denied", error_description: "End-User aborted interaction" },
        { mergeWithLastSubmission: false },
      );
    } else {
      res.writeHead(405, { allow: action === "/login" ? "POST" : "GET" }).end();
    }
  } catch (err) {
    // Expired or unknown interaction (cookie missing, uid stale): a plain page, no details.
    if (!res.headersSent) {
      const name = err instanceof Error ? err.name : "Error";
      sendHtml(
        res,
        400,
        messagePage(
          "Sign-in failed",
          name === "SessionNotFound"
            ? "This sign-in request has expired. Go back to the application and sign in again."
            : "Bad request.",
        ),
      );
    }
  }
  return true;
}

async function grantConsent(
  provider: Provider,
  details: Interaction,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const accountId = details.session?.accountId;
  const user = accountId ? findUser(accountId) : undefined;
  const clientId = details.params.client_id;
  if (!user || typeof clientId !== "string") {
    await provider.interactionFinished(
      req,
      res,
      { error: "access_denied", error_description: "unknown account" },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: user.login, clientId });
  if (!grant) throw new Error("grant not found");
  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims?.length) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    const allowed = scopes.filter((s) => (user.scopes as readonly string[]).includes(s));
    const denied = scopes.filter((s) => !allowed.includes(s));
    if (allowed.length) grant.addResourceScope(indicator, allowed.join(" "));
    if (denied.length) grant.rejectResourceScope(indicator, denied.join(" "));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    { consent: details.grantId ? {} : { grantId } },
    { mergeWithLastSubmission: true },
  );
}

async function clientName(provider: Provider, details: Interaction): Promise<string> {
  const id = details.params.client_id;
  if (typeof id !== "string") return "the application";
  const client = await provider.Client.find(id);
  return client?.clientName ?? id;
}

function hint(details: Interaction): { login?: string } {
  const h = details.params.login_hint;
  return typeof h === "string" && h.length <= 64 ? { login: h } : {};
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers["content-type"] ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) return new URLSearchParams();
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new Error("form too large");
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    // No scripts at all; no framing (clickjacking of the login form).
    "content-security-policy":
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
  });
  res.end(html);
}
