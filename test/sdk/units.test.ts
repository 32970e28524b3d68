// Small pieces: single-flight, locks, grpc-timeout parsing (loopback detection: test/common/).
import { InMemoryWebStorage } from "oidc-client-ts";
import { describe, expect, it } from "vitest";
import { parseGrpcTimeout } from "../../src/web/auth-interceptor.js";
import { singleFlight } from "../../src/web/single-flight.js";
import { inTabLock, storageLeaseLock } from "../../src/web/tab-lock.js";

describe("singleFlight", () => {
  it("shares one run among concurrent callers and starts a new one afterwards", async () => {
    let runs = 0;
    const f = singleFlight(async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 10));
      return runs;
    });
    const results = await Promise.all(Array.from({ length: 100 }, () => f()));
    expect(new Set(results)).toEqual(new Set([1]));
    expect(await f()).toBe(2);
  });

  it("a failed run is not cached", async () => {
    let n = 0;
    const f = singleFlight(async () => {
      if (++n === 1) throw new Error("first");
      return n;
    });
    await expect(f()).rejects.toThrow("first");
    await expect(f()).resolves.toBe(2);
  });

  it("passes the first caller's arguments; a synchronous throw fails that call only", async () => {
    let n = 0;
    const f = singleFlight((x: number): Promise<number> => {
      if (++n === 1) throw new Error("sync");
      return new Promise((r) => setTimeout(() => r(x), 5));
    });
    await expect(f(0)).rejects.toThrow("sync");
    expect(await Promise.all([f(7), f(8)])).toEqual([7, 7]);
    expect(n).toBe(2);
  });
});

describe("locks", () => {
  for (const [name, make] of [
    ["inTabLock", () => inTabLock()],
    [
      "storageLeaseLock",
      () => storageLeaseLock(new InMemoryWebStorage(), { settleMs: 5, pollMs: 5 }),
    ],
  ] as const) {
    it(`${name} never runs two holders at once`, async () => {
      const lock = make();
      let inside = 0;
      let max = 0;
      await Promise.all(
        Array.from({ length: 5 }, () =>
          lock.request("x", async () => {
            max = Math.max(max, ++inside);
            await new Promise((r) => setTimeout(r, 5));
            inside--;
          }),
        ),
      );
      expect(max).toBe(1);
    });
  }

  it("two storage-lease locks on one storage (two tabs) exclude each other", async () => {
    const storage = new InMemoryWebStorage();
    const a = storageLeaseLock(storage, { settleMs: 5, pollMs: 5 });
    const b = storageLeaseLock(storage, { settleMs: 5, pollMs: 5 });
    let inside = 0;
    let max = 0;
    const body = async () => {
      max = Math.max(max, ++inside);
      await new Promise((r) => setTimeout(r, 10));
      inside--;
    };
    await Promise.all([a.request("x", body), b.request("x", body), a.request("x", body)]);
    expect(max).toBe(1);
  });
});

describe("parseGrpcTimeout", () => {
  it("reads every unit and rejects junk", () => {
    expect(parseGrpcTimeout("1500m")).toBe(1500);
    expect(parseGrpcTimeout("2S")).toBe(2000);
    expect(parseGrpcTimeout("1M")).toBe(60_000);
    expect(parseGrpcTimeout("1H")).toBe(3_600_000);
    expect(parseGrpcTimeout("5000u")).toBe(5);
    expect(parseGrpcTimeout("123456789m")).toBeUndefined();
    expect(parseGrpcTimeout("10x")).toBeUndefined();
    expect(parseGrpcTimeout(null)).toBeUndefined();
  });
});
