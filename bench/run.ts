// Owns `npm run bench`: starts the benchmark upstream, opc-auth-proxy (the real CLI) and nginx on
// loopback, loads each side by side in one run (wrk, or a Node fallback), prints the table and
// ratios, and writes .bench/results.json. Options: npm run bench -- --help.

import { cpus, tmpdir } from "node:os";
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  cpuSeconds,
  killChildrenOnExit,
  machineBusySeconds,
  removeOnExit,
  selfAndReapedSeconds,
  stopAll,
} from "./children.js";
import { runNodeLoad, totalErrors, type LoadResult, type LoadSpec } from "./load.js";
import { startNginx, type NginxProcess } from "./nginx.js";
import { formatProfile, summarizeProfile, type ProfileSummary } from "./profile.js";
import { ROOT, buildEntry, startProxy, type ProxyProcess } from "./proxy.js";
import { ensureTools } from "./tools.js";
import { BIG_BYTES, PATHS, startUpstreamProcess, type UpstreamProcess, type UpstreamStats } from "./upstream.js";
import { runWrk, writeWrkScript } from "./wrk.js";

const HELP = `Usage: npm run bench -- [options]

Compares, on loopback and in one run: direct to a stand-in API, through opc-auth-proxy (its own
process, built dist/), and through nginx adding a static cookie (the reference proxy).

  --duration S       measured seconds per run (default 10)
  --warmup S         warm-up seconds before each run, not counted (default 2)
  --connections N    concurrent keep-alive connections (default 32)
  --threads N        wrk threads (default 2)
  --cases LIST       comma-separated: small,big,upload (default all)
  --rounds N         run every case N times, interleaved, and report each target's median (default 1)
  --node-load        use the built-in Node load loop even when wrk is installed
  --no-nginx         leave out the nginx reference proxy
  --no-install       never run apt-get for missing nginx/wrk
  --no-build         do not run npm run build first (use dist/ as it is)
  --profile          run the proxy under --cpu-prof and print its hottest functions
  --out PATH         where to write the JSON results (default .bench/results.json)
`;

type TargetName = "direct" | "proxy" | "nginx";
interface Target {
  name: TargetName;
  origin: string;
  cookie?: string;
}

interface CaseDef {
  id: "small" | "big" | "upload";
  label: string;
  path: string;
  method: "GET" | "POST";
  bodyBytes: number;
}

const CASES: CaseDef[] = [
  { id: "small", label: "small GET", path: PATHS.small, method: "GET", bodyBytes: 0 },
  { id: "big", label: "64 KiB GET", path: PATHS.big, method: "GET", bodyBytes: 0 },
  { id: "upload", label: "1 MiB POST", path: PATHS.upload, method: "POST", bodyBytes: 1024 * 1024 },
];

interface RunResult {
  target: TargetName;
  load: LoadResult;
  /** What the upstream counted during the measured run. */
  upstream: UpstreamStats;
  /** Errors of every kind: load generator plus missing or wrong cookies and short bodies upstream. */
  errors: number;
  /** Payload MiB/s (response bytes for downloads, request bytes for uploads). */
  mibPerS?: number;
  /** CPU time the proxying process used per request (proxy or nginx master+workers). */
  cpuUsPerRequest?: number;
  peakRssBytes?: number;
  /**
   * Cores' worth of CPU used by processes outside the benchmark during the run (machine busy time
   * minus the benchmark's own processes); above 0.1 the run was disturbed.
   */
  otherLoadCores?: number;
  round: number;
}

