// Owns the answers written straight onto a client socket, where no HTTP app runs: requests Node's
// parser rejects (malformed, oversized, too slow) and CONNECT. Each is a JSON `{"message", "code"}`
// with a status that says what went wrong, and the connection is closed afterwards.

import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { ErrorCode } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import { FORWARDED_METHODS } from "./guards.js";
import { errorResponse } from "./on-error.js";

/** What the parser's error codes mean for the client, in the words of the fix. */
function parserReply(code: string | undefined, maxHeaderBytes: number): [number, string] {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return [
        431,
        `the request head is larger than ${Math.round(maxHeaderBytes / 1024)} KiB; send fewer or smaller headers`,
      ];
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return [408, "the request head did not arrive in time; send the whole head at once"];
    case "HPE_INVALID_METHOD":
      return [400, "malformed request line or unknown method"];
    case "HPE_INVALID_URL":
      return [400, "the request target holds characters that are not allowed; percent-encode them"];
    case "HPE_INVALID_VERSION":
    case "HPE_INVALID_CONSTANT":
    case "HPE_PAUSED_H2_UPGRADE":
      return [400, "malformed request line; the proxy speaks HTTP/1.1 (and 1.0)"];
    case "HPE_INVALID_HEADER_TOKEN":
      return [400, "malformed header"];
    case "HPE_UNEXPECTED_CONTENT_LENGTH":
    case "HPE_INVALID_CONTENT_LENGTH":
    case "HPE_INVALID_TRANSFER_ENCODING":
      return [400, "conflicting or invalid Content-Length / Transfer-Encoding"];
    case "HPE_INVALID_CHUNK_SIZE":
      return [400, "malformed chunked body"];
    default:
      return [400, "malformed request"];
  }
}

export function rawJsonReply(
  status: number,
  code: ErrorCode,
  message: string,
  extra: Record<string, string> = {},
): string {
  const body = JSON.stringify({ message, code });
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}`,
    "Content-Type: application/json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Cache-Control: no-store",
    "Connection: close",
    ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${head.join("\r\n")}\r\n\r\n${body}`;
}

/** The server's `clientError` handler: answer what can still be answered, then close. */
export function onClientError(maxHeaderBytes: number) {
  return (err: NodeJS.ErrnoException, socket: Duplex): void => {
    const inResponse = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (err.code === "ECONNRESET" || !socket.writable || inResponse) {
      socket.destroy();
      return;
    }
    const [status, message] = parserReply(err.code, maxHeaderBytes);
    socket.end(rawJsonReply(status, "BAD_REQUEST", message));
  };
}

/** The server's `connect` handler: CONNECT would make the proxy a tunnel to anywhere. */
export function onConnect(_req: IncomingMessage, socket: Duplex): void {
  socket.on("error", () => socket.destroy());
  socket.end(
    rawJsonReply(
      405,
      "FORBIDDEN_TARGET",
      "CONNECT refused: opc-auth-proxy is not a forward proxy and sends its credential only to the configured API (--api); give clients the proxy's address as their API URL, not as HTTPS_PROXY",
      { Allow: FORWARDED_METHODS },
    ),
  );
}

/** Requests @hono/node-server cannot turn into a URL (no Host, a backslash in the path, …). */
const KNOWN_REQUEST_ERRORS = new Set([
  "Missing host header",
  "Invalid host header",
  "Backslash in request path",
  "Invalid URL",
  "Invalid absolute URL",
]);

/**
 * @hono/node-server's `errorHandler`: a request it cannot build is a 400 BAD_REQUEST; anything else
 * is a bug, answered with a generic 500 and logged once (see on-error.ts).
 */
export function requestErrorResponse(err: unknown, log: Logger = silentLogger): Response {
  if (!(err instanceof Error) || err.name !== "RequestError") return errorResponse(err, log);
  const what = KNOWN_REQUEST_ERRORS.has(err.message) ? err.message : "Invalid request";
  const message =
    what === "Missing host header"
      ? "a Host header is required"
      : `${what.toLowerCase()}: the request target or Host header cannot be parsed`;
  return new Response(JSON.stringify({ message, code: "BAD_REQUEST" }), {
    status: 400,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}
