// Owns the one place a request carries the session it was resolved to (client identity mode): a
// Symbol-keyed slot on the Node request, so no property name can clash with Node's or a library's.

import type { IncomingMessage } from "node:http";
import type { SessionHandle } from "../proxy/exchange.js";

const SESSION = Symbol("opc-auth-proxy.session");

type Carrier = IncomingMessage & { [SESSION]?: SessionHandle };

/** Records `session` as the one `req` is forwarded with. */
export function attachSession(req: IncomingMessage, session: SessionHandle): void {
  (req as Carrier)[SESSION] = session;
}

/** The session attached to `req`, or undefined when none was. */
export function sessionOf(req: IncomingMessage): SessionHandle | undefined {
  return (req as Carrier)[SESSION];
}
