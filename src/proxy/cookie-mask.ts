// Owns keeping the managed cookie out of what the API answers (design §4: it never reaches the
// client): a response header value holding it is replaced whole, and an error body has it masked.

import type { OutgoingHttpHeaders } from "node:http";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { MASK, MIN_SECRET_LENGTH } from "../secrets.js";
import { RewriteStream, rewriteBuffer, type RewritePair } from "./uri-rewrite.js";
import { SMALL_BODY_BYTES } from "./uri-rewriting.js";

const MASK_BYTES = Buffer.from(MASK, "latin1");

/**
 * The spellings in which an echo can quote `cookie`: as sent, JSON-escaped (also with `\/`, as some
 * encoders write it), and percent-encoded (a query in a Location). Empty for values shorter than
 * MIN_SECRET_LENGTH, which would blank ordinary words (real cookies are hundreds of characters).
 */
export function cookieForms(cookie: string): string[] {
  return formsOf(cookie).forms;
}

interface Forms {
  cookie: string;
  forms: string[];
  /** What every form starts with: one `includes` of it rules a header out in the common case. */
  gate: string;
  pairs: RewritePair[];
}

// The cookie changes at each refresh, not per request: the last one's forms are kept.
let last: Forms | undefined;

function formsOf(cookie: string): Forms {
  if (last?.cookie === cookie) return last;
  let forms: string[] = [];
  if (cookie.length >= MIN_SECRET_LENGTH) {
    const json = JSON.stringify(cookie).slice(1, -1);
    forms = [...new Set([cookie, json, json.replaceAll("/", "\\/"), encodeURIComponent(cookie)])];
  }
  let gate = forms[0] ?? "";
  for (const f of forms) while (!f.startsWith(gate)) gate = gate.slice(0, -1);
  const pairs = forms
    .map((f) => ({ from: Buffer.from(f, "latin1"), to: MASK_BYTES, anywhere: true }))
    .sort((a, b) => b.from.length - a.from.length);
  last = { cookie, forms, gate: gate.length >= MIN_SECRET_LENGTH ? gate : "", pairs };
  return last;
}

/**
 * Replaces with MASK every response header value (each line of a multi-line one) that holds `cookie`
 * in any form; `headers` is mutated and returned. On every response, so usually one `includes` per
 * header string (of the prefix all forms share).
 */
export function maskCookieHeaders(headers: OutgoingHttpHeaders, cookie: string): OutgoingHttpHeaders {
  const { forms, gate } = formsOf(cookie);
  if (forms.length === 0) return headers;
  const holds = (v: string) => v.includes(gate) && forms.some((f) => v.includes(f));
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === "string") {
      if (holds(value)) headers[name] = MASK;
    } else if (Array.isArray(value) && value.some(holds)) {
      headers[name] = value.map((v) => (holds(v) ? MASK : v));
    }
  }
  return headers;
}

/**
 * Whether a response body is scanned for the cookie: errors only (status ≥ 400, not for HEAD), where
 * an API echoing the request is plausible; 2xx bodies are not scanned, to keep the hot path free.
 */
export function masksBody(status: number, method: string | undefined): boolean {
  return status >= 400 && method !== "HEAD";
}

/** `body` with every form of `cookie` replaced by MASK; `body` itself when none occurs. */
export function maskCookieBuffer(body: Buffer, cookie: string): Buffer {
  const { pairs } = formsOf(cookie);
  return pairs.length === 0 ? body : rewriteBuffer(body, pairs);
}

/**
 * Masks `cookie` out of a response body and calls `relay` with the body and its headers (mutated):
 * a body announced at up to SMALL_BODY_BYTES is read whole and keeps an exact Content-Length; any
 * other streams through the chunk-safe replacer without Content-Length (so chunked). A body with a
 * content coding other than identity cannot be read and is relayed untouched. `relay` is not called
 * when the body broke off while being read (the caller's error handling ends the response).
 */
export function relayMasked(
  upstream: Readable,
  headers: OutgoingHttpHeaders,
  cookie: string,
  relay: (body: Readable, headers: OutgoingHttpHeaders) => void,
): void {
  const { pairs } = formsOf(cookie);
  const coding = headers["content-encoding"];
  if (pairs.length === 0 || (coding !== undefined && !/^\s*(identity)?\s*$/i.test(String(coding)))) {
    return relay(upstream, headers);
  }
  const announced = headers["content-length"] === undefined ? Infinity : Number(headers["content-length"]);
  if (announced <= SMALL_BODY_BYTES) {
    // The parser holds the body to its announced length, so this reads at most SMALL_BODY_BYTES.
    buffer(upstream).then(
      (whole) => {
        const body = rewriteBuffer(whole, pairs);
        headers["content-length"] = body.length;
        relay(Readable.from([body]), headers);
      },
      () => undefined,
    );
    return;
  }
  delete headers["content-length"];
  relay(upstream.pipe(new RewriteStream(pairs)), headers);
}
