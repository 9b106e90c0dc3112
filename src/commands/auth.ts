// Owns the `auth` subcommand (the Oracle CLI's): one login, then `export OPC_COOKIE='<value>'` on
// standard output for `eval`; every other word goes to standard error, and never a secret.

import { readPasswordFile } from "../session/credentials.js";
import { promptPassword } from "./prompt.js";
import { errorMessage } from "../errors.js";
import { parseOptions } from "../config/options.js";
import { checkComputeUser } from "../config/values.js";
import { AuthFailure, isTimeout } from "../session/api-auth.js";
import { maskSecrets } from "../secrets.js";
import { VERSION } from "../version.js";
import { API_OPTIONS, apiOptions, expiryNow, saveCookie, when, withAuthClient } from "./one-shot-auth.js";
import { exportLine } from "./shell-export.js";
import { EXIT_INTERRUPTED, Interrupted } from "./interrupt.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitCodeOf, type Command } from "./types.js";

const USAGE = "Usage: opc-auth-proxy auth [USER [PASSWORD_FILE|-]] [--api URL] [--cookie-file PATH]";
const USER_ENV = ["OPC_USER", "OPC_COMPUTE_USER"];
const PASSWORD_FILE_ENV = ["OPC_PASSWORD_FILE", "OPC_COMPUTE_PASSWORD_FILE"];

export const AUTH_HELP = `${USAGE}

Logs in to the Oracle Compute Cloud Service (Classic) API once and prints one line on standard
output, export OPC_COOKIE='<value>', so that eval "$(opc-auth-proxy auth ...)" sets OPC_COOKIE in
your shell. Everything else goes to standard error. The token lasts 30 minutes; extend it with
opc-auth-proxy refresh_token, up to the session end 3 hours after login.

Arguments:
  USER                      the two-part user /Compute-<identity domain>/<user> (case-sensitive);
                            default: env OPC_USER (alias OPC_COMPUTE_USER)
  PASSWORD_FILE|-           a file holding the password (mode 600; one trailing newline ignored), or -
                            to type it without echo (or read one line from standard input if not a terminal);
                            default: env OPC_PASSWORD_FILE (alias OPC_COMPUTE_PASSWORD_FILE)

Options:
  --api URL                 API endpoint; env OPC_API (alias OPC_ENDPOINT); required
  --cookie-file PATH        also write the cookie to PATH as a Netscape cookie file (mode 600) for curl -b
  --ca-file PATH            extra CA certificates (PEM) to trust for the API; env OPC_PROXY_CA_FILE
  --timeout DUR             give up when the login is not over within DUR, however the API
                            trickles its answer (default 30s)
  -h, --help                show this help
  --version                 show the version

Exit codes: 0 logged in; 1 login failed (wrong credentials: the API's message); 2 bad usage;
130 interrupted (Ctrl-C).

Examples:
  export OPC_API=https://compute.uscom-central-1.oraclecloud.com
  eval "$(opc-auth-proxy auth /Compute-acme/jack.jones@example.com ~/.opc/password)"
  curl -b "nimbula=$OPC_COOKIE" "$OPC_API/instance/Compute-acme/"
  pass show opc | opc-auth-proxy auth /Compute-acme/jack.jones@example.com - --cookie-file ~/.opc/cookies
`;

export interface AuthDeps {
  now?: () => number;
}

export function authCommand(deps: AuthDeps = {}): Command {
  const now = deps.now ?? Date.now;
  return async (argv, io) => {
    const fail = (code: number, message: string): number => {
      // Masked: an API error body may echo the password or the cookie sent.
      io.stderr.write(`opc-auth-proxy auth: ${maskSecrets(message)}\n`);
      return code;
    };
    const p = parseOptions(argv, API_OPTIONS, io.env, true);
    if (p.flag("help")) return (void io.stdout.write(AUTH_HELP), EXIT_OK);
    if (p.flag("version")) return (void io.stdout.write(`opc-auth-proxy ${VERSION}\n`), EXIT_OK);

    const problems = [...p.problems];
    const [argUser, argFile, ...extra] = p.positionals;
    // The variables the README exports for serve work here too; an argument beats its variable.
    const userVar = USER_ENV.find((v) => io.env[v]);
    const fileVar = PASSWORD_FILE_ENV.find((v) => io.env[v]);
    const user = argUser ?? (userVar && io.env[userVar]);
    const passwordFile = argFile ?? (fileVar && io.env[fileVar]);
    if (user === undefined || passwordFile === undefined)
      problems.push(
        "USER and PASSWORD_FILE (or - to prompt) are required, as arguments or OPC_USER and OPC_PASSWORD_FILE",
      );
    if (extra.length > 0) problems.push(`unexpected argument "${extra[0]}" after USER PASSWORD_FILE`);
    if (user !== undefined) checkComputeUser(user, argUser !== undefined ? "USER" : userVar!, problems);
    const opts = await apiOptions(p, problems);
    if (!opts.api && !opts.apiFrom)
      problems.push(
        "--api (OPC_API) is required: the API endpoint, e.g. https://compute.uscom-central-1.oraclecloud.com",
      );
    let password: string | undefined;
    if (passwordFile !== undefined && passwordFile !== "-") {
      password = await readPasswordFile(passwordFile).catch((err: unknown) => {
        problems.push(`PASSWORD_FILE: ${errorMessage(err)}`);
        return undefined;
      });
    }
    if (problems.length > 0) {
      return fail(
        EXIT_USAGE,
        `bad usage:\n${problems.map((x) => `  - ${x}`).join("\n")}\n${USAGE}\nSee opc-auth-proxy auth --help.`,
      );
    }
    const api = opts.api!;
    if (password === undefined) {
      try {
        password = await promptPassword(io, `Password for ${user}: `, "PASSWORD_FILE");
      } catch (err) {
        if (err instanceof Interrupted) return fail(EXIT_INTERRUPTED, `${err.message}; not logged in`);
        return fail(exitCodeOf(err), errorMessage(err));
      }
    }

    const started = now();
    let issued;
    try {
      issued = await withAuthClient(api, opts, io.env, (auth) => auth.authenticate(user!, password!), io.signal);
    } catch (err) {
      if (err instanceof Interrupted) return fail(EXIT_INTERRUPTED, `${err.message}; not logged in`);
      if (err instanceof AuthFailure && err.kind === "rejected") {
        const where = passwordFile === "-" ? "the password typed" : `the password in ${passwordFile}`;
        return fail(
          EXIT_FAILURE,
          `${err.message} (user ${user} at ${api.origin}; check the user name, which is case-sensitive, and ${where})`,
        );
      }
      if (isTimeout(err))
        return fail(EXIT_FAILURE, `${errorMessage(err)}; no login within --timeout ${opts.timeoutMs} ms`);
      return fail(exitCodeOf(err), errorMessage(err));
    }
    const expiry = expiryNow(issued, started);
    let code = EXIT_OK;
    if (opts.cookieFile) {
      try {
        await saveCookie(opts.cookieFile, api, user, issued.value, expiry);
      } catch (err) {
        code = fail(EXIT_FAILURE, errorMessage(err));
      }
    }
    io.stdout.write(exportLine(issued.value));
    io.stderr.write(
      `opc-auth-proxy auth: logged in as ${user}; the token expires at ${when(expiry.tokenExpiresAt, now())}; ` +
        `extend it with opc-auth-proxy refresh_token until the session ends at ${when(expiry.sessionExpiresAt, now())}\n`,
    );
    return code;
  };
}

export const auth: Command = authCommand();
