// Owns what `serve` shares with other tools: at start, taking over a still-valid session from the
// cookie file or OPC_COOKIE instead of logging in, and keeping the cookie file up to date after.

import type { Clock } from "../clock.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import { decodeClaims, COOKIE_NAME } from "./cookie.js";
import { nimbulaFor, readCookieFile, writeCookieFile } from "./cookie-file.js";
import type { SessionManager } from "./manager.js";

export interface SharedCookieOptions {
  session: SessionManager;
  api: URL;
  /** Keep this Netscape cookie file up to date, and try its cookie at start. */
  cookieFile: string | undefined;
  /** Where OPC_COOKIE / OPC_COMPUTE_COOKIE may hand over a session; undefined: do not look. */
  env: NodeJS.ProcessEnv | undefined;
  clock: Clock;
  log: Logger;
}

/** The environment variables that may hold a cookie value (without `nimbula=`), preferred first. */
export const COOKIE_ENV = ["OPC_COOKIE", "OPC_COMPUTE_COOKIE"] as const;

/**
 * Subscribes the cookie-file writer, then starts a resume with the best candidate cookie. The resume
 * is not awaited: `session.start()` waits for it and logs in only if the API refuses the cookie.
 */
export async function shareCookie(opts: SharedCookieOptions): Promise<void> {
  const { session, log } = opts;
  if (opts.cookieFile) keepCookieFile(session, opts.cookieFile, opts.api, log);
  const candidate = await resumeCandidate(opts);
  if (!candidate) return;
  void session.resume(candidate.value).then((ok) => {
    if (ok)
      log.info(
        { event: "resumed", from: candidate.from },
        `took over the session from ${candidate.from}: no login needed`,
      );
    else
      log.info(
        { event: "resume_refused", from: candidate.from },
        `the cookie from ${candidate.from} is no longer valid: logging in`,
      );
  });
}

/** Writes the current cookie after every login, refresh and adopted cookie; one write at a time. */
function keepCookieFile(session: SessionManager, path: string, api: URL, log: Logger): void {
  let chain = Promise.resolve();
  let queued = false;
  let written: string | undefined;
  const update = (): void => {
    if (queued) return;
    queued = true;
    chain = chain.then(async () => {
      queued = false;
      // Events carry no secret: the value is read here, at write time, so the newest one wins.
      const value = session.currentCookie();
      const snap = session.snapshot();
      if (value === undefined || value === written || snap.tokenExpiresAt === undefined) return;
      try {
        await writeCookieFile(path, {
          api,
          user: session.user,
          value,
          tokenExpiresAt: snap.tokenExpiresAt,
          sessionExpiresAt: snap.sessionExpiresAt,
        });
        written = value;
        log.debug(
          { event: "cookie_file", path, tokenExpiresAt: new Date(snap.tokenExpiresAt).toISOString() },
          `updated the cookie file ${path}`,
        );
      } catch (err) {
        log.warn({ event: "cookie_file_failed", path }, `${errorMessage(err)}; the proxy carries on without it`);
      }
    });
  };
  session.on("login", update);
  session.on("refresh", update);
  session.on("adopt", update);
}

/** The cookie file's cookie if it is this user's, on this API, and unexpired; else OPC_COOKIE's on the same terms. */
async function resumeCandidate(opts: SharedCookieOptions): Promise<{ value: string; from: string } | undefined> {
  const { session, api, clock, log } = opts;
  const skip = (from: string, why: string): undefined => {
    log.info({ event: "resume_skipped", from }, `not reusing the cookie from ${from}: ${why}`);
    return undefined;
  };
  const fromFile = async (path: string): Promise<{ value: string; from: string } | undefined> => {
    const from = `the cookie file ${path}`;
    let content;
    try {
      content = await readCookieFile(path);
    } catch (err) {
      log.warn({ event: "cookie_file_failed", path }, errorMessage(err));
      return undefined;
    }
    if (!content) return undefined;
    if (content.othersCanRead) {
      log.warn(
        { event: "cookie_file_exposed", path },
        `the cookie file ${path} was readable by its group or others: anyone who read it could act as its user until that session ends; it is rewritten with mode 0600`,
      );
    }
    if (content.user !== session.user)
      return skip(from, `it belongs to ${content.user ?? "an unrecorded user"}, not ${session.user}`);
    if (content.api !== undefined && hostOf(content.api) !== api.host)
      return skip(from, `it is for ${content.api}, not ${api.origin}`);
    const line = nimbulaFor(content, api);
    if (!line) return skip(from, `it holds no ${COOKIE_NAME} cookie for ${api.hostname}`);
    if (line.expiresAt !== 0 && line.expiresAt <= clock.now())
      return skip(from, `its token expired at ${new Date(line.expiresAt).toISOString()}`);
    return { value: line.value, from };
  };
  if (opts.cookieFile) {
    const found = await fromFile(opts.cookieFile);
    if (found) return found;
  }
  for (const name of COOKIE_ENV) {
    const raw = opts.env?.[name];
    if (!raw) continue;
    const value = stripCookieName(raw);
    const claims = decodeClaims(value);
    if (claims.user === undefined) return skip(name, "the cookie does not say whose it is");
    if (claims.user !== session.user) return skip(name, `it belongs to ${claims.user}, not ${session.user}`);
    if (claims.expiresAt !== undefined && claims.expiresAt <= clock.now()) {
      return skip(name, `its token expired at ${new Date(claims.expiresAt).toISOString()}`);
    }
    return { value, from: name };
  }
  return undefined;
}

/** OPC_COOKIE holds the bare value; tolerate a pasted `nimbula=` prefix and surrounding blanks. */
export function stripCookieName(text: string): string {
  return text.trim().replace(new RegExp(`^${COOKIE_NAME}=`, "i"), "");
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
