// Covers src/session/cookie.ts: finding the nimbula cookie in Set-Cookie lines, decoding its nested
// identity JSON (base64 and raw), and the expiry precedence claims → Max-Age → 30 min / 3 h defaults.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  DEFAULT_SESSION_TTL_MS,
  DEFAULT_TOKEN_TTL_MS,
  decodeClaims,
  expiryOf,
  findNimbula,
} from "../../src/session/cookie.js";
import { nimbulaFromCookieHeader } from "../../src/session/cookie.js";

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

interface Times {
  expires: number | string;
  session_expires: number | string;
  user?: string;
}

/** The innermost object, as the API's cookie carries it (design.md fact 4). */
function innerJson(t: Times): string {
  return JSON.stringify({
    customer: "Compute-acme",
    realm: "compute-us2-z12",
    entity_type: "user",
    session_expires: t.session_expires,
    expires: t.expires,
    user: t.user ?? "/Compute-acme/jack.jones@example.com",
    groups: ["/Compute-acme/Compute.Compute_Operations", "/Compute-acme/Compute.Compute_Monitor"],
  });
}

/** {identity: "<json string>"} → {realm, value: "<json string>", signature} → inner. */
function rawValue(t: Times): string {
  const middle = JSON.stringify({ realm: "compute-us2-z12", value: innerJson(t), signature: "c2lnbmF0dXJl+/==" });
  return JSON.stringify({ identity: middle });
}

function base64Value(t: Times): string {
  return Buffer.from(rawValue(t), "utf8").toString("base64");
}

