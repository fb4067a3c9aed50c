/* login.js - POST /v1/session with the name and password; on success go to ?next= (a local
 * path only) or the page of the role. */
"use strict";

/* nextPage - where to go after logging in. */
function nextPage(role) {
  const next = new URLSearchParams(location.search).get("next");
  if (next && /^\/[A-Za-z0-9._\/-]*$/.test(next) && !next.startsWith("//")) return next;
  return role === "analyst" || role === "admin" ? "/queue.html" : "/";
}

document.addEventListener("console-ready", () => {
  document.getElementById("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const name = document.getElementById("name").value, password = document.getElementById("password").value;
    const r = await Console.api("POST", "/v1/session", { name, password });
    if (r.status === 200) {
      location.href = nextPage(r.body.user.role);
    } else if (r.status === 429) {
      Console.say("login-status", Console.t("login_limited", { s: r.headers.get("Retry-After") || "60" }), "bad");
    } else if (r.status === 401) {
      Console.say("login-status", Console.t("login_bad"), "bad");
      document.getElementById("password").focus();
    } else {
      Console.say("login-status", Console.t("error", { m: r.body && r.body.error ? r.body.error.message : r.status }), "bad");
    }
  });
});
