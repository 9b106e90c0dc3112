// Owns what Ctrl-C means to a command that waits (for the API, for a password): it ends at once
// with exit code 130 (128 + SIGINT, the shell's convention), never after the wait completes.

/** The exit code of a command interrupted by SIGINT or SIGTERM. */
export const EXIT_INTERRUPTED = 130;

/** Thrown by waits that the command's signal cut short. */
export class Interrupted extends Error {
  constructor(what: string) {
    super(`interrupted ${what}`);
    this.name = "Interrupted";
  }
}

/**
 * Resolves or rejects as `work` does, unless `signal` aborts first: then rejects at once with
 * Interrupted (`what` says what was being waited for) and ignores whatever `work` does later.
 */
export function untilAborted<T>(signal: AbortSignal | undefined, what: string, work: Promise<T>): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new Interrupted(what));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => undefined);
      reject(new Interrupted(what));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}
