// Owns the one-shot API session that `auth` and `refresh_token` share: their API options (endpoint,
// extra CA, call timeout, cookie file) checked up front, an auth client closed after use, and the cookie file it saves.

import { createAuthClient, type AuthClient } from "../session/api-auth.js";
import { DEFAULT_SESSION_TTL_MS, expiryOf, type IssuedCookie } from "../session/cookie.js";
import { writeCookieFile } from "../session/cookie-file.js";
import { untilAborted } from "./interrupt.js";
import { createUpstream } from "../upstream/upstream.js";
import { checkParentDirectory, checkApiRoot, parseDuration, parseHttpUrl, readCaFile } from "../config/values.js";
import type { OptionTable, Parsed } from "../config/options.js";

export const API_OPTIONS = {
  api: { type: "string", env: ["OPC_API", "OPC_ENDPOINT"] },
  "cookie-file": { type: "string" },
  "ca-file": { type: "string", env: ["OPC_PROXY_CA_FILE"] },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const satisfies OptionTable;

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

export interface ApiOptions {
  api: URL | undefined;
  /** Where --api came from, for messages. */
  apiFrom: string | undefined;
  ca: string | undefined;
  timeoutMs: number;
  cookieFile: string | undefined;
}

/** Reads the shared options, adding a message per problem (each naming its flag or variable). */
export async function apiOptions(p: Parsed, problems: string[]): Promise<ApiOptions> {
  const apiOpt = p.get("api");
  const api = apiOpt ? parseHttpUrl(apiOpt.value, apiOpt.from, problems) : undefined;
  if (api) checkApiRoot(api, apiOpt!.from, problems);
  const timeoutOpt = p.get("timeout");
  const timeoutMs =
    (timeoutOpt ? parseDuration(timeoutOpt.value, timeoutOpt.from, problems) : undefined) ?? DEFAULT_CALL_TIMEOUT_MS;
  const ca = await readCaFile(p.get("ca-file"), problems);
  await checkParentDirectory(p.get("cookie-file"), problems);
  return { api, apiFrom: apiOpt?.from, ca, timeoutMs, cookieFile: p.get("cookie-file")?.value };
}

/**
 * Runs `fn` with an auth client for `api`, closing its connections afterwards. When `signal` aborts
 * (Ctrl-C) first, rejects at once with Interrupted and closes the connection to the API.
 */
export async function withAuthClient<T>(
  api: URL,
  opts: Pick<ApiOptions, "ca" | "timeoutMs">,
  env: NodeJS.ProcessEnv,
  fn: (auth: AuthClient) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  // The environment brings HTTPS_PROXY / NO_PROXY, as for serve.
  const upstream = createUpstream({ api, ca: opts.ca, env });
  try {
    return await untilAborted(signal, "while waiting for the API", fn(createAuthClient(upstream, opts.timeoutMs)));
  } finally {
    upstream.close();
  }
}

/** Token and session expiry of a cookie just issued; `sessionEnd` when known from elsewhere. */
export function expiryNow(
  issued: IssuedCookie,
  now: number,
  sessionEnd?: number,
): { tokenExpiresAt: number; sessionExpiresAt: number } {
  const e = expiryOf(issued, now, sessionEnd !== undefined ? sessionEnd - DEFAULT_SESSION_TTL_MS : now);
  return { tokenExpiresAt: e.tokenExpiresAt, sessionExpiresAt: e.sessionExpiresAt };
}

/** Writes the cookie file after a login or refresh; the message of a failure names the path. */
export function saveCookie(
  path: string,
  api: URL,
  user: string | undefined,
  value: string,
  expiry: { tokenExpiresAt: number; sessionExpiresAt: number },
): Promise<void> {
  return writeCookieFile(path, { api, user, value, ...expiry });
}

export const iso = (t: number): string => new Date(t).toISOString();

/** A UTC time with how far it is from `now`: "2026-05-01T10:29:00.000Z (in 29 min)", "(2 h 5 min ago)". */
export function when(t: number, now: number): string {
  const minutes = Math.round(Math.abs(t - now) / 60_000);
  const span =
    minutes < 1
      ? "less than a minute"
      : minutes < 60
        ? `${minutes} min`
        : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return `${iso(t)} (${t >= now ? `in ${span}` : `${span} ago`})`;
}
