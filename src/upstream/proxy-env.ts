// Owns the choice of route to the API from the environment, as corporate networks set it:
// HTTPS_PROXY / HTTP_PROXY (lowercase first, as curl reads them) and the NO_PROXY exceptions.

import { BlockList, isIP } from "node:net";
import { ProxyError } from "../errors.js";
import { isLoopbackHost } from "../net/addresses.js";
import { unbracketed } from "../net/host-names.js";

export type Route =
  | { kind: "direct"; /** Why no proxy, when a proxy variable was set; for the start-up log. */ why?: string }
  | { kind: "proxy"; url: URL; /** The proxy without userinfo, safe for logs. */ display: string; from: string };

/**
 * The route to `api`. Loopback APIs are always reached directly (a local simulator must not go
 * through a corporate proxy). Throws a CONFIG_INVALID ProxyError naming the variable when the
 * proxy URL is unusable.
 */
export function routeFor(api: URL, env: NodeJS.ProcessEnv): Route {
  const names = api.protocol === "https:" ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy", "HTTP_PROXY"];
  const from = names.find((n) => env[n] !== undefined && env[n]!.trim() !== "");
  if (from === undefined) return { kind: "direct" };
  const host = bareHost(api.hostname);
  if (isLoopbackHost(host))
    return { kind: "direct", why: `the API at ${api.host} is loopback, so ${from} is not used` };
  const noProxyFrom = ["no_proxy", "NO_PROXY"].find((n) => env[n] !== undefined && env[n]!.trim() !== "");
  const port = Number(api.port) || (api.protocol === "https:" ? 443 : 80);
  if (noProxyFrom && bypassesProxy(host, port, env[noProxyFrom]!)) {
    return { kind: "direct", why: `${noProxyFrom} matches ${api.host}, so ${from} is not used` };
  }
  const url = parseProxyUrl(env[from]!.trim(), from);
  return { kind: "proxy", url, display: `${url.protocol}//${url.host}`, from };
}

/**
 * NO_PROXY as curl (7.86+) reads it: entries split by commas or spaces; `*` alone matches all;
 * `name`, `.name` and `*.name` match the name and every subdomain; IP addresses match exactly, and
 * CIDR blocks (10.0.0.0/8) match IP addresses in them; `entry:port` matches that port only.
 * `host` is lowercase, IPv6 without brackets.
 */
export function bypassesProxy(host: string, port: number, noProxy: string): boolean {
  const hostIsIp = isIP(host);
  for (const raw of noProxy.toLowerCase().split(/[\s,]+/)) {
    if (raw === "") continue;
    if (raw === "*") return true;
    const { name, entryPort } = splitEntry(raw);
    if (name === "" || (entryPort !== undefined && entryPort !== port)) continue;
    const slash = name.indexOf("/");
    if (slash !== -1) {
      if (hostIsIp !== 0 && inSubnet(host, hostIsIp, name.slice(0, slash), name.slice(slash + 1))) return true;
      continue;
    }
    if (isIP(name) !== 0) {
      if (hostIsIp !== 0 && sameIp(name, host)) return true;
      continue;
    }
    if (hostIsIp !== 0) continue;
    const domain = name.replace(/^\*?\.+/, "");
    if (domain !== "" && (host === domain || host.endsWith(`.${domain}`))) return true;
  }
  return false;
}

function splitEntry(entry: string): { name: string; entryPort?: number } {
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    if (close === -1) return { name: "" };
    const rest = entry.slice(close + 1);
    const m = /^:(\d{1,5})$/.exec(rest);
    // [v6]/64 keeps its prefix length with the address.
    const name = entry.slice(1, close) + (rest.startsWith("/") ? rest : "");
    return m ? { name, entryPort: Number(m[1]) } : { name };
  }
  const m = /^([^:]+):(\d{1,5})$/.exec(entry);
  return m ? { name: m[1]!, entryPort: Number(m[2]) } : { name: entry };
}

function inSubnet(host: string, family: number, net: string, prefixText: string): boolean {
  const netFamily = isIP(net);
  const prefix = Number(prefixText);
  if (netFamily !== family || !/^\d{1,3}$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) return false;
  const type = family === 4 ? "ipv4" : "ipv6";
  const list = new BlockList();
  list.addSubnet(net, prefix, type);
  return list.check(host, type);
}

function sameIp(a: string, b: string): boolean {
  const family = isIP(a);
  if (family !== isIP(b)) return false;
  const list = new BlockList();
  const type = family === 4 ? "ipv4" : "ipv6";
  list.addAddress(a, type);
  return list.check(b, type);
}

function parseProxyUrl(text: string, from: string): URL {
  // curl's convention: a proxy without a scheme is an HTTP proxy.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ProxyError("CONFIG_INVALID", `${from}: the value is not a URL; use http://proxy.example.com:3128`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ProxyError(
      "CONFIG_INVALID",
      `${from}: ${url.protocol}// proxies are not supported; use an http:// or https:// proxy, or unset ${from}`,
    );
  }
  if (url.hostname === "") throw new ProxyError("CONFIG_INVALID", `${from}: the proxy URL names no host`);
  return url;
}

function bareHost(hostname: string): string {
  return unbracketed(hostname).toLowerCase();
}

/** The start-up log line for a route chosen from the environment; undefined when none was set. */
export function routeLogLine(route: Route): [Record<string, unknown>, string] | undefined {
  if (route.kind === "proxy") {
    return [
      { event: "api_route", proxy: route.display, from: route.from },
      `reaching the API through the proxy ${route.display} (${route.from})`,
    ];
  }
  return route.why ? [{ event: "api_route", proxy: null }, `reaching the API directly: ${route.why}`] : undefined;
}
