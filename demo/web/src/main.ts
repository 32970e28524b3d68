/**
 * The demo web app: sign in through the local IdP, call the Notes service over gRPC-Web with
 * the grpc-web-oidc transport, and show what the SDK does (refreshes, retries, session end).
 * The access token is never rendered or logged; only its claims and expiry.
 */
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { buildAccessPolicy } from "../../../src/access/index.js";
import { dpop } from "../../../src/web/dpop.js";
import {
  type AuthEvent,
  createOidcTransport,
  createSessionTransport,
  GatewaySession,
  OidcTokenSource,
  type SessionInfo,
} from "../../../src/web/index.js";
import { NotesService } from "../../gen/demo/v1/notes_pb.js";
import { SHORT_TTL_SECONDS, type WebAppConfig, type WebStorageKind } from "../config.js";
import { missingText, requirementText } from "./access-hint.js";

/** The access policy from the proto options: what each method needs, for the UI's words. */
const policy = buildAccessPolicy([NotesService]);
const ruleOf = (method: string) => policy.lookup(`/${NotesService.typeName}/${method}`)?.rule;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`missing element ${id}`);
  return el;
};

const show = (id: string, visible: boolean): void => {
  $(id).hidden = !visible;
};

// ---------------------------------------------------------------- event log

type LogKind = "auth" | "rpc" | "app";

function log(
  kind: LogKind,
  message: string,
  attrs: {
    event?: string;
    code?: string;
    source?: string;
    level?: "info" | "error";
    /** `auto`: a call the app made by itself (the list after Create note), not a click. */
    trigger?: "auto";
  } = {},
): void {
  const li = document.createElement("li");
  li.dataset.testid = "log-entry";
  li.dataset.kind = kind;
  li.dataset.level = attrs.level ?? "info";
  if (attrs.event) li.dataset.event = attrs.event;
  if (attrs.code) li.dataset.code = attrs.code;
  if (attrs.source) li.dataset.source = attrs.source;
  if (attrs.trigger) li.dataset.trigger = attrs.trigger;
  const time = document.createElement("span");
  time.className = "time";
  time.textContent = new Date().toLocaleTimeString([], { hour12: false });
  const k = document.createElement("span");
  k.className = "kind";
  k.textContent = kind;
  const msg = document.createElement("span");
  msg.className = "msg";
  msg.textContent = message;
  li.append(time, k, msg);
  const list = $("event-log");
  list.prepend(li);
  while (list.children.length > 300) list.lastElementChild?.remove();
}

