// Runs the real command line (`node --import tsx src/cli.ts …`) as a child process, for tests that
// need a separate process: its memory, its exit code, its output.

import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface Child {
  proc: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves with the first stderr/stdout text matching `re` (bounded by `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<string>;
  exit(): Promise<number | null>;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  proc.stdout!.on("data", (c: Buffer) => stdout.push(c.toString()));
  proc.stderr!.on("data", (c: Buffer) => stderr.push(c.toString()));
  const exited = once(proc, "exit").then(([code]) => code as number | null);
  return {
    proc,
    stdout,
    stderr,
    waitFor(re, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const all = stderr.join("") + stdout.join("");
          const m = re.exec(all);
          if (m) {
            cleanup();
            resolve(m[0]);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${re}; output:\n${stderr.join("")}${stdout.join("")}`));
        }, ms);
        const onExit = () => {
          check();
          cleanup();
          reject(new Error(`process exited before ${re}; output:\n${stderr.join("")}${stdout.join("")}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          proc.stdout!.off("data", check);
          proc.stderr!.off("data", check);
          proc.off("exit", onExit);
        };
        proc.stdout!.on("data", check);
        proc.stderr!.on("data", check);
        proc.once("exit", onExit);
        check();
      });
    },
    exit: () => exited,
  };
}
