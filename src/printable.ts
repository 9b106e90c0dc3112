// Owns how text from elsewhere (an API's or a server's body) is made safe to print on a terminal:
// one line, no control or bidirectional-override characters, bounded length. A leaf module.

// C0 and C1 controls (terminal escapes), line and paragraph separators, bidirectional overrides.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

/** `text` on one line, without control characters, cut to `max` characters. */
export function printable(text: string, max = 200): string {
  const clean = text.replace(UNPRINTABLE, " ").replace(/\s+/g, " ").trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
