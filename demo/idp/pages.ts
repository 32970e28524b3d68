/**
 * The IdP's HTML: one small layout, a login form an automated browser can
 * drive (`input[name=login]`, `input[name=password]`, `button[type=submit]`),
 * and the logout / error pages. No external assets; one script, allowed by its hash, that
 * submits the sign-out the app asked for.
 */
import { createHash } from "node:crypto";
import { DEV_USERS } from "./users.js";

const CSS = `
:root { color-scheme: light dark; --accent: #2563eb; --muted: #6b7280; --err: #b91c1c; }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: Canvas; }
main { width: min(22rem, 92vw); padding: 2rem; border: 1px solid #d1d5db; border-radius: 12px;
  box-shadow: 0 4px 16px rgb(0 0 0 / 0.08); }
h1 { font-size: 1.35rem; margin: 0 0 0.25rem; }
p.sub { margin: 0 0 1.25rem; color: var(--muted); font-size: 0.9rem; }
label { display: block; font-size: 0.85rem; margin: 0.75rem 0 0.25rem; }
input { width: 100%; padding: 0.55rem 0.7rem; font: inherit; border: 1px solid #9ca3af; border-radius: 8px; }
input:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
button { width: 100%; margin-top: 1.25rem; padding: 0.6rem; font: inherit; font-weight: 600; color: #fff;
  background: var(--accent); border: 0; border-radius: 8px; cursor: pointer; }
button.secondary { background: transparent; color: var(--accent); border: 1px solid var(--accent); margin-top: 0.5rem; }
.error { margin: 0 0 1rem; padding: 0.6rem 0.75rem; border-radius: 8px; color: var(--err);
  background: rgb(185 28 28 / 0.08); border: 1px solid rgb(185 28 28 / 0.3); font-size: 0.9rem; }
.hint { margin: 1rem 0 0; font-size: 0.8rem; color: var(--muted); }
.hint code { font-size: 0.8rem; }
a { color: var(--accent); }
`;

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}

export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · grpc-web-oidc dev IdP</title>
<style>${CSS}</style>
</head>
<body><main>${body}</main></body>
</html>`;
}

export interface LoginPageOptions {
  readonly uid: string;
  readonly clientName: string;
  /** Pre-fills the login field (after a failed attempt or from `login_hint`). */
  readonly login?: string;
  /** Shown above the form, e.g. "Invalid login or password." */
  readonly error?: string;
}

export function loginPage(o: LoginPageOptions): string {
  const uid = encodeURIComponent(o.uid);
  const users = DEV_USERS.map(
    (u) => `<code>${escapeHtml(u.login)}</code> / <code>${escapeHtml(u.password)}</code>`,
  ).join(", ");
  return layout(
    "Sign in",
    `<h1>Sign in</h1>
<p class="sub">to continue to ${escapeHtml(o.clientName)}</p>
${o.error ? `<p class="error" role="alert">${escapeHtml(o.error)}</p>` : ""}
<form method="post" action="/interaction/${uid}/login" autocomplete="off">
  <label for="login">Username</label>
  <input id="login" name="login" type="text" autocomplete="username" required autofocus value="${escapeHtml(o.login ?? "")}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>
<p class="hint">Development users: ${users}.</p>
<p class="hint"><a href="/interaction/${uid}/abort">Cancel and return to the application</a></p>`,
  );
}

export function logoutPage(form: string, host: string): string {
  return layout(
    "Sign out",
    `<h1>Sign out</h1>
<p class="sub">Do you want to sign out from ${escapeHtml(host)}?</p>
${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button>
<button class="secondary" type="submit" form="op.logoutForm">Stay signed in</button>`,
  );
}

const AUTO_SUBMIT = 'document.getElementById("op.logoutForm").submit();';

/**
 * The sign-out an app asked for with a valid id_token_hint: oidc-provider's form (its xsrf
 * field) with `logout=yes`, submitted at once by a script that the CSP allows by hash only;
 * without scripts a button does the same.
 */
export function autoLogoutPage(form: string): { html: string; csp: string } {
  const withYes = form.replace(
    "</form>",
    '<input type="hidden" name="logout" value="yes"/></form>',
  );
  const hash = createHash("sha256").update(AUTO_SUBMIT).digest("base64");
  const html = layout(
    "Signing out",
    `<h1>Signing out…</h1>
${withYes}
<noscript><button autofocus type="submit" form="op.logoutForm">Sign out</button></noscript>
<script>${AUTO_SUBMIT}</script>`,
  );
  return {
    html,
    csp: `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${hash}'; frame-ancestors 'none'`,
  };
}

export function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><p class="sub">${escapeHtml(message)}</p>`);
}

export function loggedOutPage(): string {
  return messagePage("Signed out", "You have been signed out.");
}

/** Shows only `error` and `error_description` (never request parameters). */
export function errorPage(out: {
  readonly error?: string;
  readonly error_description?: string;
}): string {
  const rows = [
    out.error ? `<p><strong>error</strong>: ${escapeHtml(out.error)}</p>` : "",
    out.error_description ? `<p>${escapeHtml(out.error_description)}</p>` : "",
  ].join("");
  return layout("Error", `<h1>Something went wrong</h1>${rows}`);
}
