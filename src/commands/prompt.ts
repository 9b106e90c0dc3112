// Owns reading a password at a prompt (`-`): without echo on a terminal, else one line of standard input.

import { ProxyError } from "../errors.js";
import type { CommandIO } from "./types.js";

/**
 * Reads a password for `-`: without echo on a terminal, else one line from standard input.
 * The prompt goes to standard error so standard output stays clean for `eval`.
 */
export function promptPassword(io: Pick<CommandIO, "stdin" | "stderr">, prompt = "Password: "): Promise<string> {
  const { stdin } = io;
  const tty = Boolean(stdin.isTTY && stdin.setRawMode);
  if (tty) io.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let buf = "";
    const finish = (err?: Error) => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      stdin.off("error", onError);
      if (tty) {
        stdin.setRawMode?.(false);
        io.stderr.write("\n");
      }
      stdin.pause();
      if (err) reject(err);
      else if (buf === "") reject(new ProxyError("USAGE", "no password was given on standard input"));
      else resolve(buf);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === "\n" || ch === "\r") return finish();
        if (tty && ch === "\u0003") return finish(new ProxyError("USAGE", "password prompt interrupted"));
        if (tty && (ch === "\u007f" || ch === "\b")) buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    const onEnd = () => finish();
    const onError = (err: Error) => finish(err);
    if (tty) stdin.setRawMode?.(true);
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.on("error", onError);
    stdin.resume();
  });
}
