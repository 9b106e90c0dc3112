// Owns the connection to the Compute API: its base URL, the keep-alive agent (TLS verified, extra
// CA, corporate proxy) and the rule that paths go out byte for byte. Session calls and the
// forwarding proxy both use this one transport.

import http from "node:http";
import https from "node:https";
import { rootCertificates } from "node:tls";

export interface UpstreamOptions {
  /** The API base URL, e.g. https://compute.uscom-central-1.oraclecloud.com */
  api: URL;
  /** Extra CA certificates (PEM) trusted for the API, added to Node's defaults. */
  ca?: string;
  /** Test rigs only: accept any certificate. */
  insecureSkipTlsVerify?: boolean;
  /** A pre-built agent (for example one that tunnels through HTTPS_PROXY). */
  agent?: http.Agent;
  /** Idle keep-alive sockets are closed after this long: below the API's own idle timeout. */
  idleSocketMs?: number;
}

export interface Upstream {
  readonly api: URL;
  /** Origin form (scheme://host[:port]) of the API. */
  readonly origin: string;
  /** Path prefix of the API URL without a trailing slash ("" for most endpoints). */
  readonly basePath: string;
  readonly agent: http.Agent;
  close(): void;
}

/** Internal header that carries the exact request target to the agent; never sent. */
export const EXACT_PATH_HEADER = "x-opc-auth-proxy-exact-path";

export function createUpstream(opts: UpstreamOptions): Upstream {
  const api = opts.api;
  const idle = opts.idleSocketMs ?? 4_000;
  const agent =
    opts.agent ??
    (api.protocol === "https:"
      ? new https.Agent({
          keepAlive: true,
          timeout: idle,
          scheduling: "lifo",
          maxFreeSockets: 64,
          // Adding a CA must not drop the public roots the API's certificate chains to.
          ca: opts.ca ? [...rootCertificates, opts.ca] : undefined,
          rejectUnauthorized: !opts.insecureSkipTlsVerify,
        })
      : new http.Agent({ keepAlive: true, timeout: idle, scheduling: "lifo", maxFreeSockets: 64 }));
  preserveExactPaths(agent);
  return {
    api,
    origin: api.origin,
    basePath: api.pathname.replace(/\/+$/, ""),
    agent,
    close: () => agent.destroy(),
  };
}

/**
 * http-proxy joins target and request paths with a regex that collapses `//`, but Compute API
 * paths are significant byte for byte. The agent sees each ClientRequest before its request line
 * is written, so it restores the exact path carried in EXACT_PATH_HEADER.
 */
function preserveExactPaths(agent: http.Agent): void {
  const addRequest = (agent as unknown as AgentInternals).addRequest.bind(agent);
  (agent as unknown as AgentInternals).addRequest = (req, options) => {
    const exact = req.getHeader(EXACT_PATH_HEADER);
    if (typeof exact === "string") {
      req.removeHeader(EXACT_PATH_HEADER);
      req.path = exact;
    }
    addRequest(req, options);
  };
}

interface AgentInternals {
  addRequest(req: http.ClientRequest, options: unknown): void;
}

