// Owns writing a small file in one step: a temporary file beside it (mode 0600 from the first
// byte, synced), then a rename, so a reader never sees half a file and nobody else can read it.

import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Replaces `path` with `text` (UTF-8) atomically, with mode 0600.
 * @throws the file system's error (ENOENT for a missing directory, EACCES, EROFS, …); the
 *   temporary file is removed first.
 */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const fh = await open(tmp, "wx", 0o600);
    try {
      // An umask cannot widen 0600, but a chmod makes the mode explicit whatever it is.
      await fh.chmod(0o600);
      await fh.writeFile(text, "utf8");
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
