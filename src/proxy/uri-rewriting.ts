// Owns which URIs are rewritten on their way through the proxy: the API's origin in JSON bodies and
// Location headers becomes the origin the client used, and the client's origin in request bodies and
// query strings goes back to the API's. The byte-level work is in uri-rewrite.ts.

import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { EmptyBody, type OutgoingBody } from "./body.js";
import { hostNameOf } from "../net/host-names.js";
import { RewriteStream, rewriteBuffer, rewritePairs, rewriteText, type RewritePair } from "./uri-rewrite.js";

/** The client origin of a unix-socket listener: curl --unix-socket sends Host: localhost. */
export const UNIX_CLIENT_ORIGIN = "http://localhost";

const REWRITTEN_HEADERS = ["location", "content-location"] as const;
/** JSON answers up to this size are rewritten whole and keep a Content-Length; larger ones stream. */
export const SMALL_BODY_BYTES = 64 * 1024;

/**
 * The spellings of an origin that name the same server: the port written (`https://h:443`) or
 * implied (`https://h`). Takes an http(s) URL (its path is ignored); returns the canonical spelling
 * (WHATWG `URL.origin`) first.
 */
export function originSpellings(url: URL): string[] {
  const implied = url.protocol === "https:" ? "443" : "80";
  const host = url.hostname;
  return [...new Set([url.origin, `${url.protocol}//${host}:${url.port || implied}`])];
}

/** application/json or any application/…+json (RFC 6839), parameters ignored. */
export function isJsonType(contentType: string | string[] | number | undefined): boolean {
  if (typeof contentType !== "string") return false;
  const semi = contentType.indexOf(";");
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/** A body the proxy can read as bytes: no content coding, or `identity`. */
function unencoded(coding: string | string[] | number | undefined): boolean {
  return coding === undefined || (typeof coding === "string" && /^\s*(identity)?\s*$/i.test(coding));
}

/**
 * The rewriting of one client request and its response, from the two origins. Built per request
 * by UriRewriting.forRequest.
 */
export class ExchangeUris {
  constructor(
    private readonly toProxy: readonly RewritePair[],
    private readonly toApi: readonly RewritePair[],
    private readonly toApiEncoded: readonly RewritePair[],
  ) {}

  /** The request target with the client's origin in its query, raw or percent-encoded, made the API's; the path is never touched. */
  target(url: string): string {
    const q = url.indexOf("?");
    if (q === -1) return url;
    const query = url.slice(q);
    const out = rewriteText(rewriteText(query, this.toApi), this.toApiEncoded);
    return out === query ? url : url.slice(0, q) + out;
  }

  /**
   * Prepares the headers of one forwarded request (mutated in place) and returns the body to send.
   * Asks the API for an unencoded answer so that JSON can be rewritten. An unencoded JSON body is
   * rewritten as it streams, so its length is unknown up front: it goes chunked, without
   * Content-Length. Any other body (EmptyBody included: no body) is returned as it is.
   */
  request(headers: OutgoingHttpHeaders, body: OutgoingBody): OutgoingBody {
    headers["accept-encoding"] = "identity";
    if (body instanceof EmptyBody || !isJsonType(headers["content-type"]) || !unencoded(headers["content-encoding"]))
      return body;
    const te = headers["transfer-encoding"];
    if (te !== undefined && !(typeof te === "string" && /^\s*chunked\s*$/i.test(te))) return body;
    delete headers["content-length"];
    headers["transfer-encoding"] = "chunked";
    return body.pipe(new RewriteStream(this.toApi));
  }

  /**
   * Writes the response head to `res` and relays `upstream`'s body, rewriting Location and
   * Content-Location (in `headers`, mutated) and an unencoded JSON body. A JSON body announced at
   * up to SMALL_BODY_BYTES is read whole and sent with its new Content-Length (clients that frame
   * by length keep working); a larger or unannounced one streams through the rewriter, chunked.
   * Anything else, compressed bodies included, is piped untouched with its own framing.
   */
  relay(upstream: Readable, res: ServerResponse, status: number, headers: OutgoingHttpHeaders): void {
    for (const name of REWRITTEN_HEADERS) {
      const value = headers[name];
      if (typeof value === "string") headers[name] = rewriteText(value, this.toProxy);
    }
    if (!isJsonType(headers["content-type"]) || !unencoded(headers["content-encoding"])) {
      res.writeHead(status, headers);
      upstream.pipe(res);
      return;
    }
    const announced = Number(headers["content-length"]);
    if (headers["content-length"] !== undefined && announced <= SMALL_BODY_BYTES) {
      const chunks: Buffer[] = [];
      upstream.on("data", (c: Buffer) => chunks.push(c));
      upstream.once("end", () => {
        if (res.destroyed) return;
        const body = rewriteBuffer(Buffer.concat(chunks), this.toProxy);
        // No body although one was announced: a HEAD or 304, whose rewritten length is unknown.
        if (body.length === 0 && announced > 0) delete headers["content-length"];
        else headers["content-length"] = body.length;
        res.writeHead(status, headers);
        res.end(body);
      });
      return;
    }
    delete headers["content-length"];
    res.writeHead(status, headers);
    upstream.pipe(new RewriteStream(this.toProxy)).pipe(res);
  }
}

/**
 * URI rewriting for one proxy: built once at start-up from the API URL and the kind of listener.
 * @example
 *   const uris = new UriRewriting(new URL("https://api.example.com"), false);
 *   uris.forRequest({ host: "localhost:8080" })?.target("/x?next=http://localhost:8080/y");
 *   // "/x?next=https://api.example.com/y"
 */
export class UriRewriting {
  private readonly api: string[];
  /** Pairs per Host value; a proxy sees few distinct ones (the guard's allow-list). */
  private readonly cache = new Map<string, ExchangeUris>();

  /**
   * `api`: the API URL (Compute API URIs are absolute on its origin); `unixListener`: clients reach
   * the proxy through a unix socket, so their Host names nothing and UNIX_CLIENT_ORIGIN is used.
   */
  constructor(
    api: URL,
    private readonly unixListener: boolean,
  ) {
    this.api = originSpellings(api);
  }

  /**
   * The rewriting for a request with these headers, or undefined when the client's origin is not
   * known (no usable Host). The Host was already checked against the allow-list by the guard.
   */
  forRequest(headers: IncomingHttpHeaders): ExchangeUris | undefined {
    const host = this.unixListener ? "localhost" : headers.host;
    if (host === undefined) return undefined;
    let uris = this.cache.get(host);
    if (uris) return uris;
    const client = `http://${host}`;
    let parsed: URL;
    try {
      if (hostNameOf(host) === undefined) return undefined;
      parsed = new URL(client);
    } catch {
      return undefined;
    }
    // As the client wrote it (we gave it out that way) and as any URL library would normalise it.
    const clientSpellings = [...new Set([client, ...originSpellings(parsed)])];
    const canonicalApi = this.api[0]!;
    uris = new ExchangeUris(
      rewritePairs(this.api.map((from) => [from, client])),
      rewritePairs(clientSpellings.map((from) => [from, canonicalApi])),
      rewritePairs(clientSpellings.map((from) => [encodeURIComponent(from), encodeURIComponent(canonicalApi)])),
    );
    if (this.cache.size < 64) this.cache.set(host, uris);
    return uris;
  }
}
