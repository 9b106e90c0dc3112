// Owns driving wrk: the Lua script that sets method, headers and body and prints a JSON summary
// (requests, latency percentiles, errors) from done(), and parsing that summary.

import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { track } from "./children.js";
import type { LoadResult, LoadSpec } from "./load.js";

const MARK = "BENCH_JSON";

const SCRIPT = `-- Written by bench/wrk.ts: args are METHOD BODY_BYTES [COOKIE].
init = function(args)
  wrk.method = args[1] or "GET"
  wrk.headers["Accept"] = "application/oracle-compute-v3+json"
  local n = tonumber(args[2] or "0")
  if n > 0 then
    wrk.body = string.rep("u", n)
    wrk.headers["Content-Type"] = "application/octet-stream"
  end
  if args[3] and args[3] ~= "" then
    wrk.headers["Cookie"] = args[3]
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '${MARK} {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;

export async function writeWrkScript(dir: string): Promise<string> {
  const path = join(dir, "bench.lua");
  await writeFile(path, SCRIPT);
  return path;
}

interface WrkJson {
  requests: number;
  duration_us: number;
  bytes: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  mean_us: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  max_us: number;
}

export function parseWrkOutput(stdout: string): LoadResult {
  const line = stdout.split("\n").find((l) => l.startsWith(MARK + " "));
  if (!line) throw new Error(`wrk printed no ${MARK} line:\n${stdout.slice(-2000)}`);
  const j = JSON.parse(line.slice(MARK.length + 1)) as WrkJson;
  const durationS = j.duration_us / 1e6;
  return {
    tool: "wrk",
    requests: j.requests,
    durationS,
    rps: durationS > 0 ? j.requests / durationS : 0,
    meanMs: j.mean_us / 1000,
    p50Ms: j.p50_us / 1000,
    p90Ms: j.p90_us / 1000,
    p99Ms: j.p99_us / 1000,
    maxMs: j.max_us / 1000,
    bytesRead: j.bytes,
    errors: { status: j.status, connect: j.connect, read: j.read, write: j.write, timeout: j.timeout },
  };
}

export function runWrk(wrk: string, script: string, spec: LoadSpec): Promise<LoadResult> {
  const args = [
    `-t${spec.threads}`,
    `-c${spec.connections}`,
    `-d${spec.durationS}s`,
    `--timeout`,
    `${spec.timeoutS}s`,
    "-s",
    script,
    new URL(spec.path, spec.origin).href,
    "--",
    spec.method,
    String(spec.bodyBytes),
    spec.cookie ?? "",
  ];
  // Bounded: wrk stops itself after -d; the kill timeout is a backstop.
  const killAfterMs = (spec.durationS + spec.timeoutS + 15) * 1000;
  return new Promise((resolve, reject) => {
    const proc = execFile(
      wrk,
      args,
      { timeout: killAfterMs, killSignal: "SIGKILL", maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`wrk ${args.join(" ")} failed: ${err.message}\n${stderr}${stdout}`));
        try {
          resolve(parseWrkOutput(stdout));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      },
    );
    track(proc);
  });
}
