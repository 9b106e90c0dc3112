// Owns the process's list of secrets it has sent (the password, nimbula cookie values) and the one
// function that blanks them out of any text the proxy prints or serves. A leaf: imports nothing.

/** What a masked secret reads as in messages. */
export const MASK = "[redacted]";

/**
 * Shorter values are not masked: they would blank ordinary words out of every message, and the
 * Compute API's password rules (8 characters or more) and cookies (hundreds) are longer anyway.
 */
export const MIN_SECRET_LENGTH = 6;

/**
 * Cookies rotate every refresh; the newest few cover any message still in flight, and the password
 * is remembered again at every login. Each entry costs one `includes` scan per masked string
 * (about 0.5 µs for a 200-character message and 9 entries on this machine).
 */
const MAX_SECRETS = 12;

// Insertion order is age order: the oldest is evicted first; a remembered value moves to the end.
const secrets = new Set<string>();

/**
 * Remembers a secret (and its JSON-escaped form, as an echoing error body would quote it) so that
 * later messages can be masked. Cheap and idempotent; values under MIN_SECRET_LENGTH are ignored.
 */
export function rememberSecret(value: string): void {
  if (value.length < MIN_SECRET_LENGTH) return;
  const escaped = JSON.stringify(value).slice(1, -1);
  for (const v of escaped === value ? [value] : [value, escaped]) {
    secrets.delete(v);
    secrets.add(v);
  }
  while (secrets.size > MAX_SECRETS) secrets.delete(secrets.values().next().value as string);
}

/**
 * `text` with every remembered secret replaced by MASK, also where it is percent-encoded (then the
 * text comes back decoded, masked). Returns `text` itself when it holds none, so the common case
 * allocates nothing: a few `includes` scans per message.
 */
export function maskSecrets(text: string): string {
  if (secrets.size === 0) return text;
  const out = maskLiteral(text);
  // A secret can also hide behind percent-encoding (a path or query a client wrote, `%68unter2`):
  // when the decoded text holds one, the decoded text is what is shown, masked.
  if (!out.includes("%")) return out;
  const decoded = percentDecoded(out);
  if (decoded === out) return out;
  const masked = maskLiteral(decoded);
  return masked === decoded ? out : masked;
}

function maskLiteral(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

/** Every run of %XX escapes decoded as UTF-8; a run that is not valid UTF-8 is left as written. */
function percentDecoded(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** True once any secret is remembered: lets callers skip even the cheap work of masking. */
export function holdsSecrets(): boolean {
  return secrets.size > 0;
}

/** Tests only: forget every secret. */
export function forgetSecrets(): void {
  secrets.clear();
}
