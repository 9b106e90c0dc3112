// Owns the session's one timer slot: the next refresh, login or look at the password source.
// Arming replaces whatever was planned, so there is never more than one renewal pending.

import type { Clock, TimerHandle } from "../clock.js";
import type { SessionOp } from "./events.js";

/** `end`: stop at the session end instead of logging in again (SessionOptions.renewSession false). */
export type RenewalAction = SessionOp | "check-credentials" | "end";

export class RenewalTimer {
  private slot: { action: RenewalAction; at: number; timer: TimerHandle } | undefined;

  /** `fire` runs when a timer expires; the slot is already empty by then. */
  constructor(
    private readonly clock: Clock,
    private readonly fire: (action: RenewalAction) => void,
  ) {}

  /** Plans `action` in `delayMs` (ms), replacing anything planned. */
  arm(action: RenewalAction, delayMs: number): void {
    this.cancel();
    const timer = this.clock.setTimeout(() => {
      this.slot = undefined;
      this.fire(action);
    }, delayMs);
    this.slot = { action, at: this.clock.now() + delayMs, timer };
  }

  cancel(): void {
    if (this.slot) this.clock.clearTimeout(this.slot.timer);
    this.slot = undefined;
  }

  /** What is planned and when (ms since the epoch), for the status snapshot. */
  next(): { action: RenewalAction; at: number } | undefined {
    return this.slot && { action: this.slot.action, at: this.slot.at };
  }
}
