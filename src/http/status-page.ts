// Owns the status page: GET /-/ (one static HTML page), its scripts and styles under /-/assets/,
// and GET /-/events (the session's history as JSON). The page holds no data; its script fetches it.

import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Hono } from "hono";
import type { HttpBindings } from "@hono/node-server";
import type { HistoryJson } from "../telemetry/history.js";

/**
 * Sent with the page, its assets and /-/events. Scripts and styles come only from this origin
 * (no inline script, no eval: uPlot needs neither), nothing may frame the page (clickjacking).
 */
export const STATUS_PAGE_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-store",
};

const require = createRequire(import.meta.url);
/** assets/ sits beside src/ and dist/, so the same relative path works from both. */
const own = (name: string) => fileURLToPath(new URL(`../../assets/status-page/${name}`, import.meta.url));

/** The only files served: name under /-/assets/ → where it is read from, and its type. */
const ASSETS: Record<string, { path: () => string; type: string }> = {
  "status.js": { path: () => own("status.js"), type: "text/javascript; charset=utf-8" },
  "status.css": { path: () => own("status.css"), type: "text/css; charset=utf-8" },
  "favicon.svg": { path: () => own("favicon.svg"), type: "image/svg+xml" },
  "uPlot.iife.min.js": {
    path: () => require.resolve("uplot/dist/uPlot.iife.min.js"),
    type: "text/javascript; charset=utf-8",
  },
  "uPlot.min.css": { path: () => require.resolve("uplot/dist/uPlot.min.css"), type: "text/css; charset=utf-8" },
};
const PAGE = { path: () => own("index.html"), type: "text/html; charset=utf-8" };

export interface StatusPageOptions {
  /** The history to answer GET /-/events with. */
  history(): HistoryJson;
}

/**
 * Adds GET /-/, GET /-/events and GET /-/assets/<name> to `app`. Files are read on first use and
 * kept in memory (about 70 KB); an unknown asset name falls through to the app's 404.
 * The Host and Origin guard runs before these routes, as before every other.
 */
export function mountStatusPage(app: Hono<{ Bindings: HttpBindings }>, opts: StatusPageOptions): void {
  const cache = new Map<string, Promise<Buffer>>();
  const load = (key: string, path: () => string) => {
    let body = cache.get(key);
    if (!body) {
      body = readFile(path());
      // A failed read is retried on the next request instead of being remembered.
      body.catch(() => cache.delete(key));
      cache.set(key, body);
    }
    return body;
  };

  app.get("/-/", async (c) =>
    c.body(new Uint8Array(await load("index.html", PAGE.path)), 200, {
      ...STATUS_PAGE_HEADERS,
      "content-type": PAGE.type,
    }),
  );

  app.get("/-/events", (c) => c.json(opts.history(), 200, STATUS_PAGE_HEADERS));

  app.get("/-/assets/:name", async (c, next) => {
    const name = c.req.param("name");
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!asset) return next();
    return c.body(new Uint8Array(await load(name, asset.path)), 200, {
      ...STATUS_PAGE_HEADERS,
      "content-type": asset.type,
    });
  });
}
