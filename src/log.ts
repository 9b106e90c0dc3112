// Owns the logger: JSON lines through pino, with the redaction that keeps passwords, cookies and
// Authorization values out of every line at every level.

import { pino, type Logger, type DestinationStream, type LogFn } from "pino";
import { holdsSecrets, maskSecrets } from "./secrets.js";

export type { Logger };
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Field paths that may hold a secret; pino replaces them before a line is written. */
const REDACT_PATHS = [
  "password",
  "*.password",
  "cookie",
  "*.cookie",
  "headers.cookie",
  "headers.authorization",
  'headers["set-cookie"]',
  "*.headers.cookie",
  "*.headers.authorization",
  '*.headers["set-cookie"]',
  "authorization",
  "*.authorization",
];

export function createLogger(level: LogLevel = "info", destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { name: "opc-auth-proxy" },
      timestamp: isoTime,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      formatters: { level: (label) => ({ level: label }) },
      // Redaction covers named fields; a message can still quote a secret (an API error body that
      // echoes the request), so every string argument and top-level string field is masked too.
      hooks: { logMethod: maskedLogMethod },
    },
    // Synchronous: an asynchronous destination registers an exit-time flushSync that spins for ever,
    // deaf to signals, on EPIPE when standard error was closed (`serve 2>&1 | head`). A failed sync
    // write is dropped by pino's broken-pipe filter instead.
    destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

let lastMs = NaN;
let lastTime = "";

/**
 * pino's isoTime (`,"time":"<ISO 8601 UTC>"`), formatted once per millisecond: under load many
 * request lines share one, and a Date plus toISOString per line showed in the proxy's profile.
 */
function isoTime(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

function maskedLogMethod(this: Logger, args: Parameters<LogFn>, method: LogFn): void {
  if (!holdsSecrets()) return method.apply(this, args);
  const masked = args.map((a: unknown) => (typeof a === "string" ? maskSecrets(a) : maskFields(a)));
  return method.apply(this, masked as Parameters<LogFn>);
}

/** A copy of `obj` with its string fields (and an error's message) masked, or `obj` when none changed. */
function maskFields(obj: unknown): unknown {
  if (obj === null || typeof obj !== "object") return obj;
  if (obj instanceof Error) {
    const message = maskSecrets(obj.message);
    return message === obj.message ? obj : { type: obj.name, message, code: (obj as { code?: unknown }).code };
  }
  let copy: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(obj)) {
    const m = typeof v === "string" ? maskSecrets(v) : v instanceof Error ? maskFields(v) : v;
    if (m !== v) (copy ??= { ...(obj as Record<string, unknown>) })[k] = m;
  }
  return copy ?? obj;
}

/** A logger that writes nothing: the default for library code and tests that do not inspect logs. */
export const silentLogger: Logger = pino({ level: "silent" });
