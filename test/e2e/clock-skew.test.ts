// Expiry that survives a skewed clock: with the API's clock 10 minutes ahead of or behind the
// proxy's, lifetimes are measured from receipt (Max-Age, claims minus Date), so no request ever
// carries a token the API considers expired and readiness never reports one as valid.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Clock } from "../../src/clock.js";
import { decodeClaims } from "../../src/session/cookie.js";
import { FakeClock } from "../support/fake-clock.js";
import { send, startStack, USER, V3 } from "../support/stack.js";

const MIN = 60_000;

/** The API's clock: the proxy's fake clock plus `skewMs`, sharing its timers. */
function skewed(base: FakeClock, skewMs: number): Clock {
  return {
    now: () => base.now() + skewMs,
    setTimeout: (fn, ms) => base.setTimeout(fn, ms),
    clearTimeout: (h) => base.clearTimeout(h),
  };
}

const rows = [
  { name: "the API's clock 10 minutes ahead", skewMs: 10 * MIN },
  { name: "the API's clock 10 minutes behind", skewMs: -10 * MIN },
];

describe("clock skew between the proxy and the API", () => {
  for (const row of rows) {
    it(`${row.name}: no 401 reaches the API or a client across 4 hours; readiness stays truthful`, async () => {
      const fake = new FakeClock(Date.now());
      const apiClock = skewed(fake, row.skewMs);
      const stack = await startStack({ clock: fake, sim: { clock: apiClock } });
      try {
        // Bounded: 4 h in 90 s steps, past the 3-hour session end, through every refresh and re-login.
        for (let step = 0; step < 160; step++) {
          const r = await send(stack.url, "GET", `/sshkey${USER}/`, { headers: { accept: V3 } });
          assert.equal(r.status, 200, `step ${step}: ${r.text}`);
          const ready = await send(stack.url, "GET", "/-/readyz");
          const held = stack.proxy.session.currentCookie();
          if (ready.status === 200 && held !== undefined) {
            // What the proxy believes is left must not exceed what the API will honour (Date is whole seconds).
            const believed = Date.parse(ready.json().tokenExpiresAt) - fake.now();
            const honoured = decodeClaims(held).expiresAt! - apiClock.now();
            assert.ok(
              believed <= honoured + 1_000,
              `step ${step}: believes ${believed} ms left, API honours ${honoured}`,
            );
            assert.ok(honoured > 0, `step ${step}: readiness reports a token the API considers expired`);
          }
          await fake.advance(90_000);
        }
        assert.equal(stack.sim.simulator.counters().unauthorized, 0, "a dead token was sent to the API");
        assert.ok(stack.sim.simulator.counters().refreshes > 0);
      } finally {
        await stack.close();
      }
    });
  }
});
