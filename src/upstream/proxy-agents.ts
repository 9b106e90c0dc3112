// Owns the keep-alive agents that reach the API through a corporate proxy: an https API through a
// CONNECT tunnel (https-proxy-agent), an http API through a forward proxy (absolute-form requests).

import http from "node:http";
import net from "node:net";
import tls from "node:tls";
import { HttpsProxyAgent } from "https-proxy-agent";
import { unbracketed } from "../net/host-names.js";

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

/** Error code of a CONNECT the proxy answered with anything but 200 (403, 407, 502…). */
export const TUNNEL_REFUSED = "ERR_TUNNEL_REFUSED";

/**
 * An https API through `CONNECT host:443` at the proxy; TLS to the API runs inside the tunnel, so
 * the proxy sees neither cookie nor password. The API's trust settings also apply to an https://
 * proxy, whose certificate is often from the same corporate CA. `apiHost` (a name or an IP
 * literal, without brackets) is what the API's certificate is checked against. A refused CONNECT
 * fails the request with an error whose code is TUNNEL_REFUSED, never with the proxy's answer.
 */
export function tunnelAgent(proxy: URL, pool: PooledOptions, trust: TlsTrust, apiHost: string): http.Agent {
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
  // https-proxy-agent drops the host of IP targets before the TLS handshake in the tunnel, and Node
  // then checks the certificate against "localhost". Check it against the API's own host, always.
  const identity = {
    checkServerIdentity: (_name: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(apiHost, cert),
  };
  // HttpsProxyAgent keeps its own `options` empty; Node merges these into every request's options,
  // which is where the TLS connection to the API (and the idle timeout of pooled sockets) reads them.
  // secureEndpoint: agent-base otherwise guesses it from the call stack, and requests made by
  // http-proxy (not from node:https) were pooled under a name no later request looks up.
  Object.assign(
    (agent as unknown as { options: Record<string, unknown> }).options,
    { timeout, noDelay: true, secureEndpoint: true },
    trust,
    identity,
  );
  failRefusedTunnels(agent);
  agent.protocol = "https:";
  agent.defaultPort = 443;
  return agent;
}

/**
 * https-proxy-agent hands a refused CONNECT's answer (a 403 page, a 407) to the request as if the
 * API had sent it, which would read as "login rejected". Turn it into a connection error instead.
 */
function failRefusedTunnels(agent: HttpsProxyAgent<string>): void {
  const connect = agent.connect.bind(agent);
  agent.connect = async (req, opts) => {
    let answer: { statusCode: number; statusText: string } | undefined;
    const onAnswer = (a: typeof answer) => (answer = a);
    req.once("proxyConnect", onAnswer);
    const socket = await connect(req, opts).finally(() => req.off("proxyConnect", onAnswer));
    if (answer === undefined || answer.statusCode === 200) return socket;
    socket.destroy();
    const err: NodeJS.ErrnoException = new Error(
      `the proxy refused the tunnel (CONNECT ${opts.host}:${opts.port}) with ${answer.statusCode} ${answer.statusText}`.trim(),
    );
    err.code = TUNNEL_REFUSED;
    (err as { statusCode?: number }).statusCode = answer.statusCode;
    throw err;
  };
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
  const host = unbracketed(proxy.hostname);
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
