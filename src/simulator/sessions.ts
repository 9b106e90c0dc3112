// Owns the server-side sessions: one per login, ending `sessionTtl` after it, bounded in number, and
// the token lifetimes inside them (a token lives `tokenTtl`, never past its session's end).

export interface Session {
  /** Unique within one simulator; carried in each token's signature. */
  readonly id: number;
  readonly user: string;
  readonly startedAt: number;
  /** Epoch ms; no token of this session is valid at or after it. */
  readonly endsAt: number;
}

export type LoginResult = { ok: true; session: Session } | { ok: false; reason: "full" };

export class Sessions {
  private readonly byId = new Map<number, Session>();
  private lastId = 0;

  constructor(
    private readonly tokenTtlMs: number,
    private readonly sessionTtlMs: number,
    private readonly max: number,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  login(user: string, now: number): LoginResult {
    if (this.byId.size >= this.max) this.purge(now);
    if (this.byId.size >= this.max) return { ok: false, reason: "full" };
    const session: Session = { id: ++this.lastId, user, startedAt: now, endsAt: now + this.sessionTtlMs };
    this.byId.set(session.id, session);
    return { ok: true, session };
  }

  /** The live session with this id; ended sessions are dropped on the way. */
  find(id: number, now: number): Session | undefined {
    const session = this.byId.get(id);
    if (session && now >= session.endsAt) {
      this.byId.delete(id);
      return undefined;
    }
    return session;
  }

  /** When a token issued now in `session` expires: `tokenTtl` from now, capped at the session end. */
  tokenExpiry(session: Session, now: number): number {
    return Math.min(now + this.tokenTtlMs, session.endsAt);
  }

  /** Ends every session, so every token ever issued is refused from now on (ids are never reused). */
  revokeAll(): number {
    const n = this.byId.size;
    this.byId.clear();
    return n;
  }

  private purge(now: number): void {
    for (const [id, s] of this.byId) if (now >= s.endsAt) this.byId.delete(id);
  }
}
