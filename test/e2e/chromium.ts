/**
 * Debian's Chromium as the browser suite launches it. `playwright.config.ts` passes these to
 * every project; the `browser` fixture (fixtures.ts) adds the one flag that depends on the
 * stack: trust for the development leaf certificate by its SPKI, never every certificate error.
 */
import { existsSync } from "node:fs";

/** The Chromium binary: `CHROMIUM_BIN`, else Debian's. Playwright never downloads a browser here. */
export const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

/** Flags for a quiet, headless, sandbox-less Chromium (CI runs as root in a container). */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/**
 * The flag that makes Chromium accept exactly one certificate (by the base64 SHA-256 of its
 * SPKI). Chromium honours it only with a user-data dir, which every Playwright launch has.
 */
export function trustSpkiArg(spki: string): string {
  return `--ignore-certificate-errors-spki-list=${spki}`;
}
