// Owns the connection to the Compute API: its base URL, the keep-alive agents (TLS verified, extra
// CA, corporate proxy), the rule that paths go out byte for byte, and the response-head limit.
// The proxy's own logins and refreshes use a pool of their own, never the forwarding pool.

import http from "node:http";
import https from "node:https";
import { rootCertificates } from "node:tls";
import { forwardAgent, tunnelAgent, type PooledOptions, type TlsTrust } from "./proxy-agents.js";
import { routeFor, type Route } from "./proxy-env.js";
import { unbracketed } from "../net/host-names.js";

export interface UpstreamOptions {
  /** The API base URL, e.g. https://compute.uscom-central-1.oraclecloud.com */
  api: URL;
  /** Extra CA certificates (PEM) trusted for the API, added to Node's defaults. */
  ca?: string;
  /** Test rigs only: accept any certificate. */
  insecureSkipTlsVerify?: boolean;
  /** A pre-built agent; it replaces the one chosen from `env`. */
  agent?: http.Agent;
  /** A pre-built agent for logins and refreshes (test rigs); default: a new pool like the forwarding one. */
  sessionAgent?: http.Agent;
  /** Where HTTPS_PROXY, HTTP_PROXY and NO_PROXY are read; undefined: always connect directly. */
  env?: NodeJS.ProcessEnv;
  /** Idle keep-alive sockets are closed after this long: below the API's own idle timeout. */
  idleSocketMs?: number;
}

export interface Upstream {
  readonly api: URL;
  /** Origin form (scheme://host[:port]) of the API. */
  readonly origin: string;
  /** Path prefix of the API URL without a trailing slash ("" for most endpoints). */
  readonly basePath: string;
  /** The forwarding pool: carries client requests only. */
  readonly agent: http.Agent;
  /**
   * The pool of the proxy's own logins and refreshes. Kept apart so no forwarded request, however
   * it is framed, can ever share a connection with a request that carries the password.
   */
  readonly sessionAgent: http.Agent;
  /** How the API is reached: directly, or through a proxy from the environment. */
  readonly route: Route;
  /** An extra CA was given (--ca-file): an untrusted certificate is then that file's fault. */
  readonly extraCa: boolean;
  close(): void;
}

/** Internal header that carries the exact request target to the agent; never sent. */
export const EXACT_PATH_HEADER = "x-opc-auth-proxy-exact-path";

/**
 * Largest response head (status line and headers, bytes) read from the API, the same as the
 * listener accepts from clients; Node's default is 16 KiB. Past it Node fails the request with
 * HPE_HEADER_OVERFLOW, which the proxy answers with 502 API_RESPONSE_INVALID.
 */
export const MAX_RESPONSE_HEADER_BYTES = 64 * 1024;

/** Builds the API's transport: one forwarding pool and one session pool, same route and trust. */
export function createUpstream(opts: UpstreamOptions): Upstream {
  const api = opts.api;
  const pool: PooledOptions = {
    keepAlive: true,
    timeout: opts.idleSocketMs ?? 4_000,
    scheduling: "lifo",
    maxFreeSockets: 64,
  };
  // Adding a CA must not drop the public roots the API's certificate chains to.
  const trust: TlsTrust = {
    ca: opts.ca ? [...rootCertificates, opts.ca] : undefined,
    rejectUnauthorized: !opts.insecureSkipTlsVerify,
  };
  const route: Route = opts.agent ? { kind: "direct" } : routeFor(api, opts.env ?? {});
  const build = (): http.Agent => {
    let agent: http.Agent;
    let absolutePrefix = "";
    let proxyAuthorization: string | undefined;
    if (route.kind === "proxy" && api.protocol === "https:")
      agent = tunnelAgent(route.url, pool, trust, unbracketed(api.hostname));
    else if (route.kind === "proxy") {
      const fwd = forwardAgent(route.url, pool, trust);
      agent = fwd.agent;
      absolutePrefix = api.origin;
      proxyAuthorization = fwd.authorization;
    } else agent = api.protocol === "https:" ? new https.Agent({ ...pool, ...trust }) : new http.Agent(pool);
    preserveExactPaths(agent, absolutePrefix, proxyAuthorization);
    return agent;
  };
  let agent: http.Agent;
  if (opts.agent) {
    agent = opts.agent;
    preserveExactPaths(agent);
  } else agent = build();
  const sessionAgent = opts.sessionAgent ?? build();
  if (opts.sessionAgent) preserveExactPaths(sessionAgent);
  return {
    api,
    origin: api.origin,
    basePath: api.pathname.replace(/\/+$/, ""),
    agent,
    sessionAgent,
    route,
    extraCa: opts.ca !== undefined,
    close: () => {
      agent.destroy();
      sessionAgent.destroy();
    },
  };
}

/**
 * http-proxy joins target and request paths with a regex that collapses `//`, but Compute API
 * paths are significant byte for byte. The agent sees each ClientRequest before its request line
 * is written, so it restores the exact path carried in EXACT_PATH_HEADER. Through a forward proxy
 * the line carries the absolute target: the API's origin, then the exact path, joined as text.
 */
function preserveExactPaths(agent: http.Agent, absolutePrefix = "", proxyAuthorization?: string): void {
  const addRequest = (agent as unknown as AgentInternals).addRequest.bind(agent);
  (agent as unknown as AgentInternals).addRequest = (req, options) => {
    const exact = req.getHeader(EXACT_PATH_HEADER);
    if (typeof exact === "string") {
      req.removeHeader(EXACT_PATH_HEADER);
      req.path = absolutePrefix + exact;
    } else if (absolutePrefix !== "" && req.path.startsWith("/")) {
      req.path = absolutePrefix + req.path;
    }
    if (proxyAuthorization !== undefined) req.setHeader("proxy-authorization", proxyAuthorization);
    // http-proxy builds its requests without maxHeaderSize; the parser reads it from the request
    // when the socket is assigned, which is after this point.
    (req as unknown as { maxHeaderSize: number }).maxHeaderSize = MAX_RESPONSE_HEADER_BYTES;
    addRequest(req, options);
  };
}

interface AgentInternals {
  addRequest(req: http.ClientRequest, options: unknown): void;
}
