// Owns the nimbula cookie's wire format: finding it in Set-Cookie lines, keeping its exact bytes,
// decoding the nested identity JSON (base64 or raw), and deriving token and session expiry from it.

export const COOKIE_NAME = "nimbula";
export const DEFAULT_TOKEN_TTL_MS = 30 * 60_000;
export const DEFAULT_SESSION_TTL_MS = 3 * 60 * 60_000;
/** Resolution of the HTTP Date header (RFC 9110 §5.6.7): whole seconds. */
const DATE_RESOLUTION_MS = 1000;

export interface IssuedCookie {
  /** The exact bytes between `nimbula=` and the first `;`. */
  value: string;
  /** Max-Age in seconds, when the Set-Cookie line carried a usable one. */
  maxAgeSeconds?: number;
  /** The answer's HTTP status, when known (a cookie is taken only from a 2xx answer). */
  status?: number;
  /** The answer's `Date` header, ms since epoch on the API's clock, when it had a valid one. */
  dateMs?: number;
}

/** An HTTP `Date` header as ms since epoch, or undefined when absent or unparsable. */
export function parseHttpDate(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const ms = Date.parse(header);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

export interface CookieClaims {
  /** Token expiry, ms since epoch. */
  expiresAt?: number;
  /** Session end (login + 3 h), ms since epoch. */
  sessionExpiresAt?: number;
  user?: string;
}

export interface CookieExpiry {
  tokenExpiresAt: number;
  sessionExpiresAt: number;
  /** Where the token expiry came from, for status pages and logs. */
  source: "cookie" | "max-age" | "default";
}

/**
 * Finds the last `nimbula` cookie among Set-Cookie lines. Deliberately not an RFC 6265 parser:
 * older installations put raw JSON (quotes, commas, backslashes) in the value.
 */
export function findNimbula(setCookie: string | readonly string[] | undefined): IssuedCookie | undefined {
  if (setCookie === undefined) return undefined;
  const lines = typeof setCookie === "string" ? [setCookie] : setCookie;
  let found: IssuedCookie | undefined;
  for (const line of lines) {
    const parsed = parseNimbulaLine(line);
    if (parsed) found = parsed;
  }
  return found;
}

export function isNimbulaLine(line: string): boolean {
  return /^\s*nimbula=/i.test(line);
}

/**
 * Whether a Set-Cookie line holds `nimbula=` anywhere in it: after a comma or semicolon (lines folded
 * by a middlebox), inside another cookie's value (`other=nimbula=…`), or as part of a longer name.
 * Such a line must never reach a client, even if it is not one to adopt; dropping a harmless
 * `xnimbula=` cookie is the price of not having to guess how an echo quotes the managed one.
 */
export function mentionsNimbula(line: string): boolean {
  return /nimbula\s*=/i.test(line);
}

function parseNimbulaLine(line: string): IssuedCookie | undefined {
  if (!isNimbulaLine(line)) return undefined;
  const start = line.indexOf("=") + 1;
  const semi = line.indexOf(";", start);
  const value = (semi === -1 ? line.slice(start) : line.slice(start, semi)).trim();
  if (value === "") return undefined;
  const cookie: IssuedCookie = { value };
  const attrs = semi === -1 ? "" : line.slice(semi + 1);
  const m = /(?:^|;)\s*max-age\s*=\s*(-?\d+)\s*(?:;|$)/i.exec(attrs);
  if (m) {
    const n = Number(m[1]);
    if (Number.isSafeInteger(n)) cookie.maxAgeSeconds = n;
  }
  return cookie;
}

/** Decodes the nested identity JSON; returns {} when the value is opaque. Never throws. */
export function decodeClaims(value: string): CookieClaims {
  const outer = parseJson(value) ?? parseJson(fromBase64(value));
  const inner = unwrap(outer);
  if (!inner) return {};
  const claims: CookieClaims = {};
  const exp = seconds(inner["expires"]);
  const sess = seconds(inner["session_expires"]);
  if (exp !== undefined) claims.expiresAt = exp;
  if (sess !== undefined) claims.sessionExpiresAt = sess;
  if (typeof inner["user"] === "string") claims.user = inner["user"];
  return claims;
}

/**
 * Token and session expiry for a cookie received at `now` (ms, our clock). Lifetimes are measured
 * relative to receipt, never by comparing our clock with the API's absolute times (design §4):
 * token = now + min(Max-Age, claims.expires − the answer's Date); session end = now +
 * (claims.session_expires − Date). Without a Date, Max-Age caps the absolute claims; with neither
 * claims nor Max-Age the API's documented 30 minutes apply, and the session end defaults to
 * `sessionStart` + 3 h.
 */
export function expiryOf(cookie: IssuedCookie, now: number, sessionStart = now): CookieExpiry {
  const claims = decodeClaims(cookie.value);
  const date = cookie.dateMs;
  const maxAgeMs =
    cookie.maxAgeSeconds !== undefined && cookie.maxAgeSeconds > 0 ? cookie.maxAgeSeconds * 1000 : undefined;
  // A Date has whole seconds: the answer left the API within [Date, Date + 1 s), so what is left of
  // `at` lies in [at − Date − 1 s, at − Date]. Our own clock picks the point in that interval when it
  // agrees with the API's (exact to the ms); with a skewed one, the interval's early end (never late).
  const relative = (at: number): number => {
    if (date === undefined) return at;
    const most = at - date;
    const ours = at - now;
    return now + (ours <= most && ours >= most - DATE_RESOLUTION_MS ? ours : most - DATE_RESOLUTION_MS);
  };
  const sessionExpiresAt =
    claims.sessionExpiresAt !== undefined ? relative(claims.sessionExpiresAt) : sessionStart + DEFAULT_SESSION_TTL_MS;
  let tokenExpiresAt: number;
  let source: CookieExpiry["source"];
  if (claims.expiresAt !== undefined) {
    tokenExpiresAt = relative(claims.expiresAt);
    if (maxAgeMs !== undefined) tokenExpiresAt = Math.min(tokenExpiresAt, now + maxAgeMs);
    source = "cookie";
  } else if (maxAgeMs !== undefined) {
    tokenExpiresAt = now + maxAgeMs;
    source = "max-age";
  } else {
    tokenExpiresAt = now + DEFAULT_TOKEN_TTL_MS;
    source = "default";
  }
  return { tokenExpiresAt: Math.min(tokenExpiresAt, sessionExpiresAt), sessionExpiresAt, source };
}

type Json = Record<string, unknown>;

/** Walks identity → value until it reaches the object that carries the times. */
function unwrap(node: unknown): Json | undefined {
  let cur = node;
  for (let depth = 0; depth < 4; depth++) {
    const obj = asObject(cur);
    if (!obj) return undefined;
    if ("expires" in obj || "session_expires" in obj) return obj;
    cur = "identity" in obj ? obj["identity"] : obj["value"];
  }
  return undefined;
}

function asObject(v: unknown): Json | undefined {
  if (typeof v === "string") v = parseJson(v);
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (!t.startsWith("{")) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

function fromBase64(value: string): string | undefined {
  // Standard base64 on the public cloud; accept URL-safe and quoted values too.
  const v = value.replace(/^"|"$/g, "");
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) return undefined;
  return Buffer.from(v, "base64").toString("utf8");
}

function seconds(v: unknown): number | undefined {
  const n = typeof v === "string" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n) || n <= 0) return undefined;
  // Float Unix seconds; values already in ms are accepted rather than misread as year 50000.
  return n > 1e12 ? Math.round(n) : Math.round(n * 1000);
}

/**
 * Whether a refresh can still extend the token (design §2.2: never past the session end). Max-Age
 * has whole seconds, so a token capped at the session end can look up to 1 s short of it;
 * refreshing then only earns a Max-Age=0 answer.
 */
export function canExtend(h: CookieExpiry): boolean {
  return h.sessionExpiresAt - h.tokenExpiresAt >= 1000;
}

/**
 * The nimbula value in a client's `Cookie` header (`a=1; nimbula=v; b=2` → `v`), or undefined.
 * Used for the placeholder and handles clients send back, never to forward a client's cookie.
 */
export function nimbulaFromCookieHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/;\s*/)) {
    if (part.startsWith(`${COOKIE_NAME}=`)) return part.slice(COOKIE_NAME.length + 1);
  }
  return undefined;
}
