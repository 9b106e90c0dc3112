// Owns the session: the only code that holds or changes the nimbula cookie. Logs in, refreshes
// ahead of expiry, re-logs in before the session end or after a 401, keeps at most one login or
// refresh in flight, and reports what it does through events. This file is the state machine, the
// single flight and the public API; the flows it runs are login-refresh.ts's and resume.ts's, what
// to do after a failure failure-policy.ts's, the one pending renewal renewal-timer.ts's, the words
// status.ts's, and the mutable facts state.ts's.

import { EventEmitter } from "node:events";
import { systemClock, systemRandom, type Clock, type Random } from "../clock.js";
import type { Credentials } from "./credentials.js";
import { ProxyError } from "../errors.js";
import type { AuthClient } from "./api-auth.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./backoff.js";
import type { LoginGuardStore } from "./login-guard.js";
import { canExtend } from "./cookie.js";
import type { SessionEvents, SessionOp, SessionSnapshot } from "./events.js";
import { adoptCookie, login, refresh, type FlowContext } from "./login-refresh.js";
import { FlightWaiters } from "./flight-waiters.js";
import { RenewalTimer, type RenewalAction } from "./renewal-timer.js";
import { mayResume, resumeWith } from "./resume.js";
import { newSessionState, usableCookie, type SessionState } from "./state.js";
import { reasonOf, snapshotOf, viewOf, type SessionView } from "./status.js";

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
  /**
   * Log in again near the session end (default true). False (client identity mode): at the session
   * end the manager stops and emits "end" instead, so a client's password is used for its own
   * login and a 401 re-login within the session's life, never to start a session nobody asked for.
   */
  renewSession?: boolean;
}

export class SessionManager extends EventEmitter<SessionEvents> {
  readonly user: string;
  private readonly credentials: Credentials;
  private readonly clock: Clock;
  private readonly timer: RenewalTimer;
  private readonly s: SessionState = newSessionState();
  /** Everything the flows (login-refresh.ts, resume.ts) may read and change. */
  private readonly ctx: FlowContext;

  private flight: Promise<void> | undefined;
  /** A look at the password source while blocked, which may turn into a login. */
  private checking: Promise<void> | undefined;
  /** Requests waiting through a backoff for the planned retry (waitForCookie). */
  private readonly waiters: FlightWaiters;
  /** Stopped at the session end (renewSession false), not by shutdown. */
  private ended = false;

  constructor(opts: SessionOptions) {
    super();
    this.credentials = opts.credentials;
    this.user = opts.credentials.user;
    this.clock = opts.clock ?? systemClock;
    this.timer = new RenewalTimer(this.clock, (action) => this.onTimer(action));
    this.waiters = new FlightWaiters(this.clock);
    this.ctx = {
      s: this.s,
      user: this.user,
      auth: opts.auth,
      credentials: opts.credentials,
      clock: this.clock,
      random: opts.random ?? systemRandom,
      policy: { ...DEFAULT_RETRY_POLICY, ...opts.policy },
      credentialPollMs: opts.credentialPollMs ?? 2_000,
      loginGuard: opts.loginGuard,
      renewSession: opts.renewSession ?? true,
      timer: this.timer,
      events: this,
    };
  }

  /** Starts the first login (or waits for a resume in flight, logging in only if it was refused). */
  start(): Promise<void> {
    if (this.s.phase !== "idle") return this.flight ?? Promise.resolve();
    if (this.flight) return this.flight.then(() => this.start());
    return this.run("login", () => login(this.ctx, "start"));
  }

  /**
   * Tries a cookie from elsewhere (a cookie file, OPC_COOKIE) before the first login: it is kept
   * only if the API accepts a refresh with it, so a restart does not cost a login. Resolves true if kept.
   */
  resume(cookie: string): Promise<boolean> {
    if (this.s.phase !== "idle" || !mayResume(this.ctx, cookie)) return Promise.resolve(false);
    const flight = this.run("refresh", () => resumeWith(this.ctx, cookie));
    return flight.then(() => this.s.held !== undefined);
  }

  /** Resolves once no login, refresh or password check is in flight (for orderly shutdown and tests). */
  async idle(): Promise<void> {
    for (let i = 0; i < 100 && (this.flight || this.checking); i++) await (this.flight ?? this.checking);
  }

  stop(): void {
    this.s.phase = "stopped";
    this.timer.cancel();
    this.waiters.wakeAll();
  }

