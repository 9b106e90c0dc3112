// Owns every child process the benchmark starts: spawning in its own process group, keeping the
// tail of its output, stopping it politely then by force, and killing all of them on any exit.

import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import net from "node:net";

export interface Started {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** Last few KiB of stdout and stderr together, for error messages. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  exited: Promise<number | string | null>;
  /** SIGTERM (or `signal`), then SIGKILL to the whole group after `graceMs`. */
  stop(graceMs?: number, signal?: NodeJS.Signals): Promise<void>;
}

const live = new Set<Started>();
const OUTPUT_KEEP = 16 * 1024;

export function start(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): Started {
  // detached: its own process group, so one kill reaches nginx's workers too.
  const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, ...opts });
  let tail = "";
  const keep = (c: Buffer) => {
    tail = (tail + c.toString()).slice(-OUTPUT_KEEP);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const exited = new Promise<number | string | null>((resolve) => {
    proc.once("exit", (code, signal) => resolve(code ?? signal));
    proc.once("error", (err) => {
      keep(Buffer.from(`\n[spawn error] ${err.message}\n`));
      resolve(null);
    });
  });
  const child: Started = {
    name,
    proc,
    pid: proc.pid ?? -1,
    output: () => tail,
    exited,
    async stop(graceMs = 5_000, signal: NodeJS.Signals = "SIGTERM") {
      if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) {
        live.delete(child);
        return;
      }
      signalGroup(proc.pid, signal);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), graceMs)));
      const r = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (r === "timeout") {
        signalGroup(proc.pid, "SIGKILL");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
      } else {
        // The leader is gone; make sure nothing of its group (nginx workers) outlives it.
        signalGroup(proc.pid, "SIGKILL");
      }
      live.delete(child);
    },
  };
  live.add(child);
  exited.then(
    () => live.delete(child),
    () => undefined,
  );
  return child;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Stops every child still running, in parallel. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop(3_000).catch(() => undefined)));
}

const extra = new Set<ChildProcess>();
const dirs = new Set<string>();

/** Deletes a temporary directory when this process exits, however it exits. */
export function removeOnExit(dir: string): void {
  dirs.add(dir);
}

/** Registers a process started elsewhere (execFile) so that exit kills it too. */
export function track(proc: ChildProcess): void {
  extra.add(proc);
  proc.once("exit", () => extra.delete(proc));
}

let installed = false;

/** Last resort: on any way out of this process, no child survives it. */
export function killChildrenOnExit(): void {
  if (installed) return;
  installed = true;
  process.on("exit", () => {
    for (const c of live) if (c.pid > 0) signalGroup(c.pid, "SIGKILL");
    for (const p of extra) p.kill("SIGKILL");
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}: stopping child processes\n`);
      const hard = setTimeout(() => process.exit(130), 6_000);
      hard.unref();
      for (const p of extra) p.kill("SIGTERM");
      void stopAll().finally(() => process.exit(130));
    });
  }
}

/** Waits until `check` resolves true, polling every `everyMs`, for at most `ms`. */
export async function waitUntil(what: string, check: () => Promise<boolean>, ms = 15_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** True once something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
    s.setTimeout(1_000, () => done(false));
  });
}

/** CPU seconds (user + system) a Linux process has used so far; undefined elsewhere. */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the ")" that ends the command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(rest[11]) + Number(rest[12]);
    return Number.isFinite(ticks) ? ticks / 100 : undefined; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** CPU seconds the whole machine spent busy so far (Linux /proc/stat); undefined elsewhere. */
export async function machineBusySeconds(): Promise<number | undefined> {
  try {
    const line = (await readFile("/proc/stat", "utf8")).split("\n")[0]!;
    const n = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: everything but idle and iowait is busy.
    const busy = n.reduce((a, b) => a + b, 0) - n[3]! - (n[4] ?? 0);
    return Number.isFinite(busy) ? busy / 100 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds of this process plus its children already reaped (wrk, tsc); Linux only. */
export async function selfAndReapedSeconds(): Promise<number | undefined> {
  try {
    const stat = await readFile("/proc/self/stat", "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime, stime, cutime, cstime are fields 14 to 17.
    const ticks = Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
    return Number.isFinite(ticks) ? ticks / 100 : undefined;
  } catch {
    return undefined;
  }
}

/** Resident set size in bytes of a Linux process (VmRSS); undefined elsewhere. */
export async function rssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Direct children of a Linux process (nginx's workers), from /proc. */
export async function childPids(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, "utf8");
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * RSS (bytes) and CPU time (seconds) of a process and its direct children added up (nginx's master
 * and workers; the Go proxy); `{}` when any of them cannot be read (not Linux, or it exited).
 */
export async function treeUsage(pid: number): Promise<{ rssBytes?: number; cpuSeconds?: number }> {
  const pids = [pid, ...(await childPids(pid))];
  let rss = 0;
  let cpu = 0;
  for (const p of pids) {
    const r = await rssBytes(p);
    const c = await cpuSeconds(p);
    if (r === undefined || c === undefined) return {};
    rss += r;
    cpu += c;
  }
  return { rssBytes: rss, cpuSeconds: cpu };
}