interface CaseResult {
  id: string;
  label: string;
  method: string;
  path: string;
  bodyBytes: number;
  /** The median run (by req/s) of each target. */
  runs: RunResult[];
  /** Every run, all rounds. */
  allRuns: RunResult[];
  ratios: {
    proxyVsDirect?: { rps: number; p50: number; p99: number };
    proxyVsNginx?: { rps: number; p50: number; p99: number };
    nginxVsDirect?: { rps: number; p50: number; p99: number };
  };
}

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "2" },
      connections: { type: "string", default: "32" },
      threads: { type: "string", default: "2" },
      cases: { type: "string", default: "small,big,upload" },
      rounds: { type: "string", default: "1" },
      "node-load": { type: "boolean", default: false },
      "no-nginx": { type: "boolean", default: false },
      "no-install": { type: "boolean", default: false },
      "no-build": { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      out: { type: "string", default: join(ROOT, ".bench/results.json") },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const num = (name: string, v: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new Error(`--${name} must be a number from ${min} to ${max}, got ${v}`);
    return n;
  };
  const ids = values.cases.split(",").map((s) => s.trim());
  const cases = CASES.filter((c) => ids.includes(c.id));
  if (cases.length === 0) throw new Error(`--cases must name some of ${CASES.map((c) => c.id).join(",")}`);
  return {
    help: values.help,
    durationS: num("duration", values.duration, 1, 600),
    warmupS: num("warmup", values.warmup, 0, 60),
    connections: Math.round(num("connections", values.connections, 1, 1000)),
    threads: Math.round(num("threads", values.threads, 1, 64)),
    cases,
    rounds: Math.round(num("rounds", values.rounds, 1, 20)),
    nodeLoad: values["node-load"],
    nginx: !values["no-nginx"],
    install: !values["no-install"],
    build: !values["no-build"],
    profile: values.profile,
    out: values.out,
  };
}

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

