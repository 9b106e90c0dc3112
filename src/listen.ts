// Owns the listen-address syntax shared by every server command: HOST:PORT, [v6]:PORT, :PORT or unix:PATH.

/** Where `serve` listens, and where `wait` looks, when nothing says otherwise. */
export const DEFAULT_LISTEN = "127.0.0.1:8080";

export type ListenAddress =
  | { kind: "tcp"; host: string; port: number }
  | { kind: "unix"; path: string };

/** Parses a listen address; returns a message naming what is wrong instead of throwing. */
export function parseListen(text: string): ListenAddress | string {
  const s = text.trim();
  if (s.startsWith("unix:")) {
    const path = s.slice(5);
    if (!path) return `"${text}" names no socket path; use unix:/path/to/socket`;
    return { kind: "unix", path };
  }
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(s);
  if (!m) return `"${text}" is not HOST:PORT, [IPv6]:PORT or unix:PATH`;
  const port = Number(m[3]);
  if (port > 65535) return `"${text}" has port ${port}, above 65535`;
  const host = m[1] ?? (m[2] || "127.0.0.1");
  return { kind: "tcp", host, port };
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "::1" || /^127(?:\.\d{1,3}){3}$/.test(h) || h === "::ffff:127.0.0.1";
}

/** The origin (http://host:port) a TCP listener is reachable at, with IPv6 hosts bracketed. */
export function originOf(host: string, port: number): string {
  const h = host.includes(":") ? `[${host}]` : host;
  return `http://${h}:${port}`;
}
