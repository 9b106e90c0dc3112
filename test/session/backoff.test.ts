// Covers src/session/backoff.ts: bounds of the transient backoff, the rejected-login schedule,
// and the renewal delay as a fraction of a token's remaining life.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DEFAULT_RETRY_POLICY as P, rejectedWait, renewDelay, transientWait } from "../../src/session/backoff.js";

const lo = () => 0;
const hi = () => 0.999999;

describe("transientWait", () => {
  it("starts at about 1 s and doubles", () => {
    assert.equal(transientWait(P, 1, lo), 1_000);
    assert.equal(transientWait(P, 2, lo), 2_000);
    assert.equal(transientWait(P, 3, lo), 4_000);
    assert.equal(transientWait(P, 6, lo), 32_000);
  });

  it("is capped at 60 s, even for huge failure counts", () => {
    assert.equal(transientWait(P, 7, lo), 60_000);
    assert.equal(transientWait(P, 50, lo), 60_000);
    assert.equal(transientWait(P, 10_000, lo), 60_000);
  });

  it("jitter only removes up to 10 % of the wait", () => {
    assert.equal(transientWait(P, 1, hi), 900);
    assert.equal(transientWait(P, 100, hi), 54_000);
  });

  it("stays within [0.9 s, 60 s] and never decreases with n for a fixed random (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, r) => {
          const w = transientWait(P, n, () => r);
          assert.ok(w >= 900 && w <= 60_000, `${n}: ${w}`);
          assert.ok(transientWait(P, n + 1, () => r) >= w);
        },
      ),
    );
  });
});

describe("rejectedWait", () => {
  it("waits 10 s, then 30 s, then says stop", () => {
    assert.equal(rejectedWait(P, 1), 10_000);
    assert.equal(rejectedWait(P, 2), 30_000);
    assert.equal(rejectedWait(P, 3), undefined);
    assert.equal(rejectedWait(P, 4), undefined);
  });

  it("follows a custom policy", () => {
    assert.equal(rejectedWait({ ...P, rejectedWaitsMs: [] }, 1), undefined);
    assert.equal(rejectedWait({ ...P, rejectedWaitsMs: [5] }, 1), 5);
  });
});

describe("renewDelay", () => {
  it("is 67.5–75 % of the remaining life, for 30-minute and 3-second tokens alike", () => {
    for (const remaining of [30 * 60_000, 3_000]) {
      assert.equal(renewDelay(P, remaining, lo), Math.round(remaining * 0.75));
      assert.equal(renewDelay(P, remaining, hi), Math.round(remaining * 0.675));
    }
  });

  it("is never negative", () => {
    assert.equal(renewDelay(P, 0, lo), 0);
    assert.equal(renewDelay(P, -5_000, lo), 0);
  });

  it("is always before the end of the remaining life (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 * 3600_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (rem, r) => {
          const d = renewDelay(P, rem, () => r);
          assert.ok(d >= Math.floor(rem * 0.675) && d <= Math.ceil(rem * 0.75), `${rem}: ${d}`);
        },
      ),
    );
  });
});
