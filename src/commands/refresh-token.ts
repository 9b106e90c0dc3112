// Owns the `refresh_token` subcommand (the Oracle CLI's): extends the token from OPC_COOKIE or a
// cookie file with GET /refresh/ and prints the new `export OPC_COOKIE='<value>'` for `eval`.

import { errorMessage } from "../errors.js";
import { parseOptions } from "../config/options.js";
import { parseHttpUrl } from "../config/values.js";
import { AuthFailure, isTimeout } from "../session/api-auth.js";
import { maskSecrets } from "../secrets.js";
import { decodeClaims } from "../session/cookie.js";
import { nimbulaFor, readCookieFile, type CookieFileContent } from "../session/cookie-file.js";
import { COOKIE_ENV, stripCookieName } from "../session/shared-cookie.js";
import { VERSION } from "../version.js";
import { API_OPTIONS, apiOptions, expiryNow, saveCookie, when, withAuthClient } from "./one-shot-auth.js";
import { exportLine } from "./shell-export.js";
import { EXIT_INTERRUPTED, Interrupted } from "./interrupt.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitCodeOf, type Command } from "./types.js";

const USAGE = "Usage: opc-auth-proxy refresh_token [--api URL] [--cookie-file PATH] [--quiet]";

export const REFRESH_TOKEN_HELP = `${USAGE}

Extends the token in OPC_COOKIE by 30 minutes (never past the session end, 3 hours after login)
with GET /refresh/ and prints the new token on standard output as export OPC_COOKIE='<value>',
for eval. Once the session is over, only a new login helps: run opc-auth-proxy auth.

Options:
  --api URL                 API endpoint; env OPC_API (alias OPC_ENDPOINT); default: the api line of
                            --cookie-file
  --cookie-file PATH        read the token from this Netscape cookie file (written by auth, serve or an
                            earlier refresh_token) and write the new one back (mode 600); when the file
                            holds no token, OPC_COOKIE's is refreshed and the file is created
  --quiet                   print nothing, only update --cookie-file (errors still go to standard error)
  --ca-file PATH            extra CA certificates (PEM) to trust for the API; env OPC_PROXY_CA_FILE
  --timeout DUR             give up when the refresh is not over within DUR, however the API
                            trickles its answer (default 30s)
  -h, --help                show this help
  --version                 show the version

The token: from --cookie-file when it holds one for the API, else OPC_COOKIE (alias OPC_COMPUTE_COOKIE),
the bare value without nimbula=.

Exit codes: 0 refreshed; 1 the session is over or the token expired (run auth), or the API failed;
2 bad usage (no token, no API); 130 interrupted (Ctrl-C).

Examples:
  eval "$(opc-auth-proxy refresh_token)"
  # every 25 minutes; eval "" succeeds, so test the command itself:
  while sleep 1500; do out=$(opc-auth-proxy refresh_token) && eval "$out" || break; done
  opc-auth-proxy refresh_token --cookie-file ~/.opc/cookies --quiet && curl -b ~/.opc/cookies "$OPC_API/shape/"
`;

export interface RefreshTokenDeps {
  now?: () => number;
}

interface Token {
  value: string;
  from: string;
  user?: string;
  tokenExpiresAt?: number;
  sessionExpiresAt?: number;
}

