// Owns finding the external tools (nginx, wrk, go, curl, openssl) and, when they are missing and we run as root on
// Debian/Ubuntu, installing them with apt-get (saying so); never fatal when they stay missing.

import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { track } from "./children.js";

export interface Tools {
  nginx?: string;
  wrk?: string;
  go?: string;
  curl?: string;
  openssl?: string;
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

/** Each tool and the Debian package that brings it. */
const PACKAGES = { nginx: "nginx-light", wrk: "wrk", go: "golang", curl: "curl", openssl: "openssl" } as const;
type ToolName = keyof typeof PACKAGES;

async function find(): Promise<Pick<Tools, ToolName>> {
  const found: Pick<Tools, ToolName> = {};
  for (const name of Object.keys(PACKAGES) as ToolName[]) found[name] = await which(name);
  return found;
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
  const missingNames = () => (Object.keys(PACKAGES) as ToolName[]).filter((t) => !found[t]);
  if (missingNames().length === 0) return { ...found, notes };
  const missing = missingNames().join(", ");
  const packages = missingNames().map((t) => PACKAGES[t]);
  const root = process.getuid?.() === 0;
  const aptGet = await which("apt-get");
  if (!allowInstall) {
    notes.push(`${missing} not found; --no-install given, so nothing was installed`);
  } else if (!root) {
    notes.push(
      `${missing} not found and not running as root: install with \`sudo apt-get install -y ${packages.join(" ")}\``,
    );
  } else if (!aptGet) {
    notes.push(
      `${missing} not found and apt-get is not available: install ${packages.join(", ")} with this system's package manager`,
    );
  } else {
    process.stderr.write(
      `bench: ${missing} not found; running as root: apt-get update && apt-get install -y ${packages.join(" ")}\n`,
    );
    const ok = (await run(aptGet, ["update"], 300_000)) && (await run(aptGet, ["install", "-y", ...packages], 600_000));
    found = await find();
    if (ok && missingNames().length === 0) notes.push(`installed ${packages.join(", ")} with apt-get`);
    else
      notes.push(
        `apt-get install -y ${packages.join(" ")} ${ok ? "ran" : "failed"}; still missing: ${missingNames().join(", ")}`,
      );
  }
  return { ...found, notes };
}
