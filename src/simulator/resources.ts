// Owns the resource routes with the API's semantics (design facts 6-8): CRUD under /<type>/<raw name>
// (`%40` never decoded), the trailing-slash and directory-Accept listing rules, absolute `uri` fields.

import type { Authenticated } from "./auth.js";
import { KindError, type KindContext, type ResourceKind } from "./kind.js";
import { apiError, jsonResponse, parseJsonObject, readBody, type SimContext } from "./http-util.js";
import { isV3Json, negotiate, V3_DIRECTORY_JSON, V3_JSON } from "./media.js";
import type { SimState } from "./state.js";
import type { StoredObject } from "./store.js";
import { customerOf } from "./users.js";

/** Handles one API request for a resource type; `path` is the raw request path. */
export async function handleResource(
  c: SimContext,
  state: SimState,
  kinds: ReadonlyMap<string, ResourceKind>,
  path: string,
  auth: Authenticated,
): Promise<Response> {
  const m = /^\/([^/]+)(.*)$/.exec(path);
  const kind = m ? kinds.get(m[1]!) : undefined;
  if (!m || !kind) return apiError(404, `Not Found: ${path}`);
  const rest = m[2]!;
  const isContainer = rest === "" || rest.endsWith("/");
  const answer = negotiate(c.req.header("accept"));
  if (answer === undefined) return apiError(406, `Not Acceptable: ask for ${V3_JSON} or ${V3_DIRECTORY_JSON}`);

  const method = c.req.method;
  const origin = state.publicUrl ?? new URL(c.req.url).origin;
  const uriOf = (key: string): string => `${origin}/${kind.type}${key}`;
  const render = (obj: StoredObject): Record<string, unknown> => kind.render(obj, state.clock.now(), uriOf(obj.key));

  if (method === "GET" || method === "HEAD") {
    if (isContainer && answer !== "names" && rest !== "") {
      return jsonResponse({ result: state.store.list(kind.type, rest).map(render) }, 200);
    }
    if (isContainer) return names(state, kind, rest || "/");
    const obj = state.store.get(kind.type, rest);
    if (obj) return jsonResponse(render(obj), 200);
    if (state.store.list(kind.type, `${rest}/`).length > 0) return names(state, kind, `${rest}/`);
    return notFound(kind, rest);
  }

  const allow = !kind.writable ? "GET, HEAD" : isContainer ? "GET, HEAD, POST" : "GET, HEAD, PUT, DELETE";
  const allowed =
    kind.writable && (isContainer ? method === "POST" && rest === "/" : method === "PUT" || method === "DELETE");
  if (!allowed) return apiError(405, `Method ${method} is not allowed on ${path}`, { allow });

  const ctx: KindContext = { now: state.clock.now(), lookup: (type, key) => state.store.get(type, key) };
  if (method === "DELETE") {
    if (!state.store.get(kind.type, rest)) return notFound(kind, rest);
    if (customerOf(rest) !== auth.claims.customer) return forbidden(kind, rest);
    state.store.delete(kind.type, rest);
    return new Response(null, { status: 204 });
  }

  if (!isV3Json(c.req.header("content-type"))) return apiError(415, `Unsupported Media Type: send ${V3_JSON}`);
  const body = await readBody(c, state.options.maxBodyBytes);
  if (!body.ok) return body.response;
  const parsed = parseJsonObject(body.text);
  if (!parsed.ok) return parsed.response;

  if (method === "POST") {
    const name = parsed.value.name;
    if (typeof name !== "string" || !/^\/Compute-[^/]+\/[^/]+\/[^/]+(?:\/[^/]+)*$/.test(name)) {
      return apiError(400, 'Field "name" must be a multi-part name like /Compute-acme/jack.jones@example.com/name');
    }
    if (customerOf(name) !== auth.claims.customer) return forbidden(kind, name);
    const fields = kind.create!(name, parsed.value, ctx);
    if (fields instanceof KindError) return apiError(fields.status, fields.message);
    const result = state.store.create(kind.type, name, fields, ctx.now);
    if (result === "exists") return apiError(409, `Conflict: ${kind.type} ${name} already exists`);
    if (result === "full")
      return apiError(507, `Simulator object limit reached (maxObjects=${state.options.maxObjects})`);
    return jsonResponse(render(state.store.get(kind.type, name)!), 201);
  }

  const current = state.store.get(kind.type, rest);
  if (!current) return notFound(kind, rest);
  if (customerOf(rest) !== auth.claims.customer) return forbidden(kind, rest);
  if (parsed.value.name !== undefined && parsed.value.name !== rest) {
    return apiError(400, `Field "name" must match the path (${rest}); renaming is not supported`);
  }
  const fields = kind.update!(current, parsed.value, ctx);
  if (fields instanceof KindError) return apiError(fields.status, fields.message);
  return jsonResponse(render(state.store.update(kind.type, rest, fields, ctx.now)!), 200);
}

/** A directory listing: the immediate children of `prefix`, sub-containers ending in `/`. */
function names(state: SimState, kind: ResourceKind, prefix: string): Response {
  const children = new Set<string>();
  for (const obj of state.store.list(kind.type, prefix)) {
    const slash = obj.key.indexOf("/", prefix.length);
    children.add(slash === -1 ? kind.displayName(obj.key) : obj.key.slice(0, slash + 1));
  }
  return jsonResponse({ result: [...children] }, 200, V3_DIRECTORY_JSON);
}

const notFound = (kind: ResourceKind, name: string): Response => apiError(404, `${kind.type} ${name} does not exist`);
const forbidden = (kind: ResourceKind, name: string): Response =>
  apiError(403, `Not authorized to change ${kind.type} ${name} outside your identity domain`);
