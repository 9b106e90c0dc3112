// The composition root of `serve`: builds config, session, forwarder and app, starts the server
// (and, with no API configured, the built-in simulator in front of which it runs), and owns the
// single shutdown path: drain on SIGTERM, then close everything. What only one mode uses (the
// simulator, client identity mode, the password prompt, text logs) is imported when that mode runs:
// a sidecar with --api should not keep their code and data in memory (issue 12's RSS targets).

import { assemble } from "../assemble.js";
import { loadConfig, type Config } from "../config/serve.js";
import { fileCredentials, staticCredentials, type Credentials } from "../session/credentials.js";
import { EXIT_INTERRUPTED, Interrupted } from "./interrupt.js";
import { ConfigError, ProxyError, errorMessage } from "../errors.js";
import { isLoopbackHost } from "../net/addresses.js";
import { createLogger, type Logger } from "../log.js";
import { bannerLine, chooseLogFormat, isTerminal, textDestination } from "../log-format.js";
import type { RunningSimulator } from "../simulator/index.js";
import { VERSION } from "../version.js";
import { SERVE_HELP } from "./serve-help.js";
import { EXIT_OK, EXIT_USAGE, exitCodeOf, type Command, type CommandIO } from "./types.js";

export const serve: Command = async (argv, io) => {
  let config: Readonly<Config>;
  try {
    const r = await loadConfig(argv, io.env);
    if (r.help) return (void io.stdout.write(SERVE_HELP), EXIT_OK);
    if (r.version) return (void io.stdout.write(`opc-auth-proxy ${VERSION}\n`), EXIT_OK);
    config = r.config!;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(
        `opc-auth-proxy serve: invalid configuration:\n${err.problems.map((p) => `  - ${p}`).join("\n")}\nSee opc-auth-proxy serve --help.\n`,
      );
      return EXIT_USAGE;
    }
    throw err;
  }
  const terminal = isTerminal(io.stderr);
  const format = chooseLogFormat(config.logFormat, terminal);
  const log =
    format === "text"
      ? createLogger(config.logLevel, await textDestination({ colorize: terminal && !io.env.NO_COLOR }))
      : createLogger(config.logLevel);
  try {
    return await run(config, io, log, terminal);
  } catch (err) {
    if (err instanceof Interrupted) {
      io.stderr.write(`opc-auth-proxy serve: ${err.message}\n`);
      return EXIT_INTERRUPTED;
    }
    const code = exitCodeOf(err);
    // One line for people (below) always; a JSON fatal line too for log collectors, but not as text
    // on the same stderr, where it would print the same message twice.
    if (format === "json") {
      log.fatal({ event: "fatal", code: err instanceof ProxyError ? err.code : undefined }, errorMessage(err));
      log.flush();
    }
    io.stderr.write(`opc-auth-proxy serve: ${errorMessage(err)}\n`);
    return code;
  }
};

async function run(config: Readonly<Config>, io: CommandIO, log: Logger, terminal: boolean): Promise<number> {
  if (config.identityMode === "client") return runClientMode(config, io, log);
  let sim: RunningSimulator | undefined;
  let api = config.api;
  let credentials: Credentials;
  if (!api) {
    const demo = await startDemoSimulator(log);
    sim = demo.sim;
    api = new URL(sim.url);
    credentials = staticCredentials(demo.user, demo.password, "the built-in simulator's demo password");
    log.info(
      { event: "simulator", url: sim.url, user: demo.user },
      `no --api configured: fronting the built-in Compute API simulator at ${sim.url}`,
    );
  } else {
    credentials = await credentialsFor(config, io, log);
  }

  if (config.insecureSkipTlsVerify) {
    log.warn(
      { event: "insecure" },
      "--insecure-skip-tls-verify is set: the API's certificate is NOT verified; use it only on test rigs",
    );
  }
  // OPC_COOKIE may hand over a session of the real API; the built-in simulator starts with none.
  const proxy = await assemble(
    { ...config, api },
    { credentials, log, processMetrics: true, env: sim ? undefined : io.env },
  );
  const { url } = proxy;
  // In the demo, `uri` fields name the proxy, so following one goes through the session too.
  if (sim && url.startsWith("http:")) sim.simulator.publicUrl = url;
  if (config.listen.kind === "tcp" && !isLoopbackHost(config.listen.host)) {
    log.warn(
      { event: "exposed", listen: config.listenText },
      `listening on ${config.listenText}, which is not loopback: anyone who can reach it acts as ${credentials.user}`,
    );
  }
  const adminUrl = proxy.admin?.url;
  log.info(
    { event: "listening", url, adminUrl, api: proxy.upstream.origin, user: credentials.user, version: VERSION },
    `listening on ${url}${adminUrl ? ` (admin: ${adminUrl})` : ""}`,
  );
  const started = proxy.session.start();
  if (!sim && terminal) {
    // After the first login attempt, so the line says whether it worked; never delays serving.
    void started
      .catch(() => undefined)
      .then(() => {
        const s = proxy.session.snapshot();
        io.stderr.write(
          bannerLine({
            version: VERSION,
            url,
            adminUrl,
            api: proxy.upstream.origin + proxy.upstream.basePath,
            user: credentials.user,
            ready: s.ready,
            reason: s.reason,
            tokenExpiresAt: s.tokenExpiresAt,
          }),
        );
      });
  }
  if (sim) {
    await started;
    const base = url.startsWith("unix:") ? "http://localhost" : url;
    const curl = url.startsWith("unix:") ? `curl --unix-socket ${url.slice(5)} ` : "curl ";
    io.stderr.write(
      [
        "",
        `opc-auth-proxy ${VERSION}: proxy on ${url}, logged in to the built-in simulator as ${credentials.user}.`,
        "Try:",
        `  ${curl}-H 'Accept: application/oracle-compute-v3+json' ${base}/shape/`,
        `  ${curl}-H 'Accept: application/oracle-compute-v3+directory+json' ${base}/sshkey/Compute-acme/`,
        `  ${curl}${base}/-/status`,
        "Set --api, --user and --password-file (or OPC_API, OPC_USER, OPC_PASSWORD_FILE) to front the real API.",
        "",
        "",
      ].join("\n"),
    );
  }

  await untilStopped(proxy, config, io, log);
  await sim?.close();
  log.info({ event: "stopped" }, "stopped");
  log.flush();
  return EXIT_OK;
}

