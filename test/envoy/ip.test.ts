import { isIP as netIsIP } from "node:net";
import { describe, expect, it } from "vitest";
import { isIP } from "../../src/envoy/ip.js";

const EDGES = [
  "0.0.0.0",
  "127.0.0.1",
  "255.255.255.255",
  "256.0.0.1",
  "1.2.3",
  "1.2.3.4.5",
  "01.2.3.4",
  "1.2.3.04",
  "1.2.3.4 ",
  " 1.2.3.4",
  "1..2.3",
  "1.2.3.-4",
  "๑.2.3.4",
  "0x7f.0.0.1",
  "",
  "::",
  "::1",
  "fe80::1%eth0",
  "::ffff:127.0.0.1",
  "2001:db8::",
  "2001:db8:0:0:0:0:0:1",
  "1:2:3:4:5:6:7:8:9",
  ":::",
  "1::2::3",
  "[::1]",
  "::1]",
  "gggg::1",
  "localhost",
  "backend",
  "api.notes.example.com",
  "1.2.3.4:443",
  "::1:443",
  "a:b",
  "1:2:3:4:5:6:1.2.3.4",
];

describe("isIP without node:net for plain hostnames", () => {
  it("gives node:net's answer for 35 edge cases", () => {
    for (const s of EDGES) expect(isIP(s), JSON.stringify(s)).toBe(netIsIP(s));
  });

  it("gives node:net's answer for 20,000 random strings over digits, dots, colons and hex", () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = "0123456789.:abcdefABCDEF%x ";
    let v4 = 0;
    let v6 = 0;
    for (let i = 0; i < 20000; i++) {
      const len = 1 + rnd(16);
      let s = "";
      for (let k = 0; k < len; k++) s += alphabet[rnd(alphabet.length)];
      if (rnd(4) === 0) s = `${rnd(300)}.${rnd(300)}.${rnd(300)}.${rnd(300)}`;
      if (rnd(4) === 1) {
        // Mostly well-formed: 8 groups, or fewer around "::"; sometimes a group too long or too many.
        const groups = Array.from({ length: rnd(10) }, () =>
          rnd(rnd(8) === 0 ? 0x1ffff : 0x10000).toString(16),
        );
        const cut = rnd(groups.length + 1);
        s =
          groups.length === 8 && rnd(2) === 0
            ? groups.join(":")
            : `${groups.slice(0, cut).join(":")}::${groups.slice(cut).join(":")}`;
      }
      const want = netIsIP(s);
      expect(isIP(s), JSON.stringify(s)).toBe(want);
      if (want === 4) v4++;
      if (want === 6) v6++;
    }
    // Both kinds of address occur, so the comparison is not only of non-addresses.
    expect(v4).toBeGreaterThan(100);
    expect(v6).toBeGreaterThan(10);
  });
});