describe("findNimbula", () => {
  it("returns undefined when there is no Set-Cookie at all", () => {
    assert.equal(findNimbula(undefined), undefined);
    assert.equal(findNimbula([]), undefined);
    assert.equal(findNimbula(""), undefined);
  });

  it("accepts a single line as a string", () => {
    assert.deepEqual(findNimbula("nimbula=abc; Path=/; Max-Age=1800"), { value: "abc", maxAgeSeconds: 1800 });
  });

  it("takes the last nimbula cookie among several lines and ignores other cookies", () => {
    const found = findNimbula([
      "nimbula=first; Path=/; Max-Age=1800",
      "JSESSIONID=other; Path=/",
      "nimbula=second; Path=/; Max-Age=900",
      "nimbulax=not-it; Path=/",
      "xnimbula=not-it-either",
      "tracking=nimbula=fake; Path=/",
    ]);
    assert.deepEqual(found, { value: "second", maxAgeSeconds: 900 });
  });

  it("ignores lines that only mention nimbula in an attribute or another cookie", () => {
    assert.equal(findNimbula(["a=1; nimbula=b", "Path=/; nimbula=x", "other=nimbula"]), undefined);
  });

  it("keeps the exact value bytes, including =, + and /", () => {
    const value = "eyJpZGVudGl0eSI6+/ab/cd+ef==";
    assert.equal(findNimbula([`nimbula=${value}; Path=/; Max-Age=1800`])?.value, value);
    // Without attributes, the whole rest of the line is the value.
    assert.equal(findNimbula(`nimbula=${value}`)?.value, value);
    // Inner '=' does not end the value.
    assert.equal(findNimbula("nimbula=a=b=c; Path=/")?.value, "a=b=c");
  });

  it("parses Max-Age case-insensitively, in any attribute position, with spaces", () => {
    assert.equal(findNimbula("nimbula=v; Max-Age=60")?.maxAgeSeconds, 60);
    assert.equal(findNimbula("nimbula=v; Path=/; max-age=61; HttpOnly")?.maxAgeSeconds, 61);
    assert.equal(findNimbula("nimbula=v; Path=/;MAX-AGE = 62 ;Secure")?.maxAgeSeconds, 62);
    assert.equal(findNimbula("nimbula=v; Max-Age=0")?.maxAgeSeconds, 0);
    assert.equal(findNimbula("nimbula=v; Max-Age=-1")?.maxAgeSeconds, -1);
  });

  it("leaves Max-Age out when it is missing or not a number", () => {
    for (const line of [
      "nimbula=v; Path=/",
      "nimbula=v; Max-Age=",
      "nimbula=v; Max-Age=abc",
      "nimbula=v; Max-Age=12x",
      "nimbula=v; Max-Age=1.5",
      "nimbula=v; Max-Age=99999999999999999999",
      "nimbula=v; X-Max-Age=60",
    ]) {
      const found = findNimbula(line);
      assert.equal(found?.value, "v", line);
      assert.equal(found?.maxAgeSeconds, undefined, line);
    }
  });

  it("keeps a raw JSON value with quotes, commas and backslashes intact", () => {
    const value = rawValue({ expires: 1795000000.5, session_expires: 1795009000.25 });
    assert.match(value, /\\"/);
    assert.match(value, /,/);
    const found = findNimbula([`nimbula=${value}; Path=/; Max-Age=1800`]);
    assert.equal(found?.value, value);
    assert.equal(found?.maxAgeSeconds, 1800);
  });

  it("keeps the documented raw form verbatim", () => {
    const value = String.raw`{"identity": "{\"realm\": \"compute-us2-z12\", \"value\": \"{\\\"customer\\\": \\\"Compute-acme\\\", \\\"realm\\\": \\\"compute-us2-z12\\\", \\\"entity_type\\\": \\\"user\\\", \\\"session_expires\\\": 1460058215.7144, \\\"expires\\\": 1460051015.714423, \\\"user\\\": \\\"/Compute-acme/jack.jones@example.com\\\", \\\"groups\\\": [\\\"/Compute-acme/Compute.Compute_Operations\\\", \\\"/Compute-acme/Compute.Compute_Monitor\\\"]}\", \"signature\": \"J2Ns3+Zb/Q==\"}"}`;
    const found = findNimbula(`nimbula=${value}; Path=/; Max-Age=1800`);
    assert.equal(found?.value, value);
    const claims = decodeClaims(value);
    assert.equal(claims.expiresAt, 1460051015714);
    assert.equal(claims.sessionExpiresAt, 1460058215714);
    assert.equal(claims.user, "/Compute-acme/jack.jones@example.com");
  });

  it("ignores garbage lines and empty values", () => {
    assert.equal(findNimbula(["", ";;;", "=", "nimbula", "nimbula;", "garbage \u0000\uffff"]), undefined);
    assert.equal(findNimbula("nimbula=; Path=/; Max-Age=0"), undefined);
    assert.equal(findNimbula("nimbula=   ; Path=/"), undefined);
    // An empty nimbula line does not hide an earlier usable one.
    assert.deepEqual(findNimbula(["nimbula=good; Max-Age=5", "nimbula=; Max-Age=0"]), {
      value: "good",
      maxAgeSeconds: 5,
    });
  });
});

describe("nimbulaFromCookieHeader", () => {
  it("reads the nimbula value from a client Cookie header", () => {
    assert.equal(nimbulaFromCookieHeader("a=1; nimbula=x+y/z==; b=2"), "x+y/z==");
    assert.equal(nimbulaFromCookieHeader("a=1"), undefined);
    assert.equal(nimbulaFromCookieHeader(undefined), undefined);
  });
});

describe("decodeClaims", () => {
  const expires = 1795000000.714423;
  const sessionExpires = 1795007200.7144;

  it("decodes the base64 nested form with float Unix seconds", () => {
    const value = base64Value({ expires, session_expires: sessionExpires });
    assert.match(value, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.deepEqual(decodeClaims(value), {
      expiresAt: Math.round(expires * 1000),
      sessionExpiresAt: Math.round(sessionExpires * 1000),
      user: "/Compute-acme/jack.jones@example.com",
    });
  });

  it("decodes the raw nested JSON form", () => {
    const value = rawValue({ expires, session_expires: sessionExpires });
    assert.deepEqual(decodeClaims(value), {
      expiresAt: Math.round(expires * 1000),
      sessionExpiresAt: Math.round(sessionExpires * 1000),
      user: "/Compute-acme/jack.jones@example.com",
    });
  });

  it("decodes URL-safe and unpadded base64 too", () => {
    const std = base64Value({ expires, session_expires: sessionExpires });
    const urlSafe = std.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    assert.equal(decodeClaims(urlSafe).expiresAt, Math.round(expires * 1000));
  });

  it("accepts times given as numeric strings", () => {
    const value = base64Value({ expires: String(expires), session_expires: String(sessionExpires) });
    assert.equal(decodeClaims(value).expiresAt, Math.round(expires * 1000));
    assert.equal(decodeClaims(value).sessionExpiresAt, Math.round(sessionExpires * 1000));
  });

  it("returns {} for opaque values and garbage", () => {
    for (const v of [
      "",
      "opaque-token",
      "abc==",
      "{not json",
      "{}",
      '{"identity": 5}',
      '{"identity": "{\\"value\\": \\"nope\\"}"}',
      "[1,2,3]",
      Buffer.from("not json at all").toString("base64"),
      Buffer.from('{"identity": "{bad"}').toString("base64"),
    ]) {
      assert.deepEqual(decodeClaims(v), {}, v);
    }
  });

  it("ignores times that are not positive finite numbers", () => {
    for (const bad of [0, -5, "soon", "", null, true]) {
      const value = base64Value({ expires: bad as number, session_expires: bad as number });
      const claims = decodeClaims(value);
      assert.equal(claims.expiresAt, undefined, String(bad));
      assert.equal(claims.sessionExpiresAt, undefined, String(bad));
    }
  });

  it("never throws on arbitrary strings (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.base64String(), fc.json()), (s) => {
        const claims = decodeClaims(s);
        assert.equal(typeof claims, "object");
        // Also through base64, so the decoder's JSON path sees the arbitrary text.
        decodeClaims(Buffer.from(s).toString("base64"));
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips expiry times through the base64 and raw encodings (property)", () => {
    // Float Unix seconds from 2001 to 2286: the range the API can produce.
    const secs = fc.double({ min: 1e9, max: 1e10, noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(secs, secs, fc.boolean(), (exp, sess, b64) => {
        const value = b64
          ? base64Value({ expires: exp, session_expires: sess })
          : rawValue({ expires: exp, session_expires: sess });
        const found = findNimbula([`other=1; Path=/`, `nimbula=${value}; Path=/; Max-Age=1800`]);
        assert.ok(found);
        assert.equal(found.value, value);
        const claims = decodeClaims(found.value);
        assert.equal(claims.expiresAt, Math.round(exp * 1000));
        assert.equal(claims.sessionExpiresAt, Math.round(sess * 1000));
      }),
      { numRuns: 300 },
    );
  });
});

describe("findNimbula (properties)", () => {
  it("never throws on arbitrary strings or lists of strings", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: "binary" })),
        fc.array(fc.string({ unit: "binary" }), { maxLength: 5 }),
        (one, many) => {
          findNimbula(one);
          findNimbula(`nimbula=${one}`);
          findNimbula(many);
          findNimbula(many.map((s) => `nimbula=${s}`));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("returns the exact value of any cookie-octet value with no ';' or surrounding spaces", () => {
    const octet = fc.constantFrom(..."ABCXYZabcxyz0189+/=-_.~!#$%&'*^`|{}[]\"\\,:@".split(""));
    fc.assert(
      fc.property(
        fc.array(octet, { minLength: 1, maxLength: 60 }).map((a) => a.join("")),
        (value) => {
          assert.equal(findNimbula(`nimbula=${value}; Path=/`)?.value, value);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("expiryOf", () => {
  const min = 60_000;

  it("prefers the decoded claims over Max-Age", () => {
    const value = base64Value({ expires: (NOW + 10 * min) / 1000, session_expires: (NOW + 60 * min) / 1000 });
    const e = expiryOf({ value, maxAgeSeconds: 1800 }, NOW);
    assert.deepEqual(e, { tokenExpiresAt: NOW + 10 * min, sessionExpiresAt: NOW + 60 * min, source: "cookie" });
  });

  it("falls back to Max-Age when the value does not decode", () => {
    const e = expiryOf({ value: "opaque", maxAgeSeconds: 3 }, NOW);
    assert.deepEqual(e, {
      tokenExpiresAt: NOW + 3_000,
      sessionExpiresAt: NOW + DEFAULT_SESSION_TTL_MS,
      source: "max-age",
    });
  });

  it("falls back to 30 minutes without claims or a positive Max-Age", () => {
    for (const maxAgeSeconds of [undefined, 0, -1]) {
      const cookie = maxAgeSeconds === undefined ? { value: "opaque" } : { value: "opaque", maxAgeSeconds };
      const e = expiryOf(cookie, NOW);
      assert.equal(DEFAULT_TOKEN_TTL_MS, 30 * min);
      assert.deepEqual(e, { tokenExpiresAt: NOW + 30 * min, sessionExpiresAt: NOW + 180 * min, source: "default" });
    }
  });

  it("takes the session end from the claims, else sessionStart + 3 h", () => {
    const sessionStart = NOW - 100 * min;
    const fromClaims = base64Value({ expires: (NOW + 30 * min) / 1000, session_expires: (NOW + 70 * min) / 1000 });
    assert.equal(expiryOf({ value: fromClaims }, NOW, sessionStart).sessionExpiresAt, NOW + 70 * min);
    assert.equal(
      expiryOf({ value: "opaque", maxAgeSeconds: 1800 }, NOW, sessionStart).sessionExpiresAt,
      sessionStart + 180 * min,
    );
    // Claims with only `expires`: the session end is still the default from sessionStart.
    const onlyExpires = Buffer.from(JSON.stringify({ expires: (NOW + 5 * min) / 1000 })).toString("base64");
    const e = expiryOf({ value: onlyExpires }, NOW, sessionStart);
    assert.deepEqual(e, {
      tokenExpiresAt: NOW + 5 * min,
      sessionExpiresAt: sessionStart + 180 * min,
      source: "cookie",
    });
  });

  it("never puts the token expiry past the session end", () => {
    const sessionStart = NOW - 170 * min; // 10 minutes of session left
    assert.equal(expiryOf({ value: "opaque", maxAgeSeconds: 1800 }, NOW, sessionStart).tokenExpiresAt, NOW + 10 * min);
    assert.equal(expiryOf({ value: "opaque" }, NOW, sessionStart).tokenExpiresAt, NOW + 10 * min);
    const late = base64Value({ expires: (NOW + 30 * min) / 1000, session_expires: (NOW + 1 * min) / 1000 });
    const e = expiryOf({ value: late }, NOW);
    assert.equal(e.tokenExpiresAt, NOW + 1 * min);
    assert.equal(e.sessionExpiresAt, NOW + 1 * min);
  });

  it("keeps tokenExpiresAt ≤ sessionExpiresAt for any input (property)", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.option(fc.integer({ min: -10, max: 100_000 }), { nil: undefined }),
        fc.integer({ min: 0, max: 4 * 3600_000 }),
        (value, maxAgeSeconds, ago) => {
          const cookie = maxAgeSeconds === undefined ? { value } : { value, maxAgeSeconds };
          const e = expiryOf(cookie, NOW, NOW - ago);
          assert.ok(e.tokenExpiresAt <= e.sessionExpiresAt);
        },
      ),
      { numRuns: 300 },
    );
  });
});
