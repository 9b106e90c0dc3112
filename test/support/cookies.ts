// Cookie values for tests, built the way design.md fact 4 describes the API's: base64 of nested JSON
// with times in float Unix seconds.

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
