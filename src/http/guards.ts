// Owns the request guard that runs before every route: who may call (Host allow-list against DNS
// rebinding, no cross-site browser requests) and where a request may go (never a forward proxy).

import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import type { HttpBindings } from "@hono/node-server";
import type { ErrorCode } from "../errors.js";
import type { ListenAddress } from "../net/addresses.js";
import { LOOPBACK_HOST_NAMES, hostNameOf, listenHostName } from "../net/host-names.js";
import { requestIdOf } from "./request-id.js";

export interface GuardOptions {
  /** Extra Host names (`--allow-host`), as config normalised them. */
  allowHosts: readonly string[];
  /** Origins whose browser requests are accepted (`--allow-origin`). */
  allowOrigins: readonly string[];
  listen: ListenAddress;
  /**
   * Also accept a Host that is any IP address (the admin listener: kubelet probes and Prometheus
   * send `Host: <pod IP>:<port>`). A DNS-rebinding page can only make a browser send a name.
   */
  anyIpHost?: boolean;
}

export interface Refusal {
  status: number;
  code: ErrorCode;
  message: string;
  /** The Allow header of a 405. */
  allow?: string;
}

/** What the guard reads; it rewrites `url` when an absolute-form target names the proxy itself. */
export type GuardedRequest = Pick<IncomingMessage, "method" | "url" | "headers"> & {
  /** Checked for a second Host header, which Node would silently drop (RFC 9112 §3.2: 400). */
  rawHeaders?: string[];
  socket?: { localPort?: number | undefined };
};

/**
 * The methods the Compute API uses. TRACE would echo the request, managed cookie included, back
 * to the client; CONNECT never gets here (the server answers it).
 */
export const FORWARDED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
const METHODS = new Set(FORWARDED_METHODS.split(", "));
/** RFC 9112 §6.3: a request whose last transfer coding is not chunked has no knowable length. */
const CHUNKED_LAST = /(?:^|,)[ \t]*chunked[ \t]*$/i;
const ABSOLUTE_FORM = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/is;
/** Accepted raw Host values are remembered, so the hot path is one Set lookup. */
const MAX_REMEMBERED_HOSTS = 64;

/**
 * The checks alone, on a Node request: undefined lets it through, else the Refusal to answer.
 * Not only a check: an accepted absolute-form target (`http://localhost:8080/x`) is rewritten in
 * place to origin form (`/x`) on `req.url`, so the app and the forwarder see one shape.
 */
export function requestChecker(opts: GuardOptions): (req: GuardedRequest) => Refusal | undefined {
  const names = new Set([...LOOPBACK_HOST_NAMES, ...opts.allowHosts]);
  const fromListen = opts.listen.kind === "tcp" ? listenHostName(opts.listen.host) : undefined;
  if (fromListen) names.add(fromListen);
  const origins = new Set(opts.allowOrigins.map(canonicalOrigin));
  // A unix socket is reachable only through its file (mode 0600): no browser, no DNS rebinding.
  const checkHost = opts.listen.kind === "tcp";
  const remembered = new Set<string>();

  const hostAllowed = (value: string | undefined): boolean => {
    if (value === undefined) return false;
    if (remembered.has(value)) return true;
    const name = hostNameOf(value);
    if (name === undefined || !(names.has(name) || (opts.anyIpHost && isIpName(name)))) return false;
    if (remembered.size < MAX_REMEMBERED_HOSTS) remembered.add(value);
    return true;
  };

  return function checkRequest(req) {
    const method = req.method ?? "";
    if (!METHODS.has(method)) {
      return {
        status: 405,
        code: "BAD_REQUEST",
        message: `method ${clip(method)} is not forwarded; the proxy forwards ${FORWARDED_METHODS}`,
        allow: FORWARDED_METHODS,
      };
    }
    const h = req.headers;
    if (req.rawHeaders && hostCount(req.rawHeaders) > 1) {
      return {
        status: 400,
        code: "BAD_REQUEST",
        message: "the request has more than one Host header; send exactly one",
      };
    }
    if ((req.url ?? "").charCodeAt(0) !== 47 /* / */) {
      const refused = originForm(req, hostAllowed);
      if (refused) return refused;
    } else if (checkHost && !hostAllowed(h.host) && !isProbe(method, req.url!)) {
      return hostRefusal(h.host, names);
    }
    const te = h["transfer-encoding"];
    if (te !== undefined && !CHUNKED_LAST.test(te)) {
      return {
        status: 400,
        code: "BAD_REQUEST",
        message: `Transfer-Encoding "${clip(te)}" does not end in chunked; the body length is unknowable`,
      };
    }
    if (method === "OPTIONS" && h["access-control-request-method"] !== undefined) {
      return {
        status: 403,
        code: "FORBIDDEN_ORIGIN",
        message:
          "CORS preflight refused: the proxy never serves cross-origin browser requests, so no web page can act as the configured user; --allow-origin admits same-origin requests that carry that Origin (a dev server's proxy), not cross-origin ones",
      };
    }
    const origin = h.origin;
    if (origin !== undefined) {
      if (!origins.has(origin.toLowerCase())) {
        return {
          status: 403,
          code: "FORBIDDEN_ORIGIN",
          message: `browser request from Origin ${clip(origin)} refused: a web page must not act as the configured user; if this origin is yours and must use the proxy, start it with --allow-origin ${clip(origin)}`,
        };
      }
    } else {
      const site = h["sec-fetch-site"];
      if (site === "cross-site" || site === "same-site") {
        return {
          status: 403,
          code: "FORBIDDEN_ORIGIN",
          message: `browser request refused (Sec-Fetch-Site: ${site}): a web page must not act as the configured user; a page that must use the proxy sends its Origin, listed with --allow-origin`,
        };
      }
    }
    return undefined;
  };
}

