// Owns the `wait` subcommand: polls a running proxy's /-/readyz (TCP or unix socket) until it
// answers 200, for start-up ordering in Kubernetes startup probes, compose healthchecks and scripts.

import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { errorMessage } from "../errors.js";
import { printable } from "../printable.js";
import { DEFAULT_LISTEN, originOf, parseListen } from "../net/addresses.js";
import { parseOptions, type OptionTable } from "../config/options.js";
import { parseDuration } from "../config/values.js";
import { VERSION } from "../version.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Command } from "./types.js";
import { unbracketed } from "../net/host-names.js";

const USAGE = "Usage: opc-auth-proxy wait [--url URL] [--timeout DUR]";

export const WAIT_HELP = `${USAGE}

Waits until a running proxy is ready: polls its /-/readyz until it answers 200 (a session with the
API is held), then exits 0. On timeout, exits 1 with the last reason the proxy gave.

Options:
  --url URL                 the proxy: http://HOST:PORT, HOST:PORT or unix:PATH (a path in the URL replaces
                            /-/readyz); default: OPC_PROXY_LISTEN, else ${DEFAULT_LISTEN}
  --timeout DUR             give up after this long: 5s, 500ms, 2m, or plain seconds (default 30s)
  -h, --help                show this help
  --version                 show the version

Exit codes: 0 ready; 1 not ready in time (or interrupted); 2 bad usage.

Examples:
  opc-auth-proxy serve & opc-auth-proxy wait && curl http://127.0.0.1:8080/shape/
  opc-auth-proxy wait --url unix:/run/opc/proxy.sock --timeout 60
  # docker compose: healthcheck: { test: ["CMD", "opc-auth-proxy", "wait", "--timeout", "5s"] }
  # Kubernetes native sidecar without --admin-listen (with one, an httpGet probe of /-/readyz is lighter):
  #   startupProbe: { exec: { command: ["opc-auth-proxy", "wait", "--timeout", "5s"] }, failureThreshold: 60 }
`;

export const WAIT_OPTIONS = {
  url: { type: "string" },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const satisfies OptionTable;

const DEFAULT_TIMEOUT_MS = 30_000;
const POLL_MS = 250;
const PROBE_TIMEOUT_MS = 2_000;
/** Even the last probe, at the deadline, gets this long: a live proxy on loopback answers well within it. */
const MIN_PROBE_MS = 250;

/** Where to send the probe: an http URL, or a unix socket path and the request path. */
export type ProbeTarget = { kind: "tcp"; url: URL } | { kind: "unix"; socketPath: string; path: string };

export const wait: Command = async (argv, io) => {
  const p = parseOptions(argv, WAIT_OPTIONS, io.env);
  if (p.flag("help")) return (void io.stdout.write(WAIT_HELP), EXIT_OK);
  if (p.flag("version")) return (void io.stdout.write(`opc-auth-proxy ${VERSION}\n`), EXIT_OK);
  const problems = [...p.problems];
  const urlOpt = p.get("url");
  const listenEnv = io.env.OPC_PROXY_LISTEN;
  const target = urlOpt
    ? probeTarget(urlOpt.value, "--url", problems)
    : probeTarget(listenEnv ? listenEnv : DEFAULT_LISTEN, listenEnv ? "OPC_PROXY_LISTEN" : "the default", problems);
  const timeoutOpt = p.get("timeout");
  const timeoutMs =
    (timeoutOpt ? parseDuration(timeoutOpt.value, timeoutOpt.from, problems) : undefined) ?? DEFAULT_TIMEOUT_MS;
  if (problems.length > 0 || !target) {
    io.stderr.write(
      `opc-auth-proxy wait: bad usage:\n${problems.map((x) => `  - ${x}`).join("\n")}\n${USAGE}\nSee opc-auth-proxy wait --help.\n`,
    );
    return EXIT_USAGE;
  }

  const shown = describe(target);
  const deadline = Date.now() + timeoutMs;
  let reason = "no answer yet";
  // Bounded: pauses end at the deadline, and a probe lasts at most max(MIN_PROBE_MS, the time left).
  for (;;) {
    const left = deadline - Date.now();
    const r = await probe(target, Math.max(MIN_PROBE_MS, Math.min(PROBE_TIMEOUT_MS, left)), io.signal);
    if (r.ready) {
      io.stderr.write(`opc-auth-proxy wait: ${shown} is ready\n`);
      return EXIT_OK;
    }
    reason = r.reason;
    const pause = Math.min(POLL_MS, deadline - Date.now());
    if (io.signal.aborted) {
      io.stderr.write(`opc-auth-proxy wait: interrupted; ${shown} was not ready: ${reason}\n`);
      return EXIT_FAILURE;
    }
    if (pause <= 0) break;
    await sleep(pause, undefined, { signal: io.signal }).catch(() => undefined);
  }
  io.stderr.write(`opc-auth-proxy wait: ${shown} not ready after ${seconds(timeoutMs)}: ${reason}\n`);
  return EXIT_FAILURE;
};

/** http://host:port[/path], HOST:PORT or unix:PATH; a wildcard listen host is reached on loopback. */
export function probeTarget(text: string, from: string, problems: string[]): ProbeTarget | undefined {
  const s = text.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      problems.push(`${from}: "${text}" is not a URL; use http://127.0.0.1:8080 or unix:/path/to/socket`);
      return undefined;
    }
    if (url.protocol !== "http:") {
      problems.push(`${from}: "${text}" must start with http:// (the proxy speaks plain HTTP) or be unix:PATH`);
      return undefined;
    }
    if (url.pathname === "/" || url.pathname === "") url.pathname = "/-/readyz";
    return { kind: "tcp", url };
  }
  const listen = parseListen(s);
  if (typeof listen === "string") {
    problems.push(`${from}: ${listen}`);
    return undefined;
  }
  if (listen.kind === "unix") return { kind: "unix", socketPath: listen.path, path: "/-/readyz" };
  const host =
    listen.host === "0.0.0.0" || listen.host === "" ? "127.0.0.1" : listen.host === "::" ? "::1" : listen.host;
  return { kind: "tcp", url: new URL(`${originOf(host, listen.port)}/-/readyz`) };
}

