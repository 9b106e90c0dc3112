// Runs the soak (scripts/soak.ts) for one minute of real time and checks that its accounting
// balances: correctness under faults, not speed. The soak is bounded by --minutes and stops itself.

import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import type { Accounting } from "../../scripts/soak/accounting.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function soak(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", join(ROOT, "scripts/soak.ts"), ...args],
      { cwd: ROOT, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("soak", () => {
  it(
    "balances its accounting after one minute of mixed traffic and injected faults",
    { timeout: 300_000 },
    async () => {
      const r = await soak(["--minutes", "1", "--json"]);
      const line = r.stdout.trim().split("\n").pop() ?? "";
      assert.ok(line.startsWith("{"), `no JSON accounting; exit ${r.code}\n${r.stderr.slice(-2000)}`);
      const a = JSON.parse(line) as Accounting & { seed: number };
      // What each unanswered or unexplained request saw (its error code, a reused connection): the
      // rerun with the seed replays the traffic, not the timing.
      const seen = a.unexplained.length > 0 ? `; they saw: ${a.unexplained.join(", ")}` : "";
      const why = `seed ${a.seed} (rerun: npm run soak -- --minutes 1 --seed ${a.seed}): ${a.problems.join("; ")}${seen}`;
      assert.ok(a.sent > 100, `only ${a.sent} requests were sent`);
      const i = a.injected;
      assert.ok(i.revocations + i.resets + i.status500 + i.delays > 0, "no fault was injected");
      assert.equal(i.passwordRotations, 1);
      assert.equal(i.bursts, 1);
      assert.deepEqual(a.problems, [], why);
      assert.equal(a.answered, a.sent, why);
      assert.equal(r.code, 0, why);
    },
  );
});
