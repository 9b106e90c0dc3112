// Owns `npm run bench`: starts the benchmark upstream, opc-auth-proxy (the real CLI), nginx, a Go
// httputil.ReverseProxy and a bare node:http proxy on loopback, loads each side by side in one run (wrk, or a Node fallback),
// measures memory, streams, start-up, a login storm and the pool effect, prints the table and ratios,
// and writes .bench/results.json and BENCHMARKS.md. Exits 0 whatever the figures. Options: --help.

import { cpus, totalmem } from "node:os";
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ratioChartSvg } from "./chart.js";
import {
  cpuSeconds,
  killChildrenOnExit,
  machineBusySeconds,
  removeOnExit,
  rssBytes,
  selfAndReapedSeconds,
  stopAll,
} from "./children.js";
import { idleClientsRss, loginStorm, proxyStartup, streamBothWays, type RssProbe } from "./extras.js";
import { buildGoProxy, startGoProxy } from "./go.js";
import { runNodeLoad, totalErrors, type LoadSpec } from "./load.js";
import { startNginx } from "./nginx.js";
import { startNodeProxy } from "./node.js";
import { poolEffect } from "./pool.js";
import { formatProfile, summarizeProfile } from "./profile.js";
import { ROOT, buildEntry, startProxy } from "./proxy.js";
import { consoleReport, ratioPoints, writeBenchmarksMd } from "./report.js";
import { LABEL, MiB, type CaseResult, type Report, type RunResult, type TargetName } from "./results.js";
import { ensureTools } from "./tools.js";
import { versionsOf } from "./versions.js";
import { BIG_BYTES, PATHS, startUpstreamProcess, type UpstreamProcess } from "./upstream.js";
import { runWrk, writeWrkScript } from "./wrk.js";

const HELP = `Usage: npm run bench -- [options]

Compares, on loopback and in one run: direct to a stand-in API, nginx adding a static cookie, a Go
httputil.ReverseProxy adding a static cookie, node:http (the smallest Node.js proxy, no libraries, adding
a static cookie: the floor of the runtime), and opc-auth-proxy (its own process, built dist/). The
issue's targets are printed as written, read against Go and nginx of the same run, and beside node:http's.
A full run takes about four minutes; --quick about one.

  --quick            short runs, fewer cases, smaller streams (a smoke test of the bench itself)
  --duration S       measured seconds per run (default 6; --quick 2)
  --warmup S         warm-up seconds before each run, not counted (default 2; --quick 1)
  --connections N    concurrent keep-alive connections of the load cases (default 32)
  --threads N        wrk threads (default 2)
  --cases LIST       comma-separated: small,small1,big,upload (default all; --quick small,small1)
  --rounds N         run every case N times, interleaved, and report each target's median (default 1)
  --stream-mib N     MiB streamed each way for the streaming memory figure (default 1024; --quick 128)
  --idle-clients N   idle keep-alive clients for the memory figure (default 1000)
  --storm N          concurrent requests in the login storm (default 200)
  --pool-calls N     sequential curl calls each way for the pool effect (default 100; --quick 20)
  --node-load        use the built-in Node load loop even when wrk is installed
  --no-nginx, --no-go, --no-node  leave out a reference proxy
  --no-install       never run apt-get for missing tools
  --no-build         do not run npm run build first (use dist/ as it is)
  --profile          run the proxy under --cpu-prof and print its hottest functions
  --out PATH         the JSON results (default .bench/results.json)
  --md PATH          the Markdown report (default BENCHMARKS.md; "" for none)
`;

interface Target {
  name: TargetName;
  origin: string;
  cookie?: string;
  /** CPU seconds and RSS of the proxying process(es); undefined for direct. */
  usage?(): Promise<{ rssBytes?: number; cpuSeconds?: number }>;
}

interface CaseDef {
  id: "small" | "small1" | "big" | "upload";
  label: string;
  path: string;
  method: "GET" | "POST";
  bodyBytes: number;
  /** Fixed connection count (the latency case); otherwise --connections. */
  connections?: number;
}

