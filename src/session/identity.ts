// Owns how client credentials name a session in client identity mode: a keyed hash of user and
// password, so a wrong password never finds someone else's session, and opaque random handles.
// No HTTP types here: the http/ layer parses Basic and cookies and hands over plain strings.

import { createHmac, randomBytes as cryptoRandomBytes } from "node:crypto";

/** Fills `n` random bytes; injected so tests can make handles predictable. */
export type RandomBytes = (n: number) => Buffer;

/** Bytes of entropy in a handle: 256 bits, as the issue asks (43 base64url characters). */
export const HANDLE_BYTES = 32;

export interface IdentityKeys {
  /**
   * The identity key of a user and password: HMAC-SHA256 under a per-process random key, in hex.
   * Two clients share a session only if both the user and the password match; the key is never
   * stored, logged or shown, and a restart makes every old key meaningless.
   */
  keyOf(user: string, password: string): string;
  /** A fresh opaque handle: 256 random bits, base64url (cookie-safe, no `;`, `,` or `=`). */
  newHandle(): string;
}

/**
 * Makes the key derivation and the handle source for one process.
 * @param randomBytes source of randomness (node:crypto's by default).
 * @example
 *   const keys = createIdentityKeys();
 *   keys.keyOf("/Compute-acme/jack", "pw") === keys.keyOf("/Compute-acme/jack", "pw"); // true
 */
export function createIdentityKeys(randomBytes: RandomBytes = cryptoRandomBytes): IdentityKeys {
  const secret = randomBytes(32);
  return {
    keyOf(user, password) {
      // JSON framing keeps ("a", "\0b") and ("a\0", "b") apart, whatever the bytes.
      return createHmac("sha256", secret)
        .update(JSON.stringify([user, password]))
        .digest("hex");
    },
    newHandle() {
      return randomBytes(HANDLE_BYTES).toString("base64url");
    },
  };
}

/** True when `value` has the shape of a handle this module makes (43 base64url characters). */
export function looksLikeHandle(value: string): boolean {
  return value.length === 43 && /^[A-Za-z0-9_-]+$/.test(value);
}
