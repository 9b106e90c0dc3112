// Owns the generic resource engine's routes with the API's semantics (design facts 6-8): CRUD under
// /<kind path>/<raw name> (`%40` never decoded), the trailing-slash and directory-Accept listing rules,
// absolute `uri` fields, POST 201 / GET and PUT 200 / DELETE 204, and API-style error bodies.

import type { Authenticated } from "./auth.js";
import { fieldsForCreate, fieldsForUpdate, inUseProblem, uniqueProblem } from "./fields.js";
import { KindError, pathOf, type KindContext, type KindTable, type NewObject } from "./kind.js";
import { apiError, jsonResponse, parseJsonObject, readBody, type SimContext } from "./http-util.js";
import { isV3Json, negotiate, V3_DIRECTORY_JSON, V3_JSON } from "./media.js";
import type { SimState } from "./state.js";
import type { StoredObject } from "./store.js";
import { customerOf } from "./users.js";

const NAME_FORM = /^\/Compute-[^/]+\/[^/]+\/[^/]+(?:\/[^/]+)*$/;

/** The table serving `path` and the rest of the path after its prefix, or undefined (404). */
function route(
  tables: readonly KindTable[],
  path: string,
): { table: KindTable; rest: string; createAt: (rest: string) => boolean } | undefined {
  for (const table of tables) {
    const prefix = `/${pathOf(table)}`;
    if (path !== prefix && !path.startsWith(`${prefix}/`)) continue;
    const rest = path.slice(prefix.length);
    const child = table.child;
    if (child) {
      const m = new RegExp(`^(/.+)/${child.segment}/([^/]*)$`).exec(rest);
      if (m) return { table: child.table, rest, createAt: (r) => r.endsWith(`/${child.segment}/`) };
    }
    return { table, rest, createAt: (r) => r === "/" };
  }
  return undefined;
}

/** Tables in matching order: longer prefixes first, so `ip/reservation` never falls to a shorter one. */
export function routingOrder(tables: Iterable<KindTable>): KindTable[] {
  return [...tables].sort((a, b) => pathOf(b).length - pathOf(a).length);
}

/** Handles one API request for a resource kind; `path` is the raw request path. */
export async function handleResource(
  c: SimContext,
  state: SimState,
  tables: readonly KindTable[],
  path: string,
  auth: Authenticated,
): Promise<Response> {
  const found = route(tables, path);
  if (!found) return apiError(404, `Not Found: ${path}`);
  const { table, rest, createAt } = found;
  const isContainer = rest === "" || rest.endsWith("/");
  const answer = negotiate(c.req.header("accept"));
  if (answer === undefined) return apiError(406, `Not Acceptable: ask for ${V3_JSON} or ${V3_DIRECTORY_JSON}`);

  const method = c.req.method;
  const origin = state.publicUrl ?? new URL(c.req.url).origin;
  const now = state.clock.now();
  const render = (obj: StoredObject, t: KindTable = table): Record<string, unknown> => {
    const out: Record<string, unknown> = {
      ...obj.fields,
      ...t.render?.(obj, { now, store: state.store, uri: (p, key) => `${origin}/${p}${key}` }),
      uri: `${origin}/${pathOf(t)}${obj.key}`,
    };
    for (const f of t.hidden ?? []) delete out[f];
    return out;
  };
  const listable = table.listable !== false;

  if ((method === "GET" || method === "HEAD") && listable) {
    if (isContainer && answer !== "names" && rest !== "") {
      return jsonResponse({ result: state.store.list(table.type, rest).map((o) => render(o)) }, 200);
    }
    if (isContainer) return names(state, table, rest || "/");
    const obj = state.store.get(table.type, rest);
    if (obj) return jsonResponse(render(obj), 200);
    if (state.store.list(table.type, `${rest}/`).length > 0) return names(state, table, `${rest}/`);
    return notFound(table, rest);
  }

  const { create, update, delete: remove } = table.ops;
  const reads = listable ? ["GET", "HEAD"] : [];
  const allowList = isContainer
    ? [...reads, ...(create ? ["POST"] : [])]
    : [...reads, ...(update ? ["PUT"] : []), ...(remove ? ["DELETE"] : [])];
  const allowed = isContainer
    ? method === "POST" && !!create && createAt(rest)
    : (method === "PUT" && !!update) || (method === "DELETE" && !!remove);
  if (!allowed) return apiError(405, `Method ${method} is not allowed on ${path}`, { allow: allowList.join(", ") });

  const ctx: KindContext = { now, store: state.store, user: auth.claims.user, newId: state.newId };
  if (method === "DELETE") {
    const obj = state.store.get(table.type, rest);
    if (!obj) return notFound(table, rest);
    if (customerOf(rest) !== auth.claims.customer) return forbidden(table, rest);
    const busy = inUseProblem(state.tables, table, obj, state.store);
    if (busy) return apiError(busy.status, busy.message);
    for (const dep of table.cascade?.(obj, state.store) ?? []) state.store.delete(dep.type, dep.key);
    state.store.delete(table.type, rest);
    return new Response(null, { status: 204 });
  }

  if (!isV3Json(c.req.header("content-type"))) return apiError(415, `Unsupported Media Type: send ${V3_JSON}`);
  const body = await readBody(c, state.options.maxBodyBytes);
  if (!body.ok) return body.response;
  const parsed = parseJsonObject(body.text);
  if (!parsed.ok) return parsed.response;

  if (method === "POST") {
    const planned = plan(table, rest, parsed.value, ctx, auth);
    if (planned instanceof KindError) return apiError(planned.status, planned.message);
    for (const n of planned.creates) {
      if (state.store.get(n.type, n.key)) return apiError(409, `Conflict: ${table.label} ${n.key} already exists`);
    }
    if (state.store.count + planned.creates.length > state.options.maxObjects) {
      return apiError(507, `Simulator object limit reached (maxObjects=${state.options.maxObjects})`);
    }
    for (const n of planned.creates) state.store.create(n.type, n.key, n.fields, now);
    const rendered = planned.creates.map((n) => render(state.store.get(n.type, n.key)!, tableOf(state, n.type)));
    return jsonResponse(planned.answer(rendered), 201);
  }

  const current = state.store.get(table.type, rest);
  if (!current) return notFound(table, rest);
  if (customerOf(rest) !== auth.claims.customer) return forbidden(table, rest);
  const bodyName = parsed.value.name;
  if (
    bodyName !== undefined &&
    bodyName !== rest &&
    !(typeof bodyName === "string" && table.nameMatches?.(bodyName, rest))
  ) {
    return apiError(400, `Field "name" must match the path (${rest}); renaming is not supported`);
  }
  const fields = fieldsForUpdate(table, current, parsed.value, ctx);
  if (fields instanceof KindError) return apiError(fields.status, fields.message);
  return jsonResponse(render(state.store.update(table.type, rest, fields, now)!), 200);
}

