/* dashboard.js - public statistics from GET /v1/stats?days=30: totals, reports per day by
 * channel (stacked bars) and the most reported sources (horizontal bars), drawn with
 * Chart.js (web/vendor, see web/vendor/README.md), each with a data table for screen readers. */
"use strict";

const COLOURS = ["#0b5394", "#b45f06", "#38761d", "#741b47", "#134f5c", "#7f6000", "#990000"];
let charts = [];
let stats = null;

/* table - fill a table from a header row and rows. */
function table(id, head, rows) {
  const t = document.getElementById(id);
  t.replaceChildren();
  const tr = document.createElement("tr");
  for (const h of head) { const th = document.createElement("th"); th.scope = "col"; th.textContent = h; tr.append(th); }
  const thead = document.createElement("thead"), tbody = document.createElement("tbody");
  thead.append(tr);
  for (const r of rows) {
    const row = document.createElement("tr");
    for (const v of r) { const td = document.createElement("td"); td.textContent = v; row.append(td); }
    tbody.append(row);
  }
  t.append(thead, tbody);
}

/* draw - totals, both charts and their tables in the current language. */
function draw() {
  if (!stats) return;
  for (const c of charts) c.destroy();
  charts = [];
  const dl = document.getElementById("totals");
  dl.replaceChildren();
  for (const [k, v] of [["total_reports", stats.totals.reports], ["open_cases", stats.totals.open_cases]]) {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = Console.t(k);
    dd.textContent = v;
    dl.append(dt, dd);
  }
  const days = [...new Set(stats.per_day.map((d) => d.day))].sort();
  const chans = [...new Set(stats.per_day.map((d) => d.channel))].sort();
  const count = (day, ch) => stats.per_day.filter((d) => d.day === day && d.channel === ch).reduce((n, d) => n + d.reports, 0);
  charts.push(new Chart(document.getElementById("chart-per-day"), {
    type: "bar",
    data: { labels: days, datasets: chans.map((ch, i) => ({ label: ch, data: days.map((d) => count(d, ch)), backgroundColor: COLOURS[i % COLOURS.length] })) },
    options: { maintainAspectRatio: false, animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
  }));
  table("per-day-table", [Console.t("day"), ...chans], days.map((d) => [d, ...chans.map((ch) => count(d, ch))]));
  const top = stats.top_sources.slice(0, 10);
  charts.push(new Chart(document.getElementById("chart-top"), {
    type: "bar",
    data: { labels: top.map((s) => s.value), datasets: [{ label: Console.t("reports"), data: top.map((s) => s.reports), backgroundColor: COLOURS[0] }] },
    options: { indexAxis: "y", maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
  }));
  table("top-table", [Console.t("source"), Console.t("kind"), Console.t("reports"), Console.t("reporters")],
        top.map((s) => [s.value, s.kind, s.reports, s.reporters]));
  document.body.dataset.charts = String(charts.length);
}

document.addEventListener("console-ready", async () => {
  const r = await Console.api("GET", "/v1/stats?days=30");
  if (r.status !== 200) return Console.say("dash-status", Console.t("error", { m: r.status }), "bad");
  stats = r.body;
  draw();
});
document.addEventListener("console-lang", draw);
