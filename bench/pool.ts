// Owns the pool effect: sequential `curl` calls to a TLS upstream, straight (a TCP and TLS handshake
// each) against through opc-auth-proxy (plain HTTP to loopback, its warm keep-alive pool upstream).

import { execFile } from "node:child_process";
import { join } from "node:path";
import { track } from "./children.js";
import { startProxy, type Entry } from "./proxy.js";
import { PATHS, startUpstreamProcess } from "./upstream.js";

export interface PoolResult {
  calls: number;
  directMsPerCall: number;
  proxyMsPerCall: number;
  /** Calls that did not answer 200, both ways together. */
  failures: number;
}

function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} failed: ${stderr || err.message}`)) : resolve(stdout),
    );
    track(proc);
  });
}

/** A self-signed certificate for 127.0.0.1 in `dir` (openssl), valid for one day. */
export async function selfSignedCert(dir: string): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, "tls-cert.pem");
  const keyFile = join(dir, "tls-key.pem");
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ]);
  return { certFile, keyFile };
}

/** Runs `calls` sequential curls each way; starts and stops its own TLS upstream and proxy. */
export async function poolEffect(curl: string, entry: Entry, dir: string, calls: number): Promise<PoolResult> {
  const tls = await selfSignedCert(dir);
  const upstream = await startUpstreamProcess(tls);
  try {
    const proxy = await startProxy({ entry, api: upstream.url, dir, caFile: tls.certFile });
    try {
      const cookie = `nimbula=${await upstream.login()}`;
      const direct = [upstream.url + PATHS.small, "--cacert", tls.certFile, "-H", `Cookie: ${cookie}`];
      const proxied = [proxy.url + PATHS.small];
      let failures = 0;
      const timeCalls = async (args: string[]) => {
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) {
          const code = await run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", ...args]).catch(() => "000");
          if (code.trim() !== "200") failures++;
        }
        return (performance.now() - t0) / calls;
      };
      await timeCalls(proxied); // warms the proxy's pool and the page cache for curl itself
      failures = 0;
      const directMsPerCall = await timeCalls(direct);
      const proxyMsPerCall = await timeCalls(proxied);
      return { calls, directMsPerCall, proxyMsPerCall, failures };
    } finally {
      await proxy.child.stop(3_000);
    }
  } finally {
    await upstream.child.stop();
  }
}
