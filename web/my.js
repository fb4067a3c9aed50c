/* my.js - "my reports": the caller's newest reports (GET /v1/reports returns only the
 * caller's own for reporters, providers and partners) with the case state and listing of
 * each report's origin (GET /v1/sources/{v}, GET /v1/listings/{v}). */
"use strict";

/* cell - a td with text. */
function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

/* load - fill the table. */
async function load() {
  const r = await Console.api("GET", "/v1/reports?limit=50");
  if (r.status !== 200) return Console.say("my-status", Console.t("error", { m: r.body && r.body.error ? r.body.error.message : r.status }), "bad");
  const tbody = document.querySelector("#my-table tbody");
  tbody.replaceChildren();
  if (!r.body.reports.length) return Console.say("my-status", Console.t("my_empty"));
  Console.say("my-status", "");
  for (const rep of r.body.reports) {
    const tr = document.createElement("tr");
    const state = cell("—"), listed = cell("—");
    tr.append(cell(rep.id), cell(Console.when(rep.received_at)), cell(rep.channel), cell(rep.origin || "—"), state, listed);
    tbody.append(tr);
    if (!rep.origin) continue;
    const v = encodeURIComponent(rep.origin);
    Console.api("GET", "/v1/sources/" + v).then((s) => { if (s.status === 200 && s.body.case) state.textContent = s.body.case.state; });
    Console.api("GET", "/v1/listings/" + v).then((l) => { listed.textContent = Console.t(l.status === 200 ? "listed" : "not_listed"); });
  }
}

document.addEventListener("console-ready", load);
