// Owns the versions a benchmark report names: Node, nginx, Go, wrk, curl and the npm packages on
// the proxy's hot path, read from the tools themselves and from node_modules.

import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "./proxy.js";
import type { Tools } from "./tools.js";

const PACKAGES = ["hono", "@hono/node-server", "http-proxy-middleware", "http-proxy", "pino", "prom-client"];

/** First line a command prints (stdout or stderr: nginx -v writes to stderr), or undefined. */
function firstLineOf(cmd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 10_000 }, (_err, stdout, stderr) => {
      const line = `${stdout}\n${stderr}`.split("\n").find((l) => l.trim() !== "");
      resolve(line?.trim());
    });
  });
}

export async function versionsOf(tools: Tools): Promise<Record<string, string>> {
  const out: Record<string, string> = { node: process.version };
  const own = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
  out["opc-auth-proxy"] = own.version;
  if (tools.nginx) out.nginx = (await firstLineOf(tools.nginx, ["-v"]))?.replace(/^nginx version: /, "") ?? "?";
  if (tools.go) out.go = (await firstLineOf(tools.go, ["version"]))?.replace(/^go version /, "") ?? "?";
  if (tools.wrk) out.wrk = (await firstLineOf(tools.wrk, ["-v"]))?.split(" ").slice(0, 2).join(" ") ?? "?";
  if (tools.curl) out.curl = (await firstLineOf(tools.curl, ["--version"]))?.split(" ").slice(0, 2).join(" ") ?? "?";
  for (const p of PACKAGES) {
    const text = await readFile(join(ROOT, "node_modules", p, "package.json"), "utf8").catch(() => undefined);
    if (text) out[p] = (JSON.parse(text) as { version: string }).version;
  }
  return out;
}
