// Owns one soak run: the simulator (short lifetimes) and opc-auth-proxy each as its own process
// through the CLI, client workers with mixed methods and body sizes, and the fault schedule.

import { createWriteStream } from "node:fs";
import http from "node:http";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, rssBytes, start, waitUntil } from "../../bench/children.js";
import { DEMO_USER } from "../../src/simulator/index.js";
import { balance, loginBounds, type Accounting, type Injected, type Outcome } from "./accounting.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const V3 = "application/oracle-compute-v3+json";
const DIRECTORY = "application/oracle-compute-v3+directory+json";

export interface SoakOptions {
  minutes: number;
  workers: number;
  tokenTtlSeconds: number;
  sessionTtlSeconds: number;
  maxReplayBytes: number;
  burst: number;
  seed: number;
  /** Copy the proxy's log (info level) into this file. */
  proxyLog?: string;
  log(line: string): void;
}

/** Body sizes the workers send; the last two are above the default --max-replay-bytes of the soak. */
export const BODY_SIZES = [200, 8 * 1024, 40 * 1024, 100 * 1024, 600 * 1024];
const RSS_GROWTH_BOUND = 48 * 1024 * 1024;

/** A small seeded PRNG (mulberry32), so a failing soak can be run again with the same --seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runSoak(opts: SoakOptions): Promise<Accounting & { durationS: number; seed: number }> {
  const rand = prng(opts.seed);
  const dir = await mkdtemp(join(tmpdir(), "opc-soak-"));
  let password = "soak-password-0";
  const passwordFile = join(dir, "password");
  const writePassword = async (text: string) => {
    // Atomic: the proxy never reads a half-written file.
    await writeFile(passwordFile + ".new", `${text}\n`, { mode: 0o600 });
    await rename(passwordFile + ".new", passwordFile);
  };
  await writePassword(password);
  // The simulator is a process of its own (the `simulate` command), as the API is: sharing this
  // process with 500 burst clients would make the "API" slow whenever the clients are busy.
  const simPasswordFile = join(dir, "sim-password");
  await writeFile(simPasswordFile, `${password}\n`, { mode: 0o600 });
  const simPort = await freePort();
  const simProc = start("simulator", process.execPath, [
    "--import",
    "tsx",
    join(ROOT, "src/cli.ts"),
    "simulate",
    "--listen",
    `127.0.0.1:${simPort}`,
    "--user",
    DEMO_USER,
    "--password-file",
    simPasswordFile,
    "--token-ttl",
    String(opts.tokenTtlSeconds),
    "--session-ttl",
    String(opts.sessionTtlSeconds),
    "--max-body-bytes",
    String(2 * 1024 * 1024),
    "--log-level",
    "warn",
  ]);
  const sim = { url: `http://127.0.0.1:${simPort}` };
  await waitUntil(
    "the simulator to listen",
    async () => {
      if (simProc.proc.exitCode !== null) throw new Error(`simulator exited:\n${simProc.output()}`);
      return (await fetch(sim.url + "/-/sim/counters")).ok;
    },
    60_000,
    100,
  );
  const control = async (path: string, body?: unknown) => {
    const r = await fetch(sim.url + "/-/sim/" + path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`simulator control ${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as Record<string, unknown>;
  };
  const counters = async () =>
    (await (await fetch(sim.url + "/-/sim/counters")).json()) as { logins: number; failedLogins: number };

  const port = await freePort();
  const proxy = start("opc-auth-proxy", process.execPath, [
    "--import",
    "tsx",
    join(ROOT, "src/cli.ts"),
    "serve",
    "--api",
    sim.url,
    "--user",
    DEMO_USER,
    "--password-file",
    passwordFile,
    "--listen",
    `127.0.0.1:${port}`,
    "--max-replay-bytes",
    String(opts.maxReplayBytes),
    // The product default, stated: the soak checks correctness under faults, not latency (none of
    // its faults is a timeout; its slow answers take at most 2 s).
    "--upstream-timeout",
    "60s",
    "--log-level",
    opts.proxyLog ? "info" : "warn",
  ]);
  if (opts.proxyLog) {
    const file = createWriteStream(opts.proxyLog);
    proxy.proc.stdout?.pipe(file);
    proxy.proc.stderr?.pipe(file);
  }
  const origin = `http://127.0.0.1:${port}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.workers });
  const outcomes: Outcome[] = [];
  let sent = 0;
  const injected: Injected = { revocations: 0, resets: 0, status500: 0, delays: 0, passwordRotations: 0, bursts: 0 };
  const revocationAt: number[] = [];
  let peakRss = 0;
  try {
    await waitUntil(
      "the proxy to be ready",
      async () => {
        if (proxy.proc.exitCode !== null) throw new Error(`proxy exited:\n${proxy.output()}`);
        const r = await fetch(origin + "/-/readyz");
        await r.arrayBuffer();
        return r.status === 200;
      },
      60_000,
      100,
    );
    const t0 = performance.now();
    const runMs = opts.minutes * 60_000;
    const deadline = t0 + runMs;
    const loginsAtStart = (await counters()).logins;

    const request = (method: string, path: string, bodyBytes: number, expected: number, a: http.Agent, accept = V3) =>
      new Promise<Outcome>((resolve) => {
        sent++;
        const body =
          bodyBytes > 0 ? JSON.stringify({ key: `ssh-rsa ${"A".repeat(bodyBytes)}`, enabled: true }) : undefined;
        const done = (o: Partial<Outcome>) => {
          const outcome = { method, bodyBytes: body?.length ?? 0, status: 0, expected, ...o };
          outcomes.push(outcome);
          resolve(outcome);
        };
        const req = http.request(
          origin + path,
          {
            method,
            agent: a,
            headers: {
              accept,
              ...(body ? { "content-type": V3, "content-length": Buffer.byteLength(body) } : {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.once("error", () => done({}));
            res.once("end", () => {
              let code: string | undefined;
              let reference = false;
              try {
                const j = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
                code = typeof j.code === "string" ? j.code : undefined;
                reference = typeof j.reference === "string";
              } catch {
                // not JSON: only the status counts
              }
              done({ status: res.statusCode ?? 0, code, reference });
            });
          },
        );
        req.setTimeout(30_000, () => req.destroy(new Error("client timeout")));
        req.once("error", (err: NodeJS.ErrnoException) => done({ error: clientError(err, req) }));
        req.end(body);
      });

    const worker = async (w: number) => {
      const mine: string[] = [];
      let n = 0;
      while (performance.now() < deadline) {
        const p = rand();
        const size = BODY_SIZES[Math.floor(rand() * BODY_SIZES.length)]!;
        if (p < 0.3 || (mine.length === 0 && p < 0.55)) {
          // One's own key (its answer as large as the body sent), else the names in the container.
          // Never the full listing: it grows with every key the run creates, to tens of MiB per answer.
          const own = mine.length > 0 && rand() < 0.7 ? mine[Math.floor(rand() * mine.length)] : undefined;
          if (own) await request("GET", `/sshkey${own}`, 0, 200, agent);
          else await request("GET", "/sshkey/Compute-acme/", 0, 200, agent, DIRECTORY);
        } else if (p < 0.55 || mine.length === 0) {
          const name = `${DEMO_USER}/soak-w${w}-${n++}`;
          const body = { name, key: `ssh-rsa ${"A".repeat(size)}`, enabled: true };
          const o = await requestJson("POST", "/sshkey/", body, 201);
          if (o.status === 201) mine.push(name);
        } else if (p < 0.8) {
          await request("PUT", `/sshkey${mine[Math.floor(rand() * mine.length)]}`, size, 200, agent);
        } else {
          const name = mine.pop()!;
          const o = await request("DELETE", `/sshkey${name}`, 0, 204, agent);
          if (o.status !== 204) mine.push(name); // still there: a later DELETE may remove it
        }
      }
    };
    // POST carries its own name in the body, so it cannot reuse `request`'s generated body.
    const requestJson = (method: string, path: string, body: Record<string, unknown>, expected: number) =>
      new Promise<Outcome>((resolve) => {
        const text = JSON.stringify(body);
        sent++;
        const req = http.request(
          origin + path,
          { method, agent, headers: { accept: V3, "content-type": V3, "content-length": Buffer.byteLength(text) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.once("end", () => {
              let j: Record<string, unknown> = {};
              try {
                j = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
              } catch {
                // not JSON
              }
              const o: Outcome = {
                method,
                bodyBytes: text.length,
                status: res.statusCode ?? 0,
                code: typeof j.code === "string" ? j.code : undefined,
                reference: typeof j.reference === "string",
                expected,
              };
              outcomes.push(o);
              resolve(o);
            });
          },
        );
        req.setTimeout(30_000, () => req.destroy(new Error("client timeout")));
        req.once("error", (err: NodeJS.ErrnoException) => {
          const o: Outcome = { method, bodyBytes: text.length, status: 0, expected, error: clientError(err, req) };
          outcomes.push(o);
          resolve(o);
        });
        req.end(text);
      });

    const faults = async () => {
      let rotated = false;
      let burst = false;
      while (performance.now() < deadline - 3_000) {
        await sleep(1_500 + rand() * 2_000);
        const at = performance.now() - t0;
        if (!burst && at > runMs * 0.3) {
          burst = true;
          injected.bursts++;
          opts.log(`burst of ${opts.burst} concurrent requests`);
          const burstAgent = new http.Agent({ keepAlive: false, maxSockets: opts.burst });
          await Promise.all(
            Array.from({ length: opts.burst }, () =>
              request("GET", "/sshkey/Compute-acme/", 0, 200, burstAgent, DIRECTORY),
            ),
          );
          burstAgent.destroy();
          continue;
        }
        if (!rotated && at > runMs * 0.5) {
          rotated = true;
          injected.passwordRotations++;
          password = `soak-password-${Math.floor(rand() * 1e9)}`;
          opts.log("password rotation");
          await control("password", { user: DEMO_USER, password });
          await writePassword(password);
          continue;
        }
        const k = rand();
        if (k < 0.25) {
          injected.revocations++;
          revocationAt.push(at);
          await control("revoke");
        } else if (k < 0.5) {
          injected.resets++;
          await control("fail", { count: 1, fault: { kind: "reset" } });
        } else if (k < 0.75) {
          injected.status500++;
          await control("fail", { count: 1, fault: { kind: "status", status: 500 } });
        } else {
          injected.delays++;
          await control("fail", { count: 1, fault: { kind: "delay", ms: Math.floor(100 + rand() * 1_900) } });
        }
      }
    };
    const rssSampler = setInterval(() => {
      void rssBytes(proxy.pid).then((r) => (peakRss = Math.max(peakRss, r ?? 0)));
    }, 500);
    // RSS "at start": after a few seconds of load, once the heap has grown to its working size.
    let rssStart = 0;
    const startRss = sleep(Math.min(5_000, runMs / 6)).then(async () => (rssStart = (await rssBytes(proxy.pid)) ?? 0));
    await Promise.all([...Array.from({ length: opts.workers }, (_, w) => worker(w)), faults(), startRss]);
    clearInterval(rssSampler);
    await fetch(sim.url + "/-/sim/fail", { method: "DELETE" });
    await sleep(2_000); // quiet: let the proxy settle before the closing RSS
    const rssEnd = (await rssBytes(proxy.pid)) ?? 0;
    const c = await counters();
    const durationMs = performance.now() - t0;
    const bounds = loginBounds(durationMs, revocationAt, opts.sessionTtlSeconds * 1000);
    return {
      ...balance({
        outcomes,
        sent,
        maxReplayBytes: opts.maxReplayBytes,
        workers: opts.workers,
        injected,
        logins: { made: c.logins - loginsAtStart + 1, ...bounds, failed: c.failedLogins },
        rssBytes: { start: rssStart, end: rssEnd, peak: peakRss, allowedGrowth: RSS_GROWTH_BOUND },
      }),
      durationS: durationMs / 1000,
      seed: opts.seed,
    };
  } finally {
    agent.destroy();
    await proxy.stop(5_000);
    await simProc.stop(5_000);
    await rm(dir, { recursive: true, force: true });
  }
}

/** What the client saw instead of an answer, for the accounting: the code, and whether the socket was reused. */
function clientError(err: NodeJS.ErrnoException, req: http.ClientRequest): string {
  return `${err.code ?? err.message}${req.reusedSocket ? " on a reused keep-alive connection" : ""}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
