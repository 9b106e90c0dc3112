// Owns how keep-alive connections end during a drain: every response from then on says
// `Connection: close`, and a connection is closed the moment its last response has gone out.

import type http from "node:http";

export interface IdleCloser {
  /** Call for every request as it arrives, before anything is written. */
  track(res: http.ServerResponse): void;
  /** The drain starts: idle connections close now, busy ones as soon as their response is sent. */
  begin(): void;
}

/**
 * Node's server.close() stops accepting and closes the connections idle at that moment, but a
 * keep-alive connection whose response was still being written stays open afterwards (until its
 * keep-alive timeout, or the drain timeout), holding the process; clients would also reuse it and
 * race its closing. So each response still unsent is marked `Connection: close` (Node then ends the
 * connection after it, RFC 9112 §9.6), and a response whose head already went out as keep-alive has
 * its connection closed once it is idle.
 */
export function closeWhenIdle(server: http.Server): IdleCloser {
  const open = new Set<http.ServerResponse>();
  let draining = false;
  const markClose = (res: http.ServerResponse) => {
    if (!res.headersSent) res.setHeader("connection", "close");
  };
  // After Node's own 'finish' handler has detached the response, so the connection counts as idle.
  const closeIdleSoon = () => setImmediate(() => server.closeIdleConnections());
  return {
    track(res) {
      if (draining) markClose(res);
      open.add(res);
      res.once("close", () => {
        open.delete(res);
        if (draining) closeIdleSoon();
      });
    },
    begin() {
      draining = true;
      for (const res of open) markClose(res);
      server.closeIdleConnections();
    },
  };
}
