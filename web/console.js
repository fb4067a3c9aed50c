/* console.js - shared by every console page: the session (GET /v1/session gives the user,
 * the CSRF token and the language chosen from Accept-Language), the Chinese/English texts
 * (elements with data-i18n="key"; the switch remembers the choice in localStorage), the
 * login/logout link, and api(), which sends the CSRF token on every POST. */
"use strict";

const TEXT = {
  en: {
    brand: "Repute anti-spam centre", skip: "Skip to content", nav_report: "Report spam", nav_lookup: "Look up",
    nav_dashboard: "Statistics", nav_queue: "Analyst queue", nav_my: "My reports", my_title: "My reports",
    nav_provider: "Complaints",
    my_caption: "Your newest reports and what became of their source", report_id: "Report", listing: "Listing",
    my_empty: "You have not filed any reports yet.", nav_login: "Log in", nav_logout: "Log out",
    lang_switch: "中文", lang_switch_label: "切换到中文", nav_label: "Main",
    report_title: "Report spam", report_intro: "Report a spam e-mail or text message. We never publish your address.",
    kind_legend: "What are you reporting?", kind_mail: "An e-mail", kind_sms: "A text message (SMS)",
    headers_label: "Paste the message headers (or the whole message)",
    headers_hint: "In your mail program choose “show original” or “view source” and copy everything.",
    eml_label: "Or upload the message as an .eml file", sms_sender_label: "Sender number",
    sms_sender_hint: "As shown on your phone, e.g. +86 138 0013 8000 or 10690000", sms_text_label: "Text of the message",
    submit_report: "Send report", report_ok: "Thank you. Your report was stored as {id}.",
    report_dup: "We already had this report ({id}); it was counted again.", need_one: "Paste headers, choose a file, or fill in the SMS fields.",
    lookup_title: "Look up an address, domain or number", lookup_label: "IP address, domain or phone number",
    lookup_hint: "For example 61.135.10.77, example.cn or +8613800138000", lookup_button: "Look up",
    listed: "Listed", not_listed: "Not listed", since: "Listed since", expires: "Listing ends", why: "Why",
    reports: "Reports", reporters: "Distinct reporters", first_seen: "First reported", last_seen: "Last reported",
    channels: "Reports by channel", case_state: "Case", never_reported: "Nobody has reported {v}.",
    evidence_title: "Evidence summary", delist_title: "Request delisting", delist_intro: "If you run this address, domain or number and the problem is fixed, tell us. Personal data of reporters is never shown.",
    contact_label: "Your e-mail address", reason_label: "What did you fix?", delist_button: "Request delisting",
    delist_done: "Delisted. The change reaches the DNS within minutes.", delist_queued: "Your request was recorded ({o}); an analyst will look at it.",
    login_title: "Log in", name_label: "User name", password_label: "Password", login_button: "Log in",
    login_bad: "Wrong name or password.", login_limited: "Too many attempts. Try again in {s} seconds.",
    queue_title: "New cases", queue_empty: "No new cases.", source: "Source", opened: "Opened", evidence: "Evidence",
    action_label: "Action", reason_action_label: "Reason (required)", apply: "Apply",
    act_confirmed: "Confirm", act_listed: "List now", act_delisted: "Delist", act_rejected: "Reject", act_resolved: "Resolve",
    done_state: "Case {id} is now {s}.", show_evidence: "Show evidence", origin: "Origin", hops: "Received hops",
    urls: "URLs", domains: "Domains", campaign: "Campaign", channel: "Channel", received: "Received",
    dash_title: "Statistics", dash_days: "Last 30 days", chart_per_day: "Reports per day by channel",
    chart_top: "Most reported sources", day: "Day", total_reports: "Reports", open_cases: "Open cases", kind: "Kind",
    error: "Something went wrong: {m}", loading: "Loading…", logged_in_as: "Logged in as {n} ({r})"
  },
  zh: {
    brand: "Repute 反垃圾信息中心", skip: "跳到正文", nav_report: "举报垃圾信息", nav_lookup: "查询",
    nav_dashboard: "统计", nav_queue: "分析员队列", nav_my: "我的举报", my_title: "我的举报",
    nav_provider: "投诉反馈",
    my_caption: "您最近的举报及其来源的处理结果", report_id: "举报编号", listing: "黑名单",
    my_empty: "您还没有提交过举报。", nav_login: "登录", nav_logout: "退出",
    lang_switch: "English", lang_switch_label: "Switch to English", nav_label: "主导航",
    report_title: "举报垃圾信息", report_intro: "举报垃圾邮件或垃圾短信。我们绝不公开您的地址。",
    kind_legend: "您要举报什么？", kind_mail: "电子邮件", kind_sms: "短信",
    headers_label: "粘贴邮件头（或整封邮件）", headers_hint: "在邮件程序中选择“显示原始邮件”或“查看源文件”，复制全部内容。",
    eml_label: "或上传 .eml 邮件文件", sms_sender_label: "发送号码", sms_sender_hint: "按手机上显示的填写，例如 +86 138 0013 8000 或 10690000",
    sms_text_label: "短信内容", submit_report: "提交举报", report_ok: "谢谢！您的举报已保存，编号 {id}。",
    report_dup: "我们已收到过这条举报（{id}），已再次计数。", need_one: "请粘贴邮件头、选择文件或填写短信信息。",
    lookup_title: "查询 IP 地址、域名或号码", lookup_label: "IP 地址、域名或电话号码",
    lookup_hint: "例如 61.135.10.77、example.cn 或 +8613800138000", lookup_button: "查询",
    listed: "已列入黑名单", not_listed: "未列入黑名单", since: "列入时间", expires: "到期时间", why: "原因",
    reports: "举报数", reporters: "不同举报人", first_seen: "首次举报", last_seen: "最近举报",
    channels: "各渠道举报数", case_state: "案件", never_reported: "没有人举报过 {v}。",
    evidence_title: "证据摘要", delist_title: "申请移除", delist_intro: "如果您管理此地址、域名或号码且问题已解决，请告诉我们。举报人的个人信息从不公开。",
    contact_label: "您的电子邮件地址", reason_label: "您修复了什么？", delist_button: "申请移除",
    delist_done: "已移除。几分钟内生效。", delist_queued: "您的申请已记录（{o}），分析员会处理。",
    login_title: "登录", name_label: "用户名", password_label: "密码", login_button: "登录",
    login_bad: "用户名或密码错误。", login_limited: "尝试次数过多，请 {s} 秒后再试。",
    queue_title: "新案件", queue_empty: "没有新案件。", source: "来源", opened: "立案时间", evidence: "证据",
    action_label: "操作", reason_action_label: "理由（必填）", apply: "执行",
    act_confirmed: "确认", act_listed: "立即列入", act_delisted: "移除", act_rejected: "驳回", act_resolved: "结案",
    done_state: "案件 {id} 现在为 {s}。", show_evidence: "查看证据", origin: "来源地址", hops: "Received 跳数",
    urls: "网址", domains: "域名", campaign: "活动", channel: "渠道", received: "接收时间",
    dash_title: "统计", dash_days: "最近 30 天", chart_per_day: "各渠道每日举报数", chart_top: "被举报最多的来源",
    day: "日期", total_reports: "举报数", open_cases: "未结案件", kind: "类型",
    error: "出错了：{m}", loading: "加载中…", logged_in_as: "已登录：{n}（{r}）"
  }
};

