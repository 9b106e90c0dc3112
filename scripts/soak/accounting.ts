// Owns the soak's accounting: what each answer a client saw means (success, an injected fault that
// may reach a client, or unexplained), and the checks that must all hold for the soak to pass.

/** One request the soak sent and what came back. */
export interface Outcome {
  method: string;
  bodyBytes: number;
  /** HTTP status, or 0 when no answer came (socket error, timeout). */
  status: number;
  /** The JSON body's `code` (proxy-made errors) and whether it had a `reference` (the API's errors). */
  code?: string;
  reference?: boolean;
  expected: number;
  /** The client-side error when no answer came (ECONNRESET, client timeout, …). */
  error?: string;
}

export type Cause =
  "injected 500" | "injected reset" | "revocation, body above --max-replay-bytes" | "no answer" | "unexplained";

/** Why a non-expected answer happened, from what the client can see. */
export function causeOf(o: Outcome, maxReplayBytes: number): Cause {
  if (o.status === 0) return "no answer";
  if (o.status === 500 && o.reference) return "injected 500";
  if (o.status === 502 && (o.code === "API_UNREACHABLE" || o.code === "API_ERROR")) return "injected reset";
  if (o.status === 401 && o.bodyBytes > maxReplayBytes) return "revocation, body above --max-replay-bytes";
  return "unexplained";
}

export interface Injected {
  revocations: number;
  resets: number;
  status500: number;
  delays: number;
  passwordRotations: number;
  bursts: number;
}

export interface Accounting {
  sent: number;
  answered: number;
  succeeded: number;
  failures: Partial<Record<Cause, number>>;
  /** Unexplained answers, for people: "PUT 409 CONFLICT". */
  unexplained: string[];
  injected: Injected;
  logins: { made: number; minimum: number; maximum: number; failed: number };
  rssBytes: { start: number; end: number; peak: number; allowedGrowth: number };
  /** Each check that failed, in words; empty when the soak balances. */
  problems: string[];
}

/**
 * Logins the run needs at least (one at start, one per revocation, one per session end between
 * them) and at most (the same, renewing no earlier than half-way through a session).
 */
export function loginBounds(
  runMs: number,
  revocationAtMs: number[],
  sessionTtlMs: number,
): { minimum: number; maximum: number } {
  const cuts = [0, ...revocationAtMs, runMs];
  let minimum = 1 + revocationAtMs.length;
  let maximum = minimum;
  for (let i = 1; i < cuts.length; i++) {
    const len = cuts[i]! - cuts[i - 1]!;
    minimum += Math.floor(len / sessionTtlMs);
    maximum += Math.ceil(len / (sessionTtlMs / 2));
  }
  return { minimum, maximum };
}

export function balance(input: {
  outcomes: Outcome[];
  sent: number;
  maxReplayBytes: number;
  workers: number;
  injected: Injected;
  logins: { made: number; minimum: number; maximum: number; failed: number };
  rssBytes: { start: number; end: number; peak: number; allowedGrowth: number };
}): Accounting {
  const { outcomes, injected } = input;
  const failures: Partial<Record<Cause, number>> = {};
  const unexplained: string[] = [];
  let succeeded = 0;
  for (const o of outcomes) {
    if (o.status === o.expected) {
      succeeded++;
      continue;
    }
    const cause = causeOf(o, input.maxReplayBytes);
    failures[cause] = (failures[cause] ?? 0) + 1;
    if ((cause === "unexplained" || cause === "no answer") && unexplained.length < 20)
      unexplained.push(`${o.method} ${o.bodyBytes} B body: ${o.status || o.error}${o.code ? ` ${o.code}` : ""}`);
  }
  const answered = outcomes.filter((o) => o.status !== 0).length;
  const problems: string[] = [];
  if (input.sent !== outcomes.length) problems.push(`sent ${input.sent} requests but ${outcomes.length} finished`);
  if (answered !== input.sent) problems.push(`${input.sent - answered} of ${input.sent} requests got no answer`);
  if (failures.unexplained) problems.push(`${failures.unexplained} failures no injected fault explains`);
  // Each injected 500 or reset replaces one API request, so it can fail at most one client request.
  if ((failures["injected 500"] ?? 0) > injected.status500)
    problems.push(`${failures["injected 500"]} clients saw a 500 but only ${injected.status500} were injected`);
  if ((failures["injected reset"] ?? 0) > injected.resets)
    problems.push(`${failures["injected reset"]} clients saw a 502 but only ${injected.resets} resets were injected`);
  // A revocation can fail only the unreplayable requests in flight at that moment: at most one per worker.
  const max401 = injected.revocations * input.workers;
  if ((failures["revocation, body above --max-replay-bytes"] ?? 0) > max401)
    problems.push(`${failures["revocation, body above --max-replay-bytes"]} clients saw a 401, more than ${max401}`);
  const l = input.logins;
  if (l.made < l.minimum || l.made > l.maximum)
    problems.push(`${l.made} logins made; between ${l.minimum} and ${l.maximum} expected`);
  const r = input.rssBytes;
  if (r.end - r.start > r.allowedGrowth)
    problems.push(
      `RSS grew by ${((r.end - r.start) / 2 ** 20).toFixed(0)} MiB, more than ${(r.allowedGrowth / 2 ** 20).toFixed(0)} MiB`,
    );
  return {
    sent: input.sent,
    answered,
    succeeded,
    failures,
    unexplained,
    injected,
    logins: l,
    rssBytes: r,
    problems,
  };
}