async function main(): Promise<void> {
  const opts = options();
  if (opts.help) return void process.stdout.write(HELP);
  killChildrenOnExit();

  const cores = cpus().length;
  const notes: string[] = [];
  const busyBefore = await machineBusy(cores);
  if (busyBefore !== undefined && busyBefore > 0.15) {
    notes.push(
      `other work used ${(busyBefore * 100).toFixed(0)}% of the CPU just before the run: it competes for the cores, so these numbers are noisy; run again on a quiet machine`,
    );
  }
  const tools = await ensureTools(opts.install);
  notes.push(...tools.notes);
  const useWrk = !!tools.wrk && !opts.nodeLoad;
  if (!tools.wrk)
    notes.push(
      "wrk unavailable: load came from the built-in Node keep-alive loop, which runs in the benchmark process and is itself slower than wrk (absolute numbers are lower; compare ratios)",
    );
  else if (opts.nodeLoad) notes.push("--node-load: load came from the built-in Node keep-alive loop, not wrk");
  if (!tools.nginx) notes.push("nginx unavailable: no reference-proxy comparison in this run");
  else if (!opts.nginx) notes.push("--no-nginx: no reference-proxy comparison in this run");

  log(`building dist/ (npm run build) ...`);
  const entry = await buildEntry(!opts.build);
  if (entry.note) notes.push(entry.note);
  if (opts.profile) notes.push("--profile: the proxy ran under node --cpu-prof (slightly slower than without)");

  const tmp = await mkdtemp(join(tmpdir(), "opc-bench-"));
  removeOnExit(tmp);
  const profDir = join(tmp, "prof");
  let upstream: UpstreamProcess | undefined;
  let proxy: ProxyProcess | undefined;
  let nginx: NginxProcess | undefined;
  const results: CaseResult[] = [];
  let proxyIdleRss: number | undefined;
  let profile: ProfileSummary | undefined;
  try {
    upstream = await startUpstreamProcess();
    log(`upstream (stand-in API) on ${upstream.url}`);
    proxy = await startProxy({ entry, api: upstream.url, dir: tmp, cpuProfDir: opts.profile ? profDir : undefined });
    log(`opc-auth-proxy (${entry.how}) on ${proxy.url}, logged in`);
    proxyIdleRss = (await proxy.metrics()).rssBytes;
    if (tools.nginx && opts.nginx) {
      try {
        nginx = await startNginx(tools.nginx, upstream.port, await upstream.login());
        log(`nginx on ${nginx.url} (config in ${nginx.dir})`);
      } catch (err) {
        notes.push(
          `nginx failed to start, so it is left out: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`,
        );
      }
    }
    // Direct, the client holds the session itself, as it would without a proxy.
    const directCookie = `nimbula=${await upstream.login()}`;
    const targets: Target[] = [
      { name: "direct", origin: upstream.url, cookie: directCookie },
      { name: "proxy", origin: proxy.url },
      ...(nginx ? [{ name: "nginx" as const, origin: nginx.url }] : []),
    ];
    await sanityCheck(targets, upstream);

    const script = useWrk ? await writeWrkScript(tmp) : "";
    const load = (spec: LoadSpec) => (useWrk ? runWrk(tools.wrk!, script, spec) : runNodeLoad(spec));
    const total = opts.rounds * opts.cases.length * targets.length * (opts.durationS + opts.warmupS);
    log(
      `measuring ${opts.cases.length} case(s) x ${targets.length} target(s) x ${opts.rounds} round(s), about ${Math.ceil(total)} s; ${cores} cores shared by the load generator and all servers`,
    );

    for (const c of opts.cases) {
      const allRuns: RunResult[] = [];
      for (let round = 1; round <= opts.rounds; round++) {
        for (const t of targets) {
          const run = await measure(c, t, round, { opts, load, upstream, proxy, nginx });
          allRuns.push(run);
          const r = run.load;
          const busy =
            run.otherLoadCores !== undefined && run.otherLoadCores > DISTURBED
              ? `  (other processes used ${run.otherLoadCores.toFixed(2)} cores)`
              : "";
          log(
            `${c.label.padEnd(10)} ${t.name.padEnd(6)} ${fmtInt(r.rps).padStart(8)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  errors ${run.errors}${busy}`,
          );
        }
      }
      const runs = targets.map((t) => median(allRuns.filter((r) => r.target === t.name)));
      results.push({
        id: c.id,
        label: c.label,
        method: c.method,
        path: c.path,
        bodyBytes: c.bodyBytes,
        runs,
        allRuns,
        ratios: ratiosOf(runs),
      });
    }
  } finally {
    const stopping = [nginx?.child.stop(), proxy?.child.stop(opts.profile ? 15_000 : 5_000), upstream?.child.stop()];
    await Promise.all(stopping);
    await stopAll();
    if (opts.profile) {
      const file = (await readdir(profDir).catch(() => [] as string[])).find((f) => f.endsWith(".cpuprofile"));
      if (file) {
        const kept = join(ROOT, ".bench/proxy.cpuprofile");
        await mkdir(join(ROOT, ".bench"), { recursive: true });
        await rename(join(profDir, file), kept).catch(() => undefined);
        profile = await summarizeProfile(kept);
        notes.push(`CPU profile of the proxy kept in ${kept} (open it in Chrome DevTools > Performance)`);
      } else {
        notes.push("--profile: the proxy wrote no .cpuprofile (did it exit cleanly?)");
      }
    }
    await rm(tmp, { recursive: true, force: true });
    if (nginx) await rm(nginx.dir, { recursive: true, force: true });
  }

  const report = {
    startedAt: new Date().toISOString(),
    machine: {
      cores,
      cpu: cpus()[0]?.model,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      busyBeforeRun: busyBefore,
    },
    settings: {
      durationS: opts.durationS,
      warmupS: opts.warmupS,
      rounds: opts.rounds,
      connections: opts.connections,
      threads: useWrk ? opts.threads : undefined,
      loadGenerator: useWrk ? "wrk" : "node",
      proxyEntry: entry.how,
      nginx: nginx ? "worker_processes 1, keepalive 64, proxy_http_version 1.1, static Cookie header" : "unavailable",
    },
    notes,
    proxyIdleRssBytes: proxyIdleRss,
    proxyPeakRssBytes:
      Math.max(
        0,
        ...results.flatMap((c) => c.runs.filter((r) => r.target === "proxy").map((r) => r.peakRssBytes ?? 0)),
      ) || undefined,
    cases: results,
    profile,
  };
  await mkdir(join(opts.out, ".."), { recursive: true });
  await writeFile(opts.out, JSON.stringify(report, null, 2) + "\n");

  process.stdout.write(formatReport(report, cores, useWrk, opts));
  if (profile) process.stdout.write("\n" + formatProfile(profile) + "\n");
  process.stdout.write(`\nResults written to ${opts.out}\n`);
  const bad = results.flatMap((c) => c.runs).filter((r) => r.errors > 0);
  if (bad.length > 0) process.exitCode = 1;
}

