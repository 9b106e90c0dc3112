// Owns the Go reference proxy: a net/http/httputil.ReverseProxy that adds a static nimbula cookie
// (the building block of kubectl proxy, Vault Proxy and Cloud SQL Proxy), written and built in .bench/.

import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort, portOpen, start, track, waitUntil, treeUsage, type Started } from "./children.js";

/** Standard library only. MaxIdleConnsPerHost matches nginx's `keepalive 64` (Go's default is 2). */
export const GO_SOURCE = `// Written by bench/go.ts: the Go reference proxy of npm run bench.
package main

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
)

func main() {
	target, _ := url.Parse(os.Args[2])
	cookie := "nimbula=" + os.Args[3]
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}
	director := proxy.Director
	proxy.Director = func(r *http.Request) { director(r); r.Header.Set("Cookie", cookie) }
	if err := http.ListenAndServe(os.Args[1], proxy); err != nil {
		panic(err)
	}
}
`;

export interface GoProxy {
  url: string;
  child: Started;
  usage(): Promise<{ rssBytes?: number; cpuSeconds?: number }>;
}

/** Builds the Go proxy into `dir`; resolves the binary's path, or rejects with go's output. */
export async function buildGoProxy(goBinary: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const src = join(dir, "goproxy.go");
  const bin = join(dir, "goproxy");
  await writeFile(src, GO_SOURCE);
  await new Promise<void>((resolve, reject) => {
    const proc = execFile(
      goBinary,
      ["build", "-o", bin, src],
      {
        cwd: dir,
        timeout: 240_000,
        // Local toolchain only (never download one), caches inside the scratch folder.
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          GOCACHE: join(dir, "gocache"),
          GOPATH: join(dir, "gopath"),
          GOTOOLCHAIN: "local",
        },
      },
      (err, stdout, stderr) =>
        err ? reject(new Error(`go build failed: ${stderr || stdout || err.message}`)) : resolve(),
    );
    track(proc);
  });
  return bin;
}

/** Starts the built proxy in front of `upstreamUrl`; resolves once it accepts connections. */
export async function startGoProxy(bin: string, upstreamUrl: string, cookie: string): Promise<GoProxy> {
  const port = await freePort();
  const child = start("go-proxy", bin, [`127.0.0.1:${port}`, upstreamUrl, cookie]);
  await waitUntil(
    "the Go proxy to listen",
    async () => {
      if (child.proc.exitCode !== null) throw new Error(`Go proxy exited:\n${child.output()}`);
      return portOpen(port);
    },
    15_000,
    20,
  );
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    usage: () => treeUsage(child.pid),
  };
}
