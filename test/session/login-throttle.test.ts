// The per-user login throttle: free failures, doubling lockouts, parallel guesses counted, memory
// bounded without a way for made-up names to reset a real user.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoginThrottle, type LoginThrottleOptions } from "../../src/session/login-throttle.js";

function rig(opts: Partial<LoginThrottleOptions> = {}) {
  const clock = { t: 1_000_000, now: () => clock.t };
  return { clock, throttle: new LoginThrottle({ clock, ...opts }) };
}

/** One serial wrong guess; the verdict check gave. */
function guess(t: LoginThrottle, user: string) {
  const v = t.check(user);
  if (v.ok) t.failed(user);
  return v;
}

describe("LoginThrottle", () => {
  it("lets 3 wrong guesses through, then refuses for 1 s, 2 s, 4 s … up to 5 min", () => {
    const { clock, throttle } = rig();
    for (let i = 0; i < 3; i++) assert.deepEqual(guess(throttle, "u"), { ok: true }, `guess ${i + 1}`);
    assert.deepEqual(throttle.check("u"), { ok: false, retryAfterSeconds: 1 });
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) {
      const v = throttle.check("u");
      assert.equal(v.ok, false, `checked during the lockout (round ${i})`);
      if (!v.ok) {
        seen.push(v.retryAfterSeconds);
        clock.t += v.retryAfterSeconds * 1000;
      }
      assert.deepEqual(guess(throttle, "u"), { ok: true }, "refused after the lockout ended");
    }
    assert.deepEqual(seen, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
  });

  it("a success forgets the failures", () => {
    const { throttle } = rig();
    for (let i = 0; i < 3; i++) guess(throttle, "u");
    assert.equal(throttle.check("u").ok, false);
    const { throttle: t2 } = rig();
    guess(t2, "u");
    guess(t2, "u");
    assert.ok(t2.check("u").ok);
    t2.succeeded("u");
    for (let i = 0; i < 3; i++) assert.ok(guess(t2, "u").ok, `after the success, guess ${i + 1}`);
    assert.equal(t2.check("u").ok, false);
  });

  const quiet = [
    { name: "5 min quiet after a lockout forgets the user", waitMs: 1_000 + 300_000, free: true },
    { name: "less than 5 min quiet keeps the count", waitMs: 1_000 + 299_000, free: false },
  ];
  for (const row of quiet) {
    it(row.name, () => {
      const { clock, throttle } = rig();
      for (let i = 0; i < 3; i++) guess(throttle, "u");
      clock.t += row.waitMs;
      assert.ok(guess(throttle, "u").ok);
      // Forgotten: two more free failures; remembered: that failure locked again.
      assert.equal(throttle.check("u").ok, row.free);
    });
  }

  it("parallel guesses get no more tries than serial ones", () => {
    const { throttle } = rig();
    const verdicts = Array.from({ length: 50 }, () => throttle.check("u"));
    assert.equal(verdicts.filter((v) => v.ok).length, 3);
    for (let i = 0; i < 3; i++) throttle.failed("u");
    assert.equal(throttle.check("u").ok, false);
  });

  it("after a lockout, one attempt at a time", () => {
    const { clock, throttle } = rig();
    for (let i = 0; i < 3; i++) guess(throttle, "u");
    clock.t += 1_000;
    assert.ok(throttle.check("u").ok);
    assert.deepEqual(throttle.check("u"), { ok: false, retryAfterSeconds: 1 });
    throttle.abandoned("u");
    assert.ok(throttle.check("u").ok, "an abandoned attempt still held its slot");
  });

  it("users are throttled apart", () => {
    const { throttle } = rig();
    for (let i = 0; i < 3; i++) guess(throttle, "mallory");
    assert.equal(throttle.check("mallory").ok, false);
    assert.ok(throttle.check("alice").ok);
  });

  it("an attempt never settled stops counting after the pending timeout", () => {
    const { clock, throttle } = rig({ freeFailures: 1 });
    assert.ok(throttle.check("u").ok);
    assert.equal(throttle.check("u").ok, false);
    clock.t += 120_000;
    assert.ok(throttle.check("u").ok);
  });

  it("a flood of made-up names neither grows memory past the cap nor resets a locked user", () => {
    const { throttle } = rig({ maxUsers: 100 });
    for (let i = 0; i < 3; i++) guess(throttle, "victim");
    for (let i = 0; i < 1000; i++) guess(throttle, `made-up-${i}`);
    assert.ok(throttle.size <= 101, `remembers ${throttle.size} users`);
    assert.equal(throttle.check("victim").ok, false, "the flood reset the victim");
    assert.equal(throttle.check("someone-new").ok, false, "past the cap, new names share the overflow lockout");
  });

  it("long names are remembered by a bounded prefix", () => {
    const { throttle } = rig();
    const long = "x".repeat(100_000);
    for (let i = 0; i < 3; i++) guess(throttle, long + i);
    assert.equal(throttle.check(long + "other").ok, false);
  });
});
