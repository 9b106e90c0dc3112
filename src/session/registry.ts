// Owns the sessions of client identity mode: one managed session per identity (user + password) in a
// bounded lru-cache, the opaque handles that name them, and the short memory of rejected passwords
// that keeps a retrying client from locking an account. The only importer of lru-cache.

import { EventEmitter } from "node:events";
import { LRUCache } from "lru-cache";
import type { Clock, TimerHandle } from "../clock.js";
import type { SessionSnapshot } from "./events.js";
import type { IdentityKeys } from "./identity.js";
import type { LoginThrottle } from "./login-throttle.js";

/** What the registry needs of a session; a SessionManager provides it. */
export interface IdentitySession {
  readonly user: string;
  /** Resolves once the first login succeeded or failed (single flight: every caller shares it). */
  start(): Promise<void>;
  stop(): void;
  snapshot(): SessionSnapshot;
  /** Subscribes to the end of the session (no renewal past the API's session end). */
  once(event: "end", listener: () => void): unknown;
}

/** Why an identity left the registry: `size` (least recently used made room), `idle`, the API's
 *  session end, a `rejected` login, a first login that `failed` otherwise, or `shutdown`. */
export type EvictionCause = "size" | "idle" | "session-end" | "rejected" | "failed" | "shutdown";

/** Every eviction cause, for metrics that show each one from zero. */
export const EVICTION_CAUSES: readonly EvictionCause[] = [
  "size",
  "idle",
  "session-end",
  "rejected",
  "failed",
  "shutdown",
];

/** How a request for an identity's session ended: `ok` (a session is ready), `rejected` (the API
 *  refused the password just now), `refused` (the proxy refused a password the API rejected
 *  recently, without asking it), `failed` (no session for another reason, see `reason`). */
export type LoginOutcome = "ok" | "rejected" | "refused" | "failed" | "throttled";

/** Every login outcome, for metrics that show each one from zero. */
export const LOGIN_OUTCOMES: readonly LoginOutcome[] = ["ok", "rejected", "refused", "failed", "throttled"];

export type Ensured<S> =
  | { outcome: "ok"; session: S; user: string; key: string; created: boolean }
  | { outcome: "rejected" | "refused"; user: string }
  | { outcome: "throttled"; user: string; retryAfterSeconds: number }
  | { outcome: "failed"; user: string; reason: string };

export interface RegistryEvents<S extends IdentitySession = IdentitySession> {
  /** A client's login for an identity: emitted when a session was created, or a password refused or rejected. */
  login: [{ outcome: LoginOutcome; user: string; created: boolean }];
  /** A session was made for a new identity (before its login), so telemetry can subscribe to it. */
  created: [{ user: string; session: S }];
  evict: [{ cause: EvictionCause; user: string }];
}

export interface RegistryOptions<S extends IdentitySession> {
  /** Failed logins per user name (login-throttle.ts), shared with the session endpoints; none: unthrottled. */
  throttle?: LoginThrottle;
  /** Most identities held at once (--max-identities); the least recently used goes first. */
  maxIdentities: number;
  /** An identity without requests for this long goes (--identity-idle-timeout), in ms. */
  idleTimeoutMs: number;
  /** How long the proxy itself refuses a user + password the API rejected, in ms. */
  rejectedHoldMs: number;
  /** Handles kept per identity; an SDK that logs in again and again drops its oldest ones. */
  maxHandlesPerIdentity?: number;
  clock: Clock;
  keys: IdentityKeys;
  /** Makes the managed session of one identity; it logs in when started. */
  create(user: string, password: string): S;
}

interface Entry<S> {
  session: S;
  user: string;
  handles: string[];
  /** Set just before a deliberate delete, so `dispose` can count the right cause. */
  cause?: EvictionCause;
}

/** Idle entries are swept on this period as well as on access, so their timers stop. */
const SWEEP_MS = 60_000;

export class IdentityRegistry<S extends IdentitySession> extends EventEmitter<RegistryEvents<S>> {
  private readonly sessions: LRUCache<string, Entry<S>>;
  private readonly handles = new Map<string, string>();
  private readonly rejected: LRUCache<string, true>;
  private readonly opts: RegistryOptions<S>;
  private sweep: TimerHandle | undefined;
  private stopped = false;

  constructor(opts: RegistryOptions<S>) {
    super();
    this.opts = opts;
    const perf = { now: () => opts.clock.now() };
    this.sessions = new LRUCache<string, Entry<S>>({
      max: opts.maxIdentities,
      ttl: opts.idleTimeoutMs,
      updateAgeOnGet: true,
      // lru-cache caches "now" for ttlResolution ms of real time; the injected clock must win.
      ttlResolution: 0,
      perf,
      dispose: (entry, _key, reason) => this.disposed(entry, reason),
    });
    this.rejected = new LRUCache<string, true>({
      max: Math.max(100, opts.maxIdentities * 10),
      ttl: opts.rejectedHoldMs,
      ttlResolution: 0,
      perf,
    });
    this.armSweep();
  }

  /** Identities held now. */
  get size(): number {
    return this.sessions.size;
  }

