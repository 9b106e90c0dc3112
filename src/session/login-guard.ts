// Owns the wrong-password guard's memory across restarts: how many logins each password (by a
// salted fingerprint, never the password) may have had rejected, kept in a small 0600 state file,
// so a container restart or crash loop cannot undo the guard that protects the account.

import { createHmac, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { AuthFailure } from "./api-auth.js";
import { writeFileAtomically } from "./atomic-file.js";

/** Counts logins per password fingerprint that did, or may have, been rejected by the API. */
export interface LoginGuardStore {
  /** Logins counted against `fingerprint` so far (0 when unknown). */
  count(fingerprint: string): Promise<number>;
  /**
   * Counts a login before it is sent, so a process killed while the API answers has still spent
   * it; `settle` takes it back when the answer was not a rejection.
   */
  begin(fingerprint: string): Promise<void>;
  /** "ok" forgets every count (the password works); "transient" takes back the begun attempt. */
  settle(fingerprint: string, outcome: "rejected" | "ok" | "transient"): Promise<void>;
}

/** The state file's content: a random salt and counts by salted fingerprint. */
interface StateFile {
  version: 1;
  salt: string;
  rejections: Record<string, number>;
}

const MAX_STATE_BYTES = 64 * 1024;
const MAX_ENTRIES = 32;

/** The default place of the state file: beside the cookie file, named after it. */
export function stateFileBeside(cookieFile: string): string {
  return join(dirname(cookieFile), `${basename(cookieFile)}.login-state`);
}

/** A store that lives only as long as the process (no state file configured). */
export function memoryLoginGuard(): LoginGuardStore {
  const counts = new Map<string, number>();
  return {
    count: async (fp) => counts.get(fp) ?? 0,
    begin: async (fp) => void counts.set(fp, (counts.get(fp) ?? 0) + 1),
    settle: async (fp, outcome) => {
      if (outcome === "ok") counts.clear();
      else if (outcome === "transient") counts.set(fp, Math.max(0, (counts.get(fp) ?? 1) - 1));
    },
  };
}

/**
 * A store kept in `path` (JSON, mode 0600, replaced atomically). An unreadable or malformed file is
 * started afresh and `warn` says so; a file that cannot be written is reported through `warn` and
 * the counts stay in memory, so the guard still holds for this process.
 */
export function fileLoginGuard(path: string, warn: (message: string) => void): LoginGuardStore {
  let state: StateFile | undefined;
  const load = async (): Promise<StateFile> => {
    state ??= await readState(path, warn);
    return state;
  };
  const key = (s: StateFile, fp: string) => createHmac("sha256", s.salt).update(fp).digest("base64");
  const save = async (s: StateFile): Promise<void> => {
    try {
      await writeFileAtomically(path, JSON.stringify(s));
    } catch (err) {
      warn(
        `cannot write the login state file ${path}: ${(err as Error).message}; the wrong-password guard is kept in memory only`,
      );
    }
  };
  return {
    async count(fp) {
      const s = await load();
      return s.rejections[key(s, fp)] ?? 0;
    },
    async begin(fp) {
      const s = await load();
      const k = key(s, fp);
      s.rejections[k] = (s.rejections[k] ?? 0) + 1;
      const keys = Object.keys(s.rejections);
      // Bounded: the oldest passwords tried are forgotten first (object keys keep insertion order).
      for (const old of keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES))) delete s.rejections[old];
      await save(s);
    },
    async settle(fp, outcome) {
      if (outcome === "rejected") return;
      const s = await load();
      if (outcome === "ok") s.rejections = {};
      else {
        const k = key(s, fp);
        s.rejections[k] = Math.max(0, (s.rejections[k] ?? 1) - 1);
      }
      await save(s);
    },
  };
}

async function readState(path: string, warn: (message: string) => void): Promise<StateFile> {
  const fresh = (): StateFile => ({ version: 1, salt: randomBytes(16).toString("base64"), rejections: {} });
  let text: string;
  try {
    const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const st = await fh.stat();
      if (!st.isFile() || st.size > MAX_STATE_BYTES) {
        warn(`the login state file ${path} is not a small regular file; starting afresh`);
        return fresh();
      }
      text = await fh.readFile("utf8");
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      warn(`cannot read the login state file ${path}: ${(err as Error).message}; starting afresh`);
    }
    return fresh();
  }
  try {
    const parsed = JSON.parse(text) as Partial<StateFile>;
    if (parsed.version === 1 && typeof parsed.salt === "string" && typeof parsed.rejections === "object") {
      const rejections: Record<string, number> = {};
      for (const [k, v] of Object.entries(parsed.rejections ?? {})) if (Number.isSafeInteger(v)) rejections[k] = v;
      return { version: 1, salt: parsed.salt, rejections };
    }
  } catch {
    // Falls through to a fresh state.
  }
  warn(`the login state file ${path} is not one this proxy wrote; starting afresh`);
  return fresh();
}

/**
 * Wraps one login attempt in the guard: refuses, without asking the API, a password already
 * rejected `allowed` times (also before a restart), and counts each attempt before it is sent,
 * settling it as ok, rejected or transient afterwards.
 * @param guard the store; undefined (or no fingerprint): no guard, `send` runs as is.
 * @param fp the password source's fingerprint (never the password).
 * @param allowed how many rejected attempts one password may make (the policy's waits + 1).
 * @param onSpent told how many rejections this password already has, before anything is sent.
 * @throws AuthFailure "rejected" when the password has used up its attempts.
 */
export async function guardedLogin<T>(
  guard: LoginGuardStore | undefined,
  fp: string | undefined,
  allowed: number,
  onSpent: (spent: number) => void,
  send: () => Promise<T>,
): Promise<T> {
  if (guard === undefined || fp === undefined) return send();
  const spent = await guard.count(fp);
  onSpent(spent);
  if (spent >= allowed) {
    throw new AuthFailure("rejected", `login rejected ${spent} times with this password, also before a restart`);
  }
  await guard.begin(fp);
  try {
    const out = await send();
    await guard.settle(fp, "ok");
    return out;
  } catch (err) {
    await guard.settle(fp, err instanceof AuthFailure && err.kind === "rejected" ? "rejected" : "transient");
    throw err;
  }
}
