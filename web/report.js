/* report.js - the public "report spam" form: exactly one of pasted headers, an .eml file, or
 * an SMS sender and text goes to POST /v1/forms/report (with the CSRF token). */
"use strict";

/* showKind - show the fields of the chosen kind only. */
function showKind() {
  const sms = document.getElementById("kind-sms").checked;
  document.getElementById("mail-fields").hidden = sms;
  document.getElementById("sms-fields").hidden = !sms;
}

/* formBody - the fields the endpoint takes, without empty ones; null when nothing is filled. */
function formBody() {
  const fd = new FormData();
  if (document.getElementById("kind-sms").checked) {
    const sender = document.getElementById("sms_sender").value.trim(), text = document.getElementById("sms_text").value;
    if (!sender || !text.trim()) return null;
    fd.append("sms_sender", sender);
    fd.append("sms_text", text);
    return fd;
  }
  const file = document.getElementById("eml").files[0], headers = document.getElementById("headers").value;
  if (file) fd.append("eml", file, file.name);
  else if (headers.trim()) fd.append("headers", headers);
  else return null;
  return fd;
}

document.addEventListener("console-ready", () => {
  document.getElementById("csrf_token").value = Console.session.csrf;
  for (const r of document.querySelectorAll('input[name="kind"]')) r.addEventListener("change", showKind);
  showKind();
  document.getElementById("report-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const fd = formBody();
    if (!fd) return Console.say("report-status", Console.t("need_one"), "bad");
    Console.say("report-status", Console.t("loading"));
    const r = await Console.api("POST", "/v1/forms/report", fd);
    if (r.status === 201 || r.status === 200) {
      Console.say("report-status", Console.t(r.body.duplicate ? "report_dup" : "report_ok", { id: r.body.id }), "ok");
      ev.target.reset();
      showKind();
    } else {
      Console.say("report-status", Console.t("error", { m: r.body && r.body.error ? r.body.error.message : r.status }), "bad");
    }
  });
});
