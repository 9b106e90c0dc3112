// Owns the small HTTP helpers every simulator route shares: the raw request path (never decoded),
// JSON error bodies in the API's shape, and bounded body reading.

import type { Context } from "hono";
import type { HttpBindings } from "@hono/node-server";
import { V3_JSON } from "./media.js";

export type SimEnv = { Bindings: Partial<HttpBindings> | undefined };
export type SimContext = Context<SimEnv>;

/** The node request behind a hono context, when the app runs under @hono/node-server. */
export function incomingOf(c: SimContext): HttpBindings["incoming"] | undefined {
  return (c.env as Partial<HttpBindings> | undefined)?.incoming;
}

/**
 * The request path exactly as the client sent it (design fact 6): `%40` stays `%40`, dot segments
 * and double slashes stay. Falls back to the URL hono saw when there is no node request.
 */
export function rawPath(c: SimContext): string {
  let target = incomingOf(c)?.url ?? c.req.url;
  if (!target.startsWith("/")) {
    const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(target);
    target = m ? target.slice(m[0].length) || "/" : target;
  }
  const q = target.search(/[?#]/);
  return q === -1 ? target : target.slice(0, q);
}

export function jsonResponse(
  body: unknown,
  status: number,
  contentType = V3_JSON,
  headers?: Record<string, string>,
): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { ...(status === 204 ? {} : { "content-type": contentType }), ...headers },
  });
}

/** An error in the API's own shape: `{"message": …}` (design fact 5). */
export function apiError(status: number, message: string, headers?: Record<string, string>): Response {
  return jsonResponse({ message: message }, status, V3_JSON, headers);
}

export type BodyResult = { ok: true; text: string } | { ok: false; response: Response };

/** Reads the request body as UTF-8, refusing (413) anything over `limit` bytes without buffering it all. */
export async function readBody(c: SimContext, limit: number): Promise<BodyResult> {
  const tooLarge = (): BodyResult => ({
    ok: false,
    response: apiError(413, `Request body is larger than the simulator's limit of ${limit} bytes`),
  });
  const declared = Number(c.req.header("content-length"));
  if (Number.isFinite(declared) && declared > limit) return tooLarge();
  const stream = c.req.raw.body;
  if (!stream) return { ok: true, text: "" };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return tooLarge();
    }
    chunks.push(value);
  }
  return { ok: true, text: Buffer.concat(chunks).toString("utf8") };
}

export type JsonResult = { ok: true; value: Record<string, unknown> } | { ok: false; response: Response };

/** Parses a body that must be a JSON object; 400 with the API's message shape otherwise. */
export function parseJsonObject(text: string): JsonResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, response: apiError(400, "Malformed JSON in request body") };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, response: apiError(400, "Request body must be a JSON object") };
  }
  return { ok: true, value: value as Record<string, unknown> };
}
