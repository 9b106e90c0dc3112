// Fake process I/O for running a Command in-process: captured stdout/stderr, a given stdin and env.

import { PassThrough, Readable } from "node:stream";
import type { CommandIO } from "../../src/commands/types.js";

export interface FakeIO {
  io: CommandIO;
  out(): string;
  err(): string;
  abort(): void;
}

export function fakeIO(opts: { env?: NodeJS.ProcessEnv; stdin?: string[] } = {}): FakeIO {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c) => (out += c));
  stderr.on("data", (c) => (err += c));
  const ac = new AbortController();
  const io: CommandIO = {
    stdout,
    stderr,
    stdin: Readable.from(opts.stdin ?? []),
    env: opts.env ?? {},
    signal: ac.signal,
  };
  return { io, out: () => out, err: () => err, abort: () => ac.abort() };
}

/** The value of the one `export OPC_COOKIE='…'` line (no `'` inside in these tests). */
export function exportedValue(out: string): string {
  const m = /^export OPC_COOKIE='([^']*)'\n$/.exec(out);
  if (!m) throw new Error(`stdout is not one export line: ${JSON.stringify(out.slice(0, 120))}`);
  return m[1]!;
}
