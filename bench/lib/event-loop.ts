/**
 * What keeps Node's event loop alive, counted by kind (`process.getActiveResourcesInfo()`:
 * `Timeout`, `TCPServerWrap`, `TCPSocketWrap`, `ProcessWrap`, `FSReqCallback`, …; unref'd
 * handles are not listed), so the bench runner and its test can name what a bench left open:
 * a server not closed, a browser not closed, an interval an OIDC library armed. A process that
 * still has any of these when its work is done never exits.
 */

/** How many resources of each kind keep the event loop alive now. */
export type OpenResources = Record<string, number>;

export function openResources(): OpenResources {
  const counts: OpenResources = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** The resources open now beyond `before`, by kind (empty when nothing was left open). */
export function leftOpen(before: OpenResources, now = openResources()): OpenResources {
  const left: OpenResources = {};
  for (const [kind, n] of Object.entries(now)) {
    const extra = n - (before[kind] ?? 0);
    if (extra > 0) left[kind] = extra;
  }
  return left;
}

/**
 * `leftOpen(before)` once closing has run its course: a handle being closed (a server whose
 * close callback has fired, a socket the peer just reset) is still listed until the loop's
 * close phase, so look again for up to `turns` loop turns (not a time: each turn returns at
 * once when nothing is pending) before calling it left open.
 */
export async function leftOpenAfterClose(
  before: OpenResources,
  turns = 100,
): Promise<OpenResources> {
  let left = leftOpen(before);
  for (let i = 0; i < turns && Object.keys(left).length > 0; i++) {
    await new Promise((r) => setImmediate(r));
    left = leftOpen(before);
  }
  return left;
}

/** "4 × Timeout, 1 × TCPServerWrap" (or "nothing"). */
export function describeOpen(left: OpenResources): string {
  const parts = Object.entries(left).map(([kind, n]) => `${n} × ${kind}`);
  return parts.length ? parts.join(", ") : "nothing";
}
