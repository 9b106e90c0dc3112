// Owns opc-auth-proxy as the benchmark runs it: building dist/, starting the real CLI in its own
// process against the benchmark upstream, waiting for its session, and sampling its /-/metrics.

import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, start, waitUntil, type Started } from "./children.js";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const BENCH_USER = "/Compute-acme/bench";

export interface Entry {
  /** Arguments after `node` that run the CLI. */
  args: string[];
  how: "dist" | "tsx";
  note?: string;
}

/** Builds dist/ so the proxy runs compiled JavaScript; falls back to tsx if the build fails. */
export async function buildEntry(skipBuild: boolean): Promise<Entry> {
  const dist: Entry = { args: [join(ROOT, "dist/cli.js")], how: "dist" };
  if (skipBuild) return dist;
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  const result = await new Promise<{ ok: boolean; out: string }>((resolve) => {
    execFile(
      process.execPath,
      [tsc, "-p", "tsconfig.build.json"],
      { cwd: ROOT, timeout: 180_000 },
      (err, stdout, stderr) => resolve({ ok: !err, out: `${stdout}${stderr}`.trim() }),
    );
  });
  if (result.ok) return dist;
  return {
    args: ["--import", "tsx", join(ROOT, "src/cli.ts")],
    how: "tsx",
    note: `npm run build failed, so the proxy ran from src/ through tsx (slower start, same steady state):\n${result.out.split("\n").slice(0, 8).join("\n")}`,
  };
}

export interface ProxyProcess {
  url: string;
  pid: number;
  child: Started;
  /** Resident memory and CPU seconds as the proxy's own /-/metrics reports them. */
  metrics(): Promise<{ rssBytes?: number; cpuSeconds?: number; requests: number }>;
}

export interface ProxyOptions {
  entry: Entry;
  api: string;
  dir: string;
  /** Write a V8 CPU profile into this directory when the proxy exits. */
  cpuProfDir?: string;
  /** Trust this PEM CA for an HTTPS API (--ca-file). */
  caFile?: string;
}

/**
 * The `node` arguments that run `serve` as the bench measures it, against `api` as BENCH_USER with
 * the password in `passwordFile`, listening on 127.0.0.1:`port` at --log-level warn. Node runs with
 * --optimize-for-size, as npm start, the image and the systemd unit run it (README "Memory"), then
 * `nodeFlags`.
 */
export function serveArgs(
  entry: Entry,
  api: string,
  passwordFile: string,
  port: number,
  nodeFlags: string[] = [],
): string[] {
  return [
    "--optimize-for-size",
    ...nodeFlags,
    ...entry.args,
    "serve",
    "--api",
    api,
    "--user",
    BENCH_USER,
    "--password-file",
    passwordFile,
    "--listen",
    `127.0.0.1:${port}`,
    "--log-level",
    "warn",
  ];
}

export async function startProxy(opts: ProxyOptions): Promise<ProxyProcess> {
  const passwordFile = join(opts.dir, "password");
  await writeFile(passwordFile, "bench-password\n", { mode: 0o600 });
  const port = await freePort();
  const args = [
    ...serveArgs(
      opts.entry,
      opts.api,
      passwordFile,
      port,
      opts.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}`] : [],
    ),
    "--drain-timeout",
    "2s",
    ...(opts.caFile ? ["--ca-file", opts.caFile] : []),
  ];
  const child = start("opc-auth-proxy", process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(
    "opc-auth-proxy to log in (/-/readyz 200)",
    async () => {
      if (child.proc.exitCode !== null) throw new Error(`opc-auth-proxy exited:\n${child.output()}`);
      const r = await fetch(url + "/-/readyz");
      await r.arrayBuffer();
      return r.status === 200;
    },
    30_000,
    100,
  ).catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nproxy output:\n${child.output()}`);
  });
  return {
    url,
    pid: child.pid,
    child,
    async metrics() {
      const r = await fetch(url + "/-/metrics", { signal: AbortSignal.timeout(2_000) });
      const text = await r.text();
      let requests = 0;
      for (const m of text.matchAll(/^opc_auth_proxy_requests_total\{[^}]*\} (\S+)$/gm)) requests += Number(m[1]);
      return {
        rssBytes: metricValue(text, "process_resident_memory_bytes"),
        cpuSeconds: metricValue(text, "process_cpu_seconds_total"),
        requests,
      };
    },
  };
}

function metricValue(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : undefined;
}