/**
 * `--identity-mode client`: no session of its own; each client logs in with its own credentials.
 * With no --api, the built-in simulator's demo user is the one to log in as.
 */
async function runClientMode(config: Readonly<Config>, io: CommandIO, log: Logger): Promise<number> {
  const { assembleClientMode } = await import("../assemble-clients.js");
  const demo = config.api ? undefined : await startDemoSimulator(log);
  const sim = demo?.sim;
  const api = config.api ?? new URL(sim!.url);
  const proxy = await assembleClientMode(
    { ...config, api },
    { log, processMetrics: true, env: sim ? undefined : io.env },
  ).catch(async (err: unknown) => {
    await sim?.close();
    throw err;
  });
  if (sim && proxy.url.startsWith("http:")) sim.simulator.publicUrl = proxy.url;
  if (config.listen.kind === "tcp" && !isLoopbackHost(config.listen.host)) {
    log.warn(
      { event: "exposed", listen: config.listenText },
      `listening on ${config.listenText}, which is not loopback: handles and Basic passwords cross the network in clear text`,
    );
  }
  log.info(
    {
      event: "listening",
      url: proxy.url,
      adminUrl: proxy.admin?.url,
      api: proxy.upstream.origin,
      identityMode: "client",
      version: VERSION,
    },
    `listening on ${proxy.url} (client identity mode: each client logs in with its own credentials)`,
  );
  if (demo) {
    io.stderr.write(
      `\nopc-auth-proxy ${VERSION}: proxy on ${proxy.url} in client identity mode, fronting the built-in simulator.\n` +
        `Try:  curl -u '${demo.user}:${demo.password}' -H 'Accept: application/oracle-compute-v3+json' ${proxy.url}/shape/\n\n`,
    );
  }
  await untilStopped(proxy, config, io, log);
  await sim?.close();
  log.info({ event: "stopped" }, "stopped");
  log.flush();
  return EXIT_OK;
}

/** The built-in simulator with its demo user, for `serve` with no --api (loaded only then). */
async function startDemoSimulator(log: Logger): Promise<{ sim: RunningSimulator; user: string; password: string }> {
  const { startSimulator, DEMO_USER, DEMO_PASSWORD } = await import("../simulator/index.js");
  const sim = await startSimulator({
    users: [{ user: DEMO_USER, password: DEMO_PASSWORD }],
    logger: log.child({ component: "simulator" }),
  });
  return { sim, user: DEMO_USER, password: DEMO_PASSWORD };
}

/** Serves until the abort signal, then (after --shutdown-delay) drains and closes `proxy`. */
async function untilStopped(
  proxy: { unready(): void; shutdown(graceMs: number): Promise<void> },
  config: Readonly<Config>,
  io: CommandIO,
  log: Logger,
): Promise<void> {
  await waitForAbort(io.signal);
  if (config.shutdownDelayMs > 0) {
    // Pods stop all containers at once: the app may still need the API while it shuts down, and
    // endpoints take a while to drop this pod. A second signal ends the wait (cli.ts exits).
    proxy.unready();
    log.info(
      { event: "shutdown_delay", delayMs: config.shutdownDelayMs },
      `shutting down: readiness is 503; still serving for ${config.shutdownDelayMs} ms (--shutdown-delay)`,
    );
    await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
  }
  log.info({ event: "draining", graceMs: config.drainTimeoutMs }, "shutting down: finishing requests in flight");
  await proxy.shutdown(config.drainTimeoutMs);
}

async function credentialsFor(config: Readonly<Config>, io: CommandIO, log: Logger): Promise<Credentials> {
  const user = config.user!;
  const pw = config.password!;
  if (pw.kind === "file") {
    return fileCredentials(user, pw.path, (message) =>
      log.warn({ event: "password_file_odd", path: pw.path }, message),
    );
  }
  if (pw.kind === "value") return staticCredentials(user, pw.value, pw.from);
  const { promptPassword } = await import("./prompt.js");
  const typed = await promptPassword(io, `Password for ${user}: `, pw.from);
  return staticCredentials(user, typed, "the password typed at start-up");
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
