// Owns the keep-alive agents that reach the API through a corporate proxy: an https API through a
// CONNECT tunnel (https-proxy-agent), an http API through a forward proxy (absolute-form requests).

import http from "node:http";
import net from "node:net";
import tls from "node:tls";
import { HttpsProxyAgent } from "https-proxy-agent";

export interface PooledOptions {
  keepAlive: true;
  scheduling: "lifo" | "fifo";
  maxFreeSockets: number;
  /** Idle keep-alive sockets are closed after this long. */
  timeout: number;
}

export interface TlsTrust {
  ca?: string[];
  rejectUnauthorized: boolean;
}

/**
 * An https API through `CONNECT host:443` at the proxy; TLS to the API runs inside the tunnel, so
 * the proxy sees neither cookie nor password. The API's trust settings also apply to an https://
 * proxy, whose certificate is often from the same corporate CA.
 */
export function tunnelAgent(proxy: URL, pool: PooledOptions, trust: TlsTrust): http.Agent {
  const { timeout, ...pooling } = pool;
  // The credentials travel as a header, not in the URL the agent keeps (and prints under DEBUG=*).
  const bare = new URL(proxy.href);
  bare.username = "";
  bare.password = "";
  const authorization = basicAuth(proxy);
  const agent = new HttpsProxyAgent(bare, {
    ...pooling,
    ...trust,
    ...(authorization ? { headers: { "Proxy-Authorization": authorization } } : {}),
  });
  // HttpsProxyAgent keeps its own `options` empty; Node merges these into every request's options,
  // which is where the TLS connection to the API (and the idle timeout of pooled sockets) reads them.
  // secureEndpoint: agent-base otherwise guesses it from the call stack, and requests made by
  // http-proxy (not from node:https) were pooled under a name no later request looks up.
  Object.assign(
    (agent as unknown as { options: Record<string, unknown> }).options,
    { timeout, noDelay: true, secureEndpoint: true },
    trust,
  );
  agent.protocol = "https:";
  agent.defaultPort = 443;
  return agent;
}

/**
 * An http API through a forward proxy: every connection goes to the proxy, and each request line
 * carries the absolute target (set by the exact-path hook, never by URL parsing, which would
 * resolve `..` or turn `//host/…` into another host).
 */
export function forwardAgent(
  proxy: URL,
  pool: PooledOptions,
  trust: TlsTrust,
): { agent: http.Agent; authorization?: string } {
  const host = proxy.hostname.replace(/^\[|\]$/g, "");
  const port = Number(proxy.port) || (proxy.protocol === "https:" ? 443 : 80);
  const agent = new http.Agent(pool);
  (agent as unknown as { createConnection: () => net.Socket }).createConnection = () =>
    proxy.protocol === "https:"
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...trust })
      : net.connect({ host, port });
  return { agent, authorization: basicAuth(proxy) };
}

/** Proxy-Authorization for a proxy URL with userinfo (http://user:pass@proxy:3128). */
function basicAuth(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  const pair = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return `Basic ${Buffer.from(pair).toString("base64")}`;
}