const Console = {
  session: { user: null, csrf: "", lang: "en" },
  lang: "en",

  /* t - the text for key in the current language, with {name} placeholders filled. */
  t(key, vars) {
    let s = (TEXT[this.lang] && TEXT[this.lang][key]) || TEXT.en[key] || key;
    for (const [k, v] of Object.entries(vars || {})) s = s.replace("{" + k + "}", String(v));
    return s;
  },

  /* apply - every data-i18n element, placeholders, and the language switch. */
  apply() {
    document.documentElement.lang = this.lang === "zh" ? "zh-CN" : "en";
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = this.t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", this.t(el.dataset.i18nLabel));
    const sw = document.getElementById("lang-switch");
    if (sw) {
      sw.textContent = this.t("lang_switch");
      sw.setAttribute("aria-label", this.t("lang_switch_label"));
      sw.lang = this.lang === "zh" ? "en" : "zh-CN";
    }
    const who = document.getElementById("who");
    if (who) who.textContent = this.session.user ? this.t("logged_in_as", { n: this.session.user.name, r: this.session.user.role }) : "";
    for (const el of document.querySelectorAll("[data-role]")) {
      const roles = el.dataset.role.split(" ");
      el.hidden = !(this.session.user && roles.includes(this.session.user.role));
    }
    const login = document.getElementById("nav-login"), logout = document.getElementById("nav-logout");
    if (login) login.hidden = !!this.session.user;
    if (logout) logout.hidden = !this.session.user;
    document.dispatchEvent(new Event("console-lang"));
  },

  /* api - fetch JSON from the API; POSTs carry the CSRF token. Returns {status, body}. */
  async api(method, path, body) {
    const opt = { method, headers: {}, credentials: "same-origin" };
    if (method !== "GET") opt.headers["X-CSRF-Token"] = this.session.csrf;
    if (body instanceof FormData) opt.body = body;
    else if (body !== undefined) { opt.headers["Content-Type"] = "application/json"; opt.body = JSON.stringify(body); }
    const res = await fetch(path, opt);
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return { status: res.status, body: data, headers: res.headers };
  },

  /* say - put a message into a live status region. */
  say(id, text, kind) {
    const el = document.getElementById(id);
    el.className = "status" + (kind ? " " + kind : "");
    el.textContent = text;
  },

  /* when - a Unix time as a local date and time. */
  when(t) {
    return t ? new Date(t * 1000).toLocaleString(this.lang === "zh" ? "zh-CN" : "en-GB") : "—";
  },

  /* navProvider - the provider page's link after "my reports" on pages that lack it. */
  navProvider() {
    const my = document.querySelector('nav a[href="/my.html"]');
    if (!my || document.querySelector('nav a[href="/provider.html"]')) return;
    const li = document.createElement("li"), a = document.createElement("a");
    li.dataset.role = "provider partner";
    li.hidden = true;
    a.href = "/provider.html";
    a.dataset.i18n = "nav_provider";
    li.append(a);
    my.parentElement.after(li);
  },

  /* start - load the session, pick the language, wire the switch and logout. */
  async start() {
    this.navProvider();
    try {
      const r = await this.api("GET", "/v1/session");
      if (r.status === 200) this.session = r.body;
    } catch (e) { /* offline: the page still works in English */ }
    this.lang = localStorage.getItem("repute-lang") || this.session.lang || "en";
    const sw = document.getElementById("lang-switch");
    if (sw) sw.addEventListener("click", () => {
      this.lang = this.lang === "zh" ? "en" : "zh";
      localStorage.setItem("repute-lang", this.lang);
      this.apply();
    });
    const out = document.getElementById("nav-logout");
    if (out) out.addEventListener("click", async () => {
      await this.api("POST", "/v1/session/logout");
      location.href = "/";
    });
    this.apply();
    document.dispatchEvent(new Event("console-ready"));
  }
};

document.addEventListener("DOMContentLoaded", () => Console.start());
