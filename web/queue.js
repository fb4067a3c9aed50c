/* queue.js - the analyst queue: new cases (GET /v1/cases?state=new) with their evidence on
 * demand (the newest report, GET /v1/reports/{id}, and the source's counts), and an action
 * with a required reason (POST /v1/cases/{id}). The server checks the role on every call. */
"use strict";

/* el - create an element with text. */
function el(tag, text, attrs) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

/* facts - a dl of [key, value] pairs. */
function facts(pairs) {
  const dl = el("dl", null, { class: "facts" });
  for (const [k, v] of pairs) dl.append(el("dt", Console.t(k)), el("dd", v));
  return dl;
}

/* evidence - load and show the evidence of a case into box. */
async function evidence(c, box) {
  box.replaceChildren(el("p", Console.t("loading")));
  const pairs = [];
  const s = await Console.api("GET", "/v1/sources/" + encodeURIComponent(c.value));
  if (s.status === 200)
    pairs.push(["channels", Object.entries(s.body.by_channel || {}).map(([k, n]) => k + ": " + n).join(", ")]);
  if (c.last_report) {
    const r = await Console.api("GET", "/v1/reports/" + encodeURIComponent(c.last_report));
    if (r.status === 200) {
      const ev = r.body.evidence || {};
      pairs.push(["received", Console.when(r.body.received_at)], ["channel", r.body.channel],
                 ["origin", r.body.origin || "—"], ["campaign", r.body.campaign_id || "—"]);
      if (Array.isArray(ev.hops)) pairs.push(["hops", ev.hops.length]);
      const urls = ev.urls || [], doms = ev.domains || [];
      pairs.push(["urls", urls.map((u) => (typeof u === "string" ? u : u.url || JSON.stringify(u))).join(" ") || "—"]);
      pairs.push(["domains", doms.map((d) => (typeof d === "string" ? d : d.domain || JSON.stringify(d))).join(" ") || "—"]);
    }
  }
  box.replaceChildren(facts(pairs));
}

/* act - one action: a case transition, or a manual listing or delisting (POST /v1/listings)
 * that also moves the case (new -> confirmed -> listed, listed -> resolved). */
async function act(c, action, reason) {
  const move = (state) => Console.api("POST", "/v1/cases/" + c.id, { state, reason });
  if (action !== "listed" && action !== "delisted") return move(action);
  const r = await Console.api("POST", "/v1/listings", { value: c.value, action: action === "listed" ? "list" : "delist", reason });
  if (r.status !== 200 && r.status !== 201) return r;
  if (action === "listed" && c.state === "new") await move("confirmed");
  const m = await move(action === "listed" ? "listed" : "resolved");
  return m.status === 409 ? r : m; /* the listing is what counts; the case may already be there */
}

/* actionForm - the state select, the reason and the button for one case. */
function actionForm(c) {
  const f = el("form", null, { "aria-label": Console.t("action_label") + " " + c.value });
  const sid = "act-" + c.id, rid = "why-" + c.id, st = "st-" + c.id;
  const sel = el("select", null, { id: sid, name: "state" });
  for (const s of ["confirmed", "listed", "delisted", "rejected", "resolved"]) sel.append(el("option", Console.t("act_" + s), { value: s }));
  const reason = el("input", null, { id: rid, name: "reason", type: "text", required: "" });
  const out = el("div", null, { id: st, class: "status", role: "status", "aria-live": "polite" });
  f.append(el("div"), el("div"), el("button", Console.t("apply"), { type: "submit" }), out);
  f.children[0].append(el("label", Console.t("action_label"), { for: sid }), sel);
  f.children[1].append(el("label", Console.t("reason_action_label"), { for: rid }), reason);
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!reason.value.trim()) { reason.focus(); return Console.say(st, Console.t("reason_action_label"), "bad"); }
    const r = await act(c, sel.value, reason.value);
    if (r.status === 200 || r.status === 201) Console.say(st, Console.t("done_state", { id: c.id, s: sel.value }), "ok");
    else Console.say(st, Console.t("error", { m: r.body && r.body.error ? r.body.error.message : r.status }), "bad");
  });
  return f;
}

/* render - one article per case. */
function render(cases) {
  const q = document.getElementById("queue");
  q.replaceChildren();
  if (!cases.length) return q.append(el("p", Console.t("queue_empty")));
  for (const c of cases) {
    const a = el("article", null, { class: "case", "aria-labelledby": "case-" + c.id });
    a.append(el("h3", c.kind + " " + c.value, { id: "case-" + c.id }));
    a.append(facts([["reports", c.reports], ["reporters", c.reporters], ["opened", Console.when(c.opened_at)],
                    ["case_state", "#" + c.id + " " + c.state]]));
    const d = el("details"), box = el("div");
    d.append(el("summary", Console.t("show_evidence")), box);
    d.addEventListener("toggle", () => { if (d.open && !box.dataset.loaded) { box.dataset.loaded = "1"; evidence(c, box); } });
    a.append(d, actionForm(c));
    q.append(a);
  }
}

/* load - fetch the queue. */
async function load() {
  const r = await Console.api("GET", "/v1/cases?state=new&limit=100");
  if (r.status !== 200) return Console.say("queue-status", Console.t("error", { m: r.body && r.body.error ? r.body.error.message : r.status }), "bad");
  Console.say("queue-status", "");
  render(r.body.cases);
}

document.addEventListener("console-ready", load);
document.addEventListener("console-lang", () => { if (document.getElementById("queue").childElementCount) load(); });
