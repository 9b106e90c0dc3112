// Owns the table that describes one resource kind to the generic engine (resources.ts): its path,
// how names are chosen, its fields (types, required, defaults, references), and the few hooks a kind needs.

import type { ObjectStore, StoredObject } from "./store.js";

/** Why a body is refused: the status and message the client sees. */
export class KindError {
  constructor(
    readonly status: number,
    readonly message: string,
  ) {}
}

export const badRequest = (message: string): KindError => new KindError(400, message);

export type FieldType = "string" | "boolean" | "integer" | "string[]" | "object" | "array";

/** An ISO timestamp without milliseconds, as the API writes them. */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The phase an object is in `ageMs` after it started: each step lasts its ms, the last one forever. */
export function phase(steps: ReadonlyArray<readonly [string, number]>, ageMs: number): string {
  let t = 0;
  for (const [name, ms] of steps) {
    t += ms;
    if (ageMs < t) return name;
  }
  return steps[steps.length - 1]![0];
}

/** Where a reference field points: an object by key, or the object whose `field` equals `value`. */
export type RefTarget = { type: string; key: string } | { type: string; field: string; value: unknown };

export interface RefRule {
  /** Shown in "<label> <value> does not exist" (400) and in-use (409) messages. */
  label: string;
  /** The target named by a value; undefined when the value names nothing checked (e.g. `ippool:/oracle/public/ippool`). */
  to(value: string): RefTarget | undefined;
  /** Whether the target may be deleted while this reference exists; default false (409 while in use). */
  deletable?: boolean;
}

export interface FieldSpec {
  type: FieldType;
  required?: boolean;
  /** Stored when the create body omits the field. */
  default?: unknown;
  /** The allowed values. */
  values?: readonly unknown[];
  /** A string that may not be blank. */
  nonEmpty?: boolean;
  ref?: RefRule;
  /** Whether PUT may change it; default true. */
  updatable?: boolean;
}

/** What hooks see: the time, the store, the caller, and a source of API-style ids. */
export interface KindContext {
  now: number;
  store: ObjectStore;
  /** The two-part user of the session, e.g. /Compute-acme/jack.jones@example.com. */
  user: string;
  /** A fresh UUID (injected randomness). */
  newId(): string;
}

export interface RenderContext {
  now: number;
  store: ObjectStore;
  /** The absolute uri of an object under a path prefix, e.g. uri("imagelist", key). */
  uri(path: string, key: string): string;
}

export interface NewObject {
  type: string;
  key: string;
  fields: Record<string, unknown>;
}

export interface KindTable {
  /** Store type and reference name, e.g. "storage/volume". */
  readonly type: string;
  /** Path prefix without slashes when it differs from `type` (child kinds share the parent's). */
  readonly path?: string;
  /** Human name for messages, e.g. "storage volume". */
  readonly label: string;
  /** Which writes the API allows; GET and HEAD are always allowed, except where `listable` is false. */
  readonly ops: { create?: boolean; update?: boolean; delete?: boolean };
  /** False for POST-only kinds (launchplan): GET answers 405. */
  readonly listable?: boolean;
  /**
   * How POST chooses the key when it is not simply the body's multi-part `name`: `fields` holds the
   * checked fields plus the body's `name`; `container` is the raw path POSTed to (e.g. "/…/entry/").
   */
  readonly key?: (fields: Record<string, unknown>, ctx: KindContext, container: string) => string | KindError;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /** Field tuples no two objects may share (409). */
  readonly unique?: ReadonlyArray<readonly string[]>;
  /** Read-only fields added at create, e.g. generated ids and addresses. */
  init?(fields: Record<string, unknown>, key: string, ctx: KindContext): Record<string, unknown>;
  /** Rules across fields, after types and references are checked. */
  check?(fields: Record<string, unknown>, ctx: KindContext): KindError | undefined;
  /** Stored fields after an accepted PUT, given the merged ones (e.g. restart the state clock). */
  updated?(current: StoredObject, next: Record<string, unknown>, ctx: KindContext): Record<string, unknown>;
  /** Computed read-only fields, e.g. a state that moves on the clock. */
  render?(obj: StoredObject, ctx: RenderContext): Record<string, unknown>;
  /** Stored bookkeeping fields never shown to clients. */
  readonly hidden?: readonly string[];
  /** True when objects carry no `name` field (image list entries). */
  readonly unnamed?: boolean;
  /** A PUT body's `name` other than the key that still names this object (instances: name without id). */
  nameMatches?(bodyName: string, key: string): boolean;
  /** Objects to delete with this one (e.g. an instance's vnics). */
  cascade?(obj: StoredObject, store: ObjectStore): Array<{ type: string; key: string }>;
  /** POST-only kinds: the objects a body creates, and the answer built from their rendered forms. */
  plan?(
    body: Record<string, unknown>,
    ctx: KindContext,
  ): { creates: NewObject[]; answer(rendered: Array<Record<string, unknown>>): unknown } | KindError;
  /** A sub-resource under each object, e.g. an image list's `entry`. */
  readonly child?: { segment: string; table: KindTable };
  /** The name shown in directory listings; default the key. */
  display?(key: string): string;
}

/** The path prefix of a table, e.g. "network/v1/ipnetwork". */
export const pathOf = (t: KindTable): string => t.path ?? t.type;

/** The first `n` parts of a multi-part name, e.g. owner("/Compute-acme/u/vm/id", 3) = "/Compute-acme/u". */
export const namePrefix = (name: string, parts: number): string => name.split("/").slice(0, parts).join("/");

/** A reference rule to `type` by key, with an optional `prefix:` the value must carry (e.g. "seclist:"). */
export function refTo(type: string, label: string, opts: { prefix?: string; deletable?: boolean } = {}): RefRule {
  return {
    label,
    deletable: opts.deletable,
    to(value) {
      if (opts.prefix === undefined) return { type, key: value };
      return value.startsWith(opts.prefix) ? { type, key: value.slice(opts.prefix.length) } : undefined;
    },
  };
}
