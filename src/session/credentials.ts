// Owns where the password comes from: an owner-only password file read afresh at every login,
// a prompt without echo (`-`), or a value given in memory (OPC_PASSWORD, the demo simulator).

import { createHash, timingSafeEqual } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
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

export function fileCredentials(user: string, path: string): Credentials {
  return {
    user,
    source: `the password file ${path}`,
    password: () => readPasswordFile(path),
    // Content and mode: a `chmod 600` alone is a fix worth trying again for.
    fingerprint: async () => {
      try {
        const mode = (await stat(path)).mode;
        return `${mode}:${createHash("sha256")
          .update(await readFile(path))
          .digest("hex")}`;
      } catch (err) {
        return `unreadable:${(err as NodeJS.ErrnoException).code ?? ""}`;
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

/** Reads and checks a password file; errors name the path and say what to do. */
export async function readPasswordFile(path: string): Promise<string> {
  let problem: string | undefined;
  try {
    problem = modeProblem(await stat(path), processIdentity());
  } catch (err) {
    throw passwordFileError(path, `cannot be read: ${describeFsError(err)}`);
  }
  if (problem) throw passwordFileError(path, `${problem}; ${PASSWORD_FILE_MODE_FIX.replace("FILE", path)}`);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw passwordFileError(path, `cannot be read: ${describeFsError(err)}`);
  }
  const password = stripNewline(text);
  if (password === "") throw passwordFileError(path, "is empty; put the password on its first line");
  return password;
}

/** One trailing newline (LF or CRLF) is not part of the password; everything else is. */
export function stripNewline(text: string): string {
  return text.replace(/\r?\n$/, "");
}

function passwordFileError(path: string, what: string): ProxyError {
  return new ProxyError("PASSWORD_FILE", `password file ${path} ${what}`, 503);
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "it is a directory";
  return errorMessage(err);
}