export function refreshTokenCommand(deps: RefreshTokenDeps = {}): Command {
  const now = deps.now ?? Date.now;
  return async (argv, io) => {
    const fail = (code: number, message: string): number => {
      // Masked: an API error body may echo the password or the cookie sent.
      io.stderr.write(`opc-auth-proxy refresh_token: ${maskSecrets(message)}\n`);
      return code;
    };
    const p = parseOptions(argv, { ...API_OPTIONS, quiet: { type: "boolean" } }, io.env);
    if (p.flag("help")) return (void io.stdout.write(REFRESH_TOKEN_HELP), EXIT_OK);
    if (p.flag("version")) return (void io.stdout.write(`opc-auth-proxy ${VERSION}\n`), EXIT_OK);

    const problems = [...p.problems];
    const opts = await apiOptions(p, problems);
    const quiet = p.flag("quiet");
    if (quiet && !opts.cookieFile)
      problems.push("--quiet needs --cookie-file: without it the new token would be thrown away");
    let file: CookieFileContent | undefined;
    if (opts.cookieFile) {
      file = await readCookieFile(opts.cookieFile).catch((err: unknown) => {
        problems.push(`--cookie-file: ${errorMessage(err)}`);
        return undefined;
      });
    }
    let api = opts.api;
    if (!api && !opts.apiFrom && file?.api)
      api = parseHttpUrl(file.api, `the api line of ${opts.cookieFile}`, problems);
    if (!api && !opts.apiFrom && !file?.api) {
      problems.push(
        "--api (OPC_API) is required: the API endpoint, e.g. https://compute.uscom-central-1.oraclecloud.com",
      );
    }
    const token = api ? tokenFrom(api, file, opts.cookieFile, io.env) : undefined;
    if (api && !token) {
      problems.push(
        `no token to refresh: set OPC_COOKIE (eval "$(opc-auth-proxy auth USER PASSWORD_FILE)")${opts.cookieFile ? ` or log in with --cookie-file ${opts.cookieFile}` : " or give --cookie-file"}`,
      );
    }
    if (problems.length > 0) {
      return fail(
        EXIT_USAGE,
        `bad usage:\n${problems.map((x) => `  - ${x}`).join("\n")}\n${USAGE}\nSee opc-auth-proxy refresh_token --help.`,
      );
    }

    const started = now();
    const t = token!;
    let issued;
    try {
      issued = await withAuthClient(api!, opts, io.env, (auth) => auth.refresh(t.value), io.signal);
    } catch (err) {
      if (err instanceof Interrupted) return fail(EXIT_INTERRUPTED, `${err.message}; the token was not refreshed`);
      if (err instanceof AuthFailure && err.kind === "expired")
        return fail(EXIT_FAILURE, refusedMessage(err.message, t, now()));
      if (exitCodeOf(err) === EXIT_USAGE) return fail(EXIT_USAGE, errorMessage(err));
      if (isTimeout(err))
        return fail(
          EXIT_FAILURE,
          `cannot refresh the token from ${t.from}: ${errorMessage(err)}; not done within --timeout ${opts.timeoutMs} ms`,
        );
      return fail(EXIT_FAILURE, `cannot refresh the token from ${t.from}: ${errorMessage(err)}`);
    }
    const expiry = expiryNow(issued, started, t.sessionExpiresAt);
    let code = EXIT_OK;
    if (opts.cookieFile) {
      try {
        await saveCookie(opts.cookieFile, api!, t.user ?? decodeClaims(issued.value).user, issued.value, expiry);
      } catch (err) {
        code = fail(EXIT_FAILURE, errorMessage(err));
      }
    }
    if (!quiet) {
      io.stdout.write(exportLine(issued.value));
      const last =
        expiry.tokenExpiresAt >= expiry.sessionExpiresAt
          ? "; it cannot be extended further: run opc-auth-proxy auth before then"
          : "";
      io.stderr.write(
        `opc-auth-proxy refresh_token: the token is valid until ${when(expiry.tokenExpiresAt, now())}; the session ends at ${when(expiry.sessionExpiresAt, now())}${last}\n`,
      );
    }
    return code;
  };
}

export const refreshToken: Command = refreshTokenCommand();

/** The cookie file's token when it holds one for `api`, else the first cookie variable set. */
function tokenFrom(
  api: URL,
  file: CookieFileContent | undefined,
  path: string | undefined,
  env: NodeJS.ProcessEnv,
): Token | undefined {
  const line = file ? nimbulaFor(file, api) : undefined;
  let token: Token | undefined;
  if (line) {
    token = {
      value: line.value,
      from: `the cookie file ${path}`,
      user: file!.user,
      sessionExpiresAt: file!.sessionExpiresAt,
    };
    if (line.expiresAt > 0) token.tokenExpiresAt = line.expiresAt;
  } else {
    const name = COOKIE_ENV.find((n) => env[n]);
    if (name) token = { value: stripCookieName(env[name]!), from: name };
  }
  if (!token) return undefined;
  // The cookie's own claims, when it has them, are the most exact account of its times.
  const claims = decodeClaims(token.value);
  token.user ??= claims.user;
  if (claims.expiresAt !== undefined) token.tokenExpiresAt = claims.expiresAt;
  if (claims.sessionExpiresAt !== undefined) token.sessionExpiresAt = claims.sessionExpiresAt;
  return token;
}

/** Why the API refused the token, with the session end time, and the way out: log in again. */
function refusedMessage(apiMessage: string, t: Token, now: number): string {
  const login = `run opc-auth-proxy auth to log in again: eval "$(opc-auth-proxy auth ${t.user ?? "USER"} PASSWORD_FILE)"`;
  const end = t.sessionExpiresAt;
  if (end !== undefined && end <= now) {
    return `the session is over: it ended at ${when(end, now)}, and no refresh extends a session (${apiMessage}); ${login}`;
  }
  const ends =
    end !== undefined ? `its session ends at ${when(end, now)}` : "the token does not say when its session ends";
  if (t.tokenExpiresAt !== undefined && t.tokenExpiresAt <= now) {
    return `the token from ${t.from} has already expired, at ${when(t.tokenExpiresAt, now)} (a token must be refreshed before it expires); ${ends} (${apiMessage}); ${login}`;
  }
  return `the API refused the token from ${t.from}: the session is over or the token has expired or was revoked; ${ends} (${apiMessage}); ${login}`;
}
