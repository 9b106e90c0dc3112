// Owns the proxy's error vocabulary: every failure the proxy reports carries a stable code,
// a message for humans that says what to fix, and the HTTP status it maps to.

export type ErrorCode =
  | "CONFIG_INVALID"
  | "USAGE"
  | "PASSWORD_FILE"
  | "COOKIE_FILE"
  | "LOGIN_REJECTED"
  | "LOGIN_BLOCKED"
  | "API_UNREACHABLE"
  | "API_TIMEOUT"
  | "API_ERROR"
  | "API_RESPONSE_INVALID"
  | "NO_SESSION"
  | "SESSION_ENDED"
  | "SHUTTING_DOWN"
  | "FORBIDDEN_HOST"
  | "FORBIDDEN_ORIGIN"
  | "FORBIDDEN_TARGET"
  | "BAD_REQUEST"
  | "NOT_READY"
  | "LISTEN_FAILED";

export class ProxyError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string, status = 500, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProxyError";
    this.code = code;
    this.status = status;
  }

  /** The JSON body clients see: `message` first so existing Compute API clients can parse it. */
  toBody(): { message: string; code: ErrorCode } {
    return { message: this.message, code: this.code };
  }
}

/** Bad flags, variables or files: reported all at once, exit code 2. */
export class ConfigError extends ProxyError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super("CONFIG_INVALID", problems.join("\n"), 2);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
