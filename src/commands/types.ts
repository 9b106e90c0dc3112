// The shape every subcommand shares: it gets its arguments and its I/O, and returns an exit code.
// Only cli.ts turns that code into a process exit.

import type { Readable, Writable } from "node:stream";

export interface CommandIO {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGTERM/SIGINT: long-running commands drain and return. */
  signal: AbortSignal;
}

export type Command = (argv: string[], io: CommandIO) => Promise<number>;

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
