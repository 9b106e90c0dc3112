// Owns the `simulate` subcommand: flags → a running Compute API simulator, until the signal aborts.
// Every flag is checked up front and all problems are reported at once, each naming its flag.

import { readFile } from "node:fs/promises";
import type { DestinationStream } from "pino";
import { parseOptions, type OptionTable, type Parsed } from "../config/options.js";
import { readPasswordFile } from "../session/credentials.js";
import { errorMessage } from "../errors.js";
import { parseListen, type ListenAddress } from "../net/addresses.js";
import { createLogger, LOG_LEVELS, type LogLevel } from "../log.js";
import {
  DEMO_PASSWORD,
  DEMO_USER,
  startSimulator,
  simulatorOptionProblems,
  type SimulatorOptions,
} from "../simulator/index.js";
import { userNameProblem } from "../simulator/users.js";
import { VERSION } from "../version.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Command, type CommandIO } from "./types.js";

const HELP = `Usage: opc-auth-proxy simulate [options]

Runs a simulator of the Oracle Compute Cloud (Classic) API: login, refresh, nimbula cookies,
the resource kinds listed in the README's "Simulated kinds" table (instances, ssh keys, shapes,
image lists, storage volumes, IP reservations, security lists and rules, …), and a control surface
under /-/sim/.

  --listen HOST:PORT|unix:PATH  where to listen (default 127.0.0.1:8081)
  --user NAME                 an account, like /Compute-acme/jack.jones@example.com (repeatable)
  --users-file PATH           accounts, one per line: "USER [PASSWORD_FILE]"; # comments allowed;
                              a line without a password file uses --password-file
  --password-file PATH        the password of --user accounts (mode 600; one trailing newline ignored)
  --token-ttl SECONDS         token lifetime (default 1800)
  --session-ttl SECONDS       session lifetime from login (default 10800)
  --public-url URL            origin written into "uri" fields (default: the listening origin)
  --cookie-format base64|raw  raw sends the nested JSON unencoded, like older installations
  --max-objects N             objects clients may create (default 10000)
  --max-sessions N            live sessions (default 10000)
  --max-body-bytes N          largest request body (default 1048576)
  --log-level LEVEL           ${LOG_LEVELS.join("|")} (default info)
  -h, --help                  show this help
  --version                   show the version

With no --user, --users-file or --password-file, the demo account is used:
  ${DEMO_USER} / ${DEMO_PASSWORD}

Exit codes: 0 after a clean stop (SIGTERM, Ctrl-C), 1 when it cannot listen, 2 bad usage.

Examples:
  opc-auth-proxy simulate                                   # the demo account on 127.0.0.1:8081
  opc-auth-proxy simulate --token-ttl 60 --session-ttl 300  # short lifetimes, to watch refreshes
  opc-auth-proxy simulate --user /Compute-acme/ann --password-file ./ann.pw
  curl -s -X POST localhost:8081/-/sim/revoke               # end every session
`;

