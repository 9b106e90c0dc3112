// Owns checking a body against a kind's field table: types, required and defaulted fields, allowed
// values, references to other objects (400 when missing) and the in-use rule for deletes (409).

import { badRequest, KindError, type FieldSpec, type KindContext, type KindTable, type RefTarget } from "./kind.js";
import type { ObjectStore, StoredObject } from "./store.js";

const TYPE_NAMES: Record<FieldSpec["type"], string> = {
  string: "a string",
  boolean: "a boolean",
  integer: "an integer",
  "string[]": "an array of strings",
  object: "an object",
  array: "an array",
};

function typeOk(spec: FieldSpec, v: unknown): boolean {
  switch (spec.type) {
    case "string[]":
      return Array.isArray(v) && v.every((x) => typeof x === "string");
    case "integer":
      return Number.isInteger(v);
    case "object":
      return typeof v === "object" && v !== null && !Array.isArray(v);
    case "array":
      return Array.isArray(v);
    default:
      return typeof v === spec.type;
  }
}

/** The first problem with one present field: its type, its allowed values, blankness. */
function valueProblem(field: string, spec: FieldSpec, v: unknown, updating: boolean): KindError | undefined {
  if (!typeOk(spec, v)) return badRequest(`Field "${field}" must be ${TYPE_NAMES[spec.type]}`);
  if (spec.values && !spec.values.includes(v)) {
    return badRequest(`Field "${field}" must be one of ${spec.values.map((x) => JSON.stringify(x)).join(", ")}`);
  }
  if (spec.nonEmpty && typeof v === "string" && v.trim() === "") {
    return badRequest(updating ? `Field "${field}" must not be empty` : `Field "${field}" is required`);
  }
  return undefined;
}

/** Finds the object a reference target names. */
export function resolve(store: ObjectStore, target: RefTarget): StoredObject | undefined {
  if ("key" in target) return store.get(target.type, target.key);
  return store.list(target.type, "").find((o) => o.fields[target.field] === target.value);
}

/** 400 "<label> <value> does not exist" for the first reference that names nothing. */
export function referenceProblem(
  fields: Readonly<Record<string, FieldSpec>>,
  body: Record<string, unknown>,
  store: ObjectStore,
): KindError | undefined {
  for (const [field, spec] of Object.entries(fields)) {
    const v = body[field];
    if (!spec.ref || v === undefined || v === null || v === "") continue;
    for (const value of Array.isArray(v) ? (v as string[]) : [v as string]) {
      const target = spec.ref.to(value);
      if (target && !resolve(store, target)) return badRequest(`${spec.ref.label} ${value} does not exist`);
    }
  }
  return undefined;
}

/** The stored fields of a new object (name excluded), or why the body is refused. */
export function fieldsForCreate(
  fields: Readonly<Record<string, FieldSpec>>,
  body: Record<string, unknown>,
  store: ObjectStore,
): Record<string, unknown> | KindError {
  const out: Record<string, unknown> = {};
  for (const [field, spec] of Object.entries(fields)) {
    const v = body[field];
    if (v === undefined || v === null) {
      if (spec.required) return badRequest(`Field "${field}" is required`);
      if (spec.default !== undefined) out[field] = structuredClone(spec.default);
      continue;
    }
    const problem = valueProblem(field, spec, v, false);
    if (problem) return problem;
    out[field] = v;
  }
  return referenceProblem(fields, out, store) ?? out;
}

/** The stored fields after a PUT: `current` with the updatable fields of `body` merged in. */
export function fieldsForUpdate(
  table: KindTable,
  current: StoredObject,
  body: Record<string, unknown>,
  ctx: KindContext,
): Record<string, unknown> | KindError {
  const next = { ...current.fields };
  for (const [field, spec] of Object.entries(table.fields)) {
    const v = body[field];
    if (v === undefined || v === null || spec.updatable === false) continue;
    const problem = valueProblem(field, spec, v, true);
    if (problem) return problem;
    next[field] = v;
  }
  const problem = referenceProblem(table.fields, next, ctx.store) ?? uniqueProblem(table, next, ctx.store, current.key);
  if (problem) return problem;
  return table.check?.(next, ctx) ?? (table.updated ? table.updated(current, next, ctx) : next);
}

/** 409 when another object of the kind already has the same values for a unique field tuple. */
export function uniqueProblem(
  table: KindTable,
  fields: Record<string, unknown>,
  store: ObjectStore,
  self?: string,
): KindError | undefined {
  for (const tuple of table.unique ?? []) {
    const clash = store
      .list(table.type, "")
      .find((o) => o.key !== self && tuple.every((f) => JSON.stringify(o.fields[f]) === JSON.stringify(fields[f])));
    if (clash) {
      const what = tuple.map((f) => `${f} ${JSON.stringify(fields[f])}`).join(", ");
      return new KindError(409, `Conflict: ${table.label} ${clash.key} already has ${what}`);
    }
  }
  return undefined;
}

/** 409 when an object of any kind still refers to `obj` through a reference that blocks deletes. */
export function inUseProblem(
  tables: Iterable<KindTable>,
  table: KindTable,
  obj: StoredObject,
  store: ObjectStore,
): KindError | undefined {
  for (const other of tables) {
    for (const [field, spec] of Object.entries(other.fields)) {
      if (!spec.ref || spec.ref.deletable) continue;
      for (const user of store.list(other.type, "")) {
        const v = user.fields[field];
        for (const value of Array.isArray(v) ? (v as unknown[]) : [v]) {
          if (typeof value !== "string") continue;
          const t = spec.ref.to(value);
          if (!t || t.type !== table.type) continue;
          if ("key" in t ? t.key === obj.key : obj.fields[t.field] === t.value) {
            return new KindError(409, `Conflict: ${table.label} ${obj.key} is in use by ${other.label} ${user.key}`);
          }
        }
      }
    }
  }
  return undefined;
}