/** The guard as createApp takes it: a JSON `{"message", "code"}` response to refuse, else undefined. */
export function createGuard(opts: GuardOptions): (c: { env: HttpBindings }) => Response | undefined {
  const check = requestChecker(opts);
  return function guard(c) {
    const refused = check(c.env.incoming);
    return refused ? refusalResponse(refused, requestIdOf(c.env.incoming)) : undefined;
  };
}

export function refusalResponse(r: Refusal, requestId?: string): Response {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  };
  if (r.allow) headers.allow = r.allow;
  return new Response(JSON.stringify({ message: r.message, code: r.code, requestId }), { status: r.status, headers });
}

/**
 * A target that is not a path. Absolute-form naming the proxy itself (http://localhost:8080/x, an
 * allowed Host) is what RFC 9112 §3.2.2 asks a server to accept: it becomes the path, and its
 * authority stands in for Host. Naming anything else would make this a forward proxy: refused.
 */
function originForm(req: GuardedRequest, hostAllowed: (h: string) => boolean): Refusal | undefined {
  const url = req.url ?? "";
  if (url === "*") {
    return {
      status: 400,
      code: "BAD_REQUEST",
      message: "the target * (OPTIONS *) is not forwarded; send a path such as OPTIONS /instance/",
    };
  }
  const m = ABSOLUTE_FORM.exec(url);
  if (!m)
    return {
      status: 400,
      code: "BAD_REQUEST",
      message: `the request target must be a path starting with "/", not "${clip(url)}"`,
    };
  const scheme = m[1]!.toLowerCase();
  const authority = m[2]!;
  const rest = m[3]!;
  if (
    scheme === "http" &&
    !authority.includes("@") &&
    hostAllowed(authority) &&
    samePort(authority, req.socket?.localPort)
  ) {
    req.url = rest === "" ? "/" : rest.charCodeAt(0) === 47 ? rest : `/${rest}`;
    // RFC 9112 §3.2.2: the target's authority replaces Host, which was not checked; URIs given back
    // to the client (proxy/uri-rewriting.ts) name this checked authority, never the unchecked Host.
    req.headers.host = authority;
    return undefined;
  }
  return {
    status: 403,
    code: "FORBIDDEN_TARGET",
    message: `absolute-form target naming ${clip(`${scheme}://${authority}`)} refused: opc-auth-proxy is not a forward proxy and sends its credential only to the configured API (--api); give clients the proxy's address as their API URL, not as HTTP_PROXY`,
  };
}

/** An absolute-form authority names this listener only with its port (80 when none is written). */
function samePort(authority: string, localPort: number | undefined): boolean {
  if (localPort === undefined) return true; // a unix socket has no port to name
  const m = /:(\d*)$/.exec(authority.charCodeAt(0) === 91 ? authority.slice(authority.indexOf("]")) : authority);
  const port = m && m[1] !== "" ? Number(m[1]) : 80;
  return port === localPort;
}

function hostRefusal(host: string | undefined, names: ReadonlySet<string>): Refusal {
  if (host === undefined || host === "") {
    return { status: 400, code: "BAD_REQUEST", message: "a Host header is required" };
  }
  const name = hostNameOf(host);
  const accepted = [...names].join(", ");
  if (name === undefined) {
    return {
      status: 400,
      code: "BAD_REQUEST",
      message: `Host "${clip(host)}" is malformed; accepted names: ${accepted}`,
    };
  }
  return {
    status: 403,
    code: "FORBIDDEN_HOST",
    message: `Host "${clip(host)}" is not allowed (DNS rebinding protection); accepted names: ${accepted}; if clients reach the proxy by this name, start it with --allow-host ${clip(name)}`,
  };
}

function hostCount(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === "host") n++;
  }
  return n;
}

/** Liveness and readiness reveal nothing secret; Kubernetes probes send Host: <pod IP>:<port>. */
function isProbe(method: string, url: string): boolean {
  if (method !== "GET" && method !== "HEAD") return false;
  const path = url.indexOf("?") === -1 ? url : url.slice(0, url.indexOf("?"));
  return path === "/-/healthz" || path === "/-/readyz";
}

/** An IPv4 address, or an IPv6 one in brackets, as hostNameOf returns them. */
function isIpName(name: string): boolean {
  return name.charCodeAt(0) === 91 ? isIP(name.slice(1, -1)) === 6 : isIP(name) === 4;
}

/** Browsers send the serialised origin: lowercase scheme and host, no default port, no slash. */
function canonicalOrigin(text: string): string {
  try {
    return new URL(text).origin.toLowerCase();
  } catch {
    return text.toLowerCase();
  }
}

/** Client-supplied text echoed in a message: bounded, so a refusal is never larger than its cause. */
function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