  /**
   * The session of `user` + `password`, logging in if this identity has none: concurrent callers
   * share one login. A password the API rejected within `rejectedHoldMs` is refused without asking
   * the API again. Never throws.
   */
  async ensure(user: string, password: string): Promise<Ensured<S>> {
    if (this.stopped) return { outcome: "failed", user, reason: "the proxy is shutting down" };
    // Before any comparison or login: a user locked out by failed guesses gets no answer that could
    // tell a right password from a wrong one, even one matching a session already held.
    const throttle = this.opts.throttle;
    const verdict = throttle?.check(user);
    if (verdict && !verdict.ok) {
      this.emit("login", { outcome: "throttled", user, created: false });
      return { outcome: "throttled", user, retryAfterSeconds: verdict.retryAfterSeconds };
    }
    const r = await this.ensureChecked(user, password);
    if (throttle) {
      // A new guess the API rejected counts; the same wrong password again (refused from memory,
      // nothing sent) is no new guess, and a session already held says nothing new either.
      if (r.outcome === "rejected") throttle.failed(user);
      else if (r.outcome === "ok" && r.created) throttle.succeeded(user);
      else throttle.abandoned(user);
    }
    return r;
  }

  private async ensureChecked(user: string, password: string): Promise<Ensured<S>> {
    const key = this.opts.keys.keyOf(user, password);
    if (this.rejected.get(key)) {
      this.emit("login", { outcome: "refused", user, created: false });
      return { outcome: "refused", user };
    }
    let entry = this.sessions.get(key);
    const created = entry === undefined;
    if (!entry) {
      entry = { session: this.opts.create(user, password), user, handles: [] };
      this.sessions.set(key, entry);
      this.emit("created", { user, session: entry.session });
      const ref = entry;
      entry.session.once("end", () => this.evict(key, ref, "session-end"));
    }
    await entry.session.start();
    const snap = entry.session.snapshot();
    if (snap.state === "rejected" || snap.state === "blocked") {
      // Also a 401 re-login of a held session whose password was changed since.
      this.rejected.set(key, true);
      this.evict(key, entry, "rejected");
      this.emit("login", { outcome: "rejected", user, created });
      return { outcome: "rejected", user };
    }
    if (snap.ready || (!created && snap.state !== "stopped")) {
      // A held session that is between tokens answers for itself on the request path (NO_SESSION, with its reason).
      if (created) this.emit("login", { outcome: "ok", user, created });
      return { outcome: "ok", session: entry.session, user, key, created };
    }
    // A first login that failed for another reason (the API unreachable): nothing keeps retrying
    // with a password nobody is using; the client's next try logs in afresh.
    this.evict(key, entry, "failed");
    this.emit("login", { outcome: "failed", user, created });
    return { outcome: "failed", user, reason: snap.reason ?? "no session" };
  }

  /** A new handle for the identity `key` (from an `ok` answer of ensure); oldest handles beyond the cap go. */
  issueHandle(key: string): string | undefined {
    const entry = this.sessions.peek(key);
    if (!entry) return undefined;
    const handle = this.opts.keys.newHandle();
    entry.handles.push(handle);
    this.handles.set(handle, key);
    const max = this.opts.maxHandlesPerIdentity ?? 32;
    while (entry.handles.length > max) this.handles.delete(entry.handles.shift()!);
    return handle;
  }

  /** The session a handle names, or undefined (unknown, evicted, ended). Counts as a use of it. */
  forHandle(handle: string): S | undefined {
    const key = this.handles.get(handle);
    if (key === undefined) return undefined;
    const entry = this.sessions.get(key);
    if (!entry) {
      this.handles.delete(handle);
      return undefined;
    }
    return entry.session;
  }

  /** The user a handle names (for log lines), or undefined. Not a use. */
  userOf(handle: string): string | undefined {
    const key = this.handles.get(handle);
    return key === undefined ? undefined : this.sessions.peek(key)?.user;
  }

  /** Stops every session and forgets every handle; later calls to ensure() fail. */
  stop(): void {
    this.stopped = true;
    if (this.sweep) this.opts.clock.clearTimeout(this.sweep);
    for (const [key, entry] of this.sessions.entries()) this.evict(key, entry, "shutdown");
    this.rejected.clear();
  }

  private evict(key: string, entry: Entry<S>, cause: EvictionCause): void {
    if (this.sessions.peek(key) !== entry) return;
    entry.cause = cause;
    this.sessions.delete(key);
  }

  private disposed(entry: Entry<S>, reason: LRUCache.DisposeReason): void {
    entry.session.stop();
    for (const h of entry.handles) this.handles.delete(h);
    entry.handles = [];
    const cause: EvictionCause = entry.cause ?? (reason === "expire" ? "idle" : "size");
    this.emit("evict", { cause, user: entry.user });
  }

  private armSweep(): void {
    this.sweep = this.opts.clock.setTimeout(() => {
      this.sessions.purgeStale();
      this.rejected.purgeStale();
      if (!this.stopped) this.armSweep();
    }, SWEEP_MS);
  }
}
