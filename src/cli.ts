// Owns the command line: picks the subcommand, wires process I/O and signals, and is the only
// place that exits the process.

import { EXIT_FAILURE, EXIT_USAGE, type Command, type CommandIO } from "./commands/types.js";
import { SERVE_HELP } from "./commands/serve-help.js";
import { VERSION } from "./version.js";
import { errorMessage } from "./errors.js";

/**
 * Each command is loaded only when it runs: `wait` is an exec probe, started every few seconds in
 * Kubernetes, and should not pay for the proxy, the simulator and their libraries.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import("./commands/serve.js")).serve,
  auth: async () => (await import("./commands/auth.js")).auth,
  refresh_token: async () => (await import("./commands/refresh-token.js")).refreshToken,
  simulate: async () => (await import("./commands/simulate.js")).simulate,
  wait: async () => (await import("./commands/wait.js")).wait,
};

const OVERVIEW = `opc-auth-proxy ${VERSION}: a local auth proxy for Oracle Compute Cloud Service (Classic)

Commands:
  serve                         run the proxy (the default)
  auth USER PASSWORD_FILE|-     log in once, print export OPC_COOKIE='<value>'
  refresh_token                 extend the token in OPC_COOKIE by 30 minutes
  simulate                      run the built-in Compute API simulator
  wait                          exit 0 once a running proxy is ready

Run opc-auth-proxy COMMAND --help for a command's options.

`;

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "help" || ((first === "--help" || first === "-h") && rest.length === 0)) {
    io.stdout.write(OVERVIEW + SERVE_HELP);
    return 0;
  }
  if (first !== undefined && !first.startsWith("-")) {
    const load = COMMANDS[first] ?? COMMANDS[first.replace(/-/g, "_")];
    if (!load) {
      io.stderr.write(`opc-auth-proxy: unknown command "${first}"; commands: ${Object.keys(COMMANDS).join(", ")}\n`);
      return EXIT_USAGE;
    }
    return (await load())(rest, io);
  }
  return (await COMMANDS.serve!())(argv, io);
}

function processIO(): CommandIO {
  const ac = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`opc-auth-proxy: second ${sig}, exiting now\n`);
      process.exit(EXIT_FAILURE);
    }
    ac.abort();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // A reader that went away (`… | head`) must not crash the proxy: its output is simply lost.
  const ignoreBrokenPipe = (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
  };
  process.stdout.on("error", ignoreBrokenPipe);
  process.stderr.on("error", ignoreBrokenPipe);
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, signal: ac.signal };
}

/** Runs the command line of this process and exits with its code. */
export function runCli(): void {
  main(process.argv.slice(2), processIO()).then(
    (code) => {
      process.exitCode = code;
      // Leave no straggling handle between us and the exit code.
      setTimeout(() => process.exit(code), 200).unref();
    },
    (err: unknown) => {
      process.stderr.write(`opc-auth-proxy: unexpected failure: ${errorMessage(err)}\n`);
      process.exit(EXIT_FAILURE);
    },
  );
}

if (process.argv[1] !== undefined && /[\\/]cli\.[jt]s$/.test(process.argv[1])) runCli();
