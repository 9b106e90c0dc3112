// Owns the proxy's error vocabulary: every failure the proxy reports carries a stable code and a
// message for humans that says what to fix. What a code means to a client (an HTTP status) lives in
// src/http/respond.ts, and to the shell (an exit code) in src/commands/types.ts.

/** Every code the proxy throws or answers with; each has an HTTP status and an exit code. */
export type ErrorCode =
  | "CONFIG_INVALID"
  | "USAGE"
  | "PASSWORD_FILE"
  | "COOKIE_FILE"
  | "API_UNREACHABLE"
  | "API_TIMEOUT"
  | "API_ERROR"
  | "API_RESPONSE_INVALID"
  | "NO_SESSION"
  | "SHUTTING_DOWN"
  | "FORBIDDEN_HOST"
  | "FORBIDDEN_ORIGIN"
  | "FORBIDDEN_TARGET"
  | "BAD_REQUEST"
  | "TOO_MANY_LOGINS"
  | "NOT_READY"
  | "LISTEN_FAILED"
  | "INTERNAL";

export class ProxyError extends Error {
  readonly code: ErrorCode;

  /** `code` says what went wrong; `message` names the flag, variable or file to fix. */
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProxyError";
    this.code = code;
  }

  /** The JSON body clients see: `message` first so existing Compute API clients can parse it. */
  toBody(): { message: string; code: ErrorCode } {
    return { message: this.message, code: this.code };
  }
}

/** Bad flags, variables or files: reported all at once (code CONFIG_INVALID, so exit code 2). */
export class ConfigError extends ProxyError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super("CONFIG_INVALID", problems.join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** True when `err` is a ProxyError with one of `codes`. */
export function isCode(err: unknown, ...codes: ErrorCode[]): err is ProxyError {
  return err instanceof ProxyError && codes.includes(err.code);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
