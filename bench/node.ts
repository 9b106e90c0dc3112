// Owns the node:http reference proxy as a child process: bench/node-proxy.mjs run by plain `node` (the
// runtime opc-auth-proxy runs on, no libraries), adding a static nimbula cookie: the floor of the stack.

import { fileURLToPath } from "node:url";
import { freePort, portOpen, start, treeUsage, waitUntil, type Started } from "./children.js";

export const NODE_PROXY_SCRIPT = fileURLToPath(new URL("./node-proxy.mjs", import.meta.url));

export interface NodeProxy {
  url: string;
  child: Started;
  /** Milliseconds from spawn to accepting TCP connections (polled every 5 ms). */
  listeningMs: number;
  usage(): Promise<{ rssBytes?: number; cpuSeconds?: number }>;
}

/**
 * Starts bench/node-proxy.mjs with this Node binary in front of `upstreamUrl`, sending `nimbula=<cookie>`;
 * resolves once it accepts connections, or rejects with its output when it exits or takes over 15 s.
 */
export async function startNodeProxy(upstreamUrl: string, cookie: string): Promise<NodeProxy> {
  const port = await freePort();
  const t0 = performance.now();
  // A clean environment: no NODE_OPTIONS (tsx's loader) inherited from npm run bench.
  const child = start(
    "node:http proxy",
    process.execPath,
    [NODE_PROXY_SCRIPT, `127.0.0.1:${port}`, upstreamUrl, cookie],
    {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    },
  );
  let listeningMs = 0;
  await waitUntil(
    "the node:http proxy to listen",
    async () => {
      if (child.proc.exitCode !== null) throw new Error(`node:http proxy exited:\n${child.output()}`);
      const open = await portOpen(port);
      if (open) listeningMs = performance.now() - t0;
      return open;
    },
    15_000,
    5,
  ).catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nnode:http proxy output:\n${child.output()}`);
  });
  return { url: `http://127.0.0.1:${port}`, child, listeningMs, usage: () => treeUsage(child.pid) };
}
