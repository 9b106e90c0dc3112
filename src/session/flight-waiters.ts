// Owns the requests waiting through a login backoff for the planned retry: each waits until the
// next login or refresh ends, a deadline passes, or the session stops, on the injected clock.

import type { Clock } from "../clock.js";

export class FlightWaiters {
  private waiters: Array<() => void> = [];

  constructor(private readonly clock: Clock) {}

  /** Resolves at the next wakeAll() (a flight ended, or stop()), or at `until` (ms since the epoch). */
  next(until: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.clock.clearTimeout(timer);
        const i = this.waiters.indexOf(done);
        if (i !== -1) this.waiters.splice(i, 1);
        resolve();
      };
      const timer = this.clock.setTimeout(done, Math.max(0, until - this.clock.now()));
      this.waiters.push(done);
    });
  }

  /** Wakes every waiter once. */
  wakeAll(): void {
    // A copy: each done() takes itself out of the list.
    for (const done of [...this.waiters]) done();
  }
}
