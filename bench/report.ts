// Owns what a benchmark run tells people: the console table with ratios, the issue's targets with
// pass/fail, and BENCHMARKS.md (keeping its soak section, which `npm run soak -- --report` writes).

import { readFile, writeFile } from "node:fs/promises";
import type { RatioPoint } from "./chart.js";
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

const PROXIES: TargetName[] = ["nginx", "go", "proxy"];
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

export interface TargetCheck {
  name: string;
  want: string;
  got: string;
  pass?: boolean;
}

/** The targets of issue 12, each with the figure from this run (pass undefined: not measured). */
export function targetChecks(r: Report): TargetCheck[] {
  const cpu = runOf(r, "small", "proxy")?.cpuUsPerRequest;
  const vsNginx = rpsRatio(r, "small", "proxy", "nginx");
  const added1 = addedP50Ms(r, "small1", "proxy");
  const e = r.extras.proxy ?? {};
  const peak32 = Math.max(
    0,
    ...r.cases
      .filter((c) => c.connections === 32)
      .flatMap((c) => c.runs.filter((x) => x.target === "proxy").map((x) => x.peakRssBytes ?? 0)),
  );
  const check = (
    name: string,
    want: string,
    v: number | undefined,
    ok: (v: number) => boolean,
    fmt: (v: number) => string,
  ) => ({
    name,
    want,
    got: v === undefined ? "not measured" : fmt(v),
    pass: v === undefined ? undefined : ok(v),
  });
  const mib = (v: number) => `${(v / MiB).toFixed(0)} MiB`;
  return [
    check(
      "CPU per forwarded small GET",
      "≤ 100 µs",
      cpu,
      (v) => v <= 100,
      (v) => `${v.toFixed(0)} µs`,
    ),
    check(
      "small GET req/s at 32 connections vs nginx",
      "≥ 0.35",
      vsNginx,
      (v) => v >= 0.35,
      (v) => v.toFixed(2),
    ),
    check(
      "median latency added at 1 connection",
      "≤ 0.15 ms",
      added1,
      (v) => v <= 0.15,
      (v) => `${v.toFixed(3)} ms`,
    ),
    check("idle RSS", "≤ 50 MiB", e.idleRssBytes, (v) => v <= 50 * MiB, mib),
    check("peak RSS under the 32-connection load", "≤ 100 MiB", peak32 || undefined, (v) => v <= 100 * MiB, mib),
    check(
      `RSS with ${r.idleClients} idle keep-alive clients`,
      "≤ 70 MiB",
      e.idleClientsRssBytes,
      (v) => v <= 70 * MiB,
      mib,
    ),
  ];
}

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
    const vsNginx = rpsRatio(r, c.id, "proxy", "nginx");
    const vsGo = rpsRatio(r, c.id, "proxy", "go");
    return `${c.label} (${c.connections} conn): ${parts.join(", ")}; opc-auth-proxy/nginx ${x(vsNginx)}, opc-auth-proxy/go ${x(vsGo)}`;
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
    "Targets (issue 12):",
    ...targetChecks(r).map(
      (c) => `  ${c.pass === undefined ? "n/a " : c.pass ? "PASS" : "FAIL"}  ${c.name}: ${c.got} (want ${c.want})`,
    ),
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
building block of kubectl proxy, Vault Proxy and Cloud SQL Proxy), and **opc-auth-proxy** (the real CLI,
built \`dist/\`, holding a session). The load generator and every server share the same ${m.cores} cores,
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

${table(
  ["target", "wanted", "this run", ""],
  targetChecks(r).map((c) => [c.name, c.want, c.got, c.pass === undefined ? "n/a" : c.pass ? "pass" : "**fail**"]),
)}

## Load

${table(LOAD_HEAD, loadRows(r))}

p50 added: the target's median latency minus direct's in the same case. CPU µs/req: CPU time (from
/proc/<pid>/stat) of the proxying process (opc-auth-proxy, the Go proxy, nginx master + worker) per request.
A \`*\` marks a run during which other processes used more than ${DISTURBED} of a core.

${ratioLines(r)
  .map((l) => `- ${l}`)
  .join("\n")}

![ratios](${chartPath})

## Memory, streams and start-up

${table(MEMORY_HEAD, memoryRows(r))}

RSS from /proc/<pid>/status (nginx: master + worker). Idle clients: ${r.idleClients} keep-alive connections
that each made one small GET and stay open. Streams: ${r.extras.proxy?.stream ? `${(r.extras.proxy.stream.bytes / MiB).toFixed(0)} MiB` : "the configured size"}
down and the same up at the same time. Start-up: from spawn to accepting connections, and to \`/-/readyz\` 200 (logged in).

${extraLines(r)
  .map((l) => `- ${l}`)
  .join("\n")}
${r.notes.length ? `\nNotes:\n\n${r.notes.map((n) => `- ${n}`).join("\n")}\n` : ""}
## Soak

${soak}
`;
  await writeFile(path, md);
}
