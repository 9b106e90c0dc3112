// Runs every test: finds test/**/*.test.ts (Node 20's --test does not expand globs) and hands
// them to node's test runner through tsx. Extra arguments narrow the run: `npm test -- cookie`.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return find(p);
    return name.endsWith(".test.ts") ? [p] : [];
  });
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const flags = process.argv.slice(2).filter((a) => a.startsWith("-"));
// OPC_TEST_SKIP: comma-separated path parts to leave out (CI's extra Node lines skip the soak).
const skip = (process.env.OPC_TEST_SKIP ?? "").split(",").filter(Boolean);
const files = find("test")
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .filter((f) => !skip.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(" ")}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-timeout=300000", ...flags, ...files], {
  stdio: "inherit",
});
process.exit(r.status ?? 1);
