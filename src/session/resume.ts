// Owns taking over a cookie from a previous run (cookie file, OPC_COOKIE) instead of a first login:
// it is kept only if it names our user (or nobody) and the API accepts a refresh with it.

import { decodeClaims } from "./cookie.js";
import { refreshed, take, type FlowContext } from "./login-refresh.js";
import { hold } from "./state.js";

/** A cookie whose claims name another user is never taken over; an opaque one may be. */
export function mayResume(ctx: FlowContext, value: string): boolean {
  const user = decodeClaims(value).user;
  return user === undefined || user === ctx.user;
}

/**
 * Refreshes with `cookie` (within a flight) and holds the answer if it is taken and no login has
 * happened meanwhile. Never rejects: a refused cookie leaves the session idle for the first login.
 */
export async function resumeWith(ctx: FlowContext, cookie: string): Promise<void> {
  const { s, clock } = ctx;
  const started = clock.now();
  try {
    const issued = await ctx.auth.refresh(cookie);
    if (s.phase !== "idle" || !take(ctx, issued, "resume")) return;
    s.loginAt = started;
    s.resumedAt = started;
    hold(s, issued, clock.now());
    s.phase = "ready";
    refreshed(ctx, started);
  } catch {
    // Not usable: an ordinary login follows.
  }
}