/** `PermissionDenied` → `PERMISSION_DENIED`, the gRPC status name people know. */
function codeName(code: Code): string {
  return (Code[code] ?? "UNKNOWN").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

function errorCode(err: unknown): string {
  return codeName(ConnectError.from(err).code);
}

function errorText(err: unknown): string {
  const e = ConnectError.from(err);
  return `${codeName(e.code)}: ${e.rawMessage}`;
}

// ---------------------------------------------------------------- config

async function loadConfig(): Promise<WebAppConfig> {
  const res = await fetch("/config.json", { cache: "no-store" });
  if (!res.ok) throw new Error(`could not load /config.json (HTTP ${res.status})`);
  return (await res.json()) as WebAppConfig;
}

const STORAGE_CHOICE = "gwo.demo.storage";

/** `?storage=` wins and is remembered for this tab (it is lost on the IdP round trip). */
function storageKind(config: WebAppConfig): WebStorageKind {
  const fromQuery = new URLSearchParams(location.search).get("storage");
  if (fromQuery === "local" || fromQuery === "session" || fromQuery === "memory") {
    sessionStorage.setItem(STORAGE_CHOICE, fromQuery);
    return fromQuery;
  }
  const remembered = sessionStorage.getItem(STORAGE_CHOICE);
  if (remembered === "local" || remembered === "session" || remembered === "memory") {
    return remembered;
  }
  return config.storage ?? "local";
}

// ---------------------------------------------------------------- session view

let countdown: number | undefined;
/** The session shown, for saying what a denied call lacked. */
let currentSession: SessionInfo | undefined;

function chips(values: readonly string[]): DocumentFragment {
  const f = document.createDocumentFragment();
  if (values.length === 0) {
    const none = document.createElement("span");
    none.className = "muted";
    none.textContent = "none";
    f.append(none);
  }
  for (const v of values) {
    const c = document.createElement("span");
    c.className = "chip";
    c.textContent = v;
    f.append(c);
  }
  return f;
}

/**
 * Shows the session. `ended`: the session is over but the page stays as it was (calls now
 * fail fast) under the sign-in prompt, so the user keeps their context.
 */
function renderSession(next: SessionInfo | undefined, ended = false): void {
  currentSession = next;
  const signedIn = next !== undefined;
  show("signed-in", signedIn || ended);
  show("signed-out", !signedIn && !ended);
  show("user-chip", signedIn);
  show("btn-signout", signedIn);
  show("btn-signin", !signedIn);
  if (countdown !== undefined) clearInterval(countdown);
  countdown = undefined;
  if (!next) {
    const el = $("session-expiry");
    el.textContent = "session ended";
    el.dataset.seconds = "0";
    return;
  }
  $("user-name").textContent = next.subject;
  $("session-subject").textContent = next.subject;
  $("session-scopes").replaceChildren(chips(next.scopes));
  $("session-roles").replaceChildren(chips(next.roles));
  if (!Number.isFinite(next.expiresAt)) {
    // Session mode: the expiry is in an HttpOnly cookie this page cannot (and need not) read.
    $("session-expiry").textContent = "held by the gateway (HttpOnly cookies)";
    return;
  }
  const tick = (): void => {
    const s = Math.max(0, Math.round((next.expiresAt - Date.now()) / 1000));
    const el = $("session-expiry");
    el.textContent = s > 0 ? `expires in ${s} s` : "expired (renews on the next call)";
    el.dataset.seconds = String(s);
  };
  tick();
  countdown = window.setInterval(tick, 1000);
}

// ---------------------------------------------------------------- app

async function main(): Promise<void> {
  const config = await loadConfig();
  if (config.session) return sessionMain(config);
  const storage = storageKind(config);

  if (config.path) {
    $("path-badge").textContent = config.path === "envoy" ? "via Envoy" : "direct gRPC-Web";
    show("path-badge", true);
  }
  if (config.tokenTtl !== undefined && config.tokenTtl <= SHORT_TTL_SECONDS) {
    $("ttl-badge").textContent = `short TTL: ${config.tokenTtl} s`;
    show("ttl-badge", true);
  }
  $("storage-badge").textContent = `storage: ${storage}`;
  show("storage-badge", true);
  show("dpop-badge", config.dpop === true);

  const tokens = new OidcTokenSource({
    authority: config.authority,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    postLogoutRedirectUri: config.redirectUri,
    scope: config.scope,
    resource: config.resource,
    storage,
    ...(config.rolesClaim !== undefined ? { rolesClaim: config.rolesClaim } : {}),
    ...(config.refreshLeewaySeconds !== undefined
      ? { refreshLeewaySeconds: config.refreshLeewaySeconds }
      : {}),
    ...(config.dpop ? { dpop: dpop() } : {}),
  });

  let promptShown = false;
  tokens.subscribe((ev: AuthEvent) => {
    switch (ev.type) {
      case "signed-in":
        promptShown = false;
        show("signin-prompt", false);
        log("auth", `signed in as ${ev.session.subject}`, { event: ev.type });
        renderSession(ev.session);
        break;
      case "refresh-start":
        log("auth", "refresh started (this tab)", { event: ev.type, source: "this-tab" });
        break;
      case "refresh-done":
        log("auth", `refresh done (${ev.source === "this-tab" ? "this tab" : "other tab"})`, {
          event: ev.type,
          source: ev.source,
        });
        renderSession(ev.session);
        break;
      case "refresh-error":
        log("auth", `refresh failed (${ev.reason}); will try again`, {
          event: ev.type,
          level: "error",
        });
        break;
      case "retry":
        log("auth", `retry after UNAUTHENTICATED: ${ev.method}`, { event: ev.type });
        break;
      case "session-ended":
        renderSession(undefined, ev.reason !== "signed-out");
        if (ev.reason === "signed-out") {
          log("auth", "signed out", { event: ev.type });
          break;
        }
        log("auth", `session over (${ev.reason}): sign in again`, {
          event: ev.type,
          level: "error",
        });
        if (!promptShown) {
          promptShown = true;
          const prompt = $("signin-prompt");
          prompt.dataset.shownCount = String(Number(prompt.dataset.shownCount ?? "0") + 1);
          show("signin-prompt", true);
        }
        break;
    }
  });

  const signIn = async (): Promise<void> => {
    try {
      await tokens.signinRedirect();
    } catch (err) {
      appError(`Sign-in failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  for (const id of ["btn-signin", "btn-hero-signin", "btn-prompt-signin"]) {
    $(id).addEventListener("click", () => void signIn());
  }
  $("btn-signout").addEventListener("click", () => {
    void tokens.signOut({ redirect: true }).catch((err: unknown) => {
      appError(`Sign-out failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  $("btn-clear-log").addEventListener("click", () => $("event-log").replaceChildren());

  // Back from the IdP: finish the code exchange (the SDK drops code and state from the URL).
  const params = new URLSearchParams(location.search);
  if (params.has("code") || params.has("error")) {
    try {
      await tokens.handleCallback();
    } catch (err) {
      appError(`Sign-in failed: ${err instanceof Error ? err.message : String(err)}`);
      history.replaceState(null, "", "/");
    }
  } else if (params.has("state")) {
    history.replaceState(null, "", "/"); // back from sign-out
  }
  renderSession(await tokens.getSession());

  // The transport refuses plaintext before any request leaves; say why and disable calls.
  let client: Client<typeof NotesService> | undefined;
  try {
    client = createClient(NotesService, createOidcTransport({ baseUrl: config.apiUrl, tokens }));
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const banner = $("insecure-banner");
    banner.textContent = `API calls are disabled: ${msg}`;
    show("insecure-banner", true);
    log("app", `API calls disabled: ${msg}`, { event: "insecure-transport", level: "error" });
  }
  wireCalls(client);
}

/**
 * Session mode: the gateway holds the tokens; this page signs in and out with navigations to it
 * and learns who is signed in from WhoAmI. There is no token, no expiry and no storage here.
 */
async function sessionMain(config: WebAppConfig): Promise<void> {
  $("path-badge").textContent = "via Envoy";
  show("path-badge", true);
  show("session-badge", true);
  const session = new GatewaySession({ gateway: config.apiUrl });
  let promptShown = false;
  session.subscribe((ev: AuthEvent) => {
    if (ev.type !== "session-ended") return;
    renderSession(undefined, ev.reason !== "signed-out");
    if (ev.reason === "signed-out") {
      log("auth", "signed out", { event: ev.type });
      return;
    }
    log("auth", `session over (${ev.reason}): sign in again`, { event: ev.type, level: "error" });
    if (!promptShown) {
      promptShown = true;
      const prompt = $("signin-prompt");
      prompt.dataset.shownCount = String(Number(prompt.dataset.shownCount ?? "0") + 1);
      show("signin-prompt", true);
    }
  });
  for (const id of ["btn-signin", "btn-hero-signin", "btn-prompt-signin"]) {
    $(id).addEventListener("click", () => session.signIn());
  }
  $("btn-signout").addEventListener("click", () => session.signOut());
  $("btn-clear-log").addEventListener("click", () => $("event-log").replaceChildren());
  if (new URLSearchParams(location.search).has("state")) history.replaceState(null, "", "/");

  let client: Client<typeof NotesService> | undefined;
  try {
    client = createClient(
      NotesService,
      createSessionTransport({ baseUrl: config.apiUrl, session }),
    );
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    $("insecure-banner").textContent = `API calls are disabled: ${msg}`;
    show("insecure-banner", true);
  }
  // Who is signed in: the gateway knows; an UNAUTHENTICATED here just means "signed out".
  const me = await client?.whoAmI({}).catch(() => undefined);
  if (me) {
    log("auth", `signed in as ${me.subject} (session held by the gateway)`, { event: "signed-in" });
    renderSession({
      subject: me.subject,
      scopes: [...me.scopes],
      roles: [...me.roles],
      expiresAt: Number.NaN,
    });
  } else {
    renderSession(undefined);
    show("signin-prompt", false);
  }
  wireCalls(client);
}

function appError(message: string): void {
  const el = $("app-error");
  el.textContent = message;
  show("app-error", true);
  log("app", message, { level: "error" });
}

function setResult(id: string, ok: boolean, text: string, code: string): void {
  const el = $(id);
  el.className = `result ${ok ? "ok" : "error"}`;
  el.textContent = text;
  el.dataset.code = code;
}

/**
 * Runs one RPC: logs its outcome with the status code name and shows it in the result line.
 * A call the app makes by itself (`auto`) is logged but leaves the result line alone, so the
 * result of what the person clicked stays in view.
 */
async function call<T>(
  method: string,
  fn: () => Promise<T>,
  describe: (r: T) => string,
  o: { auto?: boolean } = {},
): Promise<T | undefined> {
  const trigger = o.auto ? ({ trigger: "auto" } as const) : {};
  try {
    const r = await fn();
    const text = `${method} → OK · ${describe(r)}`;
    if (!o.auto) setResult("call-result", true, text, "OK");
    log("rpc", text, { event: method, code: "OK", ...trigger });
    return r;
  } catch (err) {
    const code = errorCode(err);
    const text =
      code === "PERMISSION_DENIED" ? denialText(method, err) : `${method} → ${errorText(err)}`;
    if (!o.auto) setResult("call-result", false, text, code);
    log("rpc", text, { event: method, code, level: "error", ...trigger });
    return undefined;
  }
}

/** "PurgeNotes → Permission denied: needs role admin (your roles: none) · PERMISSION_DENIED: …" */
function denialText(method: string, err: unknown): string {
  const rule = ruleOf(method);
  const missing = missingText(rule, currentSession);
  return (
    `${method} → Permission denied: needs ${requirementText(rule)}` +
    `${missing ? ` (${missing})` : ""} · ${errorText(err)}`
  );
}

function renderNotes(notes: readonly { id: string; text: string; author: string }[]): void {
  const list = $("notes-list");
  list.replaceChildren(
    ...notes.map((n) => {
      const li = document.createElement("li");
      li.dataset.testid = "note";
      li.textContent = n.text;
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = `by ${n.author}`;
      li.append(meta);
      return li;
    }),
  );
}

function wireCalls(client: Client<typeof NotesService> | undefined): void {
  // Each call button says what its method needs, from the same proto options.
  for (const [id, method] of [
    ["btn-whoami", "WhoAmI"],
    ["btn-list", "ListNotes"],
    ["btn-create", "CreateNote"],
    ["btn-purge", "PurgeNotes"],
    ["btn-watch", "WatchNotes"],
  ] as const) {
    $(id).title = `Needs ${requirementText(ruleOf(method))}`;
  }

  const refused = (method: string): void => {
    const text = `${method} → not sent: ${$("insecure-banner").textContent ?? ""}`;
    setResult("call-result", false, text, "REFUSED");
    log("rpc", text, { event: method, code: "REFUSED", level: "error" });
  };

  $("btn-whoami").addEventListener("click", () => {
    if (!client) return refused("WhoAmI");
    void call(
      "WhoAmI",
      () => client.whoAmI({}),
      (r) =>
        `${r.subject} · scopes ${r.scopes.join(" ") || "none"} · roles ${r.roles.join(" ") || "none"}` +
        (r.peerIdentity ? ` · via ${r.peerIdentity}` : ""),
    );
  });

  const list = async (o: { auto?: boolean } = {}): Promise<void> => {
    if (!client) return refused("ListNotes");
    const r = await call(
      "ListNotes",
      () => client.listNotes({ limit: 20 }),
      (r) => `${r.notes.length} note(s)`,
      o,
    );
    if (r) renderNotes(r.notes);
  };
  $("btn-list").addEventListener("click", () => void list());

  $<HTMLFormElement>("create-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!client) return refused("CreateNote");
    const input = $<HTMLInputElement>("note-text");
    const text = input.value.trim();
    if (!text) return;
    void call(
      "CreateNote",
      () => client.createNote({ text }),
      (r) => `created “${r.note?.text ?? ""}”`,
    ).then((r) => {
      if (r) {
        input.value = "";
        void list({ auto: true });
      }
    });
  });

  $("btn-purge").addEventListener("click", () => {
    if (!client) return refused("PurgeNotes");
    void call(
      "PurgeNotes",
      () => client.purgeNotes({}),
      (r) => `deleted ${r.deleted} note(s)`,
    ).then((r) => {
      if (r) renderNotes([]);
    });
  });

  let watch: AbortController | undefined;
  const stopBtn = $<HTMLButtonElement>("btn-watch-stop");
  const startBtn = $<HTMLButtonElement>("btn-watch");
  stopBtn.addEventListener("click", () => watch?.abort());
  $<HTMLFormElement>("watch-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!client) return refused("WatchNotes");
    const count = Number($<HTMLInputElement>("watch-count").value) || 5;
    const intervalMs = Number($<HTMLInputElement>("watch-interval").value) || 0;
    const messages = $("watch-messages");
    messages.replaceChildren();
    watch = new AbortController();
    const signal = watch.signal;
    startBtn.disabled = true;
    stopBtn.disabled = false;
    const status = $("watch-status");
    status.className = "result";
    status.textContent = "streaming…";
    status.dataset.state = "running";
    void (async () => {
      let received = 0;
      try {
        for await (const m of client.watchNotes({ count, intervalMs }, { signal })) {
          received++;
          const li = document.createElement("li");
          li.dataset.testid = "watch-message";
          li.textContent = `#${m.seq} ${m.note?.text ?? ""}`;
          messages.append(li);
          status.textContent = `streaming… ${received}/${count}`;
        }
        setResult("watch-status", true, `WatchNotes → OK · ${received} message(s)`, "OK");
        status.dataset.state = "done";
        log("rpc", `WatchNotes → OK · ${received} message(s)`, { event: "WatchNotes", code: "OK" });
      } catch (err) {
        const code = errorCode(err);
        const stopped = code === "CANCELED" && signal.aborted;
        const text = stopped
          ? `WatchNotes → stopped after ${received} message(s)`
          : `WatchNotes → ${errorText(err)}`;
        setResult("watch-status", stopped, text, code);
        status.dataset.state = stopped ? "stopped" : "error";
        log("rpc", text, { event: "WatchNotes", code, level: stopped ? "info" : "error" });
      } finally {
        startBtn.disabled = false;
        stopBtn.disabled = true;
      }
    })();
  });
}

main()
  .then(() => document.body.setAttribute("data-ready", "true"))
  .catch((err: unknown) => {
    appError(`The app could not start: ${err instanceof Error ? err.message : String(err)}`);
    document.body.setAttribute("data-ready", "error");
  });
