// Property-based tests of the nimbula cookie's parsing, which reads bytes an API (or whatever sits in
// front of it) sends: never throws, keeps the exact value, derives sane expiries, and anything it
// could adopt as the session cookie is also stripped before a response reaches a client.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { responseHeaders } from "../../src/proxy/headers.js";
import { decodeClaims, expiryOf, findNimbula, isNimbulaLine, mentionsNimbula } from "../../src/session/cookie.js";
import { nimbulaFromCookieHeader } from "../../src/session/cookie.js";

const anyText = fc.string({ unit: "binary", maxLength: 200 });
const lines = fc.oneof(anyText, fc.array(anyText, { maxLength: 8 }));
/** Cookie values as APIs send them: base64, raw JSON with quotes and backslashes, opaque. */
const value = fc
  .string({ unit: "binary-ascii", minLength: 1, maxLength: 300 })
  .map((v) => v.replace(/[;\r\n\0]/g, "x").trim())
  .filter((v) => v !== "");

describe("nimbula cookie parsing", () => {
  it("never throws on arbitrary Set-Cookie input", () => {
    fc.assert(
      fc.property(lines, fc.integer(), (l, now) => {
        const found = findNimbula(l);
        if (found) {
          assert.notEqual(found.value, "");
          const e = expiryOf(found, now);
          assert.ok(Number.isFinite(e.tokenExpiresAt) && Number.isFinite(e.sessionExpiresAt));
        }
        for (const line of typeof l === "string" ? [l] : l) {
          isNimbulaLine(line);
          mentionsNimbula(line);
          decodeClaims(line);
          nimbulaFromCookieHeader(line);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("keeps the exact value bytes and Max-Age, wherever the nimbula line sits", () => {
    fc.assert(
      fc.property(
        value,
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.array(fc.constantFrom("theme=dark; Path=/", "a=b", ""), { maxLength: 3 }),
        (v, maxAge, others) => {
          const found = findNimbula([
            ...others,
            `nimbula=${v}; Path=/; Max-Age=${maxAge}; Secure; HttpOnly`,
            ...others,
          ]);
          assert.equal(found?.value, v);
          assert.equal(found?.maxAgeSeconds, maxAge);
          assert.equal(nimbulaFromCookieHeader(`nimbula=${v}`), v);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("reads expiry from the nested identity JSON, base64 or raw, and never lets a token outlive its session", () => {
    const times = fc.record({
      now: fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }),
      ttl: fc.double({ min: 1, max: 7200, noNaN: true }),
      session: fc.double({ min: 1, max: 20_000, noNaN: true }),
    });
    fc.assert(
      fc.property(times, fc.boolean(), ({ now, ttl, session }, base64) => {
        const expires = now + ttl;
        const sessionExpires = now + session;
        const inner = JSON.stringify({
          customer: "acme",
          realm: "z1",
          entity_type: "user",
          session_expires: sessionExpires,
          expires,
          user: "/Compute-acme/jack",
          groups: [],
        });
        const identity = JSON.stringify({ realm: "z1", value: inner, signature: "c2ln" });
        const json = JSON.stringify({ identity });
        const cookieValue = base64 ? Buffer.from(json).toString("base64") : json;
        const claims = decodeClaims(cookieValue);
        assert.equal(claims.expiresAt, Math.round(expires * 1000));
        assert.equal(claims.sessionExpiresAt, Math.round(sessionExpires * 1000));
        const e = expiryOf({ value: cookieValue }, now * 1000);
        assert.ok(e.tokenExpiresAt <= e.sessionExpiresAt);
        assert.equal(e.source, "cookie");
      }),
      { numRuns: 1000 },
    );
  });

  it("strips from responses every line it could adopt, and every line that sets nimbula anywhere", () => {
    const line = fc.oneof(
      anyText,
      value.map((v) => `nimbula=${v}; Path=/`),
      fc
        .tuple(
          fc.constantFrom("", " ", "\t", "a=1, ", "a=1; ", "x=y;"),
          fc.constantFrom("nimbula", "NIMBULA", "Nimbula"),
          fc.constantFrom("=", " =", "= "),
          value,
        )
        .map(([pre, name, eq, v]) => `${pre}${name}${eq}${v}`),
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), (setCookie) => {
        for (const l of setCookie) if (isNimbulaLine(l)) assert.ok(mentionsNimbula(l), l);
        const out = responseHeaders({ "set-cookie": setCookie, "content-type": "application/json" });
        const kept = (out["set-cookie"] as string[] | undefined) ?? [];
        for (const l of kept) {
          assert.ok(!/(?:^|[\s,;])nimbula\s*=/i.test(l), `a nimbula line reached the client: ${JSON.stringify(l)}`);
          assert.equal(findNimbula([l]), undefined);
        }
        assert.equal(out["content-type"], "application/json");
      }),
      { numRuns: 3000 },
    );
  });
});