/** A run counts as disturbed when other processes used more than this many cores meanwhile. */
const DISTURBED = 0.1;

interface Rig {
  opts: ReturnType<typeof options>;
  load(spec: LoadSpec): Promise<LoadResult>;
  upstream: UpstreamProcess;
  proxy: ProxyProcess;
  nginx: NginxProcess | undefined;
}

/** One warm-up and one measured load run of case `c` against target `t`. */
async function measure(c: CaseDef, t: Target, round: number, rig: Rig): Promise<RunResult> {
  const { opts, load, upstream, proxy, nginx } = rig;
  const spec: LoadSpec = {
    origin: t.origin,
    path: c.path,
    method: c.method,
    bodyBytes: c.bodyBytes,
    connections: opts.connections,
    threads: opts.threads,
    durationS: opts.warmupS,
    timeoutS: 5,
    cookie: t.cookie,
  };
  if (opts.warmupS > 0) await load(spec);
  await upstream.reset();
  const usage = usageOf(t.name, proxy, nginx);
  const ours = async () => {
    const parts = [
      await selfAndReapedSeconds(),
      await cpuSeconds(upstream.child.pid),
      t.name === "direct" ? 0 : await usage(),
    ];
    return parts.every((x) => x !== undefined) ? parts.reduce((a, b) => a! + b!, 0) : undefined;
  };
  const before = {
    target: await usage(),
    ours: await ours(),
    machine: await machineBusySeconds(),
    at: performance.now(),
  };
  const sampler = sampleRss(t.name, proxy, nginx);
  const r = await load({ ...spec, durationS: opts.durationS }).finally(() => sampler.stop());
  const after = {
    target: await usage(),
    ours: await ours(),
    machine: await machineBusySeconds(),
    at: performance.now(),
  };
  const up = await upstream.stats();
  const payload = c.method === "POST" ? r.requests * c.bodyBytes : r.bytesRead;
  const delta = (k: "target" | "ours" | "machine") =>
    before[k] !== undefined && after[k] !== undefined ? after[k]! - before[k]! : undefined;
  const target = delta("target");
  const oursUsed = delta("ours");
  const machine = delta("machine");
  return {
    target: t.name,
    round,
    load: r,
    upstream: up,
    errors: totalErrors(r.errors) + up.missingCookie + up.badCookie + up.badBody,
    mibPerS: c.id === "small" ? undefined : payload / r.durationS / 1024 / 1024,
    cpuUsPerRequest: target !== undefined && r.requests > 0 ? (target * 1e6) / r.requests : undefined,
    peakRssBytes: await sampler.peak(),
    otherLoadCores:
      oursUsed !== undefined && machine !== undefined
        ? Math.max(0, (machine - oursUsed) / ((after.at - before.at) / 1000))
        : undefined,
  };
}

