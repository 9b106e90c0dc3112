// Owns injected failures: the kinds a test can ask for, the queue that hands one to each of the
// next N API requests, and the cancellable waits behind the "delay" kind.

import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { incomingOf, type SimContext } from "./http-util.js";

export type Fault =
  /** Drop the TCP connection with a reset, no response (needs a real server, see startSimulator). */
  | { kind: "reset" }
  /** An error status with a JSON `{"message", "reference"}` body, e.g. 500 or 503. */
  | { kind: "status"; status: number; message?: string }
  /** An HTML error page as a load balancer in front of the API sends (default 502). */
  | { kind: "html"; status?: number }
  /** Wait `ms` (real time, cancelled on close), then answer normally. */
  | { kind: "delay"; ms: number };

export const MAX_FAULT_COUNT = 1_000_000;
export const MAX_DELAY_MS = 600_000;
const MAX_QUEUE_ENTRIES = 1_000;

/** Reads a fault from untrusted JSON; a string says what is wrong. */
export function parseFault(v: unknown): Fault | string {
  if (typeof v !== "object" || v === null) return 'fault must be an object like {"kind": "status", "status": 503}';
  const f = v as Record<string, unknown>;
  const isStatus = (s: unknown): s is number => Number.isInteger(s) && (s as number) >= 400 && (s as number) <= 599;
  switch (f.kind) {
    case "reset":
      return { kind: "reset" };
    case "status":
      if (!isStatus(f.status)) return "fault.status must be an integer from 400 to 599";
      if (f.message !== undefined && typeof f.message !== "string") return "fault.message must be a string";
      return f.message === undefined
        ? { kind: "status", status: f.status }
        : { kind: "status", status: f.status, message: f.message };
    case "html":
      if (f.status !== undefined && !isStatus(f.status)) return "fault.status must be an integer from 400 to 599";
      return f.status === undefined ? { kind: "html" } : { kind: "html", status: f.status };
    case "delay":
      if (!Number.isInteger(f.ms) || (f.ms as number) < 0 || (f.ms as number) > MAX_DELAY_MS) {
        return `fault.ms must be an integer from 0 to ${MAX_DELAY_MS}`;
      }
      return { kind: "delay", ms: f.ms as number };
    default:
      return 'fault.kind must be one of "reset", "status", "html", "delay"';
  }
}

export class FaultQueue {
  private readonly entries: Array<{ fault: Fault; remaining: number }> = [];

  /** Queues `fault` for the next `count` requests, after any already queued. */
  push(count: number, fault: Fault): void {
    if (!Number.isInteger(count) || count < 0 || count > MAX_FAULT_COUNT) {
      throw new RangeError(`count must be an integer from 0 to ${MAX_FAULT_COUNT}`);
    }
    if (count === 0) return;
    if (this.entries.length >= MAX_QUEUE_ENTRIES)
      throw new RangeError(`at most ${MAX_QUEUE_ENTRIES} fault entries may be queued`);
    this.entries.push({ fault, remaining: count });
  }

  take(): Fault | undefined {
    const head = this.entries[0];
    if (!head) return undefined;
    if (--head.remaining === 0) this.entries.shift();
    return head.fault;
  }

  clear(): void {
    this.entries.length = 0;
  }

  get pending(): number {
    return this.entries.reduce((n, e) => n + e.remaining, 0);
  }
}

/**
 * Real-time waits for the "delay" fault. They use real timers on purpose: a delay exists to make a
 * client's own timeout fire. `cancelAll` ends every wait at once so closing never hangs.
 */
export class Delays {
  private readonly waiting = new Map<NodeJS.Timeout, () => void>();

  /** Resolves true after `ms`, or false if cancelled first. */
  wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(timer);
        resolve(true);
      }, ms);
      this.waiting.set(timer, () => resolve(false));
    });
  }

  cancelAll(): void {
    for (const [timer, cancel] of this.waiting) {
      clearTimeout(timer);
      cancel();
    }
    this.waiting.clear();
  }
}

const REASONS: Record<number, string> = {
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** The response for a fault that replaces the answer (every kind but "delay"). */
export function faultResponse(c: SimContext, fault: Exclude<Fault, { kind: "delay" }>, reference: string): Response {
  switch (fault.kind) {
    case "reset": {
      const socket = incomingOf(c)?.socket;
      if (!socket) throw new Error("simulated connection reset needs a node HTTP server (startSimulator)");
      socket.resetAndDestroy();
      return RESPONSE_ALREADY_SENT;
    }
    case "status":
      return new Response(
        JSON.stringify({
          message: fault.message ?? REASONS[fault.status] ?? `Simulated error ${fault.status}`,
          reference,
        }),
        {
          status: fault.status,
          headers: { "content-type": "application/json" },
        },
      );
    case "html": {
      const status = fault.status ?? 502;
      const title = `${status} ${REASONS[status] ?? "Error"}`;
      return c.html(
        `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr></body></html>\n`,
        status as 502,
      );
    }
  }
}