  /** The cookie to send now, if a usable one is held: the hot path, no allocation, no I/O. */
  currentCookie(): string | undefined {
    return usableCookie(this.s, this.clock.now());
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
    const until = this.clock.now() + this.ctx.policy.loginWaitMs;
    let renewed = false;
    // Each turn waits for one flight (or one planned retry); bounded in turns and by `until`.
    for (let turn = 0; turn < 16 && c === undefined; turn++) {
      // idle(), not the one flight: a refused resume is followed by the first login.
      if (this.flight || this.checking) await this.idle();
      else if (this.retryDueBy(until)) await this.waiters.next(until);
      else if (!renewed && this.s.phase !== "backoff") {
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
    return this.s.phase === "backoff" && next?.action === "login" && next.at <= until;
  }

  /**
   * The API answered 401 to a request that carried `used`. Only if that is still the current cookie
   * is it dropped and a new login started, so a burst of 401s causes one login. Resolves with the
   * cookie to retry with; rejects as waitForCookie() does.
   */
  async reportUnauthorized(used: string): Promise<string> {
    this.s.counters.unauthorized++;
    if (this.flight) await this.flight;
    if (this.s.held?.value === used) {
      this.s.held = undefined;
      this.emit("invalidate", { reason: "the API answered 401" });
      if (this.s.phase === "ready") this.s.phase = "logging-in";
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
    adoptCookie(this.ctx, setCookie, used, answer);
  }

  snapshot(): SessionSnapshot {
    return snapshotOf(this.view());
  }

  private view(): SessionView {
    const ready = this.currentCookie() !== undefined;
    return viewOf(this.s, this.user, ready, this.timer.next(), this.credentials.source, this.clock.now());
  }

  // ---- the state machine -------------------------------------------------------------------

  /** Single flight: at most one login or refresh at a time; every caller shares it. */
  private run(op: SessionOp, fn: () => Promise<void>): Promise<void> {
    if (this.flight) return this.flight;
    this.timer.cancel();
    this.s.flightOp = op;
    const flight = fn().finally(() => {
      if (this.flight === flight) {
        this.flight = undefined;
        this.s.flightOp = undefined;
      }
      this.waiters.wakeAll();
    });
    this.flight = flight;
    return flight;
  }

  /** Starts whatever gets a usable cookie soonest, unless the backoff or a block forbids it now. */
  private renew(reason: string): Promise<void> {
    if (this.flight) return this.flight;
    const { phase, held: h } = this.s;
    if (phase !== "idle" && phase !== "ready" && phase !== "logging-in") return Promise.resolve();
    if (h && this.clock.now() < h.tokenExpiresAt && canExtend(h)) {
      return this.run("refresh", () => refresh(this.ctx));
    }
    // A timer that stalled (a sleeping laptop) must not turn into a login past the session end.
    if (!this.ctx.renewSession && h && !canExtend(h)) return (this.end(), Promise.resolve());
    return this.run("login", () => login(this.ctx, reason));
  }

  private onTimer(action: RenewalAction): void {
    const s = this.s;
    if (s.phase === "stopped" || this.flight) return;
    if (action === "end") return this.end();
    if (action === "check-credentials") {
      const check: Promise<void> = this.checkCredentials().finally(() => {
        if (this.checking === check) this.checking = undefined;
      });
      this.checking = check;
      return;
    }
    if (action === "login") {
      if (s.phase === "rejected" || s.phase === "backoff") s.phase = "logging-in";
      const ending = s.held && !canExtend(s.held);
      void this.run("login", () => login(this.ctx, ending ? "the session is about to end" : "retry"));
      return;
    }
    void this.run("refresh", () => refresh(this.ctx));
  }

  /** While blocked, on the poll timer only: log in again once the password source has changed. */
  private async checkCredentials(): Promise<void> {
    const s = this.s;
    const fingerprint = await this.credentials.fingerprint();
    const changed = fingerprint !== undefined && fingerprint !== s.blockedFingerprint;
    if (changed && s.phase === "blocked" && !this.flight) {
      s.rejections = 0;
      await this.run("login", () => login(this.ctx, "the password changed"));
    }
    if (s.phase === "blocked" && !this.flight && !this.timer.next()) {
      this.timer.arm("check-credentials", this.ctx.credentialPollMs);
    }
  }

  /** The session reached its end and is not renewed (renewSession false): stop, and say so once. */
  private end(): void {
    if (this.s.phase === "stopped") return;
    this.s.held = undefined;
    this.ended = true;
    this.stop();
    this.emit("end", { reason: "the session reached its end" });
  }

  private noSession(): never {
    if (this.ended) throw new ProxyError("NO_SESSION", "the session ended (3 hours after its login); log in again");
    if (this.s.phase === "stopped") throw new ProxyError("SHUTTING_DOWN", "the proxy is shutting down");
    throw new ProxyError("NO_SESSION", `no session with the Compute API: ${reasonOf(this.view())}`);
  }
}
