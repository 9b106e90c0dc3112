// Owns byte-level URI rewriting: replace each occurrence of one origin by another in a buffer, a
// header value or a stream, chunk by chunk, and the boundary rule that says where an origin ends.

import { Transform, type TransformCallback } from "node:stream";

/** One replacement: every bounded occurrence of `from` becomes `to` (every occurrence when `anywhere`). */
export interface RewritePair {
  readonly from: Buffer;
  readonly to: Buffer;
  /** Match without the origin boundary rule: for secrets, which are masked wherever they appear. */
  readonly anywhere?: boolean;
}

/**
 * Bytes that continue an authority, so an origin followed by one is a different origin: letters,
 * digits, `-._~` (a longer host name), `:` (another port), `@` (userinfo: the host comes after),
 * `%` (an encoded host byte) and non-ASCII (an internationalised name). With this rule `https://h`
 * is not a prefix of `https://h.evil.com`, `https://hx`, `https://h:8443` or `https://h@evil.com`.
 * Anything else ends the origin (`/`, `?`, `#`, `"`, `&`, space, …), and so do the end of the
 * input and the encoded delimiters `%2F`, `%3F`, `%23`, which a host can never contain.
 */
const CONTINUES = new Uint8Array(256);
for (let b = 0; b < 256; b++) CONTINUES[b] = b >= 0x80 || /[A-Za-z0-9\-._~:@%]/.test(String.fromCharCode(b)) ? 1 : 0;
/** Bytes to look past a match to decide it: `%2F` is three. */
const LOOKAHEAD = 3;

function endsOrigin(buf: Buffer, at: number): boolean {
  if (at >= buf.length) return true;
  const b = buf[at]!;
  if (CONTINUES[b] === 0) return true;
  if (b !== 0x25 /* % */ || at + 2 >= buf.length) return false;
  const hi = buf[at + 1]!;
  const lo = buf[at + 2]! | 0x20; // ASCII lowercase
  return (hi === 0x32 /* 2 */ && (lo === 0x66 /* f */ || lo === 0x33)) || (hi === 0x33 /* 3 */ && lo === 0x66);
}

/** Builds pairs from text, longest `from` first so `https://h:443` wins over `https://h`. */
export function rewritePairs(pairs: ReadonlyArray<readonly [from: string, to: string]>): RewritePair[] {
  return pairs
    .filter(([from, to]) => from !== "" && from !== to)
    .map(([from, to]) => ({ from: Buffer.from(from, "latin1"), to: Buffer.from(to, "latin1") }))
    .sort((a, b) => b.from.length - a.from.length);
}

/**
 * The scanner shared by the buffer, string and stream forms. It rewrites `buf` from the start and
 * returns the output plus how many input bytes it consumed; when `final` is false it stops before
 * any byte that could still begin a match the next chunk completes. Output is copied into one
 * buffer (sized for the worst case), not gathered from slices: a slice per match cost twice as much.
 */
function scan(buf: Buffer, pairs: readonly RewritePair[], final: boolean): { out: Buffer; used: number } {
  const next = pairs.map((p) => buf.indexOf(p.from));
  let out: Buffer | undefined;
  let o = 0;
  let pos = 0;
  let used = -1;
  for (;;) {
    let at = -1;
    for (const i of next) if (i !== -1 && (at === -1 || i < at)) at = i;
    if (at === -1) break;
    // Near the end of a chunk the bytes after `at` may still grow into a longer match (or show the
    // byte after one): decide once the next chunk is here.
    if (!final && at + pairs[0]!.from.length + LOOKAHEAD > buf.length) {
      used = at;
      break;
    }
    let matched: RewritePair | undefined;
    for (let k = 0; k < pairs.length && !matched; k++) {
      const end = at + pairs[k]!.from.length;
      if (next[k] === at && (pairs[k]!.anywhere || endsOrigin(buf, end))) matched = pairs[k];
    }
    if (matched) {
      out ??= Buffer.allocUnsafe(worstCase(buf.length, pairs));
      o += buf.copy(out, o, pos, at);
      o += matched.to.copy(out, o);
      pos = at + matched.from.length;
    }
    // Search again for every pair whose last hit is behind us (or was this rejected one).
    const from = matched ? pos : at + 1;
    for (let k = 0; k < pairs.length; k++) {
      if (next[k] !== -1 && next[k]! < from) next[k] = buf.indexOf(pairs[k]!.from, from);
    }
  }
  // The tail may hold the start of a match split across chunks: keep back one byte less than the
  // longest `from` (a whole one near the end was held back above).
  if (used === -1) used = final ? buf.length : Math.max(pos, buf.length - (pairs[0]!.from.length - 1));
  if (!out) return { out: pos === 0 && used === buf.length ? buf : buf.subarray(pos, used), used };
  o += buf.copy(out, o, pos, used);
  return { out: out.subarray(0, o), used };
}

/** The most bytes `n` input bytes can become: every shortest `from` replaced by the longest `to`. */
function worstCase(n: number, pairs: readonly RewritePair[]): number {
  let minFrom = Infinity;
  let maxTo = 0;
  for (const p of pairs) {
    minFrom = Math.min(minFrom, p.from.length);
    maxTo = Math.max(maxTo, p.to.length);
  }
  return n + Math.max(0, maxTo - minFrom) * Math.floor(n / minFrom);
}

/** Rewrites a whole buffer; returns `buf` itself when nothing matched. */
export function rewriteBuffer(buf: Buffer, pairs: readonly RewritePair[]): Buffer {
  if (pairs.length === 0) return buf;
  return scan(buf, pairs, true).out;
}

/** Rewrites a header value (latin1, as Node keeps them). */
export function rewriteText(text: string, pairs: readonly RewritePair[]): string {
  if (pairs.length === 0) return text;
  const buf = Buffer.from(text, "latin1");
  const out = rewriteBuffer(buf, pairs);
  return out === buf ? text : out.toString("latin1");
}

/**
 * A Transform that rewrites a byte stream. It holds back at most the longest `from` (a few hundred
 * bytes) between chunks, so memory does not grow with the body, and a match split across any two
 * chunks is still found.
 */
export class RewriteStream extends Transform {
  private held: Buffer | undefined;

  constructor(private readonly pairs: readonly RewritePair[]) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.pairs.length === 0) return cb(null, chunk);
    const buf = this.held ? Buffer.concat([this.held, chunk]) : chunk;
    const { out, used } = scan(buf, this.pairs, false);
    // A copy, so the held tail does not pin the whole chunk it came from.
    this.held = used < buf.length ? Buffer.from(buf.subarray(used)) : undefined;
    if (out.length > 0) this.push(out);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.held) this.push(rewriteBuffer(this.held, this.pairs));
    this.held = undefined;
    cb();
  }
}
