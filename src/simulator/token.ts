// Owns the nimbula cookie value (design fact 4): building the nested identity JSON, signing it with
// the simulator's secret, encoding it as base64 or raw, and reading it back from a Cookie header.

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The inner identity, field for field and in the API's order; times are float Unix seconds. */
export interface TokenClaims {
  customer: string;
  realm: string;
  entity_type: "user";
  session_expires: number;
  expires: number;
  user: string;
  groups: string[];
}

export type CookieFormat = "base64" | "raw";
export const COOKIE_NAME = "nimbula";

const NONCE_BYTES = 12;
const SESSION_ID_BYTES = 6;
const MAC_BYTES = 32;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export const toSeconds = (ms: number): number => ms / 1000;
export const toMillis = (seconds: number): number => Math.round(seconds * 1000);

/** A token as the simulator reads it back: the claims and the server-side session it belongs to. */
export interface VerifiedToken {
  claims: TokenClaims;
  sessionId: number;
}

/**
 * Signs and checks cookie values. The signature is base64(nonce ‖ HMAC-SHA256(secret, nonce ‖ value))
 * where the nonce is the session id (6 bytes) and 6 random bytes: the claims keep exactly the API's
 * fields, tokens issued in the same millisecond still differ, and any edit is detected.
 */
export class TokenSigner {
  constructor(
    private readonly secret: Buffer = randomBytes(32),
    private readonly random: (n: number) => Buffer = randomBytes,
  ) {}

  encode(claims: TokenClaims, format: CookieFormat, sessionId: number): string {
    const value = JSON.stringify({
      customer: claims.customer,
      realm: claims.realm,
      entity_type: claims.entity_type,
      session_expires: claims.session_expires,
      expires: claims.expires,
      user: claims.user,
      groups: claims.groups,
    });
    const nonce = Buffer.concat([Buffer.alloc(SESSION_ID_BYTES), this.random(NONCE_BYTES - SESSION_ID_BYTES)]);
    nonce.writeUIntBE(sessionId, 0, SESSION_ID_BYTES);
    const signature = Buffer.concat([nonce, this.mac(nonce, value)]).toString("base64");
    const identity = JSON.stringify({ realm: claims.realm, value, signature });
    const outer = JSON.stringify({ identity });
    return format === "raw" ? outer : Buffer.from(outer, "utf8").toString("base64");
  }

  /** The claims of a value this simulator issued, or undefined for anything forged, edited or malformed. */
  decode(cookieValue: string): VerifiedToken | undefined {
    const outer = cookieValue.startsWith("{") ? cookieValue : strictBase64(cookieValue);
    if (outer === undefined) return undefined;
    const identity = parseObject(outer)?.identity;
    if (typeof identity !== "string") return undefined;
    const inner = parseObject(identity);
    if (!inner || typeof inner.value !== "string" || typeof inner.signature !== "string") return undefined;
    const sessionId = this.verify(inner.value, inner.signature);
    if (sessionId === undefined) return undefined;
    const claims = parseObject(inner.value);
    return claims && isClaims(claims) && claims.realm === inner.realm ? { claims, sessionId } : undefined;
  }

  private mac(nonce: Buffer, value: string): Buffer {
    return createHmac("sha256", this.secret).update(nonce).update(value, "utf8").digest();
  }

  /** The session id in a valid signature of `value`, else undefined. */
  private verify(value: string, signature: string): number | undefined {
    if (!BASE64.test(signature)) return undefined;
    const raw = Buffer.from(signature, "base64");
    // Base64's last character carries spare bits: only the canonical spelling is the signature.
    if (raw.length !== NONCE_BYTES + MAC_BYTES || raw.toString("base64") !== signature) return undefined;
    const expected = this.mac(raw.subarray(0, NONCE_BYTES), value);
    return timingSafeEqual(expected, raw.subarray(NONCE_BYTES)) ? raw.readUIntBE(0, SESSION_ID_BYTES) : undefined;
  }
}

/** Decodes base64 only when re-encoding gives back the same text, so edited padding is refused too. */
function strictBase64(text: string): string | undefined {
  if (!BASE64.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? bytes.toString("utf8") : undefined;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isClaims(v: Record<string, unknown>): v is Record<string, unknown> & TokenClaims {
  return (
    typeof v.customer === "string" &&
    typeof v.realm === "string" &&
    v.entity_type === "user" &&
    typeof v.session_expires === "number" &&
    typeof v.expires === "number" &&
    typeof v.user === "string" &&
    Array.isArray(v.groups) &&
    v.groups.every((g) => typeof g === "string")
  );
}

/**
 * The bytes after `nimbula=` up to the next `;` (design fact 4): values hold `=`, `+`, `/` and, in
 * raw format, quotes, commas and backslashes, so no RFC 6265 parser is used.
 */
export function readNimbulaCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const item = part.replace(/^[ \t]+/, "");
    if (item.startsWith(`${COOKIE_NAME}=`)) {
      const value = item.slice(COOKIE_NAME.length + 1).replace(/[ \t]+$/, "");
      if (value) return value;
    }
  }
  return undefined;
}

export function setCookieHeader(value: string, maxAgeSeconds: number): string {
  return `${COOKIE_NAME}=${value}; Path=/; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`;
}
