// The status page's script: polls /-/status and /-/events, ticks the countdowns every second and
// draws the timeline with uPlot. Text goes in with textContent only, never as HTML.
/* global uPlot */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const query = new URLSearchParams(window.location.search);
  /** Poll period in ms: ?every=2000 (clamped), 5 s by default. */
  const every = Math.min(60000, Math.max(250, Number(query.get("every")) || 5000));

  /** One row of the timeline per event type: its label, marker colour and detail text. */
  const ROWS = [
    { type: "login", label: "login", color: "#2563eb", detail: () => "first login" },
    { type: "relogin", label: "re-login", color: "#7c3aed", detail: (e) => e.cause },
    { type: "refresh", label: "refresh", color: "#2f7d4f", detail: () => "token extended" },
    { type: "adopt", label: "adopted", color: "#0e9f9a", detail: () => "the API sent a fresh cookie" },
    { type: "invalidate", label: "dropped", color: "#d97706", detail: (e) => e.cause },
    {
      type: "failure",
      label: "failure",
      color: "#c0392b",
      detail: (e) => `${e.op} ${e.kind}: ${e.message}${e.blocked ? " (stopped until the password changes)" : ""}`,
    },
  ];
  const ROW_OF = new Map(ROWS.map((r, i) => [r.type, i]));
  const NEXT = { refresh: "refresh the token", login: "log in", "check-credentials": "check the password file" };
  const STATE_CLASS = { ready: "ok", "logging-in": "warn", idle: "warn", backoff: "warn", rejected: "bad" };

  /** Server clock minus browser clock (ms): countdowns follow the proxy's clock, not the browser's. */
  let offset = 0;
  let status;
  let chart;
  let view = [0, 1];
  const serverNow = () => Date.now() + offset;

  const two = (n) => String(n).padStart(2, "0");
  const clock = (t) => {
    const d = new Date(t);
    return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  };
  const span = (ms) => {
    const s = Math.max(0, Math.round(ms / 1000));
    const h = Math.floor(s / 3600);
    return h > 0
      ? `${h}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`
      : `${two(Math.floor(s / 60))}:${two(s % 60)}`;
  };
  const time = (iso) => (iso ? Date.parse(iso) : undefined);

  async function getJson(path) {
    const r = await fetch(path, { headers: { accept: "application/json" }, cache: "no-store" });
    if (!r.ok) throw new Error(`${path} answered ${r.status}`);
    return r.json();
  }

  function setCountdown(id, at, warnMs) {
    const el = $(id);
    el.classList.remove("soon", "over");
    if (at === undefined) {
      el.textContent = "–";
      return;
    }
    const left = at - serverNow();
    el.textContent = left > 0 ? span(left) : "expired";
    if (left <= 0) el.classList.add("over");
    else if (left < warnMs) el.classList.add("soon");
  }

  function tick() {
    if (!status || !status.session) return;
    const s = status.session;
    setCountdown("token-left", time(s.tokenExpiresAt), 5 * 60000);
    setCountdown("session-left", time(s.sessionExpiresAt), 15 * 60000);
    const next = s.next ? time(s.next.at) : undefined;
    $("next-at").textContent = next === undefined ? "" : `in ${span(next - serverNow())}, at ${clock(next)}`;
  }

  /** Client identity mode: counts only; no identity's user or times are shown (issue 9). */
  function renderIdentities(st) {
    const n = st.identities;
    const draining = st.proxy.draining;
    $("state").textContent = draining ? "shutting down" : "client mode";
    $("state").className = `badge ${draining ? "warn" : "ok"}`;
    $("api").textContent = st.proxy.api;
    $("version").textContent = `v${st.proxy.version}`;
    $("reason").hidden = true;
    $("user").textContent = `${n.held} of ${n.max} identities`;
    $("since").textContent = `${n.logins.ok} logged in, ${n.logins.rejected + n.logins.refused} wrong passwords`;
    for (const id of ["token-left", "session-left", "next-action"]) $(id).textContent = "per identity";
    $("token-at").textContent = "each client's own session";
    $("session-at").textContent =
      `${n.evictions["session-end"]} ended, ${n.evictions.idle} idle, ${n.evictions.size} made room`;
    $("next-at").textContent = "";
  }

  function renderStatus(st) {
    status = st;
    if (st.identities) return renderIdentities(st);
    const s = st.session;
    const badge = $("state");
    const draining = st.proxy.draining;
    badge.textContent = draining ? "shutting down" : s.state;
    badge.className = `badge ${draining ? "warn" : (STATE_CLASS[s.state] ?? "bad")}`;
    $("api").textContent = st.proxy.api;
    $("version").textContent = `v${st.proxy.version}`;
    const reason = $("reason");
    reason.hidden = !s.reason;
    reason.textContent = s.reason ?? "";
    reason.className = `reason ${STATE_CLASS[s.state] === "bad" ? "bad" : ""}`;
    $("user").textContent = s.user;
    const since = s.resumedAt ?? s.lastLoginAt;
    $("since").textContent = since
      ? `${s.resumedAt ? "resumed" : "logged in"} at ${clock(time(since))}`
      : "not logged in";
    $("token-at").textContent = s.tokenExpiresAt ? `at ${clock(time(s.tokenExpiresAt))}` : "no token";
    $("session-at").textContent = s.sessionExpiresAt ? `at ${clock(time(s.sessionExpiresAt))}` : "no session";
    $("next-action").textContent = s.next ? (NEXT[s.next.action] ?? s.next.action) : "nothing planned";
    tick();
  }

  function renderEvents(h) {
    const body = $("events").tBodies[0];
    const rows = h.events.slice(-50).reverse();
    body.replaceChildren(
      ...rows.map((e) => {
        const row = ROWS[ROW_OF.get(e.type)] ?? { label: e.type, detail: () => "" };
        const tr = document.createElement("tr");
        tr.className = e.type;
        for (const [cls, text] of [
          ["time", clock(time(e.at))],
          ["kind", row.label],
          ["detail", row.detail(e)],
        ]) {
          const td = document.createElement("td");
          td.className = cls;
          td.textContent = text;
          tr.append(td);
        }
        return tr;
      }),
    );
    const hours = Math.round(h.windowSeconds / 3600);
    $("kept").textContent = `${h.events.length} in the last ${hours} h, up to ${h.capacity.events} kept`;
  }

  /** uPlot wants one x array shared by all series: minute starts and event times, merged. */
  function chartData(h) {
    const from = time(h.minutes.from) / 1000;
    const points = new Map();
    const at = (x) => {
      let p = points.get(x);
      if (!p) points.set(x, (p = { x, req: null, err: null, ev: new Array(ROWS.length).fill(null) }));
      return p;
    };
    const n = h.minutes.requests.length;
    h.minutes.requests.forEach((count, i) => {
      const p = at(from + i * 60);
      p.req = count;
      p.err = h.minutes.errors[i];
    });
    // A step holds its value until the next point: close the current minute at "now".
    if (n > 0) {
      const end = at(Math.max(from + (n - 1) * 60 + 1, time(h.now) / 1000));
      end.req = h.minutes.requests[n - 1];
      end.err = h.minutes.errors[n - 1];
    }
    const counts = {};
    for (const e of h.events) {
      const row = ROW_OF.get(e.type);
      if (row === undefined) continue;
      at(time(e.at) / 1000).ev[row] = { y: ROWS.length - row, text: ROWS[row].detail(e) };
      counts[e.type] = (counts[e.type] ?? 0) + 1;
    }
    const sorted = [...points.values()].sort((a, b) => a.x - b.x);
    const details = ROWS.map((_, r) => sorted.map((p) => p.ev[r]?.text ?? null));
    const data = [
      sorted.map((p) => p.x),
      sorted.map((p) => p.req),
      sorted.map((p) => p.err),
      ...ROWS.map((_, r) => sorted.map((p) => p.ev[r]?.y ?? null)),
    ];
    return { data, details, counts };
  }

  function makeChart(el, details) {
    const width = () => Math.max(320, el.clientWidth);
    const rates = (label, stroke, fill) => ({
      label,
      scale: "rpm",
      stroke,
      fill,
      width: 1.5,
      spanGaps: true,
      paths: uPlot.paths.stepped({ align: 1 }),
      points: { show: false },
      value: (u, v) => (v == null ? "–" : `${v}/min`),
    });
    const marker = (row, r) => ({
      label: row.label,
      scale: "ev",
      stroke: row.color,
      fill: row.color,
      width: 0,
      paths: () => null,
      points: { show: true, size: 12, width: 2, stroke: "#ffffff", fill: row.color },
      value: (u, v, si, i) => (v == null || i == null ? "–" : (details.current[r][i] ?? "–")),
    });
    const opts = {
      width: width(),
      height: 300,
      cursor: { drag: { x: false, y: false }, points: { size: 8 } },
      scales: {
        x: { time: true, range: () => view },
        rpm: { range: (u, min, max) => [0, Math.max(4, max) * 2.2] },
        ev: { range: () => [-ROWS.length, ROWS.length + 0.8] },
      },
      axes: [
        {
          stroke: "#667485",
          grid: { stroke: "#eef1f4" },
          ticks: { stroke: "#e3e8ee" },
          values: (u, splits) => splits.map((v) => clock(v * 1000).slice(0, 5)),
        },
        {
          scale: "rpm",
          label: "requests / min",
          size: 56,
          stroke: "#667485",
          grid: { stroke: "#eef1f4" },
          ticks: { show: false },
          splits: (u, ai, min, max) => niceSplits(max / 2.2),
        },
        {
          scale: "ev",
          side: 1,
          size: 74,
          stroke: "#667485",
          grid: { show: false },
          ticks: { show: false },
          splits: () => ROWS.map((_, r) => ROWS.length - r),
          values: (u, splits) => splits.map((v) => ROWS[ROWS.length - v]?.label ?? ""),
        },
      ],
      series: [
        { value: (u, v) => (v == null ? "–" : clock(v * 1000)) },
        rates("requests", "#3b82f6", "rgba(59, 130, 246, 0.14)"),
        rates("errors", "#c0392b", "rgba(192, 57, 43, 0.25)"),
        ...ROWS.map(marker),
      ],
    };
    const u = new uPlot(opts, [[]], el);
    window.addEventListener("resize", () => u.setSize({ width: width(), height: 300 }));
    return u;
  }

  function niceSplits(top) {
    const step = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000].find((s) => top / s <= 4) ?? 20000;
    const out = [];
    for (let v = 0; v <= top + 1e-9; v += step) out.push(v);
    return out;
  }

  const details = { current: [] };
  function renderChart(h) {
    const { data, details: d, counts } = chartData(h);
    details.current = d;
    const now = time(h.now) / 1000;
    const first = data[0].length > 0 ? data[0][0] : now;
    // The whole day when there is a day to show; at least 15 minutes so a fresh start is readable.
    const start = Math.max(now - h.windowSeconds, Math.min(first, now - 900));
    view = [start, now + (now - start) / 40];
    const el = $("chart");
    chart ??= makeChart(el, details);
    chart.setData(data);
    el.dataset.markers = JSON.stringify(counts);
    const sum = (a) => a.reduce((s, n) => s + n, 0);
    const hours = Math.max(1, Math.round((now - first) / 3600));
    $("totals").textContent =
      `${sum(h.minutes.requests)} requests, ${sum(h.minutes.errors)} errors in the last ${hours} h` +
      (h.overwritten > 0 ? ` · ${h.overwritten} older events overwritten` : "");
  }

  async function poll() {
    try {
      const [st, h] = await Promise.all([getJson("/-/status"), getJson("/-/events")]);
      offset = Date.parse(h.now) - Date.now();
      renderStatus(st);
      renderEvents(h);
      renderChart(h);
      document.querySelector("footer").classList.remove("stale");
      $("updated").textContent = `updated ${clock(serverNow())} · every ${every / 1000} s`;
      document.body.dataset.polls = String(Number(document.body.dataset.polls ?? 0) + 1);
    } catch (err) {
      document.querySelector("footer").classList.add("stale");
      $("updated").textContent = `cannot reach the proxy (${err.message}); showing data from before`;
    } finally {
      window.setTimeout(poll, every);
    }
  }

  window.setInterval(tick, 1000);
  void poll();
})();
