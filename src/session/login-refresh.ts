// Owns the login and refresh flows that run inside the manager's single flight: the acceptance rule
// for what comes back, the login guard around the password, what a failure leads to (failure-policy.ts
// decides, this acts), and planning the next renewal from the token's own lifetime.

import type { EventEmitter } from "node:events";
import type { Clock, Random } from "../clock.js";
import { ProxyError, errorMessage } from "../errors.js";
import { judgeCookie, type CookieOrigin } from "./acceptance.js";
import { AuthFailure, type AuthClient } from "./api-auth.js";
import { renewDelay, type RetryPolicy } from "./backoff.js";
import { canExtend, findNimbula, parseHttpDate, type IssuedCookie } from "./cookie.js";
import type { Credentials } from "./credentials.js";
import type { FailureKind, SessionEvents, SessionOp } from "./events.js";
import { decide } from "./failure-policy.js";
import { guardedLogin, type LoginGuardStore } from "./login-guard.js";
import type { RenewalTimer } from "./renewal-timer.js";
import { hold, skew, usableCookie, type SessionState } from "./state.js";

/** What a flow may read and change: the manager builds one in its constructor and passes it to every flow. */
export interface FlowContext {
  readonly s: SessionState;
  readonly user: string;
  readonly auth: AuthClient;
  readonly credentials: Credentials;
  readonly clock: Clock;
  readonly random: Random;
  readonly policy: RetryPolicy;
  /** While blocked, how often to look for a changed password file (ms). */
  readonly credentialPollMs: number;
  readonly loginGuard: LoginGuardStore | undefined;
  /** False: at the session end arm "end" instead of a login (SessionOptions.renewSession). */
  readonly renewSession: boolean;
  readonly timer: RenewalTimer;
  /** The manager itself: flows report through its events. */
  readonly events: EventEmitter<SessionEvents>;
}

/** The acceptance rule (acceptance.ts) at each place a cookie can come in; a refusal is reported, never kept. */
export function take(ctx: FlowContext, issued: IssuedCookie, from: CookieOrigin): boolean {
  const verdict = judgeCookie(issued, ctx.user);
  if (!verdict.take) ctx.events.emit("ignored", { from, reason: verdict.reason });
  return verdict.take;
}

/** Logs in (within a flight; a refresh that fails over calls it in the same flight). Never rejects. */
export async function login(ctx: FlowContext, reason: string): Promise<void> {
  const { s, clock } = ctx;
  s.flightOp = "login";
  if (!usableCookie(s, clock.now())) s.phase = "logging-in";
  const started = clock.now();
  let issued: IssuedCookie;
  try {
    // Taken before the password is read: if the file changes while this attempt fails, the
    // change is still seen as new and tried, instead of being mistaken for what was rejected.
    s.attemptFingerprint = await ctx.credentials.fingerprint();
    const password = await ctx.credentials.password();
    const allowed = ctx.policy.rejectedWaitsMs.length + 1;
    const spent = (n: number) => (s.rejections = Math.max(s.rejections, n));
    issued = await guardedLogin(ctx.loginGuard, s.attemptFingerprint, allowed, spent, () =>
      ctx.auth.authenticate(ctx.user, password),
    );
    if (!take(ctx, issued, "login")) throw new AuthFailure("transient", "the login answer's cookie was not taken");
  } catch (err) {
    return failed(ctx, "login", err);
  }
  if (s.phase === "stopped") return;
  s.loginAt = started;
  s.lastLogin = started;
  hold(s, issued, clock.now());
  s.counters.logins++;
  s.failures = 0;
  s.rejections = 0;
  s.blockedFingerprint = undefined;
  s.phase = "ready";
  const { tokenExpiresAt, sessionExpiresAt } = s.held!;
  const durationMs = clock.now() - started;
  ctx.events.emit("login", { reason, user: ctx.user, tokenExpiresAt, sessionExpiresAt, durationMs });
  schedule(ctx);
}

/** Extends the held token (within a flight), or logs in if none is held. Never rejects. */
export async function refresh(ctx: FlowContext): Promise<void> {
  const { s, clock } = ctx;
  const h = s.held;
  if (!h) return login(ctx, "no token to refresh");
  const started = clock.now();
  let issued: IssuedCookie;
  try {
    issued = await ctx.auth.refresh(h.value);
    if (!take(ctx, issued, "refresh")) throw new AuthFailure("transient", "the refresh answer's cookie was not taken");
  } catch (err) {
    return failed(ctx, "refresh", err);
  }
  if (s.phase === "stopped") return;
  // A 401 or an adopted cookie may have replaced the token meanwhile; the newest one wins.
  if (s.held !== h) return schedule(ctx);
  hold(s, issued, clock.now());
  s.failures = 0;
  refreshed(ctx, started);
}