function describe(t: ProbeTarget): string {
  return t.kind === "unix" ? `unix:${t.socketPath}` : t.url.origin;
}

/** One GET of readyz: ready on 200; else the reason, from the proxy's JSON message when it sent one. */
function probe(
  t: ProbeTarget,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ ready: true } | { ready: false; reason: string }> {
  return new Promise((resolve) => {
    const options: http.RequestOptions =
      t.kind === "unix"
        ? { socketPath: t.socketPath, path: t.path, headers: { host: "localhost" } }
        : {
            hostname: unbracketed(t.url.hostname),
            port: t.url.port || 80,
            path: t.url.pathname + t.url.search,
          };
    const req = http.request({ ...options, method: "GET", agent: false, signal, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        if (body.length < 4096) body += c;
      });
      res.on("error", (err) => resolve({ ready: false, reason: errorMessage(err) }));
      res.on("close", () => {
        if (!res.complete) resolve({ ready: false, reason: `${res.statusCode}: the answer was cut off` });
      });
      res.on("end", () => {
        if (res.statusCode === 200) return resolve({ ready: true });
        resolve({ ready: false, reason: `${res.statusCode}: ${messageOf(body)}` });
      });
    });
    // The socket's timeout fires only on silence; a server that trickles bytes is cut by this one.
    const whole = setTimeout(() => {
      resolve({ ready: false, reason: `${describe(t)} did not finish answering within ${seconds(timeoutMs)}` });
      req.destroy();
    }, timeoutMs);
    req.on("close", () => clearTimeout(whole));
    req.on("timeout", () => req.destroy(new Error(`no answer within ${seconds(timeoutMs)}`)));
    req.on("error", (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      const what =
        code === "ECONNREFUSED"
          ? "nothing is listening there (connection refused)"
          : code === "ENOENT"
            ? "no such socket"
            : errorMessage(err);
      resolve({ ready: false, reason: `cannot connect to ${describe(t)}: ${what}` });
    });
    req.end();
  });
}

function messageOf(body: string): string {
  try {
    const j = JSON.parse(body) as { message?: unknown; state?: unknown };
    if (typeof j.message === "string")
      return printable(typeof j.state === "string" ? `${j.message} (state ${j.state})` : j.message, 500);
  } catch {
    // Not the proxy's JSON: something else answers on that address.
  }
  // Whatever answers there, its bytes reach a terminal: no escape sequences, a bounded length.
  return printable(body) || "(empty body)";
}

function seconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
