// Owns reading a V8 .cpuprofile (from `node --cpu-prof`) into the top functions by self time and
// the share of time per area (opc-auth-proxy, each npm package, Node internals, GC/native).

import { readFile } from "node:fs/promises";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  where: string;
  area: string;
  selfMs: number;
  /** Share of the busy (non-idle) time. */
  percent: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  top: HotSpot[];
  areas: { area: string; selfMs: number; percent: number }[];
}

function areaOf(url: string, name: string): string {
  if (url === "") return name.startsWith("(") ? name : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith("node:")) return "node internals";
  if (/\/(dist|src)\//.test(url)) return "opc-auth-proxy";
  return "other";
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf("node_modules/");
  if (nm !== -1) return url.slice(nm + "node_modules/".length);
  const m = /\/((?:dist|src)\/.*)$/.exec(url);
  return m ? m[1]! : url;
}

export async function summarizeProfile(path: string, topN = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(path, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const fns = new Map<string, HotSpot>();
  const areas = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const name = functionName || "(anonymous)";
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : "";
    const area = areaOf(url, name);
    const key = `${name}@${where}`;
    const f = fns.get(key) ?? { name, where, area, selfMs: 0, percent: 0 };
    f.selfMs += us / 1000;
    fns.set(key, f);
    areas.set(area, (areas.get(area) ?? 0) + us / 1000);
  }
  const busyMs = busyUs / 1000;
  const pct = (ms: number) => (busyMs > 0 ? (100 * ms) / busyMs : 0);
  const top = [...fns.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, topN);
  for (const f of top) f.percent = pct(f.selfMs);
  return {
    busyMs,
    idleMs: idleUs / 1000,
    top,
    areas: [...areas.entries()]
      .map(([area, selfMs]) => ({ area, selfMs, percent: pct(selfMs) }))
      .sort((a, b) => b.selfMs - a.selfMs),
  };
}

export function formatProfile(s: ProfileSummary): string {
  const lines = [
    `CPU profile of the proxy: ${(s.busyMs / 1000).toFixed(1)} s busy, ${(s.idleMs / 1000).toFixed(1)} s idle`,
    "",
    "Self time by area:",
  ];
  for (const a of s.areas.slice(0, 10)) lines.push(`  ${a.percent.toFixed(1).padStart(5)}%  ${a.area}`);
  lines.push("", "Top functions by self time:");
  for (const f of s.top) lines.push(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  return lines.join("\n");
}
