/**
 * GWO_SESSION and GWO_DPOP resolved together (demo/modes.ts): token mode runs with DPoP unless
 * told otherwise, session mode has none, and asking for both is refused.
 */
import { describe, expect, it } from "vitest";
import { ModeConflictError, resolveModes } from "../../demo/modes.js";

describe("demo modes", () => {
  it("token mode defaults to DPoP on; GWO_DPOP=off gives Bearer tokens", () => {
    expect(resolveModes({})).toEqual({ session: false, dpop: true });
    expect(resolveModes({ dpop: false })).toEqual({ session: false, dpop: false });
    expect(resolveModes({ dpop: true })).toEqual({ session: false, dpop: true });
  });

  it("session mode has no DPoP: an unset or off GWO_DPOP is off there", () => {
    expect(resolveModes({ session: true })).toEqual({ session: true, dpop: false });
    expect(resolveModes({ session: true, dpop: false })).toEqual({ session: true, dpop: false });
  });

  it("refuses GWO_DPOP=on with GWO_SESSION=bff, saying why", () => {
    expect(() => resolveModes({ session: true, dpop: true })).toThrow(ModeConflictError);
    expect(() => resolveModes({ session: true, dpop: true })).toThrow(/holds none/);
  });
});
