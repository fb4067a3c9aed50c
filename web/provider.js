/* provider.js - the provider page: the caller's organisation with its networks and domains
 * (GET /v1/provider) and the complaints about its networks (GET /v1/complaints, paginated
 * with "Older complaints"), each with an ARF download link (GET /v1/complaints.arf?id=).
 * The server decides what a caller may see (docs/provider-feed.md); an analyst may open
 * /provider.html?provider=NAME. Texts: TEXT.en / TEXT.zh in console.js plus the ones below. */
"use strict";

Object.assign(TEXT.en, {
  prov_title: "Your organisation and its complaints", prov_org: "Organisation", prov_contact: "Abuse contact",
  prov_networks: "Sending networks", prov_feed: "Complaints about your networks",
  prov_feed_intro: "Spam reports whose origin lies in your networks, newest first. Reporters' addresses are removed.",
  prov_caption: "Complaints, newest first", prov_network: "Network", prov_arf: "ARF", prov_more: "Older complaints",
  prov_download: "Download {id} as ARF", prov_empty: "No complaints about your networks.",
  prov_none: "None registered.", prov_login: "Log in as a provider to see your complaints.",
  prov_no_org: "Your account belongs to no provider organisation. Ask the centre to add it."
});
Object.assign(TEXT.zh, {
  prov_title: "贵机构及其投诉", prov_org: "机构", prov_contact: "滥用投诉联系人", prov_networks: "发信网段",
  prov_feed: "针对贵网段的投诉", prov_feed_intro: "来源地址位于贵网段内的垃圾信息举报，最新的在前。举报人地址已删除。",
  prov_caption: "投诉（最新的在前）", prov_network: "网段", prov_arf: "ARF", prov_more: "更早的投诉",
  prov_download: "以 ARF 格式下载 {id}", prov_empty: "没有针对贵网段的投诉。", prov_none: "未登记。",
  prov_login: "请以服务商身份登录查看投诉。", prov_no_org: "您的账号不属于任何服务商机构，请联系中心添加。"
});

const Provider = { next: null, query: "" };

/* cell - a td with text. */
function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

/* fillList - one li per value (or "none"). */
function fillList(id, items) {
  const ul = document.getElementById(id);
  ul.replaceChildren();
  for (const v of items.length ? items : [null]) {
    const li = document.createElement("li");
    if (v === null) { li.dataset.i18n = "prov_none"; li.textContent = Console.t("prov_none"); }
    else li.textContent = v.value;
    ul.append(li);
  }
}

/* arfLink - the download link of one complaint, named for screen readers. */
function arfLink(id) {
  const a = document.createElement("a");
  a.href = "/v1/complaints.arf?id=" + encodeURIComponent(id);
  a.download = id + ".eml";
  a.textContent = "ARF";
  a.setAttribute("aria-label", Console.t("prov_download", { id }));
  const td = document.createElement("td");
  td.append(a);
  return td;
}

/* row - one complaint as a table row. */
function row(c) {
  const tr = document.createElement("tr");
  const doms = (c.sources || []).filter((s) => s.kind === "domain").map((s) => s.value).join(", ");
  tr.append(cell(c.id), cell(Console.when(c.received_at)), cell(c.origin || "—"), cell(c.network || "—"),
    cell(c.channel), cell(doms || "—"), arfLink(c.id));
  return tr;
}

/* failed - show an API error in the status region. */
function failed(r) {
  if (r.status === 401) return Console.say("prov-status", Console.t("prov_login"), "bad");
  if (r.status === 403) return Console.say("prov-status", Console.t("prov_no_org"), "bad");
  Console.say("prov-status", Console.t("error", { m: r.body && r.body.error ? r.body.error.message : r.status }), "bad");
}

/* loadOrg - the organisation box. */
async function loadOrg() {
  const r = await Console.api("GET", "/v1/provider" + Provider.query);
  if (r.status !== 200) return false;
  document.getElementById("prov-name").textContent = r.body.name;
  document.getElementById("prov-contact").textContent = r.body.contact;
  fillList("prov-networks", r.body.networks);
  fillList("prov-domains", r.body.domains);
  document.getElementById("prov-org").hidden = false;
  return true;
}

/* loadFeed - one page of complaints, appended (more: after the last one shown). */
async function loadFeed(more) {
  const p = new URLSearchParams(Provider.query.slice(1));
  p.set("limit", "50");
  if (more && Provider.next) p.set("before", Provider.next);
  const r = await Console.api("GET", "/v1/complaints?" + p.toString());
  if (r.status !== 200) return failed(r);
  const tbody = document.querySelector("#prov-table tbody");
  if (!more) tbody.replaceChildren();
  for (const c of r.body.complaints) tbody.append(row(c));
  Provider.next = r.body.next;
  document.getElementById("prov-more").hidden = !Provider.next;
  document.getElementById("prov-feed").hidden = false;
  Console.say("prov-status", tbody.children.length ? "" : Console.t("prov_empty"));
}

/* start - both parts; the "older" button keeps the keyboard focus in the table's region. */
async function start() {
  const q = new URLSearchParams(location.search).get("provider");
  Provider.query = q ? "?provider=" + encodeURIComponent(q) : "";
  if (!Console.session.user) return Console.say("prov-status", Console.t("prov_login"), "bad");
  Console.say("prov-status", Console.t("loading"));
  await loadOrg();
  await loadFeed(false);
  document.getElementById("prov-more").addEventListener("click", () => loadFeed(true));
}

document.addEventListener("console-ready", start);
