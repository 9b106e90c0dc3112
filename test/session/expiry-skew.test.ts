// Lifetimes measured from receipt: expiry = received + min(Max-Age, claims − the answer's Date),
// whatever the API's clock says about ours (design §4).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expiryOf } from "../../src/session/cookie.js";

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0, 400);
const MIN = 60_000;

/** A raw-JSON cookie value whose claims are on the API's clock (`apiNow`). */
function value(apiNow: number, tokenLeftMs: number, sessionLeftMs: number): string {
  const inner = JSON.stringify({
    user: "u",
    expires: (apiNow + tokenLeftMs) / 1000,
    session_expires: (apiNow + sessionLeftMs) / 1000,
  });
  return JSON.stringify({ identity: JSON.stringify({ realm: "r", value: inner, signature: "s" }) });
}
/** The Date header the API would send at `apiNow` (whole seconds). */
const dateOf = (apiNow: number) => Date.parse(new Date(apiNow).toUTCString());

const rows = [
  { name: "API 10 min ahead, with Max-Age", skew: 10 * MIN, maxAge: 1800, token: 30 * MIN, session: 180 * MIN },
  { name: "API 10 min ahead, no Max-Age", skew: 10 * MIN, maxAge: undefined, token: 30 * MIN, session: 180 * MIN },
  { name: "API 10 min behind, no Max-Age", skew: -10 * MIN, maxAge: undefined, token: 30 * MIN, session: 180 * MIN },
  { name: "clocks agree: exact to the ms", skew: 0, maxAge: undefined, token: 30 * MIN, session: 180 * MIN },
  { name: "Max-Age shorter than the claims wins", skew: 0, maxAge: 60, token: 30 * MIN, session: 180 * MIN },
];

describe("expiryOf with the answer's Date", () => {
  for (const row of rows) {
    it(row.name, () => {
      const apiNow = NOW + row.skew;
      const e = expiryOf(
        { value: value(apiNow, row.token, row.session), maxAgeSeconds: row.maxAge, dateMs: dateOf(apiNow) },
        NOW,
      );
      const wantToken = NOW + Math.min(row.token, row.maxAge !== undefined ? row.maxAge * 1000 : Infinity);
      // Never later than the truth; at most the Date header's one-second resolution earlier.
      assert.ok(
        e.tokenExpiresAt <= wantToken && e.tokenExpiresAt > wantToken - 1000,
        `${e.tokenExpiresAt - wantToken} ms off`,
      );
      assert.ok(e.sessionExpiresAt <= NOW + row.session + 400 && e.sessionExpiresAt > NOW + row.session - 1000);
      if (row.skew === 0 && row.maxAge === undefined) assert.equal(e.tokenExpiresAt, wantToken);
    });
  }

  it("without a Date, Max-Age caps claims that a clock ahead of ours would stretch", () => {
    const e = expiryOf({ value: value(NOW + 10 * MIN, 30 * MIN, 180 * MIN), maxAgeSeconds: 1800 }, NOW);
    assert.equal(e.tokenExpiresAt, NOW + 30 * MIN);
  });
});
