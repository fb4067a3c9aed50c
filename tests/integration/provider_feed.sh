#!/usr/bin/env bash
# provider_feed.sh - the complaint feed of providers (docs/provider-feed.md) against a real
# reputed on 127.0.0.1, with curl: two provider organisations with their own networks, spam
# reported from each network (and from elsewhere); each provider's users and keys see only
# the reports from their own networks (GET /v1/complaints, paginated), never another's (the
# other's report and its ARF are 404, a ?provider= of theirs is ignored); reporters'
# addresses and ids never appear; the ARF download (GET /v1/complaints.arf?id=) parses with
# python3's email module and with `repute analyze` as feedback; analysts read every feed;
# reporters, anonymous callers and providers without an organisation are refused.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$REPUTE_SRC/tests/integration/lib/ports.sh"

R="$REPUTE_BIN/repute"
D="$REPUTE_BIN/reputed"
DB="$T/repute.db"
PORT=$(free_ports 1)
U="http://127.0.0.1:$PORT"
PID=

cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; true; }
trap cleanup EXIT

# call JAR METHOD PATH [curl args...] - sets CODE, BODY, HDRS; JAR "-" means no cookies.
call() {
  local jar=$1 m=$2 p=$3
  shift 3
  local cj=()
  [ "$jar" != - ] && cj=(-b "$T/$jar.jar" -c "$T/$jar.jar")
  CODE=$(curl -s -S -X "$m" "${cj[@]}" -D "$T/hdrs" -o "$T/body" -w '%{http_code}' "$@" "$U$p" 2>"$T/curl.err"; true)
  BODY=$(cat "$T/body" 2>/dev/null)
  HDRS=$(cat "$T/hdrs" 2>/dev/null)
}
expect_code() { [ "$CODE" = "$1" ] || fail "$2: HTTP $CODE, want $1: $BODY"; }
# login JAR NAME PASSWORD - a console session in JAR.
login() {
  local pre
  call "$1" GET /v1/session
  pre=$(printf '%s' "$BODY" | jq -r .csrf)
  call "$1" POST /v1/session -H "X-CSRF-Token: $pre" -H 'Content-Type: application/json' \
    -d "{\"name\":\"$2\",\"password\":\"$3\"}"
  expect_code 200 "login $2"
}
# ids - the sorted complaint ids of BODY, one line.
ids() { printf '%s' "$BODY" | jq -r '[.complaints[].id] | sort | join(" ")'; }

# spam FILE IP RCPT N - a spam message from IP to RCPT.
spam() {
  cat > "$1" <<MSG
Return-Path: <bulk$4@sender$4.example>
Received: from out$4.sender.example (out$4.sender.example [$2])
	by mx.victim-mail.example (Postfix) with ESMTP id 4F1A2B3C$4
	for <$3>; Mon, 23 Nov 2026 10:00:0$4 +0000
From: "Great Deals" <deals@sender$4.example>
To: $3
Subject: Cheap watches $4
Date: Mon, 23 Nov 2026 09:59:5$4 +0000
Message-ID: <spam$4.$RANDOM@sender$4.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Dear $3, buy now at http://cheap-watches$4.example/offer?u=${3/@/%40}
MSG
}

# --- registry, users, members ----------------------------------------------------------------
for u in provA:provider provB:provider lone:provider rep1:reporter rep2:reporter ana:analyst; do
  printf 'pw-%s-secret\n' "${u%%:*}" | "$R" user create --db "$DB" --name "${u%%:*}" --role "${u##*:}" 2>/dev/null \
    || fail "user create $u"
