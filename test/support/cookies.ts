// Cookie values for tests, built and taken apart the way design.md fact 4 describes the API's:
// base64 of nested JSON with times in float Unix seconds, the raw form of older installations, an
// opaque value, and Set-Cookie lines. A cookie of another user: nimbulaValue({ user: OTHER_USER, … }).

export interface CookieClaims {
  user: string;
  /** Token expiry, ms since the epoch. */
  expiresAt: number;
  /** Session end, ms since the epoch. */
  sessionExpiresAt: number;
}

/** A base64 nimbula value carrying `claims`; `n` varies the signature so values differ. */
export function nimbulaValue(claims: CookieClaims, n = 1): string {
  const inner = JSON.stringify({
    customer: claims.user.split("/")[1] ?? "Compute-acme",
    realm: "compute-us2-z12",
    entity_type: "user",
    session_expires: claims.sessionExpiresAt / 1000,
    expires: claims.expiresAt / 1000,
    user: claims.user,
    groups: ["/Compute-acme/Compute.Compute_Operations"],
  });
  const middle = JSON.stringify({ realm: "compute-us2-z12", value: inner, signature: `sig+/${n}==` });
  return Buffer.from(JSON.stringify({ identity: middle })).toString("base64");
}

/** The same claims as older installations send them: the nested JSON raw, unencoded (design.md fact 4). */
export function rawNimbulaValue(claims: CookieClaims, n = 1): string {
  return Buffer.from(nimbulaValue(claims, n), "base64").toString("utf8");
}

/** A value that decodes to nothing: only Max-Age can say how long it lives. */
export function opaqueNimbulaValue(n = 1): string {
  return `opaque+token/${n}==`;
}

/** A `Set-Cookie` line as the API sends it at login or refresh (Max-Age in seconds). */
export function setCookieLine(value: string, maxAgeSeconds = 1800): string {
  return `nimbula=${value}; Path=/; Max-Age=${maxAgeSeconds}`;
}

/** The inner identity of a cookie value: outer {identity} → {realm, value, signature} → claims. */
export function decodeCookie(value: string, raw = false): { outer: any; identity: any; claims: any } {
  const outer = JSON.parse(raw ? value : Buffer.from(value, "base64").toString("utf8"));
  const identity = JSON.parse(outer.identity);
  return { outer, identity, claims: JSON.parse(identity.value) };
}
