// Owns the shared cookie file: the nimbula cookie as a Netscape cookie file that `curl -b` reads,
// written atomically with mode 0600, and read back tolerantly (with the user and API it belongs to).

import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { ProxyError, errorMessage } from "../errors.js";
import { writeFileAtomically } from "./atomic-file.js";
import { COOKIE_NAME } from "./cookie.js";
import { unbracketed } from "../net/host-names.js";

export interface SavedCookie {
  /** The API the cookie belongs to; its host is the cookie's domain. */
  api: URL;
  /** The two-part user the session belongs to, recorded so a reuse can check it. */
  user: string | undefined;
  /** The exact cookie value, without `nimbula=`. */
  value: string;
  /** Token expiry, ms since epoch (written as whole seconds, as curl expects). */
  tokenExpiresAt: number;
  /** Session end, ms since epoch, when known. */
  sessionExpiresAt?: number;
}

/** One cookie line of a Netscape cookie file. */
export interface CookieLine {
  domain: string;
  path: string;
  secure: boolean;
  /** ms since epoch; 0 for a session cookie. */
  expiresAt: number;
  name: string;
  value: string;
}

export interface CookieFileContent {
  /** From the `# user:` comment, when present. */
  user?: string;
  /** From the `# api:` comment, when present. */
  api?: string;
  /** From the `# session-ends:` comment, when present. */
  sessionExpiresAt?: number;
  cookies: CookieLine[];
}

const HEADER = [
  "# Netscape HTTP Cookie File",
  "# The nimbula session cookie of the Oracle Compute Cloud (Classic) API, kept by opc-auth-proxy.",
  "# Anyone who can read this file acts as the user below: keep it mode 600. Use: curl -b FILE URL",
];

/** The API host as a cookie domain: no port, no IPv6 brackets. */
export function cookieDomain(api: URL): string {
  return unbracketed(api.hostname);
}

export function formatCookieFile(saved: SavedCookie): string {
  if (/[\t\r\n]/.test(saved.value)) {
    // Cannot happen with a value taken from a Set-Cookie line; refuse rather than write a broken file.
    throw new ProxyError(
      "COOKIE_FILE",
      "the cookie value holds a tab or line break and cannot be written to a cookie file",
    );
  }
  const lines = [...HEADER];
  if (saved.user !== undefined) lines.push(`# user: ${saved.user}`);
  lines.push(`# api: ${saved.api.origin}`);
  lines.push(`# token-expires: ${new Date(saved.tokenExpiresAt).toISOString()}`);
  if (saved.sessionExpiresAt !== undefined)
    lines.push(`# session-ends: ${new Date(saved.sessionExpiresAt).toISOString()}`);
  lines.push("");
  const secure = saved.api.protocol === "https:" ? "TRUE" : "FALSE";
  const expiry = Math.max(1, Math.floor(saved.tokenExpiresAt / 1000));
  lines.push([cookieDomain(saved.api), "FALSE", "/", secure, String(expiry), COOKIE_NAME, saved.value].join("\t"));
  return `${lines.join("\n")}\n`;
}

/** Reads any Netscape cookie file: comments, `#HttpOnly_` lines, CRLF and space-separated lines. */
export function parseCookieFile(text: string): CookieFileContent {
  const content: CookieFileContent = { cookies: [] };
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#HttpOnly_")) line = line.slice("#HttpOnly_".length);
    else if (line.startsWith("#")) {
      const m = /^#\s*(user|api|session-ends):\s*(.+?)\s*$/i.exec(line);
      if (m) {
        const key = m[1]!.toLowerCase();
        if (key === "user") content.user = m[2]!;
        else if (key === "api") content.api = m[2]!;
        else if (Number.isFinite(Date.parse(m[2]!))) content.sessionExpiresAt = Date.parse(m[2]!);
      }
      continue;
    }
    let fields = line.split("\t");
    if (fields.length < 7) fields = line.split(/\s+/);
    if (fields.length < 7) continue;
    // The value is everything after the sixth separator: it may itself hold spaces.
    const [domain, , path, secure, expires, name] = fields as [string, string, string, string, string, string];
    const value = fields.slice(6).join(line.includes("\t") ? "\t" : " ");
    const seconds = Number(expires);
    content.cookies.push({
      domain: domain.replace(/^\./, ""),
      path,
      secure: secure.toUpperCase() === "TRUE",
      expiresAt: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0,
      name,
      value,
    });
  }
  return content;
}

/** The last nimbula cookie in `content` for `api`'s host, if any. */
export function nimbulaFor(content: CookieFileContent, api: URL): CookieLine | undefined {
  const host = cookieDomain(api).toLowerCase();
  return content.cookies
    .filter((c) => c.name === COOKIE_NAME && c.domain.toLowerCase() === host && c.value !== "")
    .at(-1);
}

/** Largest cookie file read, bytes: one cookie line and a few comments fit many times over. */
export const MAX_COOKIE_FILE_BYTES = 64 * 1024;

/**
 * Reads and parses a cookie file through one descriptor, only when it is a regular file of at most
 * MAX_COOKIE_FILE_BYTES (a FIFO or device planted at the path cannot block start-up).
 * @returns the content, with `othersCanRead` set when group or others may read it; undefined when
 * the file does not exist.
 * @throws ProxyError COOKIE_FILE naming the path.
 */
export async function readCookieFile(
  path: string,
): Promise<(CookieFileContent & { othersCanRead: boolean }) | undefined> {
  let text: string;
  let mode: number;
  try {
    const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw refused(path, st.isDirectory() ? "it is a directory" : "it is not a regular file");
      if (st.size > MAX_COOKIE_FILE_BYTES) throw refused(path, `it is larger than ${MAX_COOKIE_FILE_BYTES} bytes`);
      mode = st.mode;
      text = await fh.readFile("utf8");
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof ProxyError) throw err;
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ProxyError("COOKIE_FILE", `cannot read the cookie file ${path}: ${describe(err)}`, { cause: err });
  }
  return { ...parseCookieFile(text), othersCanRead: (mode & 0o044) !== 0 };
}

function refused(path: string, why: string): ProxyError {
  return new ProxyError("COOKIE_FILE", `not reading the cookie file ${path}: ${why}`);
}

/**
 * Replaces the file in one step (a temporary file beside it, then rename), so a reader never
 * sees half a file, and with mode 0600 from the first byte.
 */
export async function writeCookieFile(path: string, saved: SavedCookie): Promise<void> {
  try {
    await writeFileAtomically(path, formatCookieFile(saved));
  } catch (err) {
    throw new ProxyError("COOKIE_FILE", `cannot write the cookie file ${path}: ${describe(err)}`, { cause: err });
  }
}

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such directory";
  if (code === "EISDIR") return "it is a directory";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EROFS") return "read-only file system";
  return errorMessage(err);
}
