import { describe, expect, it } from "vitest";
import {
  createPeerAllowList,
  parseSubjectAltName,
  peerIdentityFromCertificate,
} from "../../src/server/index.js";

describe("peer identity", () => {
  it("parses Node's subjectaltname, including quoted values", () => {
    expect(
      parseSubjectAltName(
        'DNS:a.example, URI:spiffe://t/x, DNS:"b,c.example", IP Address:127.0.0.1',
      ),
    ).toEqual([
      { type: "DNS", value: "a.example" },
      { type: "URI", value: "spiffe://t/x" },
      { type: "DNS", value: "b,c.example" },
      { type: "IP Address", value: "127.0.0.1" },
    ]);
    expect(parseSubjectAltName(undefined)).toEqual([]);
  });

  it("prefers the URI SAN, then DNS, and uses the CN only without any SAN", () => {
    const subject = { CN: "cn.example" } as never;
    expect(
      peerIdentityFromCertificate({ subject, subjectaltname: "DNS:d.example, URI:spiffe://t/g" }),
    ).toMatchObject({ id: "spiffe://t/g", source: "uri-san" });
    expect(peerIdentityFromCertificate({ subject, subjectaltname: "DNS:d.example" })).toMatchObject(
      { id: "d.example", source: "dns-san" },
    );
    expect(
      peerIdentityFromCertificate({ subject, subjectaltname: undefined as never }),
    ).toMatchObject({ id: "cn.example", source: "cn" });
    // SANs present but none usable: the CN is not a fallback.
    expect(
      peerIdentityFromCertificate({ subject, subjectaltname: "IP Address:10.0.0.1" }),
    ).toBeUndefined();
  });

  it("matches exactly, never by prefix or wildcard", () => {
    const list = createPeerAllowList(["spiffe://t/gateway"]);
    const id = (v: string) => ({ id: v, source: "uri-san" as const, candidates: [v] });
    expect(list.match(id("spiffe://t/gateway"))?.id).toBe("spiffe://t/gateway");
    expect(list.match(id("spiffe://t/gateway/extra"))).toBeUndefined();
    expect(list.match(id("spiffe://t/gatewa"))).toBeUndefined();
    expect(list.match(undefined)).toBeUndefined();
    expect(() => createPeerAllowList([])).toThrow(TypeError);
    expect(() => createPeerAllowList(["spiffe://t/*"])).toThrow(TypeError);
  });
});
