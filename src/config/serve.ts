// Owns the configuration of `serve`: flags and environment → one frozen Config, with every problem
// reported at once in messages that name the flag or variable to fix.

import { readPasswordFile } from "../session/credentials.js";
import { ConfigError, ProxyError } from "../errors.js";
import { parseAllowHost } from "../net/host-names.js";
import { DEFAULT_LISTEN, parseListen, type ListenAddress } from "../net/addresses.js";

export { DEFAULT_LISTEN };
import { LOG_LEVELS, type LogLevel } from "../log.js";
import { parseLogFormat, type LogFormat } from "../log-format.js";
import { hintListenForm } from "./listen-hint.js";
import { parseOptions, type OptionTable } from "./options.js";
import {
  checkApiRoot,
  checkComputeUser,
  checkParentDirectory,
  parseBoolean,
  parseDuration,
  parseHttpUrl,
  parseSize,
  readCaFile,
} from "./values.js";
import { IDENTITY_OPTIONS, identitySettings, type IdentitySettings } from "./identity.js";

export const SERVE_OPTIONS = {
  api: { type: "string", env: ["OPC_API", "OPC_ENDPOINT"] },
  user: { type: "string", env: ["OPC_USER", "OPC_COMPUTE_USER"] },
  "password-file": { type: "string", env: ["OPC_PASSWORD_FILE", "OPC_COMPUTE_PASSWORD_FILE"] },
  listen: { type: "string", env: ["OPC_PROXY_LISTEN"] },
  "admin-listen": { type: "string", env: ["OPC_PROXY_ADMIN_LISTEN"] },
  "log-level": { type: "string", env: ["OPC_PROXY_LOG_LEVEL"] },
  "log-format": { type: "string", env: ["OPC_PROXY_LOG_FORMAT"] },
  "max-replay-bytes": { type: "string", env: ["OPC_PROXY_MAX_REPLAY_BYTES"] },
  "upstream-timeout": { type: "string", env: ["OPC_PROXY_UPSTREAM_TIMEOUT"] },
  "drain-timeout": { type: "string", env: ["OPC_PROXY_DRAIN_TIMEOUT"] },
  "shutdown-delay": { type: "string", env: ["OPC_PROXY_SHUTDOWN_DELAY"] },
  "cookie-file": { type: "string", env: ["OPC_PROXY_COOKIE_FILE"] },
  "state-file": { type: "string", env: ["OPC_PROXY_STATE_FILE"] },
  "allow-host": { type: "string", multiple: true, env: ["OPC_PROXY_ALLOW_HOSTS"] },
  "allow-origin": { type: "string", multiple: true, env: ["OPC_PROXY_ALLOW_ORIGINS"] },
  "ca-file": { type: "string", env: ["OPC_PROXY_CA_FILE"] },
  "insecure-skip-tls-verify": { type: "boolean", env: ["OPC_PROXY_INSECURE_SKIP_TLS_VERIFY"] },
  // Read with its variable OPC_PROXY_REWRITE_URIS, whose sense is the opposite (true: rewrite).
  "no-rewrite-uris": { type: "boolean" },
  ...IDENTITY_OPTIONS,
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const satisfies OptionTable;

export type PasswordSource =
  { kind: "file"; path: string } | { kind: "prompt"; from: string } | { kind: "value"; value: string; from: string };

export interface Config extends IdentitySettings {
  /** Undefined: no API configured, so `serve` fronts the built-in simulator. */
  api: URL | undefined;
  user: string | undefined;
  password: PasswordSource | undefined;
  listen: ListenAddress;
  listenText: string;
  /** `--admin-listen`: a second listener serving only the control endpoints; undefined: none. */
  adminListen: ListenAddress | undefined;
  adminListenText: string | undefined;
  logLevel: LogLevel;
  /** `--log-format`; undefined: chosen by whether standard error is a terminal (src/log-format.ts). */
  logFormat: LogFormat | undefined;
  maxReplayBytes: number;
  upstreamTimeoutMs: number;
  drainTimeoutMs: number;
  /** On SIGTERM, readiness turns 503 at once but the listener keeps serving this long before the drain. */
  shutdownDelayMs: number;
  cookieFile: string | undefined;
  /** Where rejected logins are counted across restarts; undefined: beside the cookie file, if any. */
  stateFile: string | undefined;
  allowHosts: readonly string[];
  allowOrigins: readonly string[];
  /** PEM text of --ca-file, read up front. */
  ca: string | undefined;
  insecureSkipTlsVerify: boolean;
  /** Rewrite absolute URIs between the API's origin and the client's (README "URIs"). */
  rewriteUris: boolean;
}

export interface ConfigResult {
  config?: Readonly<Config>;
  help?: boolean;
  version?: boolean;
}

/** Parses and checks everything; throws a ConfigError listing every problem. */
export async function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Promise<ConfigResult> {
  const p = parseOptions(argv, SERVE_OPTIONS, env);
  if (p.flag("help")) return { help: true };
  if (p.flag("version")) return { version: true };
  // The same list: flags read later (a boolean variable, say) add their problems to it too.
  const problems = p.problems;
  hintListenForm(argv, problems);

  const apiOpt = p.get("api");
  const api = apiOpt ? parseHttpUrl(apiOpt.value, apiOpt.from, problems) : undefined;
  if (api) checkApiRoot(api, apiOpt!.from, problems);

  let userOpt = p.get("user");
  if (!userOpt && env.OPC_USERNAME && env.OPC_IDENTITY_DOMAIN) {
    // Terraform's variables: the user name and identity domain are given apart.
    userOpt = {
      value: `/Compute-${env.OPC_IDENTITY_DOMAIN}/${env.OPC_USERNAME}`,
      from: "OPC_USERNAME and OPC_IDENTITY_DOMAIN",
    };
  } else if (!userOpt && (env.OPC_USERNAME || env.OPC_IDENTITY_DOMAIN)) {
    problems.push("OPC_USERNAME and OPC_IDENTITY_DOMAIN go together: set both, or use --user / OPC_USER");
  }
  if (userOpt) checkComputeUser(userOpt.value, userOpt.from, problems);

  const fileOpt = p.get("password-file");
  const envPassword = env.OPC_PASSWORD;
  let password: PasswordSource | undefined;
  if (fileOpt && envPassword && fileOpt.from !== "--password-file") {
    problems.push(`${fileOpt.from} and OPC_PASSWORD are both set: keep one (a password file is the safer choice)`);
  } else if (fileOpt) {
    if (fileOpt.value === "-") password = { kind: "prompt", from: fileOpt.from };
    else {
      password = { kind: "file", path: fileOpt.value };
      if (api) {
        await readPasswordFile(fileOpt.value).catch((err: unknown) => {
          problems.push(`${fileOpt.from}: ${err instanceof ProxyError ? err.message : String(err)}`);
        });
      }
    }
  } else if (envPassword) {
    password = { kind: "value", value: envPassword, from: "OPC_PASSWORD" };
  }

  const cookieFile = p.get("cookie-file")?.value;
  const identity = identitySettings(
    p,
    [
      userOpt?.from,
      fileOpt?.from,
      envPassword && !fileOpt ? "OPC_PASSWORD" : undefined,
      p.get("cookie-file")?.from,
      p.get("state-file")?.from,
    ],
    problems,
  );
  const clientMode = identity.identityMode === "client";

  if (clientMode) {
    // Each client brings its own credentials; identitySettings reported any operator credential.
  } else if (apiOpt) {
    if (!userOpt) problems.push("--user (OPC_USER) is required with --api: the two-part /Compute-<domain>/<user> name");
    if (!password)
      problems.push("--password-file (OPC_PASSWORD_FILE) is required with --api: a file of mode 600, or - to prompt");
  } else {
    const stray = [userOpt?.from, fileOpt?.from, envPassword ? "OPC_PASSWORD" : undefined].filter(Boolean);
    if (stray.length > 0) {
      problems.push(
        `${stray.join(", ")} ${stray.length > 1 ? "are" : "is"} set but --api (OPC_API) is not: set the API too, or unset ${stray.length > 1 ? "them" : "it"} to front the built-in simulator`,
      );
    }
  }

  const listenOpt = p.get("listen") ?? { value: DEFAULT_LISTEN, from: "--listen" };
  const listen = parseListen(listenOpt.value);
  if (typeof listen === "string") problems.push(`${listenOpt.from}: ${listen}`);
  const adminOpt = p.get("admin-listen");
  const adminListen = adminOpt ? parseListen(adminOpt.value) : undefined;
  if (typeof adminListen === "string") problems.push(`${adminOpt!.from}: ${adminListen}`);
  else if (adminListen && typeof listen !== "string" && sameAddress(adminListen, listen)) {
    problems.push(`${adminOpt!.from}: "${adminOpt!.value}" is the proxy's own --listen address; give it another port`);
  }

  const levelOpt = p.get("log-level");
  const logLevel = (levelOpt?.value.toLowerCase() ?? "info") as LogLevel;
  if (levelOpt && !LOG_LEVELS.includes(logLevel)) {
    problems.push(`${levelOpt.from}: "${levelOpt.value}" is not a log level; use one of ${LOG_LEVELS.join(", ")}`);
  }

  const formatOpt = p.get("log-format");
  const logFormat = formatOpt ? parseLogFormat(formatOpt.value, formatOpt.from, problems) : undefined;

  const replayOpt = p.get("max-replay-bytes");
  const maxReplayBytes = replayOpt ? parseSize(replayOpt.value, replayOpt.from, problems) : 1024 * 1024;
  const timeoutOpt = p.get("upstream-timeout");
  const upstreamTimeoutMs = timeoutOpt ? parseDuration(timeoutOpt.value, timeoutOpt.from, problems) : 60_000;
  const drainOpt = p.get("drain-timeout");
  const drainTimeoutMs = drainOpt ? parseDuration(drainOpt.value, drainOpt.from, problems) : 20_000;
  const delayOpt = p.get("shutdown-delay");
  const shutdownDelayMs = delayOpt ? parseDuration(delayOpt.value, delayOpt.from, problems, { allowZero: true }) : 0;

  const allowHosts: string[] = [];
  for (const h of p.getAll("allow-host")) {
    const r = parseAllowHost(h.value);
    if ("name" in r) allowHosts.push(r.name);
    else problems.push(`${h.from}: ${r.problem}`);
  }
  const allowOrigins: string[] = [];
  for (const o of p.getAll("allow-origin")) {
    const origin = parseOrigin(o.value);
    if (origin) allowOrigins.push(origin);
    else
      problems.push(`${o.from}: "${o.value}" is not an origin; use scheme://host[:port], e.g. http://localhost:3000`);
  }

  const ca = await readCaFile(p.get("ca-file"), problems);

  await checkParentDirectory(p.get("cookie-file"), problems);
  const stateFile = p.get("state-file")?.value;

  const insecureSkipTlsVerify = p.flag("insecure-skip-tls-verify");
  const rewriteUris = !p.flag("no-rewrite-uris") && parseBoolean(env, "OPC_PROXY_REWRITE_URIS", true, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    config: Object.freeze({
      api,
      user: userOpt?.value,
      password,
      listen: listen as ListenAddress,
      listenText: listenOpt.value,
      adminListen: adminListen as ListenAddress | undefined,
      adminListenText: adminOpt?.value,
      logLevel,
      logFormat,
      maxReplayBytes: maxReplayBytes!,
      upstreamTimeoutMs: upstreamTimeoutMs!,
      drainTimeoutMs: drainTimeoutMs!,
      shutdownDelayMs: shutdownDelayMs!,
      cookieFile,
      stateFile,
      allowHosts: Object.freeze(allowHosts),
      allowOrigins: Object.freeze(allowOrigins),
      ca,
      insecureSkipTlsVerify,
      rewriteUris,
      ...identity,
    }),
  };
}

/** Two listen addresses that would collide (port 0 picks a fresh port each time, so never). */
function sameAddress(a: ListenAddress, b: ListenAddress): boolean {
  if (a.kind === "unix") return b.kind === "unix" && a.path === b.path;
  if (b.kind === "unix") return false;
  return a.port !== 0 && a.port === b.port && a.host === b.host;
}

/** The serialised origin a browser sends (lowercase, no default port), or undefined if `text` is not one. */
function parseOrigin(text: string): string | undefined {
  if (!/^https?:\/\/[^/\s@]+\/*$/i.test(text)) return undefined;
  try {
    return new URL(text).origin;
  } catch {
    return undefined;
  }
}
