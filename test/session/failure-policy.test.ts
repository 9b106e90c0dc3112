// The failure policy as a table: operation × kind × time left on the token × rejections so far.
// Jitter is pinned (random = 0), so every wait is the policy's exact number.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_RETRY_POLICY } from "../../src/session/backoff.js";
import { decide, type Decision, type FailureFacts } from "../../src/session/failure-policy.js";

const noJitter = () => 0;
const MIN = 60_000;

const rows: { name: string; facts: FailureFacts; want: Decision }[] = [
  {
    name: "refresh, transient, plenty of token left: retry the refresh after the first backoff",
    facts: { op: "refresh", kind: "transient", failures: 1, rejections: 0, tokenLeftMs: 10 * MIN },
    want: { do: "retry", action: "refresh", waitMs: 1_000 },
  },
  {
    name: "refresh, transient, fifth failure: the backoff doubles each time",
    facts: { op: "refresh", kind: "transient", failures: 5, rejections: 0, tokenLeftMs: 10 * MIN },
    want: { do: "retry", action: "refresh", waitMs: 16_000 },
  },
  {
    name: "refresh, transient, little token left: the retry comes halfway through what is left",
    facts: { op: "refresh", kind: "transient", failures: 5, rejections: 0, tokenLeftMs: 6_000 },
    want: { do: "retry", action: "refresh", waitMs: 3_000 },
  },
  {
    name: "refresh, transient, under twice the shortest backoff left: log in now, keeping the token",
    facts: { op: "refresh", kind: "transient", failures: 3, rejections: 0, tokenLeftMs: 1_999 },
    want: { do: "login-now", dropCookie: false, reason: "the token ran out while refresh failed" },
  },
  {
    name: "refresh, transient, no token held: log in now",
    facts: { op: "refresh", kind: "transient", failures: 1, rejections: 0, tokenLeftMs: 0 },
    want: { do: "login-now", dropCookie: false, reason: "the token ran out while refresh failed" },
  },
  {
    name: "refresh refused (expired): drop the token and log in now",
    facts: { op: "refresh", kind: "expired", failures: 1, rejections: 0, tokenLeftMs: 10 * MIN },
    want: { do: "login-now", dropCookie: true, reason: "the refresh was refused" },
  },
  {
    name: "refresh rejected (403): log in now, keeping the token until the login says otherwise",
    facts: { op: "refresh", kind: "rejected", failures: 1, rejections: 0, tokenLeftMs: 10 * MIN },
    want: { do: "login-now", dropCookie: false, reason: "the token ran out while refresh failed" },
  },
  {
    name: "login, transient, first failure: back off",
    facts: { op: "login", kind: "transient", failures: 1, rejections: 0, tokenLeftMs: 0 },
    want: { do: "retry", action: "login", waitMs: 1_000, phase: "backoff" },
  },
  {
    name: "login, transient, many failures: the backoff is capped",
    facts: { op: "login", kind: "transient", failures: 40, rejections: 0, tokenLeftMs: 0 },
    want: { do: "retry", action: "login", waitMs: 60_000, phase: "backoff" },
  },
  {
    name: "login rejected once: wait the first rejected wait",
    facts: { op: "login", kind: "rejected", failures: 1, rejections: 1, tokenLeftMs: 0 },
    want: { do: "retry", action: "login", waitMs: 10_000, phase: "rejected" },
  },
  {
    name: "login rejected twice: wait the second rejected wait",
    facts: { op: "login", kind: "rejected", failures: 2, rejections: 2, tokenLeftMs: 0 },
    want: { do: "retry", action: "login", waitMs: 30_000, phase: "rejected" },
  },
  {
    name: "login rejected a third time: block (accounts lock)",
    facts: { op: "login", kind: "rejected", failures: 3, rejections: 3, tokenLeftMs: 0 },
    want: { do: "block" },
  },
  {
    name: "password source unreadable: block at once",
    facts: { op: "login", kind: "credentials", failures: 1, rejections: 1, tokenLeftMs: 0 },
    want: { do: "block" },
  },
];

describe("decide", () => {
  for (const row of rows) {
    it(row.name, () => assert.deepEqual(decide(row.facts, DEFAULT_RETRY_POLICY, noJitter), row.want));
  }

  it("jitter only ever shortens a transient wait, by at most policy.jitter", () => {
    const facts: FailureFacts = { op: "login", kind: "transient", failures: 3, rejections: 0, tokenLeftMs: 0 };
    const most = decide(facts, DEFAULT_RETRY_POLICY, () => 0.999_999);
    assert.equal(most.do, "retry");
    if (most.do === "retry")
      assert.equal(most.waitMs, Math.round(4_000 * (1 - DEFAULT_RETRY_POLICY.jitter * 0.999_999)));
  });
});
