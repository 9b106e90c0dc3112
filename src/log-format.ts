// Owns how log lines look: JSON for machines, or one short line per event for a person at a
// terminal (pino-pretty), and the one-line start-up banner. Redaction happens in pino before either.
// pino-pretty and its dependencies are imported only when text is chosen: JSON-logging sidecars
// would otherwise keep about thirty modules they never run (issue 12's memory targets).

import { pino, type DestinationStream } from "pino";

export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Checks a `--log-format` value; adds a problem naming `from` (flag or variable) when it is not one. */
export function parseLogFormat(value: string, from: string, problems: string[]): LogFormat | undefined {
  const v = value.trim().toLowerCase();
  if ((LOG_FORMATS as readonly string[]).includes(v)) return v as LogFormat;
  problems.push(`${from}: "${value}" is not a log format; use text or json`);
  return undefined;
}

/** The format in use: the one asked for, else text for a person at a terminal and JSON for anything else. */
export function chooseLogFormat(asked: LogFormat | undefined, stderrIsTerminal: boolean): LogFormat {
  return asked ?? (stderrIsTerminal ? "text" : "json");
}

/** Whether a stream is a terminal (process.stderr has isTTY; pipes, files and test streams do not). */
export function isTerminal(stream: unknown): boolean {
  return (stream as { isTTY?: boolean } | undefined)?.isTTY === true;
}

/** Fields every line carries, or that the text line shows elsewhere. */
const HIDDEN = new Set(["level", "time", "msg", "name", "pid", "hostname", "component", "event"]);
/** The request line's message is already `METHOD path status`. */
const IN_REQUEST_MESSAGE = new Set(["method", "path", "status"]);

/**
 * The text after time and level: `proxy: GET /shape/ 200 durationMs=3.2 retried=false requestId=…`.
 * `log` is pino's object parsed back from its JSON line, so redaction has already run.
 */
function textMessage(log: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof log.component === "string") parts.push(`${log.component}:`);
  parts.push(String(log.msg ?? ""));
  for (const key in log) {
    if (HIDDEN.has(key) || (log.event === "request" && IN_REQUEST_MESSAGE.has(key))) continue;
    parts.push(`${key}=${fieldText(log[key])}`);
  }
  return parts.join(" ");
}

function fieldText(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]*$/.test(value) && value !== "" ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * A pino destination writing text lines (see textMessage) synchronously to file descriptor 2, or
 * to `out` (tests). Synchronous for the reason src/log.ts gives: an asynchronous one spins at exit
 * when standard error is a closed pipe. Takes whole JSON lines from pino, so redaction has run.
 * Resolves once pino-pretty is loaded (it is imported here, on first use, not with this module).
 */
export async function textDestination(opts: {
  colorize: boolean;
  out?: DestinationStream;
}): Promise<DestinationStream & { flush(cb?: (err?: Error) => void): void }> {
  const { prettyFactory } = await import("pino-pretty");
  const pretty = prettyFactory({
    colorize: opts.colorize,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,name",
    hideObject: true,
    singleLine: false,
    messageFormat: (log) => textMessage(log),
  });
  const out = opts.out ?? pino.destination({ fd: 2, sync: true });
  return {
    write(line: string) {
      out.write(pretty(line));
    },
    flush(cb) {
      const f = (out as { flush?: (cb?: (err?: Error) => void) => void }).flush;
      if (f) f.call(out, cb);
      else cb?.();
    },
  };
}

export interface BannerFacts {
  version: string;
  /** Where the proxy listens, with the port the system chose for `:0`. */
  url: string;
  adminUrl?: string;
  api: string;
  user: string;
  /** The session right after the first login attempt. */
  ready: boolean;
  reason?: string;
  tokenExpiresAt?: number;
}

/** The one line a terminal gets at start with `--api` (no secret: names, addresses and times only). */
export function bannerLine(f: BannerFacts): string {
  const admin = f.adminUrl ? ` (admin ${f.adminUrl})` : "";
  const state = f.ready
    ? `session ready${f.tokenExpiresAt === undefined ? "" : `, token until ${new Date(f.tokenExpiresAt).toISOString().slice(11, 16)} UTC`}`
    : `not ready: ${f.reason ?? "no session"}`;
  return `opc-auth-proxy ${f.version}: ${f.url}${admin} → ${f.api} as ${f.user}; ${state}\n`;
}
