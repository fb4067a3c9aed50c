/* lookup.js - public lookup of an IP address, domain or phone number: the listing
 * (GET /v1/listings/{v}), the evidence summary (GET /v1/sources/{v}: counts only, never a
 * reporter), and the delisting request form (POST /v1/delist). ?q= looks up at once. */
"use strict";

/* fact - append a dt/dd pair. */
function fact(dl, key, value) {
  const dt = document.createElement("dt"), dd = document.createElement("dd");
  dt.textContent = Console.t(key);
  dd.textContent = value;
  dl.append(dt, dd);
}

/* lookup - fetch both views of v and show them. */
async function lookup(v) {
  const enc = encodeURIComponent(v);
  Console.say("lookup-status", Console.t("loading"));
  const [l, s] = await Promise.all([Console.api("GET", "/v1/listings/" + enc), Console.api("GET", "/v1/sources/" + enc)]);
  if (s.status === 400 || l.status === 400) {
    const e = (s.body && s.body.error) || (l.body && l.body.error) || { message: "?" };
    document.getElementById("result").hidden = true;
    return Console.say("lookup-status", Console.t("error", { m: e.message }), "bad");
  }
  Console.say("lookup-status", "");
  document.getElementById("result").hidden = false;
  document.getElementById("result-title").textContent = (s.body && s.body.value) || (l.body && l.body.value) || v;
  const line = document.getElementById("listed-line"), lf = document.getElementById("listing-facts");
  const sf = document.getElementById("source-facts");
  lf.replaceChildren();
  sf.replaceChildren();
  const listed = l.status === 200;
  line.textContent = Console.t(listed ? "listed" : "not_listed");
  line.className = listed ? "listed" : "notlisted";
  if (listed) {
    fact(lf, "since", Console.when(l.body.listed_at));
    fact(lf, "expires", Console.when(l.body.expires_at));
    fact(lf, "why", l.body.reason + (l.body.evidence ? " — " + (typeof l.body.evidence === "string" ? l.body.evidence : JSON.stringify(l.body.evidence)) : ""));
  }
  lf.parentElement.hidden = !listed;
  if (s.status === 200) {
    fact(sf, "reports", s.body.reports);
    fact(sf, "reporters", s.body.reporters);
    fact(sf, "first_seen", Console.when(s.body.first_seen));
    fact(sf, "last_seen", Console.when(s.body.last_seen));
    fact(sf, "channels", Object.entries(s.body.by_channel || {}).map(([k, n]) => k + ": " + n).join(", "));
    if (s.body.case) fact(sf, "case_state", s.body.case.state);
  } else {
    const p = document.createElement("dd");
    p.textContent = Console.t("never_reported", { v });
    sf.append(p);
  }
  document.getElementById("delist").hidden = !listed;
  document.getElementById("delist-value").value = v;
}

document.addEventListener("console-ready", () => {
  document.getElementById("lookup-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = document.getElementById("q").value.trim();
    if (v) lookup(v);
  });
  document.getElementById("delist-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { value: document.getElementById("delist-value").value, contact: document.getElementById("contact").value,
                   reason: document.getElementById("reason").value };
    const r = await Console.api("POST", "/v1/delist", body);
    if (r.status === 200) {
      Console.say("delist-status", Console.t("delist_done"), "ok");
      setTimeout(() => lookup(body.value), 300);
    } else if (r.status === 202) {
      Console.say("delist-status", Console.t("delist_queued", { o: r.body.outcome }), "ok");
    } else {
      Console.say("delist-status", Console.t("error", { m: r.body && r.body.error ? r.body.error.message : r.status }), "bad");
    }
  });
  const q = new URLSearchParams(location.search).get("q");
  if (q) {
    document.getElementById("q").value = q;
    lookup(q);
  }
});
