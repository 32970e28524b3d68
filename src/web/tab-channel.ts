/**
 * The channel between the tabs of one origin that share a session: a tab that refreshed,
 * signed in or ended the session tells the others, so they update their state and tell their
 * own subscribers. Messages never carry a token: tabs read the shared store instead.
 *
 * Transport: `BroadcastChannel`; where it is missing (Safari before 15.4), a `storage` event
 * on a ping key in `localStorage` (each message is written there with a nonce, so repeated
 * messages still fire).
 */

import type { SessionEndedReason } from "./errors.js";

/** Messages between tabs. */
export type TabMessage =
  | { type: "refreshed" }
  | { type: "signed-in" }
  | { type: "session-ended"; reason: SessionEndedReason };

/** One tab's end of the channel. */
export interface TabChannel {
  /** Tell the other tabs; best effort (a closed channel only means nobody hears it). */
  post(message: TabMessage): void;
  /** Stop listening. */
  close(): void;
  /** False when this platform has no way to hear other tabs (nothing is ever received). */
  readonly connected: boolean;
}

const noChannel: TabChannel = { post() {}, close() {}, connected: false };

function isTabMessage(v: unknown): v is TabMessage {
  const type = (v as { type?: unknown } | null)?.type;
  return type === "refreshed" || type === "signed-in" || type === "session-ended";
}

/**
 * Open the channel `name` and call `onMessage` for every message another tab posts on it.
 * Without `BroadcastChannel` and `localStorage` there are no other tabs to hear.
 */
export function openTabChannel(name: string, onMessage: (message: TabMessage) => void): TabChannel {
  if (typeof BroadcastChannel === "function") {
    const channel = new BroadcastChannel(name);
    channel.onmessage = (e: MessageEvent<unknown>) => {
      if (isTabMessage(e.data)) onMessage(e.data);
    };
    return {
      post(message) {
        try {
          channel.postMessage(message);
        } catch {
          // Closed: nobody hears it.
        }
      },
      close: () => channel.close(),
      connected: true,
    };
  }
  const g = globalThis as {
    localStorage?: Storage;
    addEventListener?: (type: "storage", listener: (e: StorageEvent) => void) => void;
    removeEventListener?: (type: "storage", listener: (e: StorageEvent) => void) => void;
  };
  const storage = g.localStorage;
  if (!storage || typeof g.addEventListener !== "function") return noChannel;
  const key = `gwo.tab:${name}`;
  const listener = (e: StorageEvent) => {
    if (e.storageArea !== storage || e.key !== key || e.newValue === null) return;
    try {
      const { message } = JSON.parse(e.newValue) as { message?: unknown };
      if (isTabMessage(message)) onMessage(message);
    } catch {
      // Not ours.
    }
  };
  g.addEventListener("storage", listener);
  return {
    post(message) {
      try {
        storage.setItem(key, JSON.stringify({ message, nonce: Math.random() }));
      } catch {
        // Storage full or denied: nobody hears it.
      }
    },
    close: () => g.removeEventListener?.("storage", listener),
    connected: true,
  };
}
