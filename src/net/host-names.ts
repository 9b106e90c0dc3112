// Owns the syntax of host names as the listener sees them: the name part of a Host header or of an
// absolute-form authority, and the names `--allow-host` accepts. Matching is exact, never by suffix.

import { isIP } from "node:net";

/** Names every proxy accepts in Host, on any port: the loopback names a local client uses. */
export const LOOPBACK_HOST_NAMES: readonly string[] = ["localhost", "127.0.0.1", "[::1]"];

const PORT = /^:\d{0,5}$/;
/** Userinfo, path, query, fragment or whitespace: an authority with these is not a host. */
const NOT_IN_NAME = /[/@?#\\\s]/;

/**
 * `host` without the brackets of an IPv6 literal (`[::1]` becomes `::1`), the form node:net,
 * http.request's `hostname` and TLS name checks take; any other host comes back as it is. Takes a
 * WHATWG URL's `hostname` or a bracketed Host name.
 */
export function unbracketed(host: string): string {
  return host.replace(/^\[|\]$/g, "");
}

/**
 * The lowercased name of a Host value (`name`, `name:port`, `[v6]`, `[v6]:port`), IPv6 kept in
 * brackets; undefined when malformed (a bare IPv6 address, a bad port, userinfo, a path).
 */
export function hostNameOf(value: string): string | undefined {
  let name: string;
  let rest: string;
  if (value.charCodeAt(0) === 91 /* [ */) {
    const close = value.indexOf("]");
    if (close === -1) return undefined;
    name = value.slice(0, close + 1);
    rest = value.slice(close + 1);
  } else {
    const colon = value.indexOf(":");
    name = colon === -1 ? value : value.slice(0, colon);
    rest = colon === -1 ? "" : value.slice(colon);
  }
  if (name.length === 0 || NOT_IN_NAME.test(name) || (rest !== "" && !PORT.test(rest))) return undefined;
  return name.toLowerCase();
}

/**
 * Checks one `--allow-host` value: a DNS name or an IP address, without scheme, port or wildcard.
 * Returns the name as Host matching uses it (lowercase, IPv6 in brackets), or a message saying
 * what is wrong.
 */
export function parseAllowHost(text: string): { name: string } | { problem: string } {
  const t = text.trim().toLowerCase();
  if (t === "") return { problem: "is empty; give a host name such as opc-proxy" };
  if (t.includes("*")) return { problem: `"${text}" has a wildcard; matching is exact, so list each name` };
  if (t.includes("/") || t.includes("@")) {
    return {
      problem: `"${text}" is not a host name; give the bare name clients use, such as opc-proxy (no scheme or path)`,
    };
  }
  const bare = t.startsWith("[") && t.endsWith("]") ? t.slice(1, -1) : t;
  if (isIP(bare) === 6) return { name: `[${bare}]` };
  if (t.includes(":") || t.includes("[")) {
    return { problem: `"${text}" has a port; give the name alone, any port is accepted` };
  }
  if (!/^[a-z0-9._-]+$/.test(t))
    return { problem: `"${text}" is not a host name; use letters, digits, dots and dashes` };
  return { name: t };
}

/**
 * The name a listen host adds to the allow-list: the address the operator told the proxy to listen
 * on is one clients use. The unspecified addresses (0.0.0.0, ::) name no host and add nothing.
 */
export function listenHostName(host: string): string | undefined {
  const h = host.toLowerCase();
  if (h === "" || h === "0.0.0.0" || h === "::" || h === "[::]") return undefined;
  const bare = h.startsWith("[") ? h.slice(1, -1) : h;
  return isIP(bare) === 6 ? `[${bare}]` : h;
}
