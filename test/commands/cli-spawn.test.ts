// The real CLI process, once: `auth` prints exactly one `export OPC_COOKIE='…'` line that bash's
// `eval` turns back into the exact cookie, even a raw-JSON cookie holding a `'` (user o'brien).

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { decodeClaims } from "../../src/session/cookie.js";
import { startSimulator } from "../../src/simulator/index.js";
import { V3, send } from "../support/stack.js";
import { QUOTING_PASSWORD as PASSWORD, QUOTING_USER as USER } from "../support/identities.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("opc-auth-proxy auth in a real process", () => {
  it("prints one export line that eval in bash turns into the exact cookie", async () => {
    const sim = await startSimulator({ users: [{ user: USER, password: PASSWORD }], cookieFormat: "raw" });
    const dir = await mkdtemp(join(tmpdir(), "opc-cli-"));
    try {
      const pw = join(dir, "password");
      const out = join(dir, "stdout");
      await writeFile(pw, `${PASSWORD}\n`, { mode: 0o600 });
      const script = `node --import tsx src/cli.ts auth "$1" "$2" > "$3" && eval "$(cat "$3")" && printf %s "$OPC_COOKIE"`;
      const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(
          "bash",
          ["-c", script, "bash", USER, pw, out],
          {
            cwd: ROOT,
            env: { ...process.env, OPC_API: sim.url, OPC_COOKIE: "", OPC_COMPUTE_COOKIE: "" },
            timeout: 60_000,
          },
          (_err, stdout, stderr) => resolve({ code: child.exitCode ?? -1, stdout, stderr }),
        );
      });
      assert.equal(r.code, 0, r.stderr);
      const value = r.stdout;
      assert.ok(value.includes("'"), "the raw cookie holds a ' (from the user name)");
      assert.equal(decodeClaims(value).user, USER);

      const printed = await readFile(out, "utf8");
      assert.equal(printed.split("\n").length, 2, "exactly one line");
      assert.equal(printed, `export OPC_COOKIE='${value.replace(/'/g, `'\\''`)}'\n`);

      assert.ok(!r.stderr.includes(PASSWORD) && !r.stderr.includes(value), "no secret on standard error");
      assert.match(r.stderr, /logged in as/);
      const check = await send(sim.url, "GET", "/shape/", { headers: { cookie: `nimbula=${value}`, accept: V3 } });
      assert.equal(check.status, 200, "the API accepts the cookie that came through eval");
    } finally {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
