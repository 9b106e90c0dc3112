// Owns the session: the only code that holds or changes the nimbula cookie. Logs in, refreshes
// ahead of expiry, re-logs in before the session end or after a 401, keeps at most one login or
// refresh in flight, backs off on failure, and reports what it does through events.

import { EventEmitter } from "node:events";
import { systemClock, systemRandom, type Clock, type Random, type TimerHandle } from "../clock.js";
import type { Credentials } from "./credentials.js";
import { ProxyError, errorMessage } from "../errors.js";
import { AuthFailure, type AuthClient } from "./api-auth.js";
import { DEFAULT_RETRY_POLICY, rejectedWait, renewDelay, transientWait, type RetryPolicy } from "./backoff.js";
import { judgeCookie, type CookieOrigin } from "./acceptance.js";
import type { LoginGuardStore } from "./login-guard.js";
import { decodeClaims, expiryOf, findNimbula, parseHttpDate, type CookieExpiry, type IssuedCookie } from "./cookie.js";
import type {
  FailureClass,
  SessionCounters,
  SessionEvents,
  SessionOp,
  SessionPhase,
  SessionSnapshot,
} from "./events.js";

export interface SessionOptions {
  auth: AuthClient;
  credentials: Credentials;
  clock?: Clock;
  random?: Random;
  policy?: Partial<RetryPolicy>;
  /** While blocked, how often to look for a changed password file. */
  credentialPollMs?: number;
  /** Rejected logins per password fingerprint, kept across restarts (login-guard.ts); none: this process only. */
  loginGuard?: LoginGuardStore;
}

interface Held extends CookieExpiry {
  value: string;
  issuedAt: number;
}

type Next = { action: SessionOp | "check-credentials"; at: number; timer: TimerHandle };

export class SessionManager extends EventEmitter<SessionEvents> {
  readonly user: string;
  private readonly auth: AuthClient;
  private readonly credentials: Credentials;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly policy: RetryPolicy;
  private readonly credentialPollMs: number;
  private readonly loginGuard: LoginGuardStore | undefined;

  private phase: SessionPhase = "idle";
  private held: Held | undefined;
  /** Start of the current session as far as we know: the login, or the take-over of a cookie. */
  private loginAt: number | undefined;
  /** The last login this process made itself (POST /authenticate/). */
  private lastLogin: number | undefined;
  private resumedAt: number | undefined;
  private lastRefreshAt: number | undefined;
  private inflight: Promise<void> | undefined;
  private inflightOp: SessionOp | undefined;
  private next: Next | undefined;
  private failures = 0;
  private rejections = 0;
  private lastError: SessionSnapshot["lastError"];
  private blockedFingerprint: string | undefined;
  private attemptFingerprint: string | undefined;
  /** A look at the password source while blocked, which may turn into a login. */
  private checking: Promise<void> | undefined;
  private readonly counters: SessionCounters = {
    logins: 0,
    refreshes: 0,
    adopted: 0,
    loginFailures: 0,
    refreshFailures: 0,
    unauthorized: 0,
  };

