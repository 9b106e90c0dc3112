// Owns how a failed connection to the API is described: the error code, what it means, and for TLS
// failures the flag that fixes them, so a login error says more than "self-signed certificate".

import { TUNNEL_REFUSED } from "./proxy-agents.js";
import type { Upstream } from "./upstream.js";

/** Codes of a certificate chain that does not lead to a trusted CA. */
export const UNTRUSTED = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
]);

/** What is known about the API's TLS trust when a connection failed. */
export interface TrustFacts {
  /** An extra CA was given (--ca-file / OPC_PROXY_CA_FILE). */
  extraCa?: boolean;
  /** The issuer of the certificate the API presented, when it could be seen. */
  issuer?: string;
}

/**
 * "cannot reach the API at https://…: CODE message; <what to do>", without any request data. Every
 * such failure is transient (never a wrong password), and the message names what to check: the
 * proxy variable for a route through a proxy, --ca-file for an untrusted certificate.
 */
export function describeNetError(
  upstream: Pick<Upstream, "origin" | "route">,
  err: Error,
  trust: TrustFacts = {},
): string {
  const code = (err as NodeJS.ErrnoException).code;
  const route = upstream.route;
  const via = route.kind === "proxy" ? ` through ${route.display} (${route.from})` : "";
  // Node's messages often carry the code already ("read ECONNRESET"): say it once.
  const prefix = code && !err.message.includes(code) && code !== TUNNEL_REFUSED ? `${code} ` : "";
  const base = `cannot reach the API at ${upstream.origin}${via}: ${prefix}${err.message}`;
  if (code === TUNNEL_REFUSED) {
    const status = (err as { statusCode?: number }).statusCode;
    const fix =
      status === 407
        ? `the proxy wants credentials: put them in ${route.kind === "proxy" ? route.from : "HTTPS_PROXY"} (http://user:password@proxy:port)`
        : `check ${route.kind === "proxy" ? route.from : "HTTPS_PROXY"} and NO_PROXY, or the proxy's rules for this host`;
    return `${base}; the proxy said no, not the API (not a wrong password): ${fix}`;
  }
  if (code !== undefined && UNTRUSTED.has(code)) {
    const by = trust.issuer ? ` (issued by ${trust.issuer})` : "";
    return trust.extraCa
      ? `${base}; the CA file given with --ca-file (OPC_PROXY_CA_FILE) does not trust the API's certificate${by}: give the CA that issued it`
      : `${base}; the API's TLS certificate${by} is not trusted: if it comes from a private CA, add that CA with --ca-file PATH`;
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return `${base}; the API's TLS certificate is not valid for this host name: check --api`;
  }
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") {
    return `${base}; the API's TLS certificate is outside its validity period: check the system clock`;
  }
  if (route.kind === "proxy") return `${base}; check ${route.from}`;
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
