// Owns the server-side sessions: one per login, ending `sessionTtl` after it, bounded in number, and
// the token lifetimes inside them (a token lives `tokenTtl`, never past its session's end).

export interface Session {
  readonly user: string;
  readonly startedAt: number;
  /** Epoch ms; no token of this session is valid at or after it. */
  readonly endsAt: number;
}

export type LoginResult = { ok: true; session: Session } | { ok: false; reason: "full" };

/**
 * Sessions keyed by user and end time, which is what a token's claims carry, so a token finds its
 * session without a per-token table. A second login by the same user in the same millisecond
 * shares the first one's session, which is harmless.
 */
export class Sessions {
  private readonly byKey = new Map<string, Session>();

  constructor(
    private readonly tokenTtlMs: number,
    private readonly sessionTtlMs: number,
    private readonly max: number,
  ) {}

  static key(user: string, endsAt: number): string {
    return `${endsAt} ${user}`;
  }

  get size(): number {
    return this.byKey.size;
  }

  login(user: string, now: number): LoginResult {
    const endsAt = now + this.sessionTtlMs;
    const key = Sessions.key(user, endsAt);
    const existing = this.byKey.get(key);
    if (existing) return { ok: true, session: existing };
    if (this.byKey.size >= this.max) this.purge(now);
    if (this.byKey.size >= this.max) return { ok: false, reason: "full" };
    const session: Session = { user, startedAt: now, endsAt };
    this.byKey.set(key, session);
    return { ok: true, session };
  }

  /** The live session a token of `user` ending at `endsAt` belongs to; ended sessions are dropped. */
  find(user: string, endsAt: number, now: number): Session | undefined {
    const key = Sessions.key(user, endsAt);
    const session = this.byKey.get(key);
    if (session && now >= session.endsAt) {
      this.byKey.delete(key);
      return undefined;
    }
    return session;
  }

  /** When a token issued now in `session` expires: `tokenTtl` from now, capped at the session end. */
  tokenExpiry(session: Session, now: number): number {
    return Math.min(now + this.tokenTtlMs, session.endsAt);
  }

  /** Ends every session, so every token ever issued is refused from now on. */
  revokeAll(): number {
    const n = this.byKey.size;
    this.byKey.clear();
    return n;
  }

  private purge(now: number): void {
    for (const [key, s] of this.byKey) if (now >= s.endsAt) this.byKey.delete(key);
  }
}
