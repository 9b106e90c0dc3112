// Owns what a benchmark run tells people: the console table with ratios, the issue's targets (read in
// bench/targets.ts), and BENCHMARKS.md (keeping its soak section, which `npm run soak -- --report` writes).

import { readFile, writeFile } from "node:fs/promises";
import type { RatioPoint } from "./chart.js";
import { CPU_TARGET_US, ISSUE_GO_CPU_US, targetChecks, targetLines, targetRows } from "./targets.js";
import {
  DISTURBED,
  LABEL,
  MiB,
  addedP50Ms,
  peakLoadRss,
  rpsRatio,
  runOf,
  type Report,
  type TargetName,
} from "./results.js";

export const SOAK_START = "<!-- soak:start -->";
export const SOAK_END = "<!-- soak:end -->";

const PROXIES: TargetName[] = ["nginx", "go", "node", "proxy"];
const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
const fmtMiB = (b?: number) => (b === undefined ? "-" : `${(b / MiB).toFixed(0)} MiB`);
const fmtMs = (n?: number, digits = 2) => (n === undefined ? "-" : n.toFixed(digits));
const x = (n?: number) => (n === undefined ? "-" : `${n.toFixed(2)}x`);

/** The load table, one row per case and target, as rows of cells. */
function loadRows(r: Report): string[][] {
  const rows: string[][] = [];
  for (const c of r.cases) {
    c.runs.forEach((run, i) =>
      rows.push([
        i === 0 ? `${c.label} (${c.connections} conn)` : "",
        LABEL[run.target],
        (run.otherLoadCores !== undefined && run.otherLoadCores > DISTURBED ? "*" : "") + fmtInt(run.load.rps),
        fmtMs(run.load.p50Ms),
        fmtMs(run.load.p99Ms),
        run.target === "direct" ? "-" : fmtMs(addedP50Ms(r, c.id, run.target)),
        run.cpuUsPerRequest === undefined ? "-" : run.cpuUsPerRequest.toFixed(0),
        run.mibPerS === undefined ? "-" : run.mibPerS.toFixed(0),
        String(run.errors),
        fmtMiB(run.peakRssBytes),
      ]),
    );
  }
  return rows;
}
const LOAD_HEAD = [
  "case",
  "target",
  "req/s",
  "p50 ms",
  "p99 ms",
  "p50 added ms",
  "CPU µs/req",
  "MiB/s",
  "errors",
  "peak RSS",
];

function memoryRows(r: Report): string[][] {
  return PROXIES.filter((t) => r.extras[t]).map((t) => {
    const e = r.extras[t]!;
    const s = e.stream;
    return [
      LABEL[t],
      fmtMiB(e.idleRssBytes),
      e.idleClientsRssBytes === undefined
        ? "-"
        : `${fmtMiB(e.idleClientsRssBytes)} (${e.idleClientsOk}/${r.idleClients} ok)`,
      fmtMiB(peakLoadRss(r, t)),
      s ? `${fmtMiB(s.peakRssBytes)}${s.ok ? "" : " (FAILED)"}` : "-",
      s ? `${s.downloadMiBps.toFixed(0)} / ${s.uploadMiBps.toFixed(0)}` : "-",
      fmtMs(e.listeningMs, 0),
      fmtMs(e.readyMs, 0),
    ];
  });
}
const MEMORY_HEAD = [
  "target",
  "idle RSS",
  "RSS, idle clients",
  "peak RSS, load",
  "peak RSS, streams",
  "stream MiB/s down / up",
  "listening ms",
  "ready ms",
];