const CASES: CaseDef[] = [
  { id: "small", label: "small GET", path: PATHS.small, method: "GET", bodyBytes: 0 },
  { id: "small1", label: "small GET", path: PATHS.small, method: "GET", bodyBytes: 0, connections: 1 },
  { id: "big", label: "64 KiB GET", path: PATHS.big, method: "GET", bodyBytes: 0 },
  { id: "upload", label: "1 MiB POST", path: PATHS.upload, method: "POST", bodyBytes: 1024 * 1024 },
];

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      duration: { type: "string" },
      warmup: { type: "string" },
      connections: { type: "string", default: "32" },
      threads: { type: "string", default: "2" },
      cases: { type: "string" },
      rounds: { type: "string", default: "1" },
      "stream-mib": { type: "string" },
      "idle-clients": { type: "string", default: "1000" },
      storm: { type: "string", default: "200" },
      "pool-calls": { type: "string" },
      "node-load": { type: "boolean", default: false },
      "no-nginx": { type: "boolean", default: false },
      "no-go": { type: "boolean", default: false },
      "no-node": { type: "boolean", default: false },
      "no-install": { type: "boolean", default: false },
      "no-build": { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      out: { type: "string", default: join(ROOT, ".bench/results.json") },
      md: { type: "string", default: join(ROOT, "BENCHMARKS.md") },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const q = values.quick;
  const num = (name: string, v: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new Error(`--${name} must be a number from ${min} to ${max}, got ${v}`);
    return n;
  };
  const ids = (values.cases ?? (q ? "small,small1" : "small,small1,big,upload")).split(",").map((s) => s.trim());
  const cases = CASES.filter((c) => ids.includes(c.id));
  if (cases.length === 0) throw new Error(`--cases must name some of ${CASES.map((c) => c.id).join(",")}`);
  return {
    help: values.help,
    quick: q,
    durationS: num("duration", values.duration ?? (q ? "2" : "6"), 1, 600),
    warmupS: num("warmup", values.warmup ?? (q ? "1" : "2"), 0, 60),
    connections: Math.round(num("connections", values.connections, 1, 1000)),
    threads: Math.round(num("threads", values.threads, 1, 64)),
    cases,
    rounds: Math.round(num("rounds", values.rounds, 1, 20)),
    streamBytes: Math.round(num("stream-mib", values["stream-mib"] ?? (q ? "128" : "1024"), 1, 16384)) * MiB,
    idleClients: Math.round(num("idle-clients", values["idle-clients"], 1, 10_000)),
    storm: Math.round(num("storm", values.storm, 1, 5_000)),
    poolCalls: Math.round(num("pool-calls", values["pool-calls"] ?? (q ? "20" : "100"), 1, 10_000)),
    nodeLoad: values["node-load"],
    nginx: !values["no-nginx"],
    go: !values["no-go"],
    node: !values["no-node"],
    install: !values["no-install"],
    build: !values["no-build"],
    profile: values.profile,
    out: values.out,
    md: values.md,
  };
}
type Options = ReturnType<typeof options>;

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const firstLine = (err: unknown) => (err instanceof Error ? err.message.split("\n")[0] : String(err));

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
    notes.push("wrk unavailable: load came from the built-in Node keep-alive loop, slower than wrk (compare ratios)");
  else if (opts.nodeLoad) notes.push("--node-load: load came from the built-in Node keep-alive loop, not wrk");

  log(`building dist/ (npm run build) ...`);
  const entry = await buildEntry(!opts.build);
  if (entry.note) notes.push(entry.note);
  if (opts.profile) notes.push("--profile: the proxy ran under node --cpu-prof (slightly slower than without)");

  const scratch = join(ROOT, ".bench");
  await mkdir(scratch, { recursive: true });
  const tmp = await mkdtemp(join(scratch, "run-"));
  removeOnExit(tmp);
  const profDir = join(tmp, "prof");
  const report: Report = {
    startedAt: new Date().toISOString(),
    machine: {
      cores,
      cpu: cpus()[0]?.model,
      memoryBytes: totalmem(),
      platform: `${process.platform} ${process.arch}`,
      busyBeforeRun: busyBefore,
    },
    versions: await versionsOf(tools),
    settings: {
      loadGenerator: useWrk ? "wrk" : "node",
      durationS: opts.durationS,
      warmupS: opts.warmupS,
      rounds: opts.rounds,
      connections: opts.connections,
      threads: useWrk ? opts.threads : undefined,
      proxyEntry: entry.how,
      nginx: "worker_processes 1, keepalive 64, proxy_http_version 1.1, static Cookie header",
      go: "httputil.NewSingleHostReverseProxy, MaxIdleConnsPerHost 64, static Cookie header",
      node: "bench/node-proxy.mjs run by plain node: http.request, Agent keepAlive lifo maxFreeSockets 64, pipe, static Cookie header",
    },
    notes,
    cases: [],
    extras: {},
    idleClients: opts.idleClients,
  };
  let upstream: UpstreamProcess | undefined;
  const stops: Array<() => Promise<void>> = [];
  try {
    upstream = await startUpstreamProcess();
    stops.push(() => upstream!.child.stop());
    log(`upstream (stand-in API) on ${upstream.url}`);
    const proxy = await startProxy({
      entry,
      api: upstream.url,
      dir: tmp,
      cpuProfDir: opts.profile ? profDir : undefined,
    });
    stops.unshift(() => proxy.child.stop(opts.profile ? 15_000 : 5_000));
    log(`opc-auth-proxy (${entry.how}) on ${proxy.url}, logged in`);
    const targets: Target[] = [
      // Direct, the client holds the session itself, as it would without a proxy.
      { name: "direct", origin: upstream.url, cookie: `nimbula=${await upstream.login()}` },
    ];
    if (tools.nginx && opts.nginx) {
      try {
        const nginx = await startNginx(tools.nginx, upstream.port, await upstream.login());
        stops.unshift(async () => {
          await nginx.child.stop();
          await rm(nginx.dir, { recursive: true, force: true });
        });
        targets.push({ name: "nginx", origin: nginx.url, usage: () => nginx.usage() });
        log(`nginx on ${nginx.url}`);
      } catch (err) {
        notes.push(`nginx failed to start, so it is left out: ${firstLine(err)}`);
      }
    } else notes.push(opts.nginx ? "nginx unavailable: left out of this run" : "--no-nginx: nginx left out");
    if (tools.go && opts.go) {
      try {
        const bin = await buildGoProxy(tools.go, join(scratch, "go"));
        const go = await startGoProxy(bin, upstream.url, await upstream.login());
        stops.unshift(() => go.child.stop());
        targets.push({ name: "go", origin: go.url, usage: () => go.usage() });
        log(`Go proxy on ${go.url}`);
      } catch (err) {
        notes.push(`the Go proxy failed to build or start, so it is left out: ${firstLine(err)}`);
      }
    } else notes.push(opts.go ? "go unavailable: the Go proxy is left out of this run" : "--no-go: Go left out");
    if (opts.node) {
      try {
        const node = await startNodeProxy(upstream.url, await upstream.login());
        stops.unshift(() => node.child.stop());
        targets.push({ name: "node", origin: node.url, usage: () => node.usage() });
        report.extras.node = { listeningMs: node.listeningMs };
        log(`node:http proxy on ${node.url}`);
      } catch (err) {
        notes.push(`the node:http proxy failed to start, so it is left out: ${firstLine(err)}`);
      }
    } else notes.push("--no-node: node:http left out");
    const proxyUsage = async () => ({ rssBytes: await rssBytes(proxy.pid), cpuSeconds: await cpuSeconds(proxy.pid) });
    targets.push({ name: "proxy", origin: proxy.url, usage: proxyUsage });
    await sanityCheck(targets, upstream);

    for (const t of targets)
      if (t.usage) report.extras[t.name] = { ...report.extras[t.name], idleRssBytes: (await t.usage()).rssBytes };

    const script = useWrk ? await writeWrkScript(tmp) : "";
    const load = (spec: LoadSpec) => (useWrk ? runWrk(tools.wrk!, script, spec) : runNodeLoad(spec));
    const total = opts.rounds * opts.cases.length * targets.length * (opts.durationS + opts.warmupS);
    log(
      `measuring ${opts.cases.length} case(s) x ${targets.length} target(s) x ${opts.rounds} round(s), about ${Math.ceil(total)} s`,
    );
    for (const c of opts.cases) {
      const allRuns: RunResult[] = [];
      for (let round = 1; round <= opts.rounds; round++) {
        for (const t of targets) {
          const run = await measure(c, t, round, { opts, load, upstream });
          allRuns.push(run);
          const r = run.load;
          log(
            `${c.label.padEnd(10)} c${String(c.connections ?? opts.connections).padEnd(3)} ${LABEL[t.name].padEnd(14)} ${Math.round(r.rps).toString().padStart(7)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  errors ${run.errors}`,
          );
        }
      }
      report.cases.push({
        id: c.id,
        label: c.label,
        method: c.method,
        path: c.path,
        bodyBytes: c.bodyBytes,
        connections: c.connections ?? opts.connections,
        runs: targets.map((t) => median(allRuns.filter((r) => r.target === t.name))),
        allRuns,
      } satisfies CaseResult);
    }

    for (const t of targets.filter((x) => x.usage)) {
      const probe: RssProbe = async () => (await t.usage!()).rssBytes;
      const extras = report.extras[t.name]!;
      log(`${LABEL[t.name]}: ${opts.idleClients} idle keep-alive clients, then ${opts.streamBytes / MiB} MiB each way`);
      const idle = await idleClientsRss(t.origin, opts.idleClients, probe, t.cookie);
      extras.idleClientsRssBytes = idle.rssBytes;
      extras.idleClientsOk = idle.ok;
      extras.stream = await streamBothWays(t.origin, opts.streamBytes, probe, t.cookie);
    }

    log(`start-up, login storm of ${opts.storm}, pool effect over ${opts.poolCalls} curl calls`);
    Object.assign(report.extras.proxy!, await proxyStartup(entry, upstream.url, tmp));
    report.storm = await loginStorm(proxy.url, upstream, opts.storm);
    if (tools.curl && tools.openssl) {
      report.pool = await poolEffect(tools.curl, entry, tmp, opts.poolCalls).catch((err: unknown) => {
        notes.push(`pool effect not measured: ${firstLine(err)}`);
        return undefined;
      });
    } else notes.push("curl or openssl unavailable: pool effect not measured");
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
    await stopAll();
    if (opts.profile) await keepProfile(profDir, report);
    await rm(tmp, { recursive: true, force: true });
  }

  await mkdir(join(opts.out, ".."), { recursive: true });
  await writeFile(opts.out, JSON.stringify(report, null, 2) + "\n");
  process.stdout.write(consoleReport(report));
  if (report.profile) process.stdout.write("\n" + formatProfile(report.profile) + "\n");
  process.stdout.write(`\nResults written to ${opts.out}\n`);
  if (opts.md) {
    const svgRel = "docs/bench-ratios.svg";
    await mkdir(join(ROOT, "docs"), { recursive: true });
    await writeFile(
      join(ROOT, svgRel),
      await ratioChartSvg(ratioPoints(report), "Ratios from one run of npm run bench"),
    );
    await writeBenchmarksMd(opts.md, report, svgRel);
    process.stdout.write(`Report written to ${opts.md} and ${svgRel}\n`);
  }
}

