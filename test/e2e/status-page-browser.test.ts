// The status page in headless Chromium against the simulator with 3 s tokens and 10 s sessions:
// countdowns, refreshes and re-logins on the timeline, self-refresh without reload, no console error.

import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { describe, it } from "node:test";
import { noChromium, startBrowser } from "../support/browser.js";
import { send, startStack, V3, type Stack } from "../support/stack.js";

const SCREENSHOT_DIR = "test-results";

/** Moves the shared clock in steps with a request each, letting each refresh or login finish. */
async function pass(stack: Stack, ms: number, step: number): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    await stack.fake!.advance(step);
    await stack.proxy.session.idle();
    await send(stack.url, "GET", "/shape/", { headers: { accept: V3 } });
  }
}

describe("status page in a browser", { skip: noChromium }, () => {
  it("shows the countdowns, refreshes and re-logins, and keeps itself up to date", async () => {
    const stack = await startStack({ sim: { tokenTtlSeconds: 3, sessionTtlSeconds: 10 } });
    const browser = await startBrowser();
    try {
      await pass(stack, 12_000, 250);
      const page = await browser.context.newPage();
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
      let navigations = 0;
      page.on("framenavigated", (f) => {
        if (f === page.mainFrame()) navigations++;
      });

      const reply = await page.goto(`${stack.url}/-/?every=250`);
      assert.equal(reply?.status(), 200);
      await page.waitForFunction(() => Number(document.body.dataset.polls ?? 0) >= 1, undefined, { timeout: 15_000 });

      assert.equal(await page.textContent("#state"), "ready");
      assert.equal(await page.textContent("#user"), stack.proxy.session.snapshot().user);
      assert.match((await page.textContent("#token-left")) ?? "", /^\d\d:\d\d$/, "token countdown mm:ss");
      assert.match((await page.textContent("#session-left")) ?? "", /^\d\d:\d\d$/, "session countdown mm:ss");
      assert.notEqual(await page.textContent("#next-action"), "nothing planned");
      const kinds = await page.$$eval("#events tbody td.kind", (tds) => tds.map((td) => td.textContent));
      assert.ok(kinds.includes("refresh"), `events listed: ${kinds.join(", ")}`);
      assert.ok(kinds.includes("re-login"), `events listed: ${kinds.join(", ")}`);
      const markers = JSON.parse((await page.getAttribute("#chart", "data-markers")) ?? "{}");
      assert.ok(markers.refresh >= 1 && markers.relogin >= 1, `chart markers: ${JSON.stringify(markers)}`);
      assert.equal(await page.locator("#chart canvas").count(), 1, "uPlot drew its canvas");

      // New events reach the page by polling, not by reloading it.
      const rows = await page.locator("#events tbody tr").count();
      const polls = Number(await page.getAttribute("body", "data-polls"));
      await pass(stack, 4_000, 250);
      await page.waitForFunction((n) => document.querySelectorAll("#events tbody tr").length > n, rows, {
        timeout: 15_000,
      });
      assert.ok(Number(await page.getAttribute("body", "data-polls")) > polls);
      assert.equal(navigations, 1, "the page never reloaded");

      await mkdir(SCREENSHOT_DIR, { recursive: true });
      await page.screenshot({ path: `${SCREENSHOT_DIR}/status-page.png`, fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await stack.close();
    }
  });
});
