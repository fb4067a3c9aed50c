// console.mjs - the web console in headless Debian chromium (playwright-core), run by
// tests/integration/web_console.sh with BASE (the daemon's URL), SHOTS (artifact directory),
// PROFILE (a fresh --user-data-dir), NODE_DIR (where playwright-core and axe-core are) and
// the analyst's name/password in ANALYST / ANALYST_PW. Prints "ok N - ..." lines; exits 1 on
// the first failure. Flows: report an SMS through the form, log in as analyst, find it in the
// queue with its evidence and confirm it with a reason, public lookup, dashboard charts,
// Chinese by Accept-Language and the switch, keyboard focus, phone width and 200 % zoom, and
// axe-core on every page (no serious or critical violations).
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const env = (k) => { if (!process.env[k]) { console.error(`FAIL: ${k} not set`); process.exit(1); } return process.env[k]; };
const BASE = env("BASE"), SHOTS = env("SHOTS"), PROFILE = env("PROFILE"), NODE_DIR = env("NODE_DIR");
const require = createRequire(path.join(NODE_DIR, "node_modules", "x.js"));
const { chromium } = require("playwright-core");
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const SENDER = "+8613812345678";
let passed = 0;

const ok = (msg) => console.log(`ok ${++passed} - browser: ${msg}`);
const fail = (msg) => { throw new Error(msg); };
const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, name + ".png"), fullPage: true });

