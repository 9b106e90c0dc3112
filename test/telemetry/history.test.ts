// The session history's bounds on a fake clock: the event ring, the 24 h window, and per-minute
// request and error counts that roll over as minutes pass.

import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import type { SessionEvents } from "../../src/session/events.js";
import { SessionHistory } from "../../src/telemetry/history.js";
import { FakeClock } from "../support/fake-clock.js";

const MINUTE = 60_000;
const START = Date.UTC(2026, 10, 28, 12, 0, 0);

function setup(opts: { maxEvents?: number; windowMinutes?: number } = {}) {
  const clock = new FakeClock(START);
  const source = new EventEmitter<SessionEvents>();
  const history = new SessionHistory({ clock, ...opts }).subscribe(source);
  return { clock, source, history };
}

const login = (reason: string): SessionEvents["login"][0] => ({
  reason,
  user: "/Compute-acme/jack.jones@example.com",
  tokenExpiresAt: START + 1_800_000,
  sessionExpiresAt: START + 10_800_000,
  durationMs: 12,
});
const refresh: SessionEvents["refresh"][0] = { tokenExpiresAt: 1, sessionExpiresAt: 2, durationMs: 3 };

describe("session history: events", () => {
  it("records each kind of session event, with causes and kinds, and no user name", () => {
    const { source, history, clock } = setup();
    source.emit("login", login("start"));
    source.emit("refresh", refresh);
    source.emit("adopt", { tokenExpiresAt: 5 });
    source.emit("invalidate", { reason: "the API answered 401" });
    source.emit("login", login("the API answered 401"));
    source.emit("failure", {
      op: "login",
      kind: "transient",
      message: "the API did not answer",
      consecutive: 1,
      retryAt: clock.now() + 1000,
      blocked: false,
    });
    assert.deepEqual(history.events(), [
      { at: START, type: "login" },
      { at: START, type: "refresh" },
      { at: START, type: "adopt" },
      { at: START, type: "invalidate", cause: "the API answered 401" },
      { at: START, type: "relogin", cause: "the API answered 401" },
      { at: START, type: "failure", op: "login", kind: "transient", message: "the API did not answer", blocked: false },
    ]);
    assert.doesNotMatch(JSON.stringify(history.toJSON()), /jack\.jones/);
  });

  it("keeps at most maxEvents of 10,000+ events, newest last, and counts the overwritten", async () => {
    const { source, history, clock } = setup();
    assert.equal(history.maxEvents, 10_000);
    for (let i = 0; i < 25_000; i++) {
      source.emit("refresh", refresh);
      if (i % 1000 === 999) await clock.advance(1000);
    }
    source.emit("login", login("the session is about to end"));
    const events = history.events();
    assert.equal(events.length, 10_000);
    assert.equal(events.at(-1)!.type, "relogin");
    assert.equal(history.toJSON().overwritten, 15_001);
    assert.equal(history.toJSON().events.length, 10_000);
  });

  it("forgets events older than the window (24 h)", async () => {
    const { source, history, clock } = setup();
    source.emit("login", login("start"));
    await clock.advance(12 * 60 * MINUTE);
    source.emit("refresh", refresh);
    await clock.advance(12 * 60 * MINUTE + 1);
    assert.deepEqual(
      history.events().map((e) => e.type),
      ["refresh"],
    );
    await clock.advance(12 * 60 * MINUTE);
    assert.deepEqual(history.events(), []);
  });

  it("bounds the text of one event", () => {
    const { source, history } = setup();
    source.emit("failure", {
      op: "refresh",
      kind: "expired",
      message: "x".repeat(10_000),
      consecutive: 1,
      blocked: false,
    });
    const e = history.events()[0]!;
    assert.ok(e.type === "failure" && e.message.length <= 241, "message clipped");
  });
});

describe("session history: per-minute counts", () => {
  it("counts requests and errors (proxy-made or 5xx) per minute, as a dense series", async () => {
    const { history, clock } = setup();
    history.observeExchange({ status: 200 });
    history.observeExchange({ status: 404 });
    history.observeExchange({ status: 502 });
    await clock.advance(2 * MINUTE);
    history.observeExchange({ status: 503, error: "NO_SESSION" });
    history.observeExchange({ status: 200, error: "the transfer broke" });
    const m = history.toJSON().minutes;
    assert.equal(m.from, new Date(START).toISOString());
    assert.deepEqual(m.requests, [3, 0, 2]);
    assert.deepEqual(m.errors, [1, 0, 2]);
  });

  it("rolls over: 1,440 buckets at most, and a slot reused a day later starts from zero", async () => {
    const { history, clock } = setup();
    for (let i = 0; i < 3 * 1440; i++) {
      history.observeExchange({ status: i % 2 === 0 ? 200 : 500 });
      await clock.advance(MINUTE);
    }
    history.observeExchange({ status: 200 });
    const m = history.toJSON().minutes;
    assert.equal(m.requests.length, 1440);
    assert.equal(m.from, new Date(START + (3 * 1440 - 1439) * MINUTE).toISOString());
    assert.equal(m.requests.at(-1), 1, "the current minute holds only its own request");
    assert.equal(
      m.requests.reduce((a, b) => a + b, 0),
      1440,
    );
    assert.equal(
      m.errors.reduce((a, b) => a + b, 0),
      720,
    );
  });

  it("shows a quiet day as zeros, not as the counts of a day before", async () => {
    const { history, clock } = setup({ windowMinutes: 10 });
    history.observeExchange({ status: 200 });
    await clock.advance(10 * MINUTE);
    const m = history.toJSON().minutes;
    assert.deepEqual(m.requests, new Array(10).fill(0));
  });
});
