// Owns the contract between the generic resource routes and one resource type: how a type
// validates a create or update body and how it renders a stored object.

import type { StoredObject } from "./store.js";

/** Why a body is refused: the status and message the client sees. */
export class KindError {
  constructor(
    readonly status: number,
    readonly message: string,
  ) {}
}

export interface KindContext {
  now: number;
  /** Looks up another object, e.g. the shape an instance names. */
  lookup(type: string, key: string): StoredObject | undefined;
}

export interface ResourceKind {
  readonly type: string;
  /** Read-only types answer 405 to POST, PUT and DELETE. */
  readonly writable: boolean;
  /** The name shown in directory listings for a stored key. */
  displayName(key: string): string;
  /** Stored fields for a new object named `name`, or why the body is refused. */
  create?(name: string, body: Record<string, unknown>, ctx: KindContext): Record<string, unknown> | KindError;
  /** Stored fields after a PUT, or why the body is refused. */
  update?(current: StoredObject, body: Record<string, unknown>, ctx: KindContext): Record<string, unknown> | KindError;
  /** The object as the API returns it; `uri` is its absolute address on the public origin. */
  render(obj: StoredObject, now: number, uri: string): Record<string, unknown>;
}

export const badRequest = (message: string): KindError => new KindError(400, message);

/** Checks optional body fields against the types they must have; returns the first problem. */
export function fieldProblem(
  body: Record<string, unknown>,
  spec: Record<string, "string" | "boolean" | "string[]">,
): KindError | undefined {
  for (const [field, type] of Object.entries(spec)) {
    const v = body[field];
    if (v === undefined) continue;
    const ok = type === "string[]" ? Array.isArray(v) && v.every((x) => typeof x === "string") : typeof v === type;
    if (!ok) return badRequest(`Field "${field}" must be ${type === "string[]" ? "an array of strings" : `a ${type}`}`);
  }
  return undefined;
}

/** The fields of `body` named in `fields` that are present. */
export function pick(body: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((f) => body[f] !== undefined).map((f) => [f, body[f]]));
}
