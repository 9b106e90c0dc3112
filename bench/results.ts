// Owns the shape of one benchmark run's results (what .bench/results.json holds and what the
// reports read), and the small pure helpers that derive ratios from it.

import type { LoadResult } from "./load.js";
import type { PoolResult } from "./pool.js";
import type { StormResult, StreamResult } from "./extras.js";
import type { ProfileSummary } from "./profile.js";
import type { UpstreamStats } from "./upstream.js";

export type TargetName = "direct" | "nginx" | "go" | "node" | "proxy";
/** How a target is named for people. */
export const LABEL: Record<TargetName, string> = {
  direct: "direct",
  nginx: "nginx",
  go: "go",
  node: "node:http",
  proxy: "opc-auth-proxy",
};

export interface RunResult {
  target: TargetName;
  load: LoadResult;
  /** What the upstream counted during the measured run. */
  upstream: UpstreamStats;
  /** Errors of every kind: load generator plus missing or wrong cookies and short bodies upstream. */
  errors: number;
  /** Payload MiB/s (response bytes for downloads, request bytes for uploads). */
  mibPerS?: number;
  /** CPU time the proxying process used per request (opc-auth-proxy, Go, node:http, or nginx master+workers). */
  cpuUsPerRequest?: number;
  peakRssBytes?: number;
  /** Cores' worth of CPU used by processes outside the benchmark during the run; above 0.1 it was disturbed. */
  otherLoadCores?: number;
  round: number;
}

export interface CaseResult {
  id: string;
  label: string;
  method: string;
  path: string;
  bodyBytes: number;
  connections: number;
  /** The median run (by req/s) of each target. */
  runs: RunResult[];
  /** Every run, all rounds. */
  allRuns: RunResult[];
}

/** Memory, start-up and streaming figures of one proxying target (undefined: not measured). */
export interface TargetExtras {
  idleRssBytes?: number;
  /** RSS with `idleClients` keep-alive connections open and idle. */
  idleClientsRssBytes?: number;
  idleClientsOk?: number;
  stream?: StreamResult;
  listeningMs?: number;
  readyMs?: number;
}

export interface Report {
  startedAt: string;
  machine: { cores: number; cpu?: string; memoryBytes: number; platform: string; busyBeforeRun?: number };
  versions: Record<string, string>;
  settings: Record<string, string | number | undefined>;
  notes: string[];
  cases: CaseResult[];
  extras: Partial<Record<TargetName, TargetExtras>>;
  idleClients: number;
  storm?: StormResult;
  pool?: PoolResult;
  profile?: ProfileSummary;
}

/** A run counts as disturbed when other processes used more than this many cores meanwhile. */
export const DISTURBED = 0.1;

export function runOf(report: Report, caseId: string, target: TargetName): RunResult | undefined {
  return report.cases.find((c) => c.id === caseId)?.runs.find((r) => r.target === target);
}

/** Median latency a target adds over direct in case `caseId`, in ms. */
export function addedP50Ms(report: Report, caseId: string, target: TargetName): number | undefined {
  const t = runOf(report, caseId, target);
  const d = runOf(report, caseId, "direct");
  return t && d ? t.load.p50Ms - d.load.p50Ms : undefined;
}

/** `a / b` of req/s in case `caseId`. */
export function rpsRatio(report: Report, caseId: string, a: TargetName, b: TargetName): number | undefined {
  const x = runOf(report, caseId, a);
  const y = runOf(report, caseId, b);
  return x && y && y.load.rps > 0 ? x.load.rps / y.load.rps : undefined;
}

/** Peak RSS of a target over every load run of this report. */
export function peakLoadRss(report: Report, target: TargetName): number | undefined {
  const peaks = report.cases.flatMap((c) => c.runs.filter((r) => r.target === target).map((r) => r.peakRssBytes ?? 0));
  return Math.max(0, ...peaks) || undefined;
}

export const MiB = 1024 * 1024;
