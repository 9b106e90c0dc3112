// Owns the value parsers shared by every command's configuration: durations, sizes, URLs, booleans,
// Compute user names and files named by flags. Each adds to `problems` a sentence naming the flag or
// variable (`from`) to fix, instead of throwing, so every problem is reported at once.

import { readFile, stat } from "node:fs/promises";
import { dirname } from "node:path";

/** "30", "30s", "500ms", "2m", "1h" → milliseconds (a bare number is seconds); zero only with `allowZero`. */
export function parseDuration(
  text: string,
  from: string,
  problems: string[],
  opts: { allowZero?: boolean } = {},
): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m) {
    problems.push(`${from}: "${text}" is not a duration; use seconds (30) or 500ms, 30s, 2m, 1h`);
    return undefined;
  }
  const n = Number(m[1]);
  const unit = (m[2] ?? "s").toLowerCase();
  const ms = n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>)[unit]!;
  if (ms <= 0 && !(opts.allowZero && ms === 0)) {
    problems.push(`${from}: must be greater than zero`);
    return undefined;
  }
  return Math.round(ms);
}

/** "1048576", "1MiB", "512KiB", "1M", "1MB" → bytes (binary multiples for K/M/G). */
export function parseSize(text: string, from: string, problems: string[]): number | undefined {
  const m = /^\s*(\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(text);
  if (!m) {
    problems.push(`${from}: "${text}" is not a size; use bytes (1048576) or 512KiB, 1MiB, 1GiB`);
    return undefined;
  }
  const mult = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? "b")[0]!.toLowerCase() as "b" | "k" | "m" | "g"];
  return Number(m[1]) * mult;
}

/** An http(s) URL without credentials, query or fragment. */
export function parseHttpUrl(text: string, from: string, problems: string[]): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.push(`${from}: "${text}" is not a URL; use https://compute.<region>.oraclecloud.com`);
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    problems.push(`${from}: "${text}" must start with https:// (or http:// for a local simulator)`);
    return undefined;
  }
  if (url.username || url.password) {
    problems.push(`${from}: do not put credentials in the URL; use --user and --password-file`);
    return undefined;
  }
  if (url.search || url.hash) {
    problems.push(`${from}: "${text}" must not have a query or fragment`);
    return undefined;
  }
  return url;
}

/**
 * The API lives at the root of its host: every Compute API path (/authenticate/, /instance/…) and
 * every `uri` it returns starts there. A path in --api would be sent in front of each of them, and
 * a wrong one answers 401 like a wrong password, counting toward the account's lockout; so it is
 * refused here, naming what to write instead.
 */
export function checkApiRoot(url: URL, from: string, problems: string[]): void {
  if (url.pathname === "/" || url.pathname === "") return;
  problems.push(
    `${from}: "${url.href}" has a path (${url.pathname}); the Compute API is served at the root of its host, so give the origin alone: ${url.origin}`,
  );
}

/** A boolean environment variable (true/false, 1/0, yes/no, on/off); `fallback` when unset or empty. */
export function parseBoolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean, problems: string[]): boolean {
  const value = env[name];
  if (value === undefined || value === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  problems.push(`${name}: "${value.slice(0, 40)}" is not a boolean; use true or false`);
  return fallback;
}

/**
 * The two-part Compute user name: /Compute-<identity domain or service instance id>/<user>; the
 * user part may hold further `/` but never ends with one (the API's names never do).
 */
export const COMPUTE_USER = /^\/Compute-[^/\s]+\/\S*[^\s/]$/;

export function checkComputeUser(user: string, from: string, problems: string[]): void {
  // The API compares user names byte for byte: /compute-acme/… is another, unknown, user.
  if (/^\/compute-/i.test(user) && !user.startsWith("/Compute-")) {
    problems.push(
      `${from}: "${user}": the prefix is case-sensitive; write /Compute-${user.slice("/compute-".length)} (capital C)`,
    );
    return;
  }
  if (user.endsWith("/") && COMPUTE_USER.test(user.replace(/\/+$/, ""))) {
    problems.push(`${from}: "${user}" ends with /; the user name is ${user.replace(/\/+$/, "")}`);
    return;
  }
  if (!COMPUTE_USER.test(user)) {
    problems.push(
      `${from}: "${user}" is not a Compute user; use the two-part form /Compute-<identity domain>/<user>, e.g. /Compute-acme/jack.jones@example.com`,
    );
  }
}

/** Reads a PEM CA bundle named by `opt` (say --ca-file); problems name the flag and the file. */
export async function readCaFile(
  opt: { value: string; from: string } | undefined,
  problems: string[],
): Promise<string | undefined> {
  if (!opt) return undefined;
  try {
    const ca = await readFile(opt.value, "utf8");
    if (!ca.includes("-----BEGIN CERTIFICATE-----"))
      problems.push(`${opt.from}: ${opt.value} holds no PEM certificate`);
    return ca;
  } catch (err) {
    problems.push(`${opt.from}: cannot read ${opt.value}: ${fileProblem(err)}`);
    return undefined;
  }
}

/** A file-system error in words, without the raw `ENOENT: …, open '…'` text. */
export function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "it is a directory, not a file";
  if (code === "ENOTDIR") return "a part of the path is not a directory";
  return (err as Error).message;
}

/**
 * Checks that the directory of a file to be written (say --cookie-file) exists, so the mistake is
 * reported at start-up rather than at the first write, maybe hours later.
 */
export async function checkParentDirectory(opt: { value: string; from: string } | undefined, problems: string[]) {
  if (!opt) return;
  const dir = dirname(opt.value);
  try {
    if (!(await stat(dir)).isDirectory())
      problems.push(`${opt.from}: ${dir} (the directory of ${opt.value}) is not a directory`);
  } catch (err) {
    problems.push(
      `${opt.from}: the directory ${dir} of ${opt.value} cannot be used: ${fileProblem(err)}; create it first`,
    );
  }
}
