// The channel between tabs: BroadcastChannel, and where it is missing, storage events on a
// ping key in localStorage.
import { afterEach, describe, expect, it, vi } from "vitest";
import { openTabChannel, type TabMessage } from "../../src/web/tab-channel.js";

afterEach(() => {
  vi.unstubAllGlobals();
});

const settle = () => new Promise((r) => setTimeout(r, 20));

describe("tab channel", () => {
  it("delivers every message to the other tabs on the same name, not to other names", async () => {
    const got: TabMessage[] = [];
    const other: TabMessage[] = [];
    const a = openTabChannel("t1", () => {});
    const b = openTabChannel("t1", (m) => got.push(m));
    const c = openTabChannel("t2", (m) => other.push(m));
    a.post({ type: "refreshed" });
    a.post({ type: "session-ended", reason: "invalid_grant" });
    await settle();
    expect(got).toEqual([
      { type: "refreshed" },
      { type: "session-ended", reason: "invalid_grant" },
    ]);
    expect(other).toEqual([]);
    expect(a.connected).toBe(true);
    for (const ch of [a, b, c]) ch.close();
  });

  it("without BroadcastChannel, storage events on a ping key carry the messages, repeats included", () => {
    // A browser without BroadcastChannel: another tab's localStorage writes arrive as events.
    const listeners = new Set<(e: StorageEvent) => void>();
    const values = new Map<string, string>();
    const storage = {
      getItem: (k: string) => values.get(k) ?? null,
      setItem(k: string, v: string) {
        values.set(k, v);
        const event = { storageArea: storage, key: k, newValue: v } as unknown as StorageEvent;
        for (const l of listeners) l(event);
      },
      removeItem: (k: string) => values.delete(k),
    };
    vi.stubGlobal("BroadcastChannel", undefined);
    vi.stubGlobal("localStorage", storage);
    vi.stubGlobal("addEventListener", (_t: string, l: (e: StorageEvent) => void) =>
      listeners.add(l),
    );
    vi.stubGlobal("removeEventListener", (_t: string, l: (e: StorageEvent) => void) =>
      listeners.delete(l),
    );
    const got: TabMessage[] = [];
    const tab = openTabChannel("t", (m) => got.push(m));
    expect(tab.connected).toBe(true);
    // Another tab posts (the same message twice: the nonce makes each a new value).
    storage.setItem("gwo.tab:t", JSON.stringify({ message: { type: "refreshed" }, nonce: 1 }));
    storage.setItem("gwo.tab:t", JSON.stringify({ message: { type: "refreshed" }, nonce: 2 }));
    storage.setItem("gwo.tab:t", "not json");
    storage.setItem("gwo.tab:other", JSON.stringify({ message: { type: "signed-in" } }));
    storage.setItem("gwo.tab:t", JSON.stringify({ message: { type: "nonsense" } }));
    expect(got).toEqual([{ type: "refreshed" }, { type: "refreshed" }]);
    // What this tab posts is written with a nonce under the channel's key.
    tab.post({ type: "signed-in" });
    expect(JSON.parse(values.get("gwo.tab:t") ?? "{}")).toMatchObject({
      message: { type: "signed-in" },
    });
    tab.close();
    expect(listeners.size).toBe(0);
  });

  it("with neither, nothing is heard and posting is harmless", () => {
    vi.stubGlobal("BroadcastChannel", undefined);
    vi.stubGlobal("localStorage", undefined);
    const tab = openTabChannel("t", () => {});
    expect(tab.connected).toBe(false);
    tab.post({ type: "refreshed" });
    tab.close();
  });
});