/** The ratios the chart shows, each target against a reference. */
export function ratioPoints(r: Report): RatioPoint[] {
  const points: RatioPoint[] = [];
  for (const c of r.cases) {
    for (const t of PROXIES) {
      const v = rpsRatio(r, c.id, t, "direct");
      if (v !== undefined)
        points.push({ measure: `${c.label}, ${c.connections} conn: req/s ÷ direct`, target: LABEL[t], ratio: v });
    }
  }
  const goCpu = runOf(r, "small", "go")?.cpuUsPerRequest;
  for (const t of PROXIES) {
    const cpu = runOf(r, "small", t)?.cpuUsPerRequest;
    if (cpu !== undefined && goCpu)
      points.push({ measure: "small GET: CPU µs/request ÷ Go's", target: LABEL[t], ratio: cpu / goCpu });
  }
  const goAdded = addedP50Ms(r, "small1", "go");
  for (const t of PROXIES) {
    const added = addedP50Ms(r, "small1", t);
    // A reference that adds (almost) nothing gives no meaningful ratio.
    if (added !== undefined && goAdded !== undefined && goAdded > 0.005)
      points.push({ measure: "small GET, 1 conn: p50 added ÷ Go's", target: LABEL[t], ratio: added / goAdded });
  }
  return points;
}

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

function textTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((s, i) => (i < 2 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function ratioLines(r: Report): string[] {
  return r.cases.map((c) => {
    const parts = PROXIES.filter((t) => runOf(r, c.id, t)).map(
      (t) => `${LABEL[t]}/direct ${x(rpsRatio(r, c.id, t, "direct"))}`,
    );
    const ours = (["nginx", "go", "node"] as const)
      .filter((t) => runOf(r, c.id, t))
      .map((t) => `opc-auth-proxy/${LABEL[t]} ${x(rpsRatio(r, c.id, "proxy", t))}`);
    return `${c.label} (${c.connections} conn): ${[parts.join(", "), ours.join(", ")].filter(Boolean).join("; ")}`;
  });
}

function extraLines(r: Report): string[] {
  const out: string[] = [];
  if (r.storm)
    out.push(
      `Login storm: ${r.storm.requests} concurrent GETs right after a server-side revocation: ${r.storm.logins} login(s), ${r.storm.ok}/${r.storm.requests} answered 200, slowest ${r.storm.slowestMs.toFixed(0)} ms.`,
    );
  if (r.pool)
    out.push(
      `Pool effect: ${r.pool.calls} sequential curl calls to a TLS upstream: ${r.pool.directMsPerCall.toFixed(1)} ms per call direct (TCP + TLS handshake each), ${r.pool.proxyMsPerCall.toFixed(1)} ms through opc-auth-proxy (warm pool); ratio ${(r.pool.proxyMsPerCall / r.pool.directMsPerCall).toFixed(2)}${r.pool.failures ? `; ${r.pool.failures} calls failed` : ""}.`,
    );
  return out;
}

/** What `npm run bench` prints. */
export function consoleReport(r: Report): string {
  const out = [
    "",
    `opc-auth-proxy benchmark (${r.settings.loadGenerator}, ${r.settings.durationS}s per run after ${r.settings.warmupS}s warm-up, ${r.machine.cores} cores shared by everything)`,
    "",
    textTable(LOAD_HEAD, loadRows(r)),
    "",
    "Ratios of req/s:",
    ...ratioLines(r).map((l) => `  ${l}`),
    "",
    textTable(MEMORY_HEAD, memoryRows(r)),
    "",
    ...extraLines(r),
    "",
    "Targets (issue 12), as the issue states them; below each, the same target read against Go in this run,",
    "opc-auth-proxy against node:http, and where node:http itself stands:",
    ...targetLines(targetChecks(r)),
    ...r.notes.map((n) => `NOTE: ${n}`),
  ];
  return out.join("\n") + "\n";
}

/** Writes BENCHMARKS.md from `r`, keeping the soak section already in the file. */
export async function writeBenchmarksMd(path: string, r: Report, chartPath: string): Promise<void> {
  const old = await readFile(path, "utf8").catch(() => "");
  const a = old.indexOf(SOAK_START);
  const b = old.indexOf(SOAK_END);
  const soak =
    a !== -1 && b > a
      ? old.slice(a, b + SOAK_END.length)
      : `${SOAK_START}\n_No soak figures yet: run \`npm run soak -- --minutes 5 --report BENCHMARKS.md\`._\n${SOAK_END}`;
  const m = r.machine;
  const md = `# Benchmarks

Written by \`npm run bench\` (bench/run.ts) on ${r.startedAt.slice(0, 10)}; the soak section by \`npm run soak -- --report BENCHMARKS.md\`.
Everything runs on one machine over loopback, side by side in one run: **direct** to a small stand-in API,
**nginx** adding a static cookie, **go** (a 20-line \`httputil.ReverseProxy\` adding a static cookie, the
building block of kubectl proxy, Vault Proxy and Cloud SQL Proxy), **node:http** (the smallest proxy a
user could write on the same Node.js with no libraries: \`http.createServer\`, \`http.request\` through a
keep-alive Agent and \`pipe\`, adding a static cookie; run by plain \`node\`), and **opc-auth-proxy** (the
real CLI, built \`dist/\`, started as \`npm start\`, the image and the systemd unit start it: \`node
--optimize-for-size\`, at \`--log-level warn\` as nginx runs without an access log; holding a session). The load generator and every server share the same ${m.cores} cores,
so absolute numbers are low: compare the ratios.

## Machine and versions

- ${m.cores} cores, ${m.cpu ?? "unknown CPU"}, ${(m.memoryBytes / 1024 ** 3).toFixed(0)} GiB memory, ${m.platform}${m.busyBeforeRun !== undefined ? `; other work used ${(m.busyBeforeRun * 100).toFixed(0)}% of the CPU just before the run` : ""}
- ${Object.entries(r.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}
- Settings: ${Object.entries(r.settings)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}

## Targets (issue 12)

${table(["target", "wanted", "this run", "", "same target against this run's references", "node:http itself"], targetRows(targetChecks(r)))}

The first columns are the issue's targets exactly as written, measured on its author's machine. This
machine's speed moves the absolute figures, so each is also read against the references of the same run:
CPU per request against Go's (the issue's ${CPU_TARGET_US} µs beside Go's ${ISSUE_GO_CPU_US} µs there is ${(CPU_TARGET_US / ISSUE_GO_CPU_US).toFixed(2)}x Go),
added latency against Go's (the issue's 0.15 ms is Go's own figure there), and req/s as a ratio to nginx
already. The last column is node:http, a ~20-line proxy on the same Node.js with no libraries
(bench/node-proxy.mjs): where it misses a target, the runtime itself cannot meet it on this machine,
whatever opc-auth-proxy does.

## Load

${table(LOAD_HEAD, loadRows(r))}

p50 added: the target's median latency minus direct's in the same case. CPU µs/req: CPU time (from
/proc/<pid>/stat) of the proxying process (opc-auth-proxy, the Go proxy, node:http, nginx master + worker) per request.
A \`*\` marks a run during which other processes used more than ${DISTURBED} of a core.

${ratioLines(r)
  .map((l) => `- ${l}`)
  .join("\n")}

![ratios](${chartPath})

## Memory, streams and start-up

${table(MEMORY_HEAD, memoryRows(r))}

RSS from /proc/<pid>/status (nginx: master + worker). Idle clients: ${r.idleClients} keep-alive connections
that each made one small GET and stay open. Streams: ${r.extras.proxy?.stream ? `${(r.extras.proxy.stream.bytes / MiB).toFixed(0)} MiB` : "the configured size"}
down and the same up at the same time. Start-up: from spawn to accepting connections, and to \`/-/readyz\` 200
(logged in); node:http's from spawn to accepting connections.

${extraLines(r)
  .map((l) => `- ${l}`)
  .join("\n")}
${r.notes.length ? `\nNotes:\n\n${r.notes.map((n) => `- ${n}`).join("\n")}\n` : ""}
## Soak

${soak}
`;
  await writeFile(path, md);
}