/** Counts a refresh that landed (`started` in ms), reports it and plans the next renewal. */
export function refreshed(ctx: FlowContext, started: number): void {
  const { s } = ctx;
  const { tokenExpiresAt, sessionExpiresAt } = s.held!;
  s.lastRefreshAt = ctx.clock.now();
  s.counters.refreshes++;
  ctx.events.emit("refresh", { tokenExpiresAt, sessionExpiresAt, durationMs: s.lastRefreshAt - started });
  schedule(ctx);
}

/** Plans the next renewal from the token's own lifetime: refresh, or log in again near the session end. */
export function schedule(ctx: FlowContext): void {
  const h = ctx.s.held;
  if (!h || ctx.s.phase === "stopped") return;
  const left = h.tokenExpiresAt - ctx.clock.now();
  if (!ctx.renewSession && !canExtend(h)) return ctx.timer.arm("end", Math.max(0, left - skew(h)));
  ctx.timer.arm(canExtend(h) ? "refresh" : "login", renewDelay(ctx.policy, left, ctx.random));
}

/** Counts the failure, asks the policy what to do, and does it. */
async function failed(ctx: FlowContext, op: SessionOp, err: unknown): Promise<void> {
  const { s } = ctx;
  if (s.phase === "stopped") return;
  const kind = classify(err);
  const message = errorMessage(err);
  const now = ctx.clock.now();
  s.failures++;
  s.lastError = { op, kind, message, at: now };
  if (op === "refresh") s.counters.refreshFailures++;
  else s.counters.loginFailures++;
  if (op === "login" && (kind === "rejected" || kind === "credentials")) s.rejections++;
  const h = s.held;
  const tokenLeftMs = h ? h.tokenExpiresAt - skew(h) - now : 0;
  const d = decide({ op, kind, failures: s.failures, rejections: s.rejections, tokenLeftMs }, ctx.policy, ctx.random);
  const event = { op, kind, message, consecutive: s.failures };

  if (d.do === "login-now") {
    ctx.events.emit("failure", { ...event, blocked: false });
    if (d.dropCookie && s.held === h) s.held = undefined;
    return login(ctx, d.reason);
  }
  if (d.do === "block") {
    // Accounts lock after repeated failures: resume when the password source changes.
    s.phase = "blocked";
    s.blockedFingerprint = s.attemptFingerprint;
    ctx.events.emit("failure", { ...event, blocked: true });
    if (s.phase === "blocked") ctx.timer.arm("check-credentials", ctx.credentialPollMs);
    return;
  }
  if (d.phase) s.phase = usableCookie(s, ctx.clock.now()) ? "ready" : d.phase;
  ctx.events.emit("failure", { ...event, retryAt: now + d.waitMs, blocked: false });
  if (s.phase !== "stopped") ctx.timer.arm(d.action, d.waitMs);
}

function classify(err: unknown): FailureKind {
  if (err instanceof AuthFailure) return err.kind;
  if (err instanceof ProxyError && err.code === "PASSWORD_FILE") return "credentials";
  return "transient";
}

/**
 * Adopts a fresh nimbula cookie from any API response (the API may rotate it at any time, design
 * §2.3), through the acceptance rule. Ignored unless the response was to a request made with the
 * current cookie, so a slow response can never replace a newer cookie with an older one.
 * @param answer the response's status and Date header (acceptance and skew-proof expiry).
 */
export function adoptCookie(
  ctx: FlowContext,
  setCookie: string | readonly string[] | undefined,
  used: string,
  answer: { status?: number; date?: string },
): void {
  const { s } = ctx;
  const issued = findNimbula(setCookie);
  if (!issued || !s.held || s.held.value !== used || issued.value === used) return;
  issued.status = answer.status;
  issued.dateMs = parseHttpDate(answer.date);
  if (!take(ctx, issued, "adopt")) return;
  hold(s, issued, ctx.clock.now());
  s.counters.adopted++;
  ctx.events.emit("adopt", { tokenExpiresAt: s.held.tokenExpiresAt });
  // A login in flight plans the next renewal itself when it lands.
  if (s.flightOp !== "login") schedule(ctx);
}