/** The objects one POST creates: the kind's own plan, or one object named by the body or generated. */
function plan(
  table: KindTable,
  rest: string,
  body: Record<string, unknown>,
  ctx: KindContext,
  auth: Authenticated,
): { creates: NewObject[]; answer(rendered: Array<Record<string, unknown>>): unknown } | KindError {
  if (table.plan) return table.plan(body, ctx);
  if (!table.key && !isMultipartName(body.name)) return badName();
  if (!table.key && customerOf(body.name as string) !== auth.claims.customer)
    return outside(table, body.name as string);
  const fields = fieldsForCreate(table.fields, body, ctx.store);
  if (fields instanceof KindError) return fields;
  const problem = table.check?.(fields, ctx) ?? uniqueProblem(table, fields, ctx.store);
  if (problem) return problem;
  const key = table.key ? table.key({ ...fields, name: body.name }, ctx, rest) : (body.name as string);
  if (key instanceof KindError) return key;
  if (customerOf(key) !== auth.claims.customer) return outside(table, key);
  const stored = { ...(table.unnamed ? {} : { name: key }), ...fields, ...table.init?.(fields, key, ctx) };
  return { creates: [{ type: table.type, key, fields: stored }], answer: (r) => r[0] };
}

export const badName = (): KindError =>
  new KindError(400, 'Field "name" must be a multi-part name like /Compute-acme/jack.jones@example.com/name');

export const isMultipartName = (v: unknown): v is string => typeof v === "string" && NAME_FORM.test(v);

function tableOf(state: SimState, type: string): KindTable {
  return state.tables.find((t) => t.type === type)!;
}

/** A directory listing: the immediate children of `prefix`, sub-containers ending in `/`. */
function names(state: SimState, table: KindTable, prefix: string): Response {
  const children = new Set<string>();
  for (const obj of state.store.list(table.type, prefix)) {
    const slash = obj.key.indexOf("/", prefix.length);
    children.add(slash === -1 ? (table.display?.(obj.key) ?? obj.key) : obj.key.slice(0, slash + 1));
  }
  return jsonResponse({ result: [...children] }, 200, V3_DIRECTORY_JSON);
}

const notFound = (table: KindTable, name: string): Response => apiError(404, `${table.type} ${name} does not exist`);
const outside = (table: KindTable, name: string): KindError =>
  new KindError(403, `Not authorized to change ${table.type} ${name} outside your identity domain`);
const forbidden = (table: KindTable, name: string): Response => {
  const e = outside(table, name);
  return apiError(e.status, e.message);
};
