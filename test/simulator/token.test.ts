// Cookie values: the nested structure, both encodings, signatures, and lenient Cookie parsing.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { TokenSigner, readNimbulaCookie, type TokenClaims } from "../../src/simulator/token.js";

const claims: TokenClaims = {
  customer: "Compute-acme",
  realm: "compute-sim-z1",
  entity_type: "user",
  session_expires: 1764342000.123,
  expires: 1764333000.123,
  user: "/Compute-acme/jack.jones@example.com",
  groups: ["/Compute-acme/Compute.Compute_Operations"],
};

describe("simulator tokens", () => {
  it("round-trips base64 and raw values with the exact nested structure", () => {
    const signer = new TokenSigner();
    for (const format of ["base64", "raw"] as const) {
      const value = signer.encode(claims, format, 7);
      const outer = JSON.parse(format === "raw" ? value : Buffer.from(value, "base64").toString());
      const identity = JSON.parse(outer.identity);
      assert.equal(identity.value, JSON.stringify(claims));
      assert.deepEqual(signer.decode(value), { claims, sessionId: 7 });
    }
  });

  it("gives every issued value a different signature", () => {
    const signer = new TokenSigner();
    assert.notEqual(signer.encode(claims, "base64", 1), signer.encode(claims, "base64", 1));
  });

  it("refuses values signed by another simulator, and any single-character edit", () => {
    const mine = new TokenSigner();
    const theirs = new TokenSigner();
    assert.equal(mine.decode(theirs.encode(claims, "base64", 1)), undefined);
    const value = mine.encode(claims, "raw", 1);
    fc.assert(
      fc.property(fc.nat(value.length - 1), fc.integer({ min: 32, max: 126 }), (i, code) => {
        const ch = String.fromCharCode(code);
        fc.pre(ch !== value[i]);
        return mine.decode(value.slice(0, i) + ch + value.slice(i + 1)) === undefined;
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a signature respelled in base64's spare bits (same bytes, other text)", () => {
    const signer = new TokenSigner();
    const value = signer.encode(claims, "raw", 1);
    const pad = value.lastIndexOf("=");
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const i = value[pad - 1] === "=" ? pad - 2 : pad - 1;
    const respelled = alphabet[alphabet.indexOf(value[i]!) ^ 1]!;
    const edited = value.slice(0, i) + respelled + value.slice(i + 1);
    assert.notEqual(edited, value);
    assert.equal(signer.decode(edited), undefined);
  });

  it("reads the cookie value up to the next `;`, keeping = + / quotes and backslashes", () => {
    assert.equal(readNimbulaCookie("nimbula=ab+/c=="), "ab+/c==");
    assert.equal(readNimbulaCookie('x=1;  nimbula={"a":"b\\"c,d"} ; y=2'), '{"a":"b\\"c,d"}');
    assert.equal(readNimbulaCookie("xnimbula=1; nimbula=2"), "2");
    assert.equal(readNimbulaCookie("other=1"), undefined);
    assert.equal(readNimbulaCookie(undefined), undefined);
  });
});

describe("simulator cookies read by the proxy's parser", () => {
  it("yields the token and session expiry in both formats", async () => {
    const { decodeClaims } = await import("../../src/session/cookie.js");
    const signer = new TokenSigner();
    for (const format of ["base64", "raw"] as const) {
      const got = decodeClaims(signer.encode(claims, format, 1));
      assert.equal(got.expiresAt, Math.round(claims.expires * 1000));
      assert.equal(got.sessionExpiresAt, Math.round(claims.session_expires * 1000));
      assert.equal(got.user, claims.user);
    }
  });
});
