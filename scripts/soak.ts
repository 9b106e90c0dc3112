// Owns `npm run soak -- --minutes N`: runs the soak (scripts/soak/run.ts), prints its accounting,
// optionally writes it into BENCHMARKS.md, and exits 1 when the accounting does not balance.

import { parseArgs } from "node:util";
import { killChildrenOnExit } from "../bench/children.js";
import { runSoak } from "./soak/run.js";
import { formatAccounting, writeSoakSection } from "./soak/report.js";

const HELP = `Usage: npm run soak -- [options]

Mixed GET/POST/PUT/DELETE with bodies of several sizes through opc-auth-proxy (its CLI, its own
process) to the simulator with short token and session lifetimes, while faults happen at random:
server-side revocations, connection resets, 500s, slow answers, one password rotation and one burst
of concurrent requests. Ends with an accounting that must balance; exits 1 when it does not.

  --minutes N        how long to run (default 5; real time)
  --workers N        concurrent client loops (default 8)
  --token-ttl S      the simulator's token lifetime (default 20)
  --session-ttl S    the simulator's session lifetime (default 60)
  --max-replay-bytes N  the proxy's --max-replay-bytes (default 65536: bodies above it are not replayed)
  --burst N          concurrent requests in the burst (default 500)
  --seed N           random seed of the schedule (default: time-based; printed)
  --report PATH      also write the figures into the soak section of this file (e.g. BENCHMARKS.md)
  --proxy-log PATH   copy the proxy's log (info level) into PATH
  --json             print the accounting as one JSON line (for tests)
`;

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "5" },
    workers: { type: "string", default: "8" },
    "token-ttl": { type: "string", default: "20" },
    "session-ttl": { type: "string", default: "60" },
    "max-replay-bytes": { type: "string", default: "65536" },
    burst: { type: "string", default: "500" },
    seed: { type: "string" },
    report: { type: "string" },
    "proxy-log": { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

function num(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) {
    process.stderr.write(`soak: --${name} must be a number from ${min} to ${max}, got ${v}\n`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<number> {
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  killChildrenOnExit();
  const opts = {
    minutes: num("minutes", values.minutes, 0.25, 600),
    workers: Math.round(num("workers", values.workers, 1, 256)),
    tokenTtlSeconds: num("token-ttl", values["token-ttl"], 2, 86_400),
    sessionTtlSeconds: num("session-ttl", values["session-ttl"], 4, 86_400),
    maxReplayBytes: Math.round(num("max-replay-bytes", values["max-replay-bytes"], 0, 1 << 30)),
    burst: Math.round(num("burst", values.burst, 1, 5_000)),
    seed: Math.round(num("seed", values.seed ?? String(Date.now() % 1e9), 0, 2 ** 32)),
    proxyLog: values["proxy-log"],
    log: (line: string) => process.stderr.write(`soak: ${line}\n`),
  };
  opts.log(`${opts.minutes} min, ${opts.workers} workers, seed ${opts.seed}`);
  const result = await runSoak(opts);
  process.stdout.write(values.json ? JSON.stringify(result) + "\n" : formatAccounting(result, opts));
  if (values.report) await writeSoakSection(values.report, result, opts);
  return result.problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