/** The run with the median req/s (the lower middle one for an even count). */
function median(runs: RunResult[]): RunResult {
  const sorted = [...runs].sort((a, b) => a.load.rps - b.load.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Share of all cores busy over one second (Linux), before anything starts. */
async function machineBusy(cores: number): Promise<number | undefined> {
  const a = await machineBusySeconds();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const b = await machineBusySeconds();
  return a !== undefined && b !== undefined ? (b - a) / ((performance.now() - t0) / 1000) / cores : undefined;
}

/** One request through every target before loading: right status, body and cookie upstream. */
async function sanityCheck(targets: Target[], upstream: UpstreamProcess): Promise<void> {
  for (const t of targets) {
    await upstream.reset();
    const headers: Record<string, string> = t.cookie ? { cookie: t.cookie } : {};
    const r = await fetch(t.origin + PATHS.small, {
      headers: { ...headers, accept: "application/oracle-compute-v3+json" },
    });
    const body = await r.text();
    const big = await fetch(t.origin + PATHS.big, { headers });
    const bigLen = (await big.arrayBuffer()).byteLength;
    const up = await fetch(t.origin + PATHS.upload, { method: "POST", headers, body: Buffer.alloc(100_000, "u") });
    const upBody = await up.text();
    const s = await upstream.stats();
    const problems = [
      r.status !== 200 && `GET ${PATHS.small} gave ${r.status}`,
      !body.includes("vm-1") && `unexpected body ${body.slice(0, 80)}`,
      bigLen !== BIG_BYTES && `GET ${PATHS.big} gave ${bigLen} bytes`,
      !upBody.includes('"bytes":100000') && `upload gave ${up.status} ${upBody.slice(0, 80)}`,
      s.missingCookie + s.badCookie > 0 && `upstream saw ${s.missingCookie} missing and ${s.badCookie} unknown cookies`,
    ].filter(Boolean);
    if (problems.length > 0) throw new Error(`sanity check through ${t.name} failed: ${problems.join("; ")}`);
  }
}

/** CPU seconds of the process doing the proxying (undefined for direct, or off Linux). */
function usageOf(target: TargetName, proxy: ProxyProcess, nginx: NginxProcess | undefined) {
  return async (): Promise<number | undefined> => {
    if (target === "proxy") return (await cpuSeconds(proxy.pid)) ?? (await proxy.metrics()).cpuSeconds;
    if (target === "nginx" && nginx) return (await nginx.usage()).cpuSeconds;
    return undefined;
  };
}

/** Samples the proxying process's RSS every 500 ms during a run (proxy: its own /-/metrics). */
function sampleRss(target: TargetName, proxy: ProxyProcess, nginx: NginxProcess | undefined) {
  let peak: number | undefined;
  let pending: Promise<void> = Promise.resolve();
  const sample = async () => {
    let rss: number | undefined;
    if (target === "proxy") rss = (await proxy.metrics().catch(() => ({ rssBytes: undefined }))).rssBytes;
    else if (target === "nginx" && nginx) rss = (await nginx.usage()).rssBytes;
    if (rss !== undefined) peak = Math.max(peak ?? 0, rss);
  };
  const timer = target === "direct" ? undefined : setInterval(() => void (pending = pending.then(sample)), 500);
  return {
    stop: () => clearInterval(timer),
    peak: async () => {
      await pending;
      if (target !== "direct") await sample();
      return peak;
    },
  };
}

function ratiosOf(runs: RunResult[]): CaseResult["ratios"] {
  const by = (t: TargetName) => runs.find((r) => r.target === t)?.load;
  const ratio = (a?: LoadResult, b?: LoadResult) =>
    a && b && b.rps > 0 ? { rps: a.rps / b.rps, p50: a.p50Ms / b.p50Ms, p99: a.p99Ms / b.p99Ms } : undefined;
  return {
    proxyVsDirect: ratio(by("proxy"), by("direct")),
    proxyVsNginx: ratio(by("proxy"), by("nginx")),
    nginxVsDirect: ratio(by("nginx"), by("direct")),
  };
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
function fmtMiB(b?: number): string {
  return b === undefined ? "-" : `${(b / 1024 / 1024).toFixed(0)} MiB`;
}

function formatReport(
  report: { notes: string[]; proxyIdleRssBytes?: number; proxyPeakRssBytes?: number; cases: CaseResult[] },
  cores: number,
  useWrk: boolean,
  opts: ReturnType<typeof options>,
): string {
  const head = ["case", "target", "req/s", "p50 ms", "p99 ms", "errors", "MiB/s", "CPU µs/req", "peak RSS"];
  const rows: string[][] = [];
  for (const c of report.cases) {
    c.runs.forEach((r, i) =>
      rows.push([
        i === 0 ? c.label : "",
        r.target,
        (r.otherLoadCores !== undefined && r.otherLoadCores > DISTURBED ? "*" : "") + fmtInt(r.load.rps),
        r.load.p50Ms.toFixed(2),
        r.load.p99Ms.toFixed(2),
        String(r.errors),
        r.mibPerS === undefined ? "-" : r.mibPerS.toFixed(0),
        r.cpuUsPerRequest === undefined ? "-" : r.cpuUsPerRequest.toFixed(0),
        fmtMiB(r.peakRssBytes),
      ]),
    );
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((s, i) => (i < 2 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join("  ");
  const out = [
    "",
    `opc-auth-proxy benchmark: loopback, ${useWrk ? `wrk -t${opts.threads} -c${opts.connections} -d${opts.durationS}s` : `Node keep-alive loop, ${opts.connections} connections, ${opts.durationS}s`} per run after ${opts.warmupS}s warm-up${opts.rounds > 1 ? `, median of ${opts.rounds} interleaved rounds` : ""}`,
    `NOTE: this machine has ${cores} cores, shared by the load generator, the upstream and the proxy under test; absolute numbers are low, compare the ratios.`,
    "",
    line(head),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    "Ratios (req/s, and latency: above 1 means slower):",
  ];
  const x = (n: number) => `${n.toFixed(2)}x`;
  for (const c of report.cases) {
    const parts: string[] = [];
    const r = c.ratios;
    if (r.proxyVsDirect)
      parts.push(
        `proxy/direct ${x(r.proxyVsDirect.rps)} req/s (p50 ${x(r.proxyVsDirect.p50)}, p99 ${x(r.proxyVsDirect.p99)})`,
      );
    if (r.proxyVsNginx)
      parts.push(
        `proxy/nginx ${x(r.proxyVsNginx.rps)} req/s (p50 ${x(r.proxyVsNginx.p50)}, p99 ${x(r.proxyVsNginx.p99)})`,
      );
    if (r.nginxVsDirect) parts.push(`nginx/direct ${x(r.nginxVsDirect.rps)} req/s`);
    out.push(`  ${c.label.padEnd(10)}  ${parts.join("; ")}`);
  }
  out.push(
    "",
    `Proxy RSS (its /-/metrics): ${fmtMiB(report.proxyIdleRssBytes)} idle after login, ${fmtMiB(report.proxyPeakRssBytes)} peak under load.`,
  );
  const disturbed = report.cases
    .flatMap((c) => c.runs)
    .filter((r) => r.otherLoadCores !== undefined && r.otherLoadCores > DISTURBED);
  if (disturbed.length > 0) {
    const worst = Math.max(...disturbed.map((r) => r.otherLoadCores!));
    out.push(
      `* other processes on this machine used up to ${worst.toFixed(2)} cores during these runs: they are disturbed; run again on a quiet machine (or use --rounds 3).`,
    );
  }
  out.push("CPU µs/req: CPU time of the proxying process (opc-auth-proxy, or nginx master+worker) per request.");
  out.push(
    "errors: socket errors and timeouts + responses >= 400 + requests that reached the upstream without its cookie.",
  );
  for (const n of report.notes) out.push(`NOTE: ${n}`);
  return out.join("\n") + "\n";
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench: failed: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