done
"$R" whitelist --db "$DB" --provider mail-a --contact abuse@mail-a.example --reason t >/dev/null || fail "provider a"
"$R" whitelist --db "$DB" --provider mail-a --network 62.1.1.0/24 --reason t >/dev/null || fail "net a"
"$R" whitelist --db "$DB" --provider mail-a --domain mail-a.example --reason t >/dev/null || fail "domain a"
"$R" whitelist --db "$DB" --provider mail-b --contact abuse@mail-b.example --reason t >/dev/null || fail "provider b"
"$R" whitelist --db "$DB" --provider mail-b --network 85.2.2.0/24 --reason t >/dev/null || fail "net b"
"$R" whitelist --db "$DB" --provider mail-b --network 2a01:4f8:77::/48 --reason t >/dev/null || fail "net b6"
KPA=$("$R" key create --db "$DB" --role partner --name partner-a 2>/dev/null) || fail "key partner-a"
KR1=$("$R" key create --db "$DB" --role reporter --name rep1 2>/dev/null) || fail "key rep1"
KR2=$("$R" key create --db "$DB" --role reporter --name rep2 2>/dev/null) || fail "key rep2"
"$R" provider member --db "$DB" --provider mail-a --member provA --reason t >/dev/null || fail "member provA"
"$R" provider member --db "$DB" --provider mail-a --member partner-a --reason t >/dev/null || fail "member partner-a"
"$R" provider member --db "$DB" --provider mail-b --member provB --reason t >/dev/null || fail "member provB"
"$R" provider member --db "$DB" --provider mail-c --member lone --reason t >/dev/null 2>&1 && fail "unknown provider"
"$R" provider member --db "$DB" --provider mail-a --member nobody --reason t >/dev/null 2>&1 && fail "unknown member"
"$R" provider member --db "$DB" --provider mail-a --member lone >/dev/null 2>&1; [ $? = 2 ] || fail "no reason"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM provider_members")" = 3 ] || fail "members"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM audit_log WHERE action = 'provider.member'")" = 3 ] || fail "audit"
ok "repute provider member: 3 members of 2 providers, audited; unknown provider/member 1, no reason 2"

cat > "$T/reputed.conf" <<CONF
[limits]
rate_anonymous = 1000
burst_anonymous = 1000
rate_per_key = 1000
burst_per_key = 1000
[web]
root = $REPUTE_SRC/web
[publish]
enable = no
CONF
"$D" --config "$T/reputed.conf" --db "$DB" --http "127.0.0.1:$PORT" 2>"$T/reputed.log" &
PID=$!
for _ in $(seq 100); do curl -s "$U/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -s "$U/healthz" >/dev/null || fail "reputed did not start: $(tail -5 "$T/reputed.log")"

# --- reports from each network ---------------------------------------------------------------
# submit KEY FILE - POST a message; prints the report id.
submit() {
  call - POST /v1/reports -H "Authorization: Bearer $1" -H 'Content-Type: message/rfc822' --data-binary @"$2"
  [ "$CODE" = 201 ] || fail "submit $2: $CODE $BODY"
  printf '%s' "$BODY" | jq -r .id
}
spam "$T/a1.eml" 62.1.1.5 alice@victim-mail.example 1
spam "$T/a2.eml" 62.1.1.200 bob@victim-mail.example 2
spam "$T/a3.eml" 62.1.1.9 alice@victim-mail.example 3
spam "$T/b1.eml" 85.2.2.7 carol@victim-mail.example 4
spam "$T/b2.eml" 2a01:4f8:77:5::25 dave@victim-mail.example 5
spam "$T/x1.eml" 93.3.3.3 erin@victim-mail.example 6
A1=$(submit "$KR1" "$T/a1.eml"); A2=$(submit "$KR2" "$T/a2.eml"); A3=$(submit "$KR1" "$T/a3.eml")
B1=$(submit "$KR1" "$T/b1.eml"); B2=$(submit "$KR2" "$T/b2.eml"); X1=$(submit "$KR1" "$T/x1.eml")
call - POST /v1/sms -H "Authorization: Bearer $KR1" -H 'Content-Type: application/json' \
  -d '{"sender":"+8613800138000","recipient":"+8613900139000","text":"win 62.1.1.5","received_at":1795000000}'
WANT_A=$(printf '%s\n' "$A1" "$A2" "$A3" | sort | tr '\n' ' ' | sed 's/ $//')
WANT_B=$(printf '%s\n' "$B1" "$B2" | sort | tr '\n' ' ' | sed 's/ $//')
ok "6 spam reports: 3 from mail-a's 62.1.1.0/24, 2 from mail-b's 85.2.2.0/24 and 2a01:4f8:77::/48, 1 elsewhere"

