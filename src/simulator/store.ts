// Owns the simulator's objects: per resource type, keyed by the raw name bytes, with a cap on how
// many a client may create (seeded catalogue entries do not count against it).

export interface StoredObject {
  readonly key: string;
  fields: Record<string, unknown>;
  readonly createdAt: number;
  updatedAt: number;
}

export type CreateResult = "created" | "exists" | "full";

export class ObjectStore {
  private readonly types = new Map<string, Map<string, StoredObject>>();
  private created = 0;

  constructor(private readonly max: number) {}

  /** Objects clients created (seeded ones excluded). */
  get count(): number {
    return this.created;
  }

  get(type: string, key: string): StoredObject | undefined {
    return this.types.get(type)?.get(key);
  }

  /** Every object of `type` whose key starts with `prefix`, in key order. */
  list(type: string, prefix: string): StoredObject[] {
    const out: StoredObject[] = [];
    for (const [key, obj] of this.types.get(type) ?? []) if (key.startsWith(prefix)) out.push(obj);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  seed(type: string, key: string, fields: Record<string, unknown>, now: number): void {
    this.bucket(type).set(key, { key, fields, createdAt: now, updatedAt: now });
  }

  create(type: string, key: string, fields: Record<string, unknown>, now: number): CreateResult {
    const bucket = this.bucket(type);
    if (bucket.has(key)) return "exists";
    if (this.created >= this.max) return "full";
    bucket.set(key, { key, fields, createdAt: now, updatedAt: now });
    this.created++;
    return "created";
  }

  update(type: string, key: string, fields: Record<string, unknown>, now: number): StoredObject | undefined {
    const obj = this.get(type, key);
    if (!obj) return undefined;
    obj.fields = fields;
    obj.updatedAt = now;
    return obj;
  }

  delete(type: string, key: string): boolean {
    const removed = this.types.get(type)?.delete(key) ?? false;
    if (removed) this.created--;
    return removed;
  }

  private bucket(type: string): Map<string, StoredObject> {
    let b = this.types.get(type);
    if (!b) this.types.set(type, (b = new Map()));
    return b;
  }
}
