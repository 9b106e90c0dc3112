// Owns the session's recent history for the status page: a fixed-size ring of session events and
// per-minute request and error counts, at most a day of each. Memory never grows past its bounds.

import type { Clock } from "../clock.js";
import type { ExchangeRecord } from "../proxy/exchange.js";
import type { FailureKind, SessionEvents, SessionOp } from "../session/events.js";

/** What the history keeps of one session event: no cookie, no password, no user name. */
export type HistoryEvent =
  | { at: number; type: "login" }
  | { at: number; type: "relogin"; cause: string }
  | { at: number; type: "refresh" }
  | { at: number; type: "adopt" }
  | { at: number; type: "invalidate"; cause: string }
  | { at: number; type: "failure"; op: SessionOp; kind: FailureKind; message: string; blocked: boolean };

/** Anything that publishes the session's typed events (a SessionManager, later a registry). */
export interface SessionEventSource {
  on<K extends keyof SessionEvents>(event: K, listener: (...args: SessionEvents[K]) => void): unknown;
}

export interface HistoryOptions {
  clock: Clock;
  /** Events kept at most (default 10,000); the oldest is overwritten first. */
  maxEvents?: number;
  /** Length of the window in minutes (default 1,440: 24 h); older events and counts are forgotten. */
  windowMinutes?: number;
}

/** The JSON of GET /-/events. Times are ISO 8601 strings, as in /-/status. */
export interface HistoryJson {
  now: string;
  windowSeconds: number;
  capacity: { events: number; minutes: number };
  /** Events overwritten because the ring was full (they were younger than the window). */
  overwritten: number;
  events: Array<Record<string, unknown> & { at: string; type: HistoryEvent["type"] }>;
  /** Dense per-minute series, oldest first: requests[i] counts the minute starting at from + i min. */
  minutes: { from: string; stepSeconds: 60; requests: number[]; errors: number[] };
}

const MINUTE_MS = 60_000;
/** Failure messages are the manager's own sentences; the bound keeps one event's size fixed. */
const MAX_TEXT = 240;

export class SessionHistory {
  readonly maxEvents: number;
  readonly windowMinutes: number;
  private readonly clock: Clock;
  private readonly ring: Array<HistoryEvent | undefined>;
  /** Index of the oldest event in `ring`, and how many are held. */
  private head = 0;
  private size = 0;
  private overwritten = 0;
  /** Slot i holds the counts of epoch minute `minuteOf[i]` (-1: empty); i = minute mod windowMinutes. */
  private readonly minuteOf: Float64Array;
  private readonly requests: Uint32Array;
  private readonly errors: Uint32Array;
  private readonly firstMinute: number;

  constructor(opts: HistoryOptions) {
    this.clock = opts.clock;
    this.maxEvents = Math.max(1, Math.floor(opts.maxEvents ?? 10_000));
    this.windowMinutes = Math.max(1, Math.floor(opts.windowMinutes ?? 1_440));
    this.ring = new Array<HistoryEvent | undefined>(this.maxEvents).fill(undefined);
    this.minuteOf = new Float64Array(this.windowMinutes).fill(-1);
    this.requests = new Uint32Array(this.windowMinutes);
    this.errors = new Uint32Array(this.windowMinutes);
    this.firstMinute = Math.floor(this.clock.now() / MINUTE_MS);
  }

  /**
   * Records the session's events from `source`: the first login, re-logins with their cause,
   * refreshes (a resumed cookie counts as one), adopted cookies, drops and failures with their kind.
   * The user name is not kept: the page shows the configured user from /-/status.
   */
  subscribe(source: SessionEventSource): this {
    source.on("login", (e) =>
      this.add(e.reason === "start" ? { at: 0, type: "login" } : { at: 0, type: "relogin", cause: clip(e.reason) }),
    );
    source.on("refresh", () => this.add({ at: 0, type: "refresh" }));
    source.on("adopt", () => this.add({ at: 0, type: "adopt" }));
    source.on("invalidate", (e) => this.add({ at: 0, type: "invalidate", cause: clip(e.reason) }));
    source.on("failure", (e) =>
      this.add({ at: 0, type: "failure", op: e.op, kind: e.kind, message: clip(e.message), blocked: e.blocked }),
    );
    return this;
  }

  /**
   * Counts one finished request in the current minute; it is an error when the proxy made the
   * answer or the transfer broke (`record.error`), or the status is 5xx.
   */
  observeExchange(record: Pick<ExchangeRecord, "status" | "error">): void {
    const minute = Math.floor(this.clock.now() / MINUTE_MS);
    const slot = minute % this.windowMinutes;
    if (this.minuteOf[slot] !== minute) {
      this.minuteOf[slot] = minute;
      this.requests[slot] = 0;
      this.errors[slot] = 0;
    }
    this.requests[slot]!++;
    if (record.error !== undefined || record.status >= 500) this.errors[slot]!++;
  }

  /** Events inside the window, oldest first (a copy). */
  events(): HistoryEvent[] {
    this.expire();
    const out: HistoryEvent[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.ring[(this.head + i) % this.maxEvents]!);
    return out;
  }

  /** The history as GET /-/events answers it. */
  toJSON(): HistoryJson {
    const now = this.clock.now();
    const iso = (t: number) => new Date(t).toISOString();
    const current = Math.floor(now / MINUTE_MS);
    const from = Math.max(this.firstMinute, current - this.windowMinutes + 1);
    const requests: number[] = [];
    const errors: number[] = [];
    for (let m = from; m <= current; m++) {
      const slot = m % this.windowMinutes;
      const held = this.minuteOf[slot] === m;
      requests.push(held ? this.requests[slot]! : 0);
      errors.push(held ? this.errors[slot]! : 0);
    }
    return {
      now: iso(now),
      windowSeconds: this.windowMinutes * 60,
      capacity: { events: this.maxEvents, minutes: this.windowMinutes },
      overwritten: this.overwritten,
      events: this.events().map((e) => ({ ...e, at: iso(e.at) })),
      minutes: { from: iso(from * MINUTE_MS), stepSeconds: 60, requests, errors },
    };
  }

  private add(event: HistoryEvent): void {
    event.at = this.clock.now();
    this.expire();
    if (this.size === this.maxEvents) {
      this.ring[this.head] = event;
      this.head = (this.head + 1) % this.maxEvents;
      this.overwritten++;
      return;
    }
    this.ring[(this.head + this.size) % this.maxEvents] = event;
    this.size++;
  }

  /** Forgets events older than the window, so a quiet day ends with an empty ring. */
  private expire(): void {
    const oldest = this.clock.now() - this.windowMinutes * MINUTE_MS;
    while (this.size > 0 && this.ring[this.head]!.at < oldest) {
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.maxEvents;
      this.size--;
    }
  }
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}
