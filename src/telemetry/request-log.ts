// Owns the one log line per forwarded request (`"event":"request"`, at info): its fields, and the
// logger it is written through, which skips pino's path redaction but keeps secret masking.

import type { Logger } from "../log.js";
import type { ExchangeRecord } from "../proxy/exchange-types.js";

/**
 * Returns the writer of request lines under `log` (component "proxy"). The line holds the
 * ExchangeRecord's fields only (method, path, status, durationMs, retried "no"/"401"/"reset",
 * requestId, error code, clientAborted): no header, cookie or password field, so pino's path
 * redaction, which cost 25 to 40 µs a line on this machine (issue 12; three times the rest of the
 * line), has nothing to find and is turned off for this child. Any remembered secret inside a string
 * (a password a client put in a path) is still masked by the logger's logMethod hook (log.ts).
 * Builds nothing when info lines are off.
 */
export function requestLogger(log: Logger): (record: ExchangeRecord) => void {
  const lines = log.child({ component: "proxy" }, { redact: { paths: [] } });
  return (r) => {
    if (!lines.isLevelEnabled("info")) return;
    // One vocabulary with the metric's label: retried is "no", "401" or "reset".
    lines.info({ event: "request", ...r, retried: r.retried || "no" }, `${r.method} ${r.path} ${r.status}`);
  };
}
