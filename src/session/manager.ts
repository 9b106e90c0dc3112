// Owns the session: the only code that holds or changes the nimbula cookie. Logs in, refreshes
// ahead of expiry, re-logs in before the session end or after a 401, keeps at most one login or
// refresh in flight, and reports what it does through events. What to do after a failure is
// failure-policy.ts's, the one pending renewal renewal-timer.ts's, the words status.ts's.

import { EventEmitter } from "node:events";
import { systemClock, systemRandom, type Clock, type Random } from "../clock.js";
import type { Credentials } from "./credentials.js";
import { ProxyError, errorMessage } from "../errors.js";
import { AuthFailure, type AuthClient } from "./api-auth.js";
import { DEFAULT_RETRY_POLICY, renewDelay, type RetryPolicy } from "./backoff.js";
import { judgeCookie, type CookieOrigin } from "./acceptance.js";
import { guardedLogin, type LoginGuardStore } from "./login-guard.js";
import {
  canExtend,
  decodeClaims,
  expiryOf,
  findNimbula,
  parseHttpDate,
  type CookieExpiry,
  type IssuedCookie,
} from "./cookie.js";
import type {
  FailureKind,
  SessionCounters,
  SessionEvents,
  SessionOp,
  SessionPhase,
  SessionSnapshot,
} from "./events.js";
import { decide } from "./failure-policy.js";
import { RenewalTimer, type RenewalAction } from "./renewal-timer.js";
import { reasonOf, snapshotOf, type SessionView } from "./status.js";

export interface SessionOptions {
  auth: AuthClient;
  credentials: Credentials;
  clock?: Clock;
  random?: Random;
  policy?: Partial<RetryPolicy>;
  /** While blocked, how often to look for a changed password file (ms); only this timer reads it. */
  credentialPollMs?: number;
  /** Rejected logins per password fingerprint, kept across restarts (login-guard.ts); none: this process only. */
  loginGuard?: LoginGuardStore;
}

interface Held extends CookieExpiry {
  value: string;
  issuedAt: number;
}

export class SessionManager extends EventEmitter<SessionEvents> {
  readonly user: string;
  private readonly auth: AuthClient;
  private readonly credentials: Credentials;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly policy: RetryPolicy;
  private readonly credentialPollMs: number;
  private readonly loginGuard: LoginGuardStore | undefined;
  private readonly timer: RenewalTimer;

