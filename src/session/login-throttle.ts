// Owns how fast anyone on this machine may guess a user's password through the proxy: a few free
// failures per user name, then exponentially growing lockouts during which nothing is checked.

import type { Clock } from "../clock.js";

/** What `check` says: go ahead, or come back in `retryAfterSeconds` (whole seconds, ≥ 1). */
export type ThrottleVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface LoginThrottleOptions {
  clock: Pick<Clock, "now">;
  /** Failures in a row before the first lockout (default 3). */
  freeFailures?: number;
  /** The first lockout, ms (default 1 000); each further failure doubles it. */
  firstLockMs?: number;
  /** The longest lockout, ms (default 300 000); also the quiet time after a lockout that forgets a user. */
  maxLockMs?: number;
  /** User names remembered at once (default 10 000); past it, new names share one overflow record. */
  maxUsers?: number;
  /** An attempt neither failed nor succeeded within this many ms is forgotten (default 120 000). */
  pendingTimeoutMs?: number;
}

interface Entry {
  failures: number;
  lockedUntil: number;
  lockMs: number;
  /** Attempts let through whose outcome is not known yet: parallel guesses count before they fail. */
  pending: number;
  pendingSince: number;
  lastFailureAt: number;
}

/** Longer names are kept by their first this many characters: memory stays bounded whatever clients send. */
const KEY_CHARS = 256;
/** Where new names go while the table is full of users still being throttled. */
const OVERFLOW = "\u0000overflow";

/**
 * Per-user-name login throttle, pure (no HTTP, no timers). Protocol for a login attempt:
 * `check(user)` first; when it says ok, end the attempt with exactly one of `failed(user)` (the
 * password was wrong), `succeeded(user)` (forgets the user) or `abandoned(user)` (no verdict, e.g.
 * the API was unreachable). When it refuses, do not look at the password at all, so a lockout
 * reveals nothing about it.
 *
 * Rules: after `freeFailures` failures in a row, each failure locks the user for firstLockMs, then
 * 2×, 4× … up to maxLockMs. Attempts in flight count against the free failures, so parallel
 * guesses get no more tries than serial ones. A user is forgotten after a success, or once
 * maxLockMs pass without attempts after the lockout (or last failure) ends. Locked users are never
 * evicted to make room: a flood of made-up names cannot reset the real one.
 */
export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly free: number;
  private readonly firstLockMs: number;
  private readonly maxLockMs: number;
  private readonly maxUsers: number;
  private readonly pendingTimeoutMs: number;
  /** No entry can be forgotten before this time: spares a full scan on every new name while full. */
  private nextPurgeAt = 0;

  constructor(private readonly opts: LoginThrottleOptions) {
    this.free = Math.max(1, opts.freeFailures ?? 3);
    this.firstLockMs = opts.firstLockMs ?? 1_000;
    this.maxLockMs = opts.maxLockMs ?? 300_000;
    this.maxUsers = Math.max(1, opts.maxUsers ?? 10_000);
    this.pendingTimeoutMs = opts.pendingTimeoutMs ?? 120_000;
  }

  /** Whether an attempt for `user` may be checked now; an ok counts it as in flight. */
  check(user: string): ThrottleVerdict {
    const now = this.opts.clock.now();
    const e = this.entry(user, now);
    if (e.pending > 0 && now - e.pendingSince >= this.pendingTimeoutMs) e.pending = 0;
    if (now < e.lockedUntil)
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((e.lockedUntil - now) / 1000)) };
    // Once locked out, one attempt at a time; before that, only as many as free failures remain.
    const allowed = Math.max(1, this.free - e.failures);
    if (e.pending >= allowed) return { ok: false, retryAfterSeconds: 1 };
    if (e.pending === 0) e.pendingSince = now;
    e.pending++;
    return { ok: true };
  }

  /** The attempt `check` let through had a wrong password. */
  failed(user: string): void {
    const now = this.opts.clock.now();
    const e = this.entry(user, now);
    e.pending = Math.max(0, e.pending - 1);
    e.failures++;
    e.lastFailureAt = now;
    if (e.failures >= this.free) {
      e.lockMs = e.lockMs === 0 ? this.firstLockMs : Math.min(this.maxLockMs, e.lockMs * 2);
      e.lockedUntil = now + e.lockMs;
    }
  }

  /** The attempt `check` let through had the right password: forgets every failure for `user`. */
  succeeded(user: string): void {
    const key = keyOf(user);
    if (this.entries.has(key)) this.entries.delete(key);
    else this.abandoned(user); // an overflow attempt: release its slot, keep the shared record
  }

  /** The attempt `check` let through ended without a verdict on the password. */
  abandoned(user: string): void {
    this.nextPurgeAt = 0; // a record may have become forgettable
    const e = this.entries.get(keyOf(user)) ?? this.entries.get(OVERFLOW);
    if (e) e.pending = Math.max(0, e.pending - 1);
  }

  /** Users remembered now (for tests and the status page). */
  get size(): number {
    return this.entries.size;
  }

  /** When `e` may be dropped: maxLockMs after its lockout or last failure, and no attempt in flight. */
  private forgettableAt(e: Entry): number {
    const quiet = Math.max(e.lockedUntil, e.lastFailureAt) + this.maxLockMs;
    return e.pending === 0 ? quiet : Math.max(quiet, e.pendingSince + this.pendingTimeoutMs);
  }

  private entry(user: string, now: number): Entry {
    const key = keyOf(user);
    const found = this.entries.get(key);
    if (found && now < this.forgettableAt(found)) return found;
    if (found) this.entries.delete(key);
    if (this.entries.size >= this.maxUsers) this.purge(now);
    const shared = this.entries.size >= this.maxUsers ? this.entries.get(OVERFLOW) : undefined;
    if (shared) return shared;
    const fresh: Entry = { failures: 0, lockedUntil: 0, lockMs: 0, pending: 0, pendingSince: 0, lastFailureAt: 0 };
    // The overflow record is allowed one slot past the cap, so full is never a way around the throttle.
    this.entries.set(this.entries.size >= this.maxUsers ? OVERFLOW : key, fresh);
    return fresh;
  }

  private purge(now: number): void {
    if (now < this.nextPurgeAt) return;
    let next = Infinity;
    for (const [key, e] of this.entries) {
      const at = this.forgettableAt(e);
      if (now >= at) this.entries.delete(key);
      else next = Math.min(next, at);
    }
    this.nextPurgeAt = next === Infinity ? 0 : next;
  }
}

function keyOf(user: string): string {
  return user.length > KEY_CHARS ? user.slice(0, KEY_CHARS) : user;
}
