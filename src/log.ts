// Owns the logger: JSON lines through pino, with the redaction that keeps passwords, cookies and
// Authorization values out of every line at every level.

import { pino, type Logger, type DestinationStream } from "pino";

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
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      formatters: { level: (label) => ({ level: label }) },
    },
    // Synchronous: an asynchronous destination registers an exit-time flushSync that spins for ever,
    // deaf to signals, on EPIPE when standard error was closed (`serve 2>&1 | head`). A failed sync
    // write is dropped by pino's broken-pipe filter instead.
    destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that writes nothing: the default for library code and tests that do not inspect logs. */
export const silentLogger: Logger = pino({ level: "silent" });
