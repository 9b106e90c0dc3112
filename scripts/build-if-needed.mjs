// Builds dist/ with tsc when it is missing or older than any file under src/, so `npm start`
// works on a fresh clone and stays fast afterwards.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function newest(dir) {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

const stamp = "dist/cli.js";
if (!existsSync(stamp) || statSync(stamp).mtimeMs < Math.max(newest("src"), statSync("package.json").mtimeMs)) {
  console.error("opc-auth-proxy: building dist/ ...");
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], {
    stdio: "inherit",
  });
}