async function keepProfile(profDir: string, report: Report): Promise<void> {
  const file = (await readdir(profDir).catch(() => [] as string[])).find((f) => f.endsWith(".cpuprofile"));
  if (!file) return void report.notes.push("--profile: the proxy wrote no .cpuprofile (did it exit cleanly?)");
  const kept = join(ROOT, ".bench/proxy.cpuprofile");
  await rename(join(profDir, file), kept).catch(() => undefined);
  report.profile = await summarizeProfile(kept);
  report.notes.push(`CPU profile of the proxy kept in ${kept} (open it in Chrome DevTools > Performance)`);
}

interface Rig {
  opts: Options;
  load(spec: LoadSpec): Promise<import("./load.js").LoadResult>;
  upstream: UpstreamProcess;
}

/** One warm-up and one measured load run of case `c` against target `t`. */
async function measure(c: CaseDef, t: Target, round: number, rig: Rig): Promise<RunResult> {
  const { opts, load, upstream } = rig;
  const connections = c.connections ?? opts.connections;
  const spec: LoadSpec = {
    origin: t.origin,
    path: c.path,
    method: c.method,
    bodyBytes: c.bodyBytes,
    connections,
    threads: Math.min(opts.threads, connections),
    durationS: opts.warmupS,
    timeoutS: 5,
    cookie: t.cookie,
  };
  if (opts.warmupS > 0) await load(spec);
  await upstream.reset();
  const usage = async () => (t.usage ? (await t.usage()).cpuSeconds : undefined);
  const ours = async () => {
    const parts = [await selfAndReapedSeconds(), await cpuSeconds(upstream.child.pid), t.usage ? await usage() : 0];
    return parts.every((v) => v !== undefined) ? parts.reduce((a, b) => a! + b!, 0) : undefined;
  };
  const snapshot = async () => ({
    target: await usage(),
    ours: await ours(),
    machine: await machineBusySeconds(),
    at: performance.now(),
  });
  const before = await snapshot();
  const sampler = sampleRss(t);
  const r = await load({ ...spec, durationS: opts.durationS }).finally(() => sampler.stop());
  const after = await snapshot();
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
    mibPerS: c.id.startsWith("small") ? undefined : payload / r.durationS / MiB,
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

/** Samples the proxying process's RSS every 500 ms during a run. */
function sampleRss(t: Target) {
  let peak: number | undefined;
  let pending: Promise<void> = Promise.resolve();
  const sample = async () => {
    const rss = t.usage ? (await t.usage()).rssBytes : undefined;
    if (rss !== undefined) peak = Math.max(peak ?? 0, rss);
  };
  const timer = t.usage ? setInterval(() => void (pending = pending.then(sample)), 500) : undefined;
  return {
    stop: () => clearInterval(timer),
    peak: async () => {
      await pending;
      if (t.usage) await sample();
      return peak;
    },
  };
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
