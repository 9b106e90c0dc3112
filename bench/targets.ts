// Owns the targets of issue 12 as a run reads them: each absolute target exactly as the issue states it
// (pass/fail), the same target read against references of the same run (so it means the same on any
// machine), and where the bare node:http proxy stands on it (the floor the runtime itself sets).

import { MiB, addedP50Ms, rpsRatio, runOf, type Report, type TargetName } from "./results.js";

/** Issue 12's figures, measured on its author's machine: Go's CPU per small GET, and the CPU target (µs). */
export const ISSUE_GO_CPU_US = 70;
export const CPU_TARGET_US = 100;
/** The added-latency target (ms) is Go's own figure on the issue's machine, so normalised it is 1× Go. */
export const ADDED_TARGET_MS = 0.15;
export const ISSUE_GO_ADDED_MS = 0.15;
/** Below this many ms of added latency a reference's figure is noise, and no ratio is taken against it. */
const MIN_REFERENCE_MS = 0.005;

export interface TargetCheck {
  name: string;
  /** The issue's absolute target, e.g. "≤ 100 µs". */
  want: string;
  got: string;
  /** undefined: not measured. */
  pass?: boolean;
  /** The target read against a reference measured in the same run (absent where none exists). */
  normalised?: { want: string; why: string; got: string; pass?: boolean };
  /** opc-auth-proxy's figure divided by node:http's, e.g. "1.10x node:http". */
  vsNode?: string;
  /** node:http's own reading of this target; absent when node:http was not run. */
  floor?: { got: string; pass?: boolean; normalisedPass?: boolean };
}

interface Figures {
  /** The figure of `t` for this target, in the unit `fmt` prints. */
  of(t: TargetName): number | undefined;
  fmt(v: number): string;
  ok(v: number): boolean;
  /** A reference of the same run and the ratio the issue's target is to it. */
  norm?: { ref: TargetName; refLabel: string; max: number; why: string; minRef?: number };
  /** For a figure that is already a ratio to a reference: how node:http's reading is said. */
  floorText?(v: number): string;
}

const ratio = (a?: number, b?: number, min = 0) => (a !== undefined && b !== undefined && b > min ? a / b : undefined);
const times = (v: number) => `${v.toFixed(2)}x`;

/** Peak RSS of `t` over the load runs at 32 connections (bytes); undefined when not sampled. */
function peak32(r: Report, t: TargetName): number | undefined {
  const peaks = r.cases
    .filter((c) => c.connections === 32)
    .flatMap((c) => c.runs.filter((x) => x.target === t).map((x) => x.peakRssBytes ?? 0));
  return Math.max(0, ...peaks) || undefined;
}

function check(r: Report, name: string, want: string, f: Figures): TargetCheck {
  const v = f.of("proxy");
  const out: TargetCheck = { name, want, got: v === undefined ? "not measured" : f.fmt(v) };
  if (v !== undefined) out.pass = f.ok(v);
  const min = f.norm?.minRef ?? 0;
  const normOf = (t: TargetName) => (f.norm ? ratio(f.of(t), f.of(f.norm.ref), min) : undefined);
  if (f.norm) {
    const n = normOf("proxy");
    out.normalised = {
      want: `≤ ${times(f.norm.max)} ${f.norm.refLabel}`,
      why: f.norm.why,
      got: n === undefined ? "not measured" : `${times(n)} ${f.norm.refLabel}`,
    };
    if (n !== undefined) out.normalised.pass = n <= f.norm.max;
  }
  const nodeV = f.of("node");
  const vsNode = ratio(v, nodeV, min);
  if (vsNode !== undefined) out.vsNode = `${times(vsNode)} node:http`;
  if (nodeV !== undefined) {
    const n = normOf("node");
    const got = f.floorText
      ? f.floorText(nodeV)
      : `${f.fmt(nodeV)}${n === undefined || !f.norm ? "" : `, ${times(n)} ${f.norm.refLabel}`}`;
    out.floor = { got, pass: f.ok(nodeV) };
    if (n !== undefined && f.norm) out.floor.normalisedPass = n <= f.norm.max;
  }
  return out;
}

