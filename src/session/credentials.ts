// Owns where the password comes from: an owner-only password file read afresh at every login,
// a prompt without echo (`-`), or a value given in memory (OPC_PASSWORD, the demo simulator).

import { createHash, timingSafeEqual } from "node:crypto";
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { ProxyError, errorMessage } from "../errors.js";

export interface Credentials {
  readonly user: string;
  /** Where the password comes from, for messages: never the password itself. */
  readonly source: string;
  /** The password as of now (a file is read again each time, so a rotated secret is picked up). */
  password(): Promise<string>;
  /** Changes when the password source changes; undefined when it cannot change. */
  fingerprint(): Promise<string | undefined>;
}

/**
 * A password file read afresh at every login. `warn` hears, once per change of the file, what is
 * odd about it (trailing whitespace, several lines) without the password itself.
 */
export function fileCredentials(user: string, path: string, warn?: (message: string) => void): Credentials {
  let warned: string | undefined;
  return {
    user,
    source: `the password file ${path}`,
    password: async () => {
      const { password, oddities, fingerprint } = await readPasswordFileChecked(path);
      if (warn && oddities.length > 0 && warned !== fingerprint) warn(`password file ${path} ${oddities.join("; ")}`);
      warned = fingerprint;
      return password;
    },
    // Content and mode: a `chmod 600` alone is a fix worth trying again for.
    fingerprint: async () => {
      try {
        return (await readOnce(path)).fingerprint;
      } catch (err) {
        return `unreadable:${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      }
    },
  };
}

/**
 * Whether `candidate` is the password `credentials` give now (a file is read afresh), compared in
 * constant time over SHA-256 digests so neither length nor content leaks through timing.
 * @throws ProxyError PASSWORD_FILE when the password source cannot be read.
 */
export async function passwordMatches(credentials: Credentials, candidate: string): Promise<boolean> {
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(await credentials.password()), digest(candidate));
}

export function staticCredentials(user: string, password: string, source: string): Credentials {
  return { user, source, password: async () => password, fingerprint: async () => undefined };
}

/** The fix for a password file that others can read, for a laptop and for a Kubernetes Secret. */
export const PASSWORD_FILE_MODE_FIX =
  "run `chmod 600 FILE` (in Kubernetes, mount the Secret with `defaultMode: 0400`, or `0440` with the pod's `fsGroup` when the proxy runs as non-root)";

export interface FileOwner {
  mode: number;
  uid: number;
  gid: number;
}

export interface ProcessIdentity {
  uid: number;
  groups: readonly number[];
}

/**
 * Why a password file's permissions are unsafe, or undefined. Owner-only is the rule. The one
 * exception is a Kubernetes Secret mounted for a non-root container: the kubelet makes its files
 * root-owned and readable by the pod's fsGroup (0440), so a root-owned file readable by a group
 * this process itself belongs to is accepted; anything readable by others never is.
 */
export function modeProblem(file: FileOwner, me: ProcessIdentity): string | undefined {
  const octal = (file.mode & 0o777).toString(8).padStart(3, "0");
  // Whoever can write the file chooses the password the proxy sends, and so the account it holds.
  if ((file.mode & 0o002) !== 0) return `is writable by others (mode ${octal})`;
  if ((file.mode & 0o020) !== 0) return `is writable by its group (mode ${octal})`;
  if ((file.mode & 0o004) !== 0) return `is readable by others (mode ${octal})`;
  if ((file.mode & 0o040) !== 0) {
    const secretForThisPod = file.uid === 0 && me.uid !== 0 && me.groups.includes(file.gid);
    if (!secretForThisPod) return `is readable by its group (mode ${octal})`;
  }
  return undefined;
}

function processIdentity(): ProcessIdentity {
  const uid = process.getuid?.() ?? -1;
  const groups = [...(process.getgroups?.() ?? []), process.getgid?.() ?? -1];
  return { uid, groups };
}

/** Largest password file read, bytes: a password is short; anything larger is the wrong file. */
const MAX_PASSWORD_FILE_BYTES = 64 * 1024;

/** The file's text and mode, read through one descriptor whose fstat is what was checked. */
async function readOnce(
  path: string,
): Promise<{ text: string; mode: number; uid: number; gid: number; fingerprint: string }> {
  // O_NONBLOCK: a FIFO planted at the path must not block the proxy; fstat then refuses it.
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    if (!st.isFile()) throw Object.assign(new Error("is not a regular file"), { code: "ENOTREG" });
    if (st.size > MAX_PASSWORD_FILE_BYTES) {
      throw Object.assign(new Error(`is larger than ${MAX_PASSWORD_FILE_BYTES} bytes`), { code: "ETOOBIG" });
    }
    const buf = await fh.readFile();
    const fingerprint = `${st.mode}:${createHash("sha256").update(buf).digest("hex")}`;
    return { text: buf.toString("utf8"), mode: st.mode, uid: st.uid, gid: st.gid, fingerprint };
  } finally {
    await fh.close();
  }
}

/**
 * Reads and checks a password file through one open descriptor (no check-then-read race): it must
 * be a regular file (a directory says so first), readable and writable by its owner only (see
 * modeProblem), not empty.
 * @throws ProxyError PASSWORD_FILE naming the path and the fix.
 */
export async function readPasswordFile(path: string): Promise<string> {
  return (await readPasswordFileChecked(path)).password;
}

async function readPasswordFileChecked(
  path: string,
): Promise<{ password: string; oddities: string[]; fingerprint: string }> {
  let file;
  try {
    file = await readOnce(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOTREG" || code === "ETOOBIG") throw passwordFileError(path, (err as Error).message);
    throw passwordFileError(path, `cannot be read: ${describeFsError(err)}`);
  }
  const problem = modeProblem(file, processIdentity());
  if (problem) throw passwordFileError(path, `${problem}; ${PASSWORD_FILE_MODE_FIX.replace("FILE", path)}`);
  const password = stripNewline(file.text);
  if (password === "") throw passwordFileError(path, "is empty; put the password on its first line");
  return { password, oddities: oddities(password), fingerprint: file.fingerprint };
}

/** What is odd about a password read from a file, said without showing it. */
function oddities(password: string): string[] {
  const found: string[] = [];
  if (/[\r\n]/.test(password)) {
    found.push("holds more than one line; the whole text after removing one final newline is used as the password");
  }
  if (/[ \t]$/.test(password) || /^[ \t]/.test(password)) {
    found.push("has spaces or tabs at the start or end of the password; they are kept as part of it");
  }
  return found;
}

/** One trailing newline (LF or CRLF) is not part of the password; everything else is. */
export function stripNewline(text: string): string {
  return text.replace(/\r?\n$/, "");
}

function passwordFileError(path: string, what: string): ProxyError {
  return new ProxyError("PASSWORD_FILE", `password file ${path} ${what}`);
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "it is a directory";
  return errorMessage(err);
}
