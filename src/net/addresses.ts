// Owns the one notion of a network address: the listen-address syntax every server command shares
// (HOST:PORT, [v6]:PORT, :PORT or unix:PATH) and what counts as loopback.

import { BlockList, isIP } from "node:net";
import { unbracketed } from "./host-names.js";

/** Where `serve` listens, and where `wait` looks, when nothing says otherwise. */
export const DEFAULT_LISTEN = "127.0.0.1:8080";

export type ListenAddress = { kind: "tcp"; host: string; port: number } | { kind: "unix"; path: string };

/** Parses a listen address; returns a message naming what is wrong instead of throwing. */
export function parseListen(text: string): ListenAddress | string {
  const s = text.trim();
  if (s.startsWith("unix:")) {
    const path = s.slice(5);
    if (!path) return `"${text}" names no socket path; use unix:/path/to/socket`;
    return { kind: "unix", path };
  }
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(s);
  if (!m) {
    // A bare port is the commonest slip; say what it would have to look like.
    if (/^\d{1,5}$/.test(s)) return `"${text}" is only a port; use HOST:PORT, e.g. 127.0.0.1:${s} (or :${s})`;
    return `"${text}" is not HOST:PORT, [IPv6]:PORT or unix:PATH`;
  }
  const port = Number(m[3]);
  if (port > 65535) return `"${text}" has port ${port}, above 65535`;
  const host = m[1] ?? (m[2] || "127.0.0.1");
  return { kind: "tcp", host, port };
}

/**
 * True for a loopback host: `localhost` and `*.localhost` (RFC 6761), 127.0.0.0/8, ::1 and
 * ::ffff:127.x. Takes a bare host or a bracketed IPv6 literal; case-insensitive.
 */
export function isLoopbackHost(host: string): boolean {
  const h = unbracketed(host).toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  const family = isIP(h);
  if (family === 0) return false;
  const loopback = new BlockList();
  loopback.addSubnet("127.0.0.0", 8, "ipv4");
  loopback.addAddress("::1", "ipv6");
  return loopback.check(h, family === 4 ? "ipv4" : "ipv6");
}

/** The origin (http://host:port) a TCP listener is reachable at, with IPv6 hosts bracketed. */
export function originOf(host: string, port: number): string {
  const h = host.includes(":") ? `[${host}]` : host;
  return `http://${h}:${port}`;
}