# --- each provider sees only its own ---------------------------------------------------------
login pa provA pw-provA-secret
login pb provB pw-provB-secret
call pa GET /v1/complaints
expect_code 200 "provA feed"
[ "$(ids)" = "$WANT_A" ] || fail "provA sees $(ids), want $WANT_A"
expect_json "$BODY" '.provider' '"mail-a"'
expect_json "$BODY" '[.complaints[].network] | unique' '["62.1.1.0/24"]'
grep -q "$B1\|$B2\|$X1" <<<"$BODY" && fail "provA feed names another's report: $BODY"
call pb GET /v1/complaints
expect_code 200 "provB feed"
[ "$(ids)" = "$WANT_B" ] || fail "provB sees $(ids), want $WANT_B"
grep -q "$A1\|$A2\|$A3\|$X1" <<<"$BODY" && fail "provB feed names another's report"
call pb GET "/v1/complaints?provider=mail-a"
[ "$(ids)" = "$WANT_B" ] || fail "provB with ?provider=mail-a sees $(ids)"
call - GET /v1/complaints -H "Authorization: Bearer $KPA"
expect_code 200 "partner-a feed"
[ "$(ids)" = "$WANT_A" ] || fail "partner key sees $(ids), want $WANT_A"
ok "GET /v1/complaints: mail-a (session and partner key) sees its 3, mail-b its 2 (IPv4 and IPv6); ?provider= ignored"

