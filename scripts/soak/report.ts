// Owns how a soak's accounting reads for people: the console summary, and the soak section of
// BENCHMARKS.md (between the markers bench/report.ts keeps when it rewrites the file).

import { readFile, writeFile } from "node:fs/promises";
import { SOAK_END, SOAK_START } from "../../bench/report.js";
import type { Accounting } from "./accounting.js";

type Result = Accounting & { durationS: number; seed: number };
interface Settings {
  workers: number;
  tokenTtlSeconds: number;
  sessionTtlSeconds: number;
  maxReplayBytes: number;
  burst: number;
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

function lines(r: Result, s: Settings): string[] {
  const failures = Object.entries(r.failures);
  const i = r.injected;
  return [
    `Ran ${(r.durationS / 60).toFixed(1)} min (seed ${r.seed}), ${s.workers} workers, token ${s.tokenTtlSeconds} s, session ${s.sessionTtlSeconds} s, --max-replay-bytes ${s.maxReplayBytes}.`,
    `Requests: ${r.sent} sent, ${r.answered} answered, ${r.succeeded} as expected (${((r.succeeded / Math.max(1, r.sent)) * 100).toFixed(2)} %).`,
    `Injected: ${i.revocations} revocations, ${i.resets} resets, ${i.status500} 500s, ${i.delays} slow answers, ${i.passwordRotations} password rotation, ${i.bursts} burst of ${s.burst}.`,
    `Failures clients saw: ${failures.length === 0 ? "none" : failures.map(([k, v]) => `${v} × ${k}`).join(", ")}.`,
    ...r.unexplained.map((u) => `  unexplained: ${u}`),
    `Logins: ${r.logins.made} made (at least ${r.logins.minimum} needed, at most ${r.logins.maximum} allowed); ${r.logins.failed} rejected by the API.`,
    `Proxy RSS: ${mib(r.rssBytes.start)} at start, ${mib(r.rssBytes.end)} at end (growth allowed: ${mib(r.rssBytes.allowedGrowth)}), ${mib(r.rssBytes.peak)} peak.`,
    r.problems.length === 0
      ? "The accounting balances."
      : `DOES NOT BALANCE:\n${r.problems.map((p) => `  - ${p}`).join("\n")}`,
  ];
}

export function formatAccounting(r: Result, s: Settings): string {
  return lines(r, s).join("\n") + "\n";
}

/** Replaces the soak section of `path` (creating the markers at the end when absent). */
export async function writeSoakSection(path: string, r: Result, s: Settings): Promise<void> {
  const old = await readFile(path, "utf8").catch(() => "");
  const section = `${SOAK_START}
Written by \`npm run soak -- --minutes ${(r.durationS / 60).toFixed(0)} --report ${path.split("/").pop()}\` on ${new Date().toISOString().slice(0, 10)}.

${lines(r, s)
  .map((l) => (l.startsWith("  ") ? `  ${l.trim()}` : `- ${l}`))
  .join("\n")}
${SOAK_END}`;
  const a = old.indexOf(SOAK_START);
  const b = old.indexOf(SOAK_END);
  const next =
    a !== -1 && b > a ? old.slice(0, a) + section + old.slice(b + SOAK_END.length) : `${old}\n## Soak\n\n${section}\n`;
  await writeFile(path, next);
}
