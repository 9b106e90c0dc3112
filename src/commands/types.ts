// The shape every subcommand shares: it gets its arguments and its I/O, and returns an exit code.
// Only cli.ts turns that code into a process exit.

import type { Readable, Writable } from "node:stream";
import { isCode } from "../errors.js";

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

/**
 * The exit code a command returns for `err`: 2 (EXIT_USAGE) for bad usage or configuration
 * (codes CONFIG_INVALID, USAGE), else 1 (EXIT_FAILURE). The one place codes meet the shell.
 */
export function exitCodeOf(err: unknown): number {
  return isCode(err, "CONFIG_INVALID", "USAGE") ? EXIT_USAGE : EXIT_FAILURE;
}