  constructor(opts: SessionOptions) {
    super();
    this.auth = opts.auth;
    this.credentials = opts.credentials;
    this.user = opts.credentials.user;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? systemRandom;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...opts.policy };
    this.credentialPollMs = opts.credentialPollMs ?? 2_000;
    this.loginGuard = opts.loginGuard;
  }

  /** Starts the first login (or adopts a cookie handed over from a previous run). */
  start(): Promise<void> {
    if (this.phase !== "idle") return this.inflight ?? Promise.resolve();
    // A resume in flight goes first; the login follows only if its cookie was refused.
    if (this.inflight) return this.inflight.then(() => this.start());
    return this.run("login", () => this.login("start"));
  }

  /**
   * Tries a cookie from elsewhere (a cookie file, OPC_COOKIE) before the first login: it is kept
   * only if the API accepts a refresh with it, so a restart does not cost a login.
   */
  resume(cookie: string): Promise<boolean> {
    if (this.phase !== "idle" || !this.ownCookie(cookie)) return Promise.resolve(false);
    const flight = this.run("refresh", async () => {
      const started = this.clock.now();
      try {
        const issued = await this.auth.refresh(cookie);
        if (this.phase !== "idle" || !this.take(issued, "resume")) return;
        this.loginAt = started;
        this.resumedAt = started;
        this.accept(issued);
        this.lastRefreshAt = this.clock.now();
        this.counters.refreshes++;
        this.phase = "ready";
        this.emit("refresh", this.refreshEvent(started));
        this.schedule();
      } catch {
        // Not usable: an ordinary login follows.
      }
    });
    return flight.then(() => this.held !== undefined);
  }

  /** A cookie whose claims name another user is never taken over; an opaque one may be. */
  private ownCookie(value: string): boolean {
    const user = decodeClaims(value).user;
    return user === undefined || user === this.user;
  }

  /** The acceptance rule (acceptance.ts) at each place a cookie can come in; a refusal is reported, never kept. */
  private take(issued: IssuedCookie, from: CookieOrigin): boolean {
    const verdict = judgeCookie(issued, this.user);
    if (!verdict.take) this.emit("ignored", { from, reason: verdict.reason });
    return verdict.take;
  }

  /**
   * The wrong-password guard across restarts: refuses, without asking the API, a password already
   * rejected as often as the policy allows, and counts each attempt before it is sent.
   */
  private async guardLogin(fp: string | undefined): Promise<<T>(send: () => Promise<T>) => Promise<T>> {
    const guard = fp === undefined ? undefined : this.loginGuard;
    if (guard === undefined || fp === undefined) return (send) => send();
    const spent = await guard.count(fp);
    const allowed = this.policy.rejectedWaitsMs.length + 1;
    if (spent >= allowed) {
      this.rejections = Math.max(this.rejections, spent);
      throw new AuthFailure("rejected", `login rejected ${spent} times with this password, also before a restart`);
    }
    this.rejections = Math.max(this.rejections, spent);
    return async (send) => {
      await guard.begin(fp);
      try {
        const out = await send();
        await guard.settle(fp, "ok");
        return out;
      } catch (err) {
        await guard.settle(fp, err instanceof AuthFailure && err.kind === "rejected" ? "rejected" : "transient");
        throw err;
      }
    };
  }

  /** Resolves once no login or refresh is in flight (for orderly shutdown and tests). */
  async idle(): Promise<void> {
    for (let i = 0; i < 100 && (this.inflight || this.checking); i++) await (this.inflight ?? this.checking);
  }

  stop(): void {
    this.phase = "stopped";
    this.clearNext();
  }

  /** The cookie to send now, if a usable one is held: the hot path, no allocation. */
  current(): string | undefined {
    const h = this.held;
    if (h === undefined || this.clock.now() >= h.tokenExpiresAt - this.skew(h)) return undefined;
    return h.value;
  }

  /** A usable cookie, waiting for an in-flight login or refresh if needed; else a 503 ProxyError. */
  async cookie(): Promise<string> {
    const c = this.current();
    if (c !== undefined) return c;
    if (this.inflight) {
      // idle(), not the one flight: a refused resume is followed by the first login.
      await this.idle();
      return this.current() ?? this.fail503();
    }
    await this.renew("the token expired");
    return this.current() ?? this.fail503();
  }

  /**
   * The API answered 401 to a request that carried `used`. Only if that is still the current cookie
   * is it dropped and a new login started, so a burst of 401s causes one login. Resolves with the
   * cookie to retry with.
   */
  async unauthorized(used: string): Promise<string> {
    this.counters.unauthorized++;
    if (this.inflight) await this.inflight;
    if (this.held?.value === used) {
      this.held = undefined;
      this.emit("invalidate", { reason: "the API answered 401" });
      if (this.phase === "ready") this.phase = "logging-in";
      await this.renew("the API answered 401");
    }
    return this.cookie();
  }

  /**
   * Adopts a fresh nimbula cookie from any API response (the API may rotate it at any time).
   * Ignored unless the response was to a request made with the current cookie, so a slow
   * response can never replace a newer cookie with an older one.
   */
  adopt(
    setCookie: string | readonly string[] | undefined,
    used: string,
    answer: { status?: number; date?: string } = {},
  ): void {
    const issued = findNimbula(setCookie);
    if (!issued || !this.held || this.held.value !== used || issued.value === used) return;
    issued.status = answer.status;
    issued.dateMs = parseHttpDate(answer.date);
    if (!this.take(issued, "adopt")) return;
    this.accept(issued);
    this.counters.adopted++;
    this.emit("adopt", { tokenExpiresAt: this.held.tokenExpiresAt });
    if (this.inflightOp !== "login") this.schedule();
  }

  snapshot(): SessionSnapshot {
    const ready = this.current() !== undefined;
    const h = this.held;
    const snap: SessionSnapshot = {
      state: ready ? "ready" : this.phase === "ready" ? "logging-in" : this.phase,
      ready,
      user: this.user,
      refreshing: this.inflightOp === "refresh",
      consecutiveFailures: this.failures,
      counters: { ...this.counters },
    };
    if (h) {
      snap.tokenExpiresAt = h.tokenExpiresAt;
      snap.sessionExpiresAt = h.sessionExpiresAt;
      snap.expirySource = h.source;
    }
    if (this.lastLogin !== undefined) snap.lastLoginAt = this.lastLogin;
    if (this.resumedAt !== undefined) snap.resumedAt = this.resumedAt;
    if (this.lastRefreshAt !== undefined) snap.lastRefreshAt = this.lastRefreshAt;
    if (this.next) snap.next = { action: this.next.action, at: this.next.at };
    if (this.lastError) snap.lastError = { ...this.lastError };
    if (!ready) snap.reason = this.reason();
    return snap;
  }

  // ---- the state machine -------------------------------------------------------------------

  /** Single flight: at most one login or refresh at a time; every caller shares it. */
  private run(op: SessionOp, fn: () => Promise<void>): Promise<void> {
    if (this.inflight) return this.inflight;
    this.clearNext();
    this.inflightOp = op;
    const flight = fn().finally(() => {
      if (this.inflight === flight) {
        this.inflight = undefined;
        this.inflightOp = undefined;
      }
    });
    this.inflight = flight;
    return flight;
  }

  /** Starts whatever gets a usable cookie soonest, unless the backoff or a block forbids it now. */
  private async renew(reason: string): Promise<void> {
    if (this.inflight) return this.inflight;
    if (this.phase === "stopped") return;
    if (this.phase === "blocked") {
      if (!(await this.credentialsChanged())) return;
      if (this.inflight) return this.inflight;
      this.rejections = 0;
      return this.run("login", () => this.login("the password changed"));
    }
    if (this.phase === "rejected" || this.phase === "backoff") return;
    const h = this.held;
    if (h && this.clock.now() < h.tokenExpiresAt && canExtend(h)) {
      return this.run("refresh", () => this.refresh());
    }
    return this.run("login", () => this.login(reason));
  }

  private async login(reason: string): Promise<void> {
    if (!this.current()) this.phase = "logging-in";
    const started = this.clock.now();
    let issued: IssuedCookie;
    try {
      // Taken before the password is read: if the file changes while this attempt fails, the
      // change is still seen as new and tried, instead of being mistaken for what was rejected.
      this.attemptFingerprint = await this.credentials.fingerprint();
      const guarded = await this.guardLogin(this.attemptFingerprint);
      const password = await this.credentials.password();
      issued = await guarded(() => this.auth.authenticate(this.user, password));
      if (!this.take(issued, "login")) throw new AuthFailure("transient", "the login answer's cookie was not taken");
    } catch (err) {
      return this.failed("login", err);
    }
    if (this.phase === "stopped") return;
    this.loginAt = started;
    this.lastLogin = started;
    this.accept(issued);
    this.counters.logins++;
    this.failures = 0;
    this.rejections = 0;
    this.blockedFingerprint = undefined;
    this.phase = "ready";
    const h = this.held!;
    this.emit("login", {
      reason,
      user: this.user,
      tokenExpiresAt: h.tokenExpiresAt,
      sessionExpiresAt: h.sessionExpiresAt,
      durationMs: this.clock.now() - started,
    });
    this.schedule();
  }

  private async refresh(): Promise<void> {
    const h = this.held;
    if (!h) return this.login("no token to refresh");
    const started = this.clock.now();
    let issued: IssuedCookie;
    try {
      issued = await this.auth.refresh(h.value);
      if (!this.take(issued, "refresh"))
        throw new AuthFailure("transient", "the refresh answer's cookie was not taken");
    } catch (err) {
      return this.failed("refresh", err);
    }
    if (this.phase === "stopped") return;
    // A 401 or an adopted cookie may have replaced the token meanwhile; the newest one wins.
    if (this.held !== h) return this.schedule();
    this.accept(issued);
    this.lastRefreshAt = this.clock.now();
    this.counters.refreshes++;
    this.failures = 0;
    this.emit("refresh", this.refreshEvent(started));
    this.schedule();
  }

  private refreshEvent(started: number): SessionEvents["refresh"][0] {
    const h = this.held!;
    return {
      tokenExpiresAt: h.tokenExpiresAt,
      sessionExpiresAt: h.sessionExpiresAt,
      durationMs: this.clock.now() - started,
    };
  }

  private accept(issued: IssuedCookie): void {
    const now = this.clock.now();
    const start = this.loginAt ?? now;
    let expiry = expiryOf(issued, now, start);
    // A token just issued cannot already be over: its claims are on a clock that disagrees with ours.
    // Judge it by Max-Age instead, or it would never be usable and every schedule would fire at once.
    if (expiry.tokenExpiresAt <= now) expiry = expiryOf({ value: "", maxAgeSeconds: issued.maxAgeSeconds }, now, start);
    this.held = { value: issued.value, issuedAt: now, ...expiry };
  }

  private async failed(op: SessionOp, err: unknown): Promise<void> {
    if (this.phase === "stopped") return;
    const kind = classify(err);
    const message = errorMessage(err);
    const now = this.clock.now();
    this.failures++;
    this.lastError = { op, kind, message, at: now };
    if (op === "refresh") {
      this.counters.refreshFailures++;
      const h = this.held;
      const left = h ? h.tokenExpiresAt - this.skew(h) - now : 0;
      // Halving the wait near expiry would retry ever faster; below the shortest backoff, log in instead.
      if (kind !== "transient" || left / 2 < this.policy.transientInitialMs) {
        this.emit("failure", { op, kind, message, consecutive: this.failures, blocked: false });
        if (kind === "expired" && this.held === h) this.held = undefined;
        return this.login(kind === "expired" ? "the refresh was refused" : "the token ran out while refresh failed");
      }
      // The token still works: retry the refresh with backoff, but well before it runs out.
      const wait = Math.min(transientWait(this.policy, this.failures, this.random), Math.max(0, left / 2));
      this.emit("failure", { op, kind, message, consecutive: this.failures, retryAt: now + wait, blocked: false });
      return this.setNext("refresh", wait);
    }

    this.counters.loginFailures++;
    if (kind === "rejected" || kind === "credentials") {
      this.rejections++;
      const wait = kind === "rejected" ? rejectedWait(this.policy, this.rejections) : undefined;
      if (wait === undefined) {
        // Stop: accounts lock after repeated failures. Resume when the password source changes.
        this.phase = "blocked";
        this.blockedFingerprint = this.attemptFingerprint;
        this.emit("failure", { op, kind, message, consecutive: this.failures, blocked: true });
        if (this.phase === "blocked") this.setNext("check-credentials", this.credentialPollMs);
        return;
      }
      this.phase = this.current() ? "ready" : "rejected";
      this.emit("failure", { op, kind, message, consecutive: this.failures, retryAt: now + wait, blocked: false });
      return this.setNext("login", wait);
    }
    const wait = transientWait(this.policy, this.failures, this.random);
    this.phase = this.current() ? "ready" : "backoff";
    this.emit("failure", { op, kind, message, consecutive: this.failures, retryAt: now + wait, blocked: false });
    this.setNext("login", wait);
  }

  /** Plans the next renewal from the token's own lifetime: refresh, or log in again near the session end. */
  private schedule(): void {
    const h = this.held;
    if (!h || this.phase === "stopped") return;
    const now = this.clock.now();
    const delay = renewDelay(this.policy, h.tokenExpiresAt - now, this.random);
    this.setNext(canExtend(h) ? "refresh" : "login", delay);
  }

  private setNext(action: Next["action"], delayMs: number): void {
    this.clearNext();
    if (this.phase === "stopped") return;
    const timer = this.clock.setTimeout(() => this.onTimer(action), delayMs);
    this.next = { action, at: this.clock.now() + delayMs, timer };
  }

  private clearNext(): void {
    if (this.next) this.clock.clearTimeout(this.next.timer);
    this.next = undefined;
  }

  private onTimer(action: Next["action"]): void {
    this.next = undefined;
    if (this.phase === "stopped" || this.inflight) return;
    if (action === "check-credentials") {
      const check: Promise<void> = this.renew("the password changed")
        .then(() => {
          if (this.phase === "blocked" && !this.inflight && !this.next)
            this.setNext("check-credentials", this.credentialPollMs);
        })
        .finally(() => {
          if (this.checking === check) this.checking = undefined;
        });
      this.checking = check;
      return;
    }
    if (action === "login") {
      if (this.phase === "rejected" || this.phase === "backoff") this.phase = "logging-in";
      const ending = this.held && !canExtend(this.held);
      void this.run("login", () => this.login(ending ? "the session is about to end" : "retry"));
      return;
    }
    void this.run("refresh", () => this.refresh());
  }

  private async credentialsChanged(): Promise<boolean> {
    const now = await this.credentials.fingerprint();
    return now !== undefined && now !== this.blockedFingerprint;
  }

  /** Treat a token as expired a little early: min(5 s, 10 % of its lifetime). */
  private skew(h: Held): number {
    return Math.min(5_000, Math.max(0, (h.tokenExpiresAt - h.issuedAt) * 0.1));
  }

  private reason(): string {
    const src = this.credentials.source;
    const err = this.lastError;
    switch (this.phase) {
      case "idle":
        return "the proxy has not logged in yet";
      case "stopped":
        return "the proxy is shutting down";
      case "blocked":
        return err?.kind === "credentials"
          ? `${err.message}; the proxy retries when it changes`
          : `${err?.message ?? "login rejected"}; stopped after ${this.rejections} rejected logins to avoid locking the account: fix ${src} (it is re-read when it changes)`;
      case "rejected":
        return `${err?.message ?? "login rejected"}; check ${src}; next try ${this.retryIn()}`;
      case "backoff":
        return `${err?.message ?? "login failed"}; next try ${this.retryIn()}`;
      default:
        return "logging in";
    }
  }

  private retryIn(): string {
    if (!this.next) return "soon";
    return `in ${Math.max(0, Math.ceil((this.next.at - this.clock.now()) / 1000))} s`;
  }

  private fail503(): never {
    if (this.phase === "stopped") throw new ProxyError("SHUTTING_DOWN", "the proxy is shutting down", 503);
    throw new ProxyError("NO_SESSION", `no session with the Compute API: ${this.reason()}`, 503);
  }
}

/**
 * Whether a refresh can still extend the token. Max-Age has whole seconds, so a token capped at the
 * session end can look up to 1 s short of it; refreshing then only earns a Max-Age=0 answer.
 */
function canExtend(h: CookieExpiry): boolean {
  return h.sessionExpiresAt - h.tokenExpiresAt >= 1000;
}

function classify(err: unknown): FailureClass {
  if (err instanceof AuthFailure) return err.kind;
  if (err instanceof ProxyError && err.code === "PASSWORD_FILE") return "credentials";
  return "transient";
}