  private phase: SessionPhase = "idle";
  private held: Held | undefined;
  /** Start of the current session as far as we know: the login, or the take-over of a cookie. */
  private loginAt: number | undefined;
  /** The last login this process made itself (POST /authenticate/). */
  private lastLogin: number | undefined;
  private resumedAt: number | undefined;
  private lastRefreshAt: number | undefined;
  private flight: Promise<void> | undefined;
  /** What the flight is doing now: a refresh that fails over into a login becomes "login". */
  private flightOp: SessionOp | undefined;
  private failures = 0;
  private rejections = 0;
  private lastError: SessionSnapshot["lastError"];
  private blockedFingerprint: string | undefined;
  private attemptFingerprint: string | undefined;
  /** A look at the password source while blocked, which may turn into a login. */
  private checking: Promise<void> | undefined;
  /** Requests waiting through a backoff for the planned retry to end (waitForCookie). */
  private flightWaiters: Array<() => void> | undefined;
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
    this.timer = new RenewalTimer(this.clock, (action) => this.onTimer(action));
  }

  /** Starts the first login (or waits for a resume in flight, logging in only if it was refused). */
  start(): Promise<void> {
    if (this.phase !== "idle") return this.flight ?? Promise.resolve();
    if (this.flight) return this.flight.then(() => this.start());
    return this.run("login", () => this.login("start"));
  }

  /**
   * Tries a cookie from elsewhere (a cookie file, OPC_COOKIE) before the first login: it is kept
   * only if the API accepts a refresh with it, so a restart does not cost a login. Resolves true if kept.
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
        this.phase = "ready";
        this.refreshed(started);
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

  /** Resolves once no login, refresh or password check is in flight (for orderly shutdown and tests). */
  async idle(): Promise<void> {
    for (let i = 0; i < 100 && (this.flight || this.checking); i++) await (this.flight ?? this.checking);
  }

  stop(): void {
    this.phase = "stopped";
    this.timer.cancel();
    this.wakeFlightWaiters();
  }

  /** The cookie to send now, if a usable one is held: the hot path, no allocation, no I/O. */
  currentCookie(): string | undefined {
    const h = this.held;
    if (h === undefined || this.clock.now() >= h.tokenExpiresAt - skew(h)) return undefined;
    return h.value;
  }

  /**
   * A usable cookie, waiting for a login or refresh in flight (or starting one) if needed, and
   * through transient login failures while the planned retry is due within policy.loginWaitMs (ms)
   * of the call. Rejects with ProxyError NO_SESSION (with the reason) or SHUTTING_DOWN. Never reads
   * the password source while logins are blocked: the poll timer does that.
   */
  async waitForCookie(): Promise<string> {
    let c = this.currentCookie();
    if (c !== undefined) return c;
    const until = this.clock.now() + this.policy.loginWaitMs;
    let renewed = false;
    // Each turn waits for one flight (or one planned retry); bounded in turns and by `until`.
    for (let turn = 0; turn < 16 && c === undefined; turn++) {
      // idle(), not the one flight: a refused resume is followed by the first login.
      if (this.flight || this.checking) await this.idle();
      else if (this.retryDueBy(until)) await this.nextFlightEnd(until);
      else if (!renewed && this.phase !== "backoff") {
        renewed = true;
        await this.renew("the token expired");
      } else break;
      c = this.currentCookie();
    }
    return c ?? this.noSession();
  }

  /**
   * A transient login failure is the API's trouble, not the waiting client's: while the planned
   * retry is due by `until`, a request waits for it rather than getting 503 (a request never starts
   * a login during backoff itself, so waiting clients cannot hammer the API).
   */
  private retryDueBy(until: number): boolean {
    const next = this.timer.next();
    return this.phase === "backoff" && next?.action === "login" && next.at <= until;
  }

  /** Resolves when the next flight ends, or at `until` (ms since the epoch), or on stop(). */
  private nextFlightEnd(until: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiters = (this.flightWaiters ??= []);
      const done = (): void => {
        this.clock.clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i !== -1) waiters.splice(i, 1);
        resolve();
      };
      const timer = this.clock.setTimeout(done, Math.max(0, until - this.clock.now()));
      waiters.push(done);
    });
  }

  private wakeFlightWaiters(): void {
    const waiters = this.flightWaiters;
    this.flightWaiters = undefined;
    // A copy: each done() takes itself out of the list.
    for (const done of [...(waiters ?? [])]) done();
  }

  /**
   * The API answered 401 to a request that carried `used`. Only if that is still the current cookie
   * is it dropped and a new login started, so a burst of 401s causes one login. Resolves with the
   * cookie to retry with; rejects as waitForCookie() does.
   */
  async reportUnauthorized(used: string): Promise<string> {
    this.counters.unauthorized++;
    if (this.flight) await this.flight;
    if (this.held?.value === used) {
      this.held = undefined;
      this.emit("invalidate", { reason: "the API answered 401" });
      if (this.phase === "ready") this.phase = "logging-in";
      await this.renew("the API answered 401");
    }
    return this.waitForCookie();
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
    // A login in flight plans the next renewal itself when it lands.
    if (this.flightOp !== "login") this.schedule();
  }

  snapshot(): SessionSnapshot {
    return snapshotOf(this.view());
  }

  private view(): SessionView {
    return {
      user: this.user,
      phase: this.phase,
      ready: this.currentCookie() !== undefined,
      held: this.held,
      flightOp: this.flightOp,
      failures: this.failures,
      rejections: this.rejections,
      counters: this.counters,
      lastLoginAt: this.lastLogin,
      resumedAt: this.resumedAt,
      lastRefreshAt: this.lastRefreshAt,
      next: this.timer.next(),
      lastError: this.lastError,
      credentialsSource: this.credentials.source,
      now: this.clock.now(),
    };
  }

  // ---- the state machine -------------------------------------------------------------------

  /** Single flight: at most one login or refresh at a time; every caller shares it. */
  private run(op: SessionOp, fn: () => Promise<void>): Promise<void> {
    if (this.flight) return this.flight;
    this.timer.cancel();
    this.flightOp = op;
    const flight = fn().finally(() => {
      if (this.flight === flight) {
        this.flight = undefined;
        this.flightOp = undefined;
      }
      this.wakeFlightWaiters();
    });
    this.flight = flight;
    return flight;
  }

  /** Starts whatever gets a usable cookie soonest, unless the backoff or a block forbids it now. */
  private renew(reason: string): Promise<void> {
    if (this.flight) return this.flight;
    if (this.phase !== "idle" && this.phase !== "ready" && this.phase !== "logging-in") return Promise.resolve();
    const h = this.held;
    if (h && this.clock.now() < h.tokenExpiresAt && canExtend(h)) {
      return this.run("refresh", () => this.refresh());
    }
    return this.run("login", () => this.login(reason));
  }

  /** Runs within a flight; a refresh that fails over calls it in the same flight. */
  private async login(reason: string): Promise<void> {
    this.flightOp = "login";
    if (!this.currentCookie()) this.phase = "logging-in";
    const started = this.clock.now();
    let issued: IssuedCookie;
    try {
      // Taken before the password is read: if the file changes while this attempt fails, the
      // change is still seen as new and tried, instead of being mistaken for what was rejected.
      this.attemptFingerprint = await this.credentials.fingerprint();
      const password = await this.credentials.password();
      const allowed = this.policy.rejectedWaitsMs.length + 1;
      const spent = (n: number) => (this.rejections = Math.max(this.rejections, n));
      issued = await guardedLogin(this.loginGuard, this.attemptFingerprint, allowed, spent, () =>
        this.auth.authenticate(this.user, password),
      );
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
    const { tokenExpiresAt, sessionExpiresAt } = h;
    const durationMs = this.clock.now() - started;
    this.emit("login", { reason, user: this.user, tokenExpiresAt, sessionExpiresAt, durationMs });
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
    this.failures = 0;
    this.refreshed(started);
  }

  private refreshed(started: number): void {
    const { tokenExpiresAt, sessionExpiresAt } = this.held!;
    this.lastRefreshAt = this.clock.now();
    this.counters.refreshes++;
    this.emit("refresh", { tokenExpiresAt, sessionExpiresAt, durationMs: this.lastRefreshAt - started });
    this.schedule();
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

  /** Counts the failure, asks the policy what to do, and does it. */
  private async failed(op: SessionOp, err: unknown): Promise<void> {
    if (this.phase === "stopped") return;
    const kind = classify(err);
    const message = errorMessage(err);
    const now = this.clock.now();
    this.failures++;
    this.lastError = { op, kind, message, at: now };
    if (op === "refresh") this.counters.refreshFailures++;
    else this.counters.loginFailures++;
    if (op === "login" && (kind === "rejected" || kind === "credentials")) this.rejections++;
    const h = this.held;
    const tokenLeftMs = h ? h.tokenExpiresAt - skew(h) - now : 0;
    const d = decide(
      { op, kind, failures: this.failures, rejections: this.rejections, tokenLeftMs },
      this.policy,
      this.random,
    );
    const event = { op, kind, message, consecutive: this.failures };

    if (d.do === "login-now") {
      this.emit("failure", { ...event, blocked: false });
      if (d.dropCookie && this.held === h) this.held = undefined;
      return this.login(d.reason);
    }
    if (d.do === "block") {
      // Accounts lock after repeated failures: resume when the password source changes.
      this.phase = "blocked";
      this.blockedFingerprint = this.attemptFingerprint;
      this.emit("failure", { ...event, blocked: true });
      if (this.phase === "blocked") this.timer.arm("check-credentials", this.credentialPollMs);
      return;
    }
    if (d.phase) this.phase = this.currentCookie() ? "ready" : d.phase;
    this.emit("failure", { ...event, retryAt: now + d.waitMs, blocked: false });
    if (this.phase !== "stopped") this.timer.arm(d.action, d.waitMs);
  }

  /** Plans the next renewal from the token's own lifetime: refresh, or log in again near the session end. */
  private schedule(): void {
    const h = this.held;
    if (!h || this.phase === "stopped") return;
    const delay = renewDelay(this.policy, h.tokenExpiresAt - this.clock.now(), this.random);
    this.timer.arm(canExtend(h) ? "refresh" : "login", delay);
  }

  private onTimer(action: RenewalAction): void {
    if (this.phase === "stopped" || this.flight) return;
    if (action === "check-credentials") {
      const check: Promise<void> = this.checkCredentials().finally(() => {
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

  /** While blocked, on the poll timer only: log in again once the password source has changed. */
  private async checkCredentials(): Promise<void> {
    const fingerprint = await this.credentials.fingerprint();
    const changed = fingerprint !== undefined && fingerprint !== this.blockedFingerprint;
    if (changed && this.phase === "blocked" && !this.flight) {
      this.rejections = 0;
      await this.run("login", () => this.login("the password changed"));
    }
    if (this.phase === "blocked" && !this.flight && !this.timer.next()) {
      this.timer.arm("check-credentials", this.credentialPollMs);
    }
  }

  private noSession(): never {
    if (this.phase === "stopped") throw new ProxyError("SHUTTING_DOWN", "the proxy is shutting down");
    throw new ProxyError("NO_SESSION", `no session with the Compute API: ${reasonOf(this.view())}`);
  }
}

/** Treat a token as expired a little early: min(5 s, 10 % of its lifetime). */
function skew(h: Held): number {
  return Math.min(5_000, Math.max(0, (h.tokenExpiresAt - h.issuedAt) * 0.1));
}

function classify(err: unknown): FailureKind {
  if (err instanceof AuthFailure) return err.kind;
  if (err instanceof ProxyError && err.code === "PASSWORD_FILE") return "credentials";
  return "transient";
}
