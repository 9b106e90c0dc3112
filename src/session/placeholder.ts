// Owns the placeholder cookie the proxy gives clients that log in themselves: shaped like the API's
// nimbula value (base64 of the nested identity JSON) so SDKs can read its expiry, holding no secret.

/** The realm and signature of every placeholder: they say plainly what it is. */
export const PLACEHOLDER_REALM = "opc-auth-proxy-placeholder";
export const PLACEHOLDER_NOTE =
  "placeholder issued by opc-auth-proxy: not a Compute API token, holds no secret; the proxy attaches the real session";

/**
 * A placeholder value for `user`, in the API's format (design §2.4): base64 of
 * `{"identity": "{\"realm\", \"value\": \"{customer, realm, entity_type, session_expires, expires,
 * user, groups}\", \"signature\"}"}`, times in float Unix seconds.
 * @param tokenExpiresAt ms since epoch (our clock): what the client reads as the token's expiry.
 * @param sessionExpiresAt ms since epoch (our clock): the session end.
 */
export function placeholderCookie(user: string, tokenExpiresAt: number, sessionExpiresAt: number): string {
  const customer = /^\/(Compute-[^/]+)\//.exec(user)?.[1] ?? "";
  const value = JSON.stringify({
    customer,
    realm: PLACEHOLDER_REALM,
    entity_type: "user",
    session_expires: sessionExpiresAt / 1000,
    expires: tokenExpiresAt / 1000,
    user,
    groups: [],
    note: PLACEHOLDER_NOTE,
  });
  const identity = JSON.stringify({ realm: PLACEHOLDER_REALM, value, signature: PLACEHOLDER_REALM });
  return Buffer.from(JSON.stringify({ identity }), "utf8").toString("base64");
}
