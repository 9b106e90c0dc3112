// Renders the README's status page picture: three fake hours of the proxy in front of the simulator
// (15-minute tokens, 1-hour sessions, traffic, a revocation, a 503 burst, a rotated cookie), in Chromium.
// Usage: node --import tsx scripts/status-page-screenshot.ts [docs/status-page.png]

import { noChromium, startBrowser } from "../test/support/browser.js";
import { send, startStack, V3 } from "../test/support/stack.js";

const out = process.argv[2] ?? "docs/status-page.png";
if (noChromium) {
  console.error(noChromium);
  process.exit(1);
}

const stack = await startStack({ sim: { tokenTtlSeconds: 900, sessionTtlSeconds: 3600 }, logLevel: "silent" });
const browser = await startBrowser();
try {
  const stepMs = 10_000;
  const steps = (3 * 3600_000) / stepMs;
  for (let i = 0; i < steps; i++) {
    const minute = (i * stepMs) / 60_000;
    if (minute === 70) stack.sim.simulator.revokeAll();
    if (minute === 100) stack.sim.simulator.failNext(25, { kind: "status", status: 503 });
    if (minute === 140) stack.sim.simulator.rotateCookieNext(1);
    // A working day's shape: busy bursts over a quiet baseline.
    const load = 2 + Math.round(4 * Math.max(0, Math.sin(minute / 17)) + (minute % 45 < 8 ? 5 : 0));
    for (let r = 0; r < load; r++) await send(stack.url, "GET", "/shape/", { headers: { accept: V3 } });
    await stack.fake!.advance(stepMs);
    await stack.proxy.session.idle();
  }
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1100, height: 860 });
  await page.goto(`${stack.url}/-/`);
  await page.waitForFunction(() => Number(document.body.dataset.polls ?? 0) >= 1, undefined, { timeout: 15_000 });
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await stack.close();
}
