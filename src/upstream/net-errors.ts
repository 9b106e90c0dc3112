// Owns how a failed connection to the API is described: the error code, what it means, and for TLS
// failures the flag that fixes them, so a login error says more than "self-signed certificate".

import type { Upstream } from "./upstream.js";

const UNTRUSTED = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
]);

/** "cannot reach the API at https://…: CODE message; <what to do>", without any request data. */
export function describeNetError(upstream: Pick<Upstream, "origin" | "route">, err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  const via = upstream.route.kind === "proxy" ? ` through ${upstream.route.display} (${upstream.route.from})` : "";
  // Node's messages often carry the code already ("read ECONNRESET"): say it once.
  const prefix = code && !err.message.includes(code) ? `${code} ` : "";
  const base = `cannot reach the API at ${upstream.origin}${via}: ${prefix}${err.message}`;
  if (code !== undefined && UNTRUSTED.has(code)) {
    return `${base}; the API's TLS certificate is not trusted: if it comes from a private CA, add that CA with --ca-file PATH`;
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return `${base}; the API's TLS certificate is not valid for this host name: check --api`;
  }
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") {
    return `${base}; the API's TLS certificate is outside its validity period: check the system clock`;
  }
  return base;
}

/**
 * Set when the API did answer, but with a response head larger than Node is told to parse: the
 * message names the limit, so nobody goes looking for a network fault.
 * @returns the message for a 502 API_RESPONSE_INVALID, or undefined for any other error.
 */
export function invalidResponseMessage(err: Error, maxHeaderBytes: number): string | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "HPE_HEADER_OVERFLOW") {
    return `the API answered with response headers larger than the proxy's limit of ${maxHeaderBytes / 1024} KiB`;
  }
  return undefined;
}
