// Owns reading a password at a prompt (`-`): without echo on a terminal, else one line of standard input.

import { ProxyError } from "../errors.js";
import { Interrupted } from "./interrupt.js";
import type { CommandIO } from "./types.js";

/**
 * Reads a password for `-`: without echo on a terminal, else one line from standard input. An
 * empty answer rejects with ProxyError USAGE naming `source`.
 * The prompt goes to standard error so standard output stays clean for `eval`. Ctrl-C (read as a
 * byte on a raw terminal, or the command's signal otherwise) rejects with Interrupted (exit 130).
 */
export function promptPassword(
  io: Pick<CommandIO, "stdin" | "stderr"> & { signal?: AbortSignal },
  prompt = "Password: ",
  /** Where `-` was given (a flag, variable or argument), named when nothing is read. */
  source = "-",
): Promise<string> {
  const { stdin } = io;
  const tty = Boolean(stdin.isTTY && stdin.setRawMode);
  if (tty) io.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let buf = "";
    const finish = (err?: Error) => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      stdin.off("error", onError);
      io.signal?.removeEventListener("abort", onAbort);
      if (tty) {
        stdin.setRawMode?.(false);
        io.stderr.write("\n");
      }
      stdin.pause();
      if (err) reject(err);
      else if (buf === "")
        reject(
          new ProxyError(
            "USAGE",
            `no password was given on standard input (${source} is -): type it at the prompt or pipe one line in, or name a password file instead of -`,
          ),
        );
      else resolve(buf);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === "\n" || ch === "\r") return finish();
        if (tty && ch === "\u0003") return finish(new Interrupted("at the password prompt"));
        if (tty && (ch === "\u007f" || ch === "\b")) buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    const onEnd = () => finish();
    const onError = (err: Error) => finish(err);
    const onAbort = () => finish(new Interrupted("at the password prompt"));
    if (io.signal?.aborted) return onAbort();
    io.signal?.addEventListener("abort", onAbort, { once: true });
    if (tty) stdin.setRawMode?.(true);
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.on("error", onError);
    stdin.resume();
  });
}