/* axeCheck - run axe-core in the page; fail on serious or critical violations. */
async function axeCheck(page, name) {
  await page.evaluate(AXE);
  const res = await page.evaluate(() => axe.run(document, { resultTypes: ["violations"] }));
  fs.writeFileSync(path.join(SHOTS, `axe-${name}.json`), JSON.stringify(res.violations, null, 1));
  const bad = res.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length) fail(`axe ${name}: ` + bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target).join(" ")}`).join("; "));
  return res.violations.length;
}

/* noOverflow - the page does not scroll sideways at this width. */
async function noOverflow(page, what) {
  const [sw, w] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  if (sw > w + 1) fail(`${what}: page is ${sw}px wide in a ${w}px window`);
}

async function main() {
  const ctx = await chromium.launchPersistentContext(PROFILE, {
    executablePath: "/usr/bin/chromium", headless: true, locale: "en-GB", viewport: { width: 1280, height: 900 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--no-first-run"],
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // expected 404s (not listed) and 401s (wrong password) are logged as "Failed to load resource"
  page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text()); });

  // 1. report an SMS through the public form, with the keyboard
  await page.goto(BASE + "/");
  await page.getByRole("heading", { name: "Report spam" }).waitFor();
  await page.keyboard.press("Tab");
  const skip = await page.evaluate(() => [document.activeElement.className, getComputedStyle(document.activeElement).outlineStyle]);
  if (skip[0] !== "skip") fail("first Tab does not reach the skip link: " + skip);
  await page.getByLabel("A text message (SMS)").check();
  await page.getByLabel("Sender number").fill(SENDER);
  await page.getByLabel("Text of the message").fill("您的贷款已批准 loan approved, visit http://loan-web.example.cn/a now");
  await page.getByLabel("Text of the message").focus();
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  if (ring === "none") fail("no visible focus on the text area");
  await page.getByRole("button", { name: "Send report" }).press("Enter");
  const status = page.locator("#report-status");
  await status.filter({ hasText: "stored as R" }).waitFor({ timeout: 10000 });
  const rid = (await status.textContent()).match(/R[0-9A-Z]{26}/)[0];
  await shot(page, "01-report-sent");
  await axeCheck(page, "report");
  ok(`report form (SMS, keyboard, visible focus): stored as ${rid}`);

  // 1b. an .eml upload and pasted headers
  await page.reload();
  await page.getByLabel("Or upload the message as an .eml file").setInputFiles(env("EML"));
  await page.getByRole("button", { name: "Send report" }).click();
  await status.filter({ hasText: "stored as R" }).waitFor({ timeout: 10000 });
  await page.getByLabel("Paste the message headers (or the whole message)").fill(fs.readFileSync(env("EML2"), "utf8"));
  await page.getByRole("button", { name: "Send report" }).click();
  await status.filter({ hasText: /stored as R|already had this report/ }).waitFor({ timeout: 10000 });
  await page.getByRole("button", { name: "Send report" }).click();
  await status.filter({ hasText: "Paste headers, choose a file" }).waitFor();
  ok("report form: .eml upload and pasted message stored; an empty form is refused in the page");

  // 2. analyst: login redirect, queue, evidence, action with a reason
  await page.goto(BASE + "/queue.html");
  if (!page.url().includes("/login.html?next=/queue.html")) fail("queue without login did not redirect: " + page.url());
  await page.getByLabel("User name").fill(env("ANALYST"));
  await page.getByLabel("Password").fill("wrong password");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.locator("#login-status").filter({ hasText: "Wrong name or password" }).waitFor();
  await axeCheck(page, "login");
  await page.getByLabel("Password").fill(env("ANALYST_PW"));
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(BASE + "/queue.html");
  const card = page.locator("article.case", { hasText: SENDER });
  await card.waitFor({ timeout: 10000 });
  await card.getByText("Show evidence").click();
  await card.locator("dd", { hasText: "loan-web.example.cn" }).first().waitFor({ timeout: 10000 });
  await card.getByLabel("Action", { exact: true }).selectOption("confirmed");
  await card.getByLabel("Reason (required)").fill("form report, loan spam with a URL");
  await card.getByRole("button", { name: "Apply" }).click();
  await card.locator(".status").filter({ hasText: "is now confirmed" }).waitFor();
  await shot(page, "02-analyst-queue");
  await axeCheck(page, "queue");
  ok("analyst: redirected to login, wrong password shown, queue lists the reported sender with evidence, confirmed with a reason");

  // 2b. the analyst lists the report's domain by hand with a reason
  const dcard = page.locator("article.case", { hasText: "domain example.cn" });
  await dcard.getByLabel("Action", { exact: true }).selectOption("listed");
  await dcard.getByLabel("Reason (required)").fill("loan spam domain, confirmed by hand");
  await dcard.getByRole("button", { name: "Apply" }).click();
  await dcard.locator(".status").filter({ hasText: "is now listed" }).waitFor();
  await page.goto(BASE + "/lookup.html?q=example.cn");
  await page.locator("#listed-line", { hasText: /^Listed$/ }).waitFor();
  const why = await page.locator("#listing-facts").textContent();
  if (!/manual/.test(why)) fail("manual listing reason not shown: " + why);
  await shot(page, "02b-lookup-listed-manual");
  ok("analyst lists example.cn from the queue with a reason; the public lookup shows it listed (manual)");

  // 2c. a source listed by three reporters' reports: public delisting request removes it
  const LISTED = env("LISTED");
  await page.goto(BASE + "/lookup.html?q=" + encodeURIComponent(LISTED));
  await page.locator("#listed-line", { hasText: /^Listed$/ }).waitFor({ timeout: 15000 });
  await page.getByLabel("Your e-mail address").fill("noc@operator.example");
  await page.getByLabel("What did you fix?").fill("The compromised SMS gateway account was closed.");
  await shot(page, "02c-delist-request");
  await axeCheck(page, "lookup-listed");
  await page.getByRole("button", { name: "Request delisting" }).click();
  await page.locator("#delist-status", { hasText: "Delisted" }).waitFor();
  await page.locator("#listed-line", { hasText: /^Not listed$/ }).waitFor({ timeout: 10000 });
  await shot(page, "02d-delisted");
  ok(`${LISTED} listed by reports; the delisting request form removes it and the lookup shows "Not listed"`);

  // 3. public lookup (as anyone)
  await page.goto(BASE + "/lookup.html");
  await page.getByLabel("IP address, domain or phone number").fill(SENDER);
  await page.getByLabel("IP address, domain or phone number").press("Enter");
  await page.locator("#result-title", { hasText: SENDER }).waitFor();
  await page.locator("#source-facts dd").first().waitFor();
  const facts = await page.locator("#source-facts").textContent();
  if (!/confirmed/.test(facts)) fail("lookup does not show the confirmed case: " + facts);
  const line = await page.locator("#listed-line").textContent();
  await shot(page, "03-lookup");
  await axeCheck(page, "lookup");
  ok(`public lookup shows ${SENDER}: "${line}", case confirmed, counts only`);

  // 3b. "my reports" (an analyst sees every report)
  await page.goto(BASE + "/my.html");
  await page.locator("#my-table tbody tr", { hasText: rid }).waitFor();
  await page.locator("#my-table tbody tr", { hasText: rid }).locator("td", { hasText: "confirmed" }).waitFor();
  await shot(page, "03b-my-reports");
  await axeCheck(page, "my");
  ok("my reports lists the form report with its case state");

  // 4. dashboard charts
  await page.goto(BASE + "/dashboard.html");
  await page.waitForSelector("body[data-charts='2']", { timeout: 10000 });
  const painted = await page.evaluate(() => [...document.querySelectorAll("canvas")].map((c) => c.width > 0 && c.height > 0));
  if (painted.join() !== "true,true") fail("charts not drawn: " + painted);
  await shot(page, "04-dashboard");
  await axeCheck(page, "dashboard");
  ok("dashboard draws 2 charts (Chart.js) with data tables");

  // 5. phone width and 200 % zoom (a 1280 px window at 200 % is 640 CSS px)
  for (const [w, h, name] of [[375, 740, "phone"], [640, 450, "zoom200"]]) {
    await page.setViewportSize({ width: w, height: h });
    for (const p of ["/", "/lookup.html", "/queue.html", "/my.html", "/dashboard.html"]) {
      await page.goto(BASE + p);
      await page.waitForLoadState("networkidle");
      await noOverflow(page, `${name} ${p}`);
    }
    await page.goto(BASE + "/");
    await shot(page, `05-${name}`);
  }
  ok("no sideways scrolling at 375 px (phone) or 640 px (200 % zoom) on 5 pages");

  // 6. Chinese from Accept-Language, and the switch
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.setExtraHTTPHeaders({ "Accept-Language": "zh-CN,zh;q=0.9" });
  await page.evaluate(() => localStorage.removeItem("repute-lang"));
  await page.goto(BASE + "/");
  await page.getByRole("heading", { name: "举报垃圾信息" }).waitFor();
  if ((await page.evaluate(() => document.documentElement.lang)) !== "zh-CN") fail("lang attribute not zh-CN");
  await shot(page, "06-chinese");
  await axeCheck(page, "report-zh");
  await page.getByRole("button", { name: "Switch to English" }).click();
  await page.getByRole("heading", { name: "Report spam" }).waitFor();
  await page.reload();
  await page.getByRole("heading", { name: "Report spam" }).waitFor();
  ok("Chinese chosen by Accept-Language (html lang zh-CN); the switch turns it to English and is remembered");

  if (errors.length) fail("errors in the page console: " + errors.join(" | "));
  ok("no script errors or CSP violations in the page console");
  await ctx.close();
}

main().then(() => console.log(`${passed} passed, 0 failed`)).catch((e) => { console.error("FAIL: " + e.message); process.exit(1); });