call pa GET /v1/complaints
for f in reporter_id; do
  [ "$(printf '%s' "$BODY" | jq "[.complaints[] | has(\"$f\")] | any")" = false ] || fail "feed has $f"
done
grep -qi 'alice@\|bob@\|rep1\|rep2' <<<"$BODY" && fail "feed names a reporter: $BODY"
ok "feed summaries carry no reporter id, name or address"

# pagination: limit 2, then the rest
call pa GET "/v1/complaints?limit=2"
P1=$(ids); NEXT=$(printf '%s' "$BODY" | jq -r .next)
[ "$(printf '%s' "$BODY" | jq '.complaints | length')" = 2 ] && [ "$NEXT" != null ] || fail "page 1: $BODY"
call pa GET "/v1/complaints?limit=2&before=$NEXT"
P2=$(ids)
expect_json "$BODY" '.next' 'null'
[ "$(printf '%s\n' $P1 $P2 | sort | tr '\n' ' ' | sed 's/ $//')" = "$WANT_A" ] || fail "pages $P1 / $P2"
call pa GET "/v1/complaints?limit=0"; expect_code 400 "limit 0"
call pa GET "/v1/complaints?before=x%27--"; expect_code 400 "bad before"
ok "pagination: limit=2 then before=next gives all 3 once, next null at the end; bad limit/before 400"

# --- refusals --------------------------------------------------------------------------------
call - GET /v1/complaints; expect_code 401 "anonymous"
call - GET /v1/complaints -H "Authorization: Bearer $KR1"; expect_code 403 "reporter key"
login r1 rep1 pw-rep1-secret
call r1 GET /v1/complaints; expect_code 403 "reporter session"
call r1 GET "/v1/complaints.arf?id=$A1"; expect_code 403 "reporter arf"
login lo lone pw-lone-secret
call lo GET /v1/complaints; expect_code 403 "provider without organisation"
call pa GET "/v1/complaints.arf?id=$B1"; expect_code 404 "provA reads B's ARF"
call pb GET "/v1/complaints.arf?id=$A1"; expect_code 404 "provB reads A's ARF"
call pb GET "/v1/complaints.arf?id=$X1"; expect_code 404 "provB reads an unrelated ARF"
call pb GET "/v1/complaints.arf?id=RNOSUCHREPORT"; expect_code 404 "no such report"
call pb GET "/v1/complaints.arf"; expect_code 400 "no id"
call pa GET "/v1/reports/$B1"; expect_code 403 "provA reads B's report"
ok "refused: anonymous 401; reporters 403; provider without organisation 403; another's ARF 404 (as a missing one)"

# --- analysts see every feed -------------------------------------------------------------------
login an ana pw-ana-secret
call an GET "/v1/complaints?limit=500"
expect_code 200 "analyst feed"
[ "$(ids)" = "$(printf '%s\n' $WANT_A $WANT_B | sort | tr '\n' ' ' | sed 's/ $//')" ] || fail "analyst sees $(ids)"
call an GET "/v1/complaints?provider=mail-b"
[ "$(ids)" = "$WANT_B" ] || fail "analyst mail-b sees $(ids)"
call an GET "/v1/provider?provider=mail-b"
expect_json "$BODY" '[.networks[].value]' '["2a01:4f8:77::/48","85.2.2.0/24"]'
ok "analysts: every provider's complaints (not the unrelated one), ?provider=mail-b narrows"

call pa GET /v1/provider
expect_code 200 "provA organisation"
expect_json "$BODY" '[.name, .contact, [.networks[].value], [.domains[].value]]' \
  '["mail-a","abuse@mail-a.example",["62.1.1.0/24"],["mail-a.example"]]'
ok "GET /v1/provider: the caller's organisation with its networks and domains"

# --- ARF download ------------------------------------------------------------------------------
call pa GET "/v1/complaints.arf?id=$A1"
expect_code 200 "provA ARF"
grep -qi '^content-type: message/rfc822' <<<"$HDRS" || fail "ARF content type: $HDRS"
grep -qi "^content-disposition: attachment; filename=\"$A1.eml\"" <<<"$HDRS" || fail "ARF disposition: $HDRS"
cp "$T/body" "$T/a1.arf"
grep -qi 'alice' "$T/a1.arf" && fail "ARF names the reporter's address: $(grep -i alice "$T/a1.arf")"
grep -q 'redacted@redacted.invalid' "$T/a1.arf" || fail "ARF not redacted"
python3 - "$T/a1.arf" <<'PY' || fail "python email parse of the ARF"
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
assert m.get_content_type() == "multipart/report", m.get_content_type()
assert m.get_param("report-type") == "feedback-report"
assert str(m["To"]) == "abuse@mail-a.example", m["To"]
parts = list(m.iter_parts())
assert [p.get_content_type() for p in parts] == ["text/plain", "message/feedback-report", "message/rfc822"], parts
fb = parts[1].get_payload()
fields = {}
for p in (fb if isinstance(fb, list) else [email.message_from_string(fb)]):
    for k, v in p.items():
        fields[k.lower()] = v
assert fields.get("feedback-type") == "abuse", fields
assert fields.get("source-ip") == "62.1.1.5", fields
orig = parts[2].get_payload()[0]
assert orig["Subject"] == "Cheap watches 1", orig["Subject"]
assert "redacted@redacted.invalid" in str(orig["To"]), orig["To"]
PY
"$R" analyze "$T/a1.arf" > "$T/a1.json" || fail "repute analyze of the ARF"
expect_json "$(cat "$T/a1.json")" '[.source, .feedback.format, .feedback.feedback_type, .feedback.source_ip, .origin.ip]' \
  '["arf-original","arf","abuse","62.1.1.5","62.1.1.5"]'
call - GET "/v1/complaints.arf?id=$A2" -H "Authorization: Bearer $KPA"
expect_code 200 "partner ARF"
call an GET "/v1/complaints.arf?id=$B2"
expect_code 200 "analyst ARF"
grep -q 'Source-IP: 2a01:4f8:77:5::25' "$T/body" || fail "IPv6 Source-IP"
grep -qi 'dave@' "$T/body" && fail "analyst ARF names the reporter"
ok "ARF: message/rfc822 download, reporter redacted, parses with python3 email and repute analyze (feedback abuse, Source-IP)"

# --- the console page in headless chromium (when playwright-core and axe-core are cached) -----
NODE_DIR=${REPUTE_WEB_NODE:-$HOME/.cache/repute/web-test}
if [ -x /usr/bin/chromium ] && [ -f "$NODE_DIR/node_modules/playwright-core/package.json" ] &&
   [ -f "$NODE_DIR/node_modules/axe-core/axe.min.js" ]; then
  mkdir -p "$T/shots"
  cat > "$T/provider.mjs" <<'JS'
// provider.mjs - /provider.html for provA and provB: own complaints only, ARF links, keyboard,
// Chinese, phone width, axe-core (no serious or critical violation), no script error.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
const { BASE, SHOTS, PROFILE, NODE_DIR, WANT_A, WANT_B } = process.env;
const require = createRequire(path.join(NODE_DIR, "node_modules", "x.js"));
const { chromium } = require("playwright-core");
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const fail = (m) => { throw new Error(m); };
let n = 0;
const ok = (m) => console.log(`browser ${++n} - ${m}`);
async function axeCheck(page, name) {
  await page.evaluate(AXE);
  const res = await page.evaluate(() => axe.run(document, { resultTypes: ["violations"] }));
  fs.writeFileSync(path.join(SHOTS, `axe-${name}.json`), JSON.stringify(res.violations, null, 1));
  const bad = res.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length) fail(`axe ${name}: ` + bad.map((v) => `${v.id}: ${v.nodes.map((x) => x.target).join(" ")}`).join("; "));
}
async function session(ctx, user, want, tag) {
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text()); });
  await page.goto(BASE + "/login.html?next=/provider.html");
  await page.evaluate(() => localStorage.clear()); // the previous user switched to Chinese
  await page.reload();
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password").fill(`pw-${user}-secret`);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((u) => u.pathname === "/provider.html");
  await page.goto(BASE + "/provider.html");
  await page.locator("#prov-table tbody tr").first().waitFor({ timeout: 10000 }).catch(async () => {
    await page.screenshot({ path: path.join(SHOTS, `${tag}-failed.png`), fullPage: true });
    fail(`${user}: no complaint rows; status "${await page.locator("#prov-status").textContent()}" ${errors.join("; ")}`);
  });
  const ids = (await page.locator("#prov-table tbody tr td:first-child").allTextContents()).sort().join(" ");
  if (ids !== want) fail(`${user} page shows ${ids}, want ${want}`);
  const hrefs = await page.locator("#prov-table a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  if (hrefs.some((h) => !h.startsWith("/v1/complaints.arf?id=R"))) fail("ARF links: " + hrefs);
  await page.screenshot({ path: path.join(SHOTS, `${tag}-en.png`), fullPage: true });
  await axeCheck(page, tag);
  // keyboard: Tab reaches an ARF link with a visible focus ring
  let found = false;
  for (let i = 0; i < 40 && !found; i++) {
    await page.keyboard.press("Tab");
    found = await page.evaluate(() => (document.activeElement.getAttribute("href") || "").startsWith("/v1/complaints.arf"));
  }
  if (!found) fail("Tab never reaches an ARF link");
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  if (ring === "none") fail("no visible focus on the ARF link");
  const dl = page.waitForEvent("download");
  await page.keyboard.press("Enter");
  const file = await (await dl).path();
  const arf = fs.readFileSync(file, "utf8");
  if (!/report-type=feedback-report/.test(arf) || /(alice|bob|carol|dave)@/.test(arf))
    fail("downloaded ARF: " + arf.slice(0, 300));
  await page.getByRole("button", { name: "中文" }).click();
  await page.getByRole("heading", { name: "贵机构及其投诉" }).waitFor();
  await page.setViewportSize({ width: 375, height: 800 });
  const [sw, w] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  if (sw > w + 1) fail(`375px: page is ${sw}px wide`);
  await page.screenshot({ path: path.join(SHOTS, `${tag}-zh-375.png`), fullPage: true });
  await axeCheck(page, tag + "-zh");
  if (errors.length) fail("script errors: " + errors.join("; "));
  ok(`${user}: /provider.html lists exactly its complaints, ARF link by keyboard downloads a feedback report, zh, 375px, axe clean`);
}
const ctx = await chromium.launchPersistentContext(PROFILE, {
  executablePath: "/usr/bin/chromium", headless: true, locale: "en-GB", viewport: { width: 1280, height: 900 },
  acceptDownloads: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  await session(ctx, "provA", WANT_A, "provider-a");
  await ctx.clearCookies();
  await session(ctx, "provB", WANT_B, "provider-b");
} catch (e) { console.error("FAIL: " + e.message); await ctx.close(); process.exit(1); }
await ctx.close();
JS
  OUT=$(BASE="$U" SHOTS="$T/shots" PROFILE="$T/profile" NODE_DIR="$NODE_DIR" WANT_A="$WANT_A" WANT_B="$WANT_B" \
    timeout 120 node "$T/provider.mjs" 2>&1) || fail "browser: $OUT"
  ok "console /provider.html in chromium: $(printf '%s' "$OUT" | grep -c '^browser') sessions (screenshots in $T/shots)"
else
  echo "# skipped the browser check: no chromium or no playwright-core/axe-core in $NODE_DIR (tests/integration/web_console.sh installs them)"
fi

kill "$PID"; wait "$PID" 2>/dev/null; PID=
done_ok
