// Owns the log lines of the session's life: one per login, refresh, re-login reason and failure.
// Events carry no secret, and nothing else is logged from here.

import type { Logger } from "../log.js";
import type { SessionEventSource } from "./history.js";

/**
 * Logs `session`'s events on `log`. In client identity mode each session gets a child logger
 * carrying its `user`, so every line names whose session it was (never a password, handle or cookie).
 */
export function logSessionEvents(session: SessionEventSource, log: Logger): void {
  const iso = (t: number) => new Date(t).toISOString();
  session.on("login", (e) =>
    log.info(
      {
        event: "login",
        reason: e.reason,
        user: e.user,
        tokenExpiresAt: iso(e.tokenExpiresAt),
        sessionExpiresAt: iso(e.sessionExpiresAt),
        durationMs: e.durationMs,
      },
      `logged in (${e.reason})`,
    ),
  );
  session.on("refresh", (e) =>
    log.info({ event: "refresh", tokenExpiresAt: iso(e.tokenExpiresAt), durationMs: e.durationMs }, "token refreshed"),
  );
  session.on("adopt", (e) =>
    log.debug({ event: "adopt", tokenExpiresAt: iso(e.tokenExpiresAt) }, "adopted a rotated cookie"),
  );
  session.on("ignored", (e) =>
    log.warn({ event: "cookie_ignored", from: e.from, reason: e.reason }, `ignored a cookie (${e.from}): ${e.reason}`),
  );
  session.on("end", (e) => log.info({ event: "session_end", reason: e.reason }, `session ended: ${e.reason}`));
  session.on("invalidate", (e) => log.info({ event: "invalidate", reason: e.reason }, `session dropped: ${e.reason}`));
  session.on("failure", (e) => {
    const fields = {
      event: `${e.op}_failed`,
      kind: e.kind,
      consecutive: e.consecutive,
      blocked: e.blocked,
      ...(e.retryAt !== undefined ? { retryAt: iso(e.retryAt) } : {}),
    };
    if (e.blocked) log.error(fields, `${e.message}; not retrying until the password source changes`);
    else log.warn(fields, e.message);
  });
}
