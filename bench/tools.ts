// Owns finding the external tools (nginx, wrk) and, when they are missing and we run as root on
// Debian/Ubuntu, installing them with apt-get (saying so); never fatal when they stay missing.

import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { track } from "./children.js";

export interface Tools {
  nginx?: string;
  wrk?: string;
  /** What happened while looking, for the report. */
  notes: string[];
}

const EXTRA_DIRS = ["/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/local/bin", "/usr/bin"];

export async function which(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const p = join(dir, name);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

async function find(): Promise<Pick<Tools, "nginx" | "wrk">> {
  return { nginx: await which("nginx"), wrk: await which("wrk") };
}

/** Runs a command with inherited output, bounded by `ms`; resolves true on exit code 0. */
function run(cmd: string, args: string[], ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const proc = spawn(cmd, args, {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    track(proc);
    const timer = setTimeout(() => {
      process.stderr.write(`bench: ${cmd} ${args.join(" ")} took over ${ms / 1000} s; stopping it\n`);
      proc.kill("SIGKILL");
    }, ms);
    proc.once("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

export async function ensureTools(allowInstall: boolean): Promise<Tools> {
  const notes: string[] = [];
  let found = await find();
  if (found.nginx && found.wrk) return { ...found, notes };
  const missing = [!found.nginx && "nginx", !found.wrk && "wrk"].filter(Boolean).join(" and ");
  const root = process.getuid?.() === 0;
  const aptGet = await which("apt-get");
  if (!allowInstall) {
    notes.push(`${missing} not found; --no-install given, so nothing was installed`);
  } else if (!root) {
    notes.push(
      `${missing} not found and not running as root: install with \`sudo apt-get install -y nginx-light wrk\``,
    );
  } else if (!aptGet) {
    notes.push(
      `${missing} not found and apt-get is not available: install nginx and wrk with this system's package manager`,
    );
  } else {
    process.stderr.write(
      `bench: ${missing} not found; running as root: apt-get update && apt-get install -y nginx-light wrk\n`,
    );
    const ok =
      (await run(aptGet, ["update"], 300_000)) && (await run(aptGet, ["install", "-y", "nginx-light", "wrk"], 600_000));
    found = await find();
    if (ok && found.nginx && found.wrk) notes.push("installed nginx-light and wrk with apt-get");
    else
      notes.push(
        `apt-get install -y nginx-light wrk ${ok ? "ran" : "failed"}; still missing: ${[!found.nginx && "nginx", !found.wrk && "wrk"].filter(Boolean).join(", ")}`,
      );
  }
  return { ...found, notes };
}
