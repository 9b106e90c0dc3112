// Owns one fix-up for Node 22 and later: http-proxy (under http-proxy-middleware, unmaintained) calls
// util._extend, which Node 22 deprecated at run time (DEP0060). Imported before http-proxy loads.

import util from "node:util";

/**
 * Replaces `util._extend` with the same contract as Node's own (the own enumerable keys of `source`
 * assigned onto `target`, which is returned; a non-object `source` is ignored), minus the
 * deprecation. Without it, the first forwarded request on Node 22/24 prints "(node:…) [DEP0060]
 * DeprecationWarning" to standard error, a line that is not JSON in the middle of the log.
 * http-proxy reads `util._extend` once, when its modules load, so this must run first; it also keeps
 * http-proxy working should a later Node remove the function. Source:
 * https://nodejs.org/api/deprecations.html#DEP0060 and chimurai/http-proxy-middleware issue 1017.
 * Returns nothing; throws nothing.
 */
export function replaceUtilExtend(): void {
  // Object.assign copies own enumerable keys natively; it also copies symbol keys, which the option
  // objects http-proxy extends (per request, three times) never hold.
  const extend = <T extends object>(target: T, source: unknown): T =>
    source === null || typeof source !== "object" ? target : Object.assign(target, source);
  (util as unknown as { _extend: typeof extend })._extend = extend;
}

replaceUtilExtend();