/** simulate's flags; none has an environment variable (the simulator is configured by its command line). */
export const SIMULATE_OPTIONS = {
  listen: { type: "string" },
  user: { type: "string", multiple: true },
  "users-file": { type: "string" },
  "password-file": { type: "string" },
  "token-ttl": { type: "string" },
  "session-ttl": { type: "string" },
  "public-url": { type: "string" },
  "cookie-format": { type: "string" },
  "max-objects": { type: "string" },
  "max-sessions": { type: "string" },
  "max-body-bytes": { type: "string" },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const satisfies OptionTable;

type Flag = keyof typeof SIMULATE_OPTIONS;

/** The flags that take a value (older importers use this list). */
export const STRING_FLAGS = (Object.keys(SIMULATE_OPTIONS) as Flag[]).filter(
  (f) => SIMULATE_OPTIONS[f].type === "string",
);

interface Plan {
  listen: ListenAddress;
  options: SimulatorOptions;
  logLevel: LogLevel;
  demo: boolean;
}

export const simulate: Command = async (argv, io) => {
  const plan = await planFrom(argv);
  if (plan === "help") {
    io.stdout.write(HELP);
    return EXIT_OK;
  }
  if (plan === "version") {
    io.stdout.write(`opc-auth-proxy ${VERSION}\n`);
    return EXIT_OK;
  }
  if (Array.isArray(plan)) {
    io.stderr.write(
      `opc-auth-proxy simulate: invalid configuration:\n${plan.map((p) => `  - ${p}`).join("\n")}\nRun "opc-auth-proxy simulate --help" for usage.\n`,
    );
    return EXIT_USAGE;
  }
  return run(plan, io);
};

async function run(plan: Plan, io: CommandIO): Promise<number> {
  // The same component the simulator's lines carry under `serve`, so its messages need no prefix.
  const logger = createLogger(plan.logLevel, io.stderr as unknown as DestinationStream).child({
    component: "simulator",
  });
  let running: Awaited<ReturnType<typeof startSimulator>>;
  try {
    running = await startSimulator({ ...plan.options, logger, listen: plan.listen });
  } catch (err) {
    const inUse = (err as NodeJS.ErrnoException).code === "EADDRINUSE";
    const why = inUse ? "the address is already in use; pick another with --listen" : errorMessage(err);
    io.stderr.write(`opc-auth-proxy simulate: cannot listen on ${describe(plan.listen)} (--listen): ${why}\n`);
    return EXIT_FAILURE;
  }
  io.stdout.write(`Compute API simulator listening on ${running.url}\n`);
  if (plan.demo) io.stdout.write(`Log in as ${DEMO_USER} with password ${DEMO_PASSWORD}\n`);
  logger.info({ url: running.url, users: plan.options.users.map((u) => u.user) }, "simulator started");
  if (!io.signal.aborted) {
    await new Promise<void>((resolve) => io.signal.addEventListener("abort", () => resolve(), { once: true }));
  }
  await running.close();
  logger.info("simulator stopped");
  return EXIT_OK;
}

const describe = (l: ListenAddress): string => (l.kind === "unix" ? `unix:${l.path}` : `${l.host}:${l.port}`);

/** Turns argv into a plan, "help", or every problem found (each naming its flag). */
async function planFrom(argv: string[]): Promise<Plan | "help" | "version" | string[]> {
  const p = parseOptions(argv, SIMULATE_OPTIONS, {});
  if (p.flag("help")) return "help";
  if (p.flag("version")) return "version";
  // The same list: the checks below add theirs, so every problem is reported at once.
  const problems = p.problems;
  const str = (flag: Flag): string | undefined => p.get(flag)?.value;
  const number = (flag: Flag, integer: boolean): number | undefined => {
    const text = str(flag);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      problems.push(`--${flag} must be a positive ${integer ? "integer" : "number"}, not "${text}"`);
      return undefined;
    }
    return n;
  };

  const listenText = str("listen") ?? "127.0.0.1:8081";
  const listen = parseListen(listenText);
  if (typeof listen === "string") problems.push(`--listen ${listen}`);

  const tokenTtl = number("token-ttl", false);
  const sessionTtl = number("session-ttl", false);
  const maxObjects = number("max-objects", true);
  const maxSessions = number("max-sessions", true);
  const maxBody = number("max-body-bytes", true);
  const publicUrl = str("public-url");
  if (publicUrl !== undefined && simulatorOptionProblems({ users: [], publicUrl }).length > 0) {
    problems.push(`--public-url must be an origin like http://127.0.0.1:8081, not "${publicUrl}"`);
  }
  const format = str("cookie-format");
  if (format !== undefined && format !== "base64" && format !== "raw")
    problems.push(`--cookie-format must be base64 or raw, not "${format}"`);
  const level = str("log-level") ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    problems.push(`--log-level must be one of ${LOG_LEVELS.join(", ")}, not "${level}"`);

  const users = await usersFrom(p, problems);

  if (problems.length > 0) return problems;
  return {
    listen: listen as ListenAddress,
    logLevel: level as LogLevel,
    demo: users.demo,
    options: {
      users: users.list,
      tokenTtlSeconds: tokenTtl,
      sessionTtlSeconds: sessionTtl,
      publicUrl,
      cookieFormat: format as "base64" | "raw" | undefined,
      maxObjects,
      maxSessions,
      maxBodyBytes: maxBody,
    },
  };
}

/** Collects accounts from --user, --users-file and password files, or the demo account when none is named. */
async function usersFrom(
  p: Parsed,
  problems: string[],
): Promise<{ list: Array<{ user: string; password: string }>; demo: boolean }> {
  const named: Array<{ user: string; passwordFile?: string; where: string }> = [];
  for (const u of p.getAll("user")) named.push({ user: u.value, where: u.from });
  const usersFile = p.get("users-file")?.value;
  if (usersFile !== undefined) {
    try {
      const lines = (await readFile(usersFile, "utf8")).split(/\r?\n/);
      lines.forEach((line, i) => {
        const text = line.replace(/#.*/, "").trim();
        if (!text) return;
        const [user, passwordFile, ...extra] = text.split(/\s+/);
        const where = `--users-file ${usersFile} line ${i + 1}`;
        if (extra.length > 0) problems.push(`${where}: expected "USER [PASSWORD_FILE]"`);
        else named.push({ user: user!, where, ...(passwordFile ? { passwordFile } : {}) });
      });
    } catch (err) {
      problems.push(`--users-file ${usersFile} cannot be read: ${errorMessage(err)}`);
    }
  }
  const sharedFile = p.get("password-file")?.value;
  if (named.length === 0) {
    if (sharedFile !== undefined)
      problems.push("--password-file needs --user or --users-file to say whose password it is");
    return { list: [{ user: DEMO_USER, password: DEMO_PASSWORD }], demo: sharedFile === undefined };
  }

  const passwords = new Map<string, Promise<string | undefined>>();
  const read = (path: string, flag: string): Promise<string | undefined> => {
    let p = passwords.get(path);
    if (!p) {
      if (path === "-") problems.push(`${flag}: "-" (prompt) is not supported by simulate; give a file`);
      p =
        path === "-"
          ? Promise.resolve(undefined)
          : readPasswordFile(path).catch((err: unknown) => {
              problems.push(`${flag}: ${errorMessage(err)}`);
              return undefined;
            });
      passwords.set(path, p);
    }
    return p;
  };

  const list: Array<{ user: string; password: string }> = [];
  let missingShared = false;
  for (const n of named) {
    const problem = userNameProblem(n.user);
    if (problem) problems.push(`${n.where}: ${problem}`);
    const file = n.passwordFile ?? sharedFile;
    if (file === undefined) {
      missingShared = true;
      continue;
    }
    const password = await read(file, n.passwordFile ? n.where : "--password-file");
    if (password !== undefined && !problem) list.push({ user: n.user, password });
  }
  if (missingShared) problems.push("--password-file is required for accounts given without their own password file");
  return { list, demo: false };
}
