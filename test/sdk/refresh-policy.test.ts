// The refresh policy alone: when a token is due, how long to back off, what ends a session.
import { describe, expect, it } from "vitest";
import {
  classifyRefreshFailure,
  earlyRetryDelayMs,
  effectiveLeewayMs,
  refreshDue,
  stillUsable,
} from "../../src/web/refresh-policy.js";

const now = 1_000_000;

describe("refresh policy", () => {
  it("a token is due within the leeway, not before, and never without an expiry", () => {
    const timing = (leftMs: number) => ({ expiresAtMs: now + leftMs, lifetimeMs: 3_600_000 });
    expect(refreshDue(timing(30_001), 30_000, now)).toBe(false);
    expect(refreshDue(timing(30_000), 30_000, now)).toBe(true);
    expect(refreshDue(timing(-1), 30_000, now)).toBe(true);
    expect(refreshDue({ expiresAtMs: undefined, lifetimeMs: undefined }, 30_000, now)).toBe(false);
  });

  it("a token that lives no longer than the leeway is due at half its lifetime", () => {
    expect(effectiveLeewayMs(30_000, 20_000)).toBe(10_000);
    expect(effectiveLeewayMs(30_000, 30_000)).toBe(15_000);
    expect(effectiveLeewayMs(30_000, 60_000)).toBe(30_000);
    expect(effectiveLeewayMs(30_000, undefined)).toBe(30_000);
    const short = { expiresAtMs: now + 11_000, lifetimeMs: 20_000 };
    expect(refreshDue(short, 30_000, now)).toBe(false);
    expect(refreshDue({ ...short, expiresAtMs: now + 10_000 }, 30_000, now)).toBe(true);
  });

  it("a token is usable until it expires by the local clock", () => {
    expect(stillUsable({ expiresAtMs: now + 1, lifetimeMs: undefined }, now)).toBe(true);
    expect(stillUsable({ expiresAtMs: now, lifetimeMs: undefined }, now)).toBe(false);
    expect(stillUsable({ expiresAtMs: undefined, lifetimeMs: undefined }, now)).toBe(false);
  });

  it("early refreshes back off 1 s, 2 s, 4 s … up to 30 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(earlyRetryDelayMs)).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });

  it("invalid_grant and login-required errors end the session; anything else is transient", () => {
    expect(classifyRefreshFailure("invalid_grant", false)).toEqual({ ended: "invalid_grant" });
    for (const e of ["login_required", "interaction_required", "consent_required"]) {
      expect(classifyRefreshFailure(e, false)).toEqual({ ended: "login_required" });
    }
    expect(classifyRefreshFailure("server_error", false)).toEqual({ transient: "idp-error" });
    expect(classifyRefreshFailure("toString", false)).toEqual({ transient: "idp-error" });
    expect(classifyRefreshFailure(undefined, true)).toEqual({ transient: "network" });
  });
});
