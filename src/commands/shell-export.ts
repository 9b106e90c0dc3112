// Owns the one line `auth` and `refresh_token` print for `eval`: export OPC_COOKIE='<value>',
// quoted so any cookie value (raw JSON from older installations included) survives the shell.

/** Single-quotes `text` for POSIX shells; a `'` inside becomes `'\''`. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function exportLine(value: string): string {
  return `export OPC_COOKIE=${shellQuote(value)}\n`;
}