/** The targets of issue 12 with this run's figures, normalised readings and node:http's floor. */
export function targetChecks(r: Report): TargetCheck[] {
  const mib = (v: number) => `${(v / MiB).toFixed(0)} MiB`;
  const extra = (k: "idleRssBytes" | "idleClientsRssBytes") => (t: TargetName) => r.extras[t]?.[k];
  const go = { ref: "go" as const, refLabel: "Go" };
  return [
    check(r, "CPU per forwarded small GET", `≤ ${CPU_TARGET_US} µs`, {
      of: (t) => runOf(r, "small", t)?.cpuUsPerRequest,
      fmt: (v) => `${v.toFixed(0)} µs`,
      ok: (v) => v <= CPU_TARGET_US,
      norm: {
        ...go,
        max: CPU_TARGET_US / ISSUE_GO_CPU_US,
        why: `the issue's ${CPU_TARGET_US} µs vs Go's ${ISSUE_GO_CPU_US} µs`,
      },
    }),
    check(r, "small GET req/s at 32 connections vs nginx", "≥ 0.35", {
      of: (t) => rpsRatio(r, "small", t, "nginx"),
      fmt: (v) => v.toFixed(2),
      ok: (v) => v >= 0.35,
      floorText: (v) => `reaches ${v.toFixed(2)} of nginx`,
    }),
    check(r, "median latency added at 1 connection", `≤ ${ADDED_TARGET_MS} ms`, {
      of: (t) => addedP50Ms(r, "small1", t),
      fmt: (v) => `${v.toFixed(3)} ms`,
      ok: (v) => v <= ADDED_TARGET_MS,
      norm: {
        ...go,
        max: ADDED_TARGET_MS / ISSUE_GO_ADDED_MS,
        why: `the issue's ${ADDED_TARGET_MS} ms is Go's figure`,
        minRef: MIN_REFERENCE_MS,
      },
    }),
    check(r, "idle RSS", "≤ 50 MiB", { of: extra("idleRssBytes"), fmt: mib, ok: (v) => v <= 50 * MiB }),
    check(r, "peak RSS under the 32-connection load", "≤ 100 MiB", {
      of: (t) => peak32(r, t),
      fmt: mib,
      ok: (v) => v <= 100 * MiB,
    }),
    check(r, `RSS with ${r.idleClients} idle keep-alive clients`, "≤ 70 MiB", {
      of: extra("idleClientsRssBytes"),
      fmt: mib,
      ok: (v) => v <= 70 * MiB,
    }),
  ];
}

/** What node:http's reading says about a target, in words: can the runtime itself meet it here? */
export function floorVerdict(c: TargetCheck): string | undefined {
  const f = c.floor;
  if (!f) return undefined;
  if (f.pass) return `node:http ${f.got}: meets it, so the runtime allows it here`;
  if (f.normalisedPass)
    return `node:http ${f.got}: misses the absolute figure but meets the normalised one (this machine is slower than the issue's)`;
  return `node:http ${f.got}: misses it too, the floor of the stack: the runtime itself cannot meet this target on this machine`;
}

/** One console line per target, then its normalised reading and node:http's floor, indented. */
export function targetLines(checks: TargetCheck[]): string[] {
  const verdict = (p?: boolean) => (p === undefined ? "n/a " : p ? "PASS" : "FAIL");
  return checks.flatMap((c) => {
    const lines = [`  ${verdict(c.pass)}  ${c.name}: ${c.got} (want ${c.want})`];
    const n = c.normalised;
    const rel = [n && `${n.got} (want ${n.want}: ${n.why}) ${verdict(n.pass).trim()}`, c.vsNode].filter(Boolean);
    if (rel.length) lines.push(`          read here: ${rel.join("; ")}`);
    const floor = floorVerdict(c);
    if (floor) lines.push(`          ${floor}`);
    return lines;
  });
}

/** The Markdown table rows: target, wanted, this run, verdict, normalised reading, node:http's floor. */
export function targetRows(checks: TargetCheck[]): string[][] {
  const mark = (p?: boolean) => (p === undefined ? "n/a" : p ? "pass" : "**fail**");
  return checks.map((c) => {
    const n = c.normalised;
    const rel = [n && `${n.got} (want ${n.want}: ${n.why}): ${mark(n.pass)}`, c.vsNode].filter(Boolean).join("; ");
    return [
      c.name,
      c.want,
      c.got,
      mark(c.pass),
      rel || "-",
      c.floor ? floorVerdict(c)!.replace(/^node:http /, "") : "-",
    ];
  });
}
