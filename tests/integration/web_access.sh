#!/usr/bin/env bash
# web_access.sh - access control of the web console at the HTTP level (curl, one cookie jar
# per user) against a real reputed on 127.0.0.1: `repute user create` (argon2id at rest),
# login with CSRF, session cookies (HttpOnly, SameSite=Strict), CSRF refused -> 403, a
# reporter cannot read another reporter's reports, a provider neither (there is no provider
# complaint feed yet: its reports and the analyst endpoints are what is tested), role-gated
# pages and the case queue, login rate limiting (429), logout, static files.
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
# csrf_of JAR - the CSRF token GET /v1/session gives this jar.
csrf_of() { call "$1" GET /v1/session; expect_code 200 "session of $1"; printf '%s' "$BODY" | jq -r .csrf; }
# login JAR NAME PASSWORD - log in; sets TOK (the CSRF token of the session).
login() {
  local pre
  pre=$(csrf_of "$1")
  call "$1" POST /v1/session -H "X-CSRF-Token: $pre" -H 'Content-Type: application/json' \
    -d "{\"name\":\"$2\",\"password\":\"$3\"}"
  expect_code 200 "login $2"
  TOK=$(printf '%s' "$BODY" | jq -r .csrf)
}

# --- users --------------------------------------------------------------------------------
for u in rep1:reporter rep2:reporter ana:analyst prov1:provider prov2:provider victim:reporter; do
  printf 'pw-%s-secret\n' "${u%%:*}" | "$R" user create --db "$DB" --name "${u%%:*}" --role "${u##*:}" 2>/dev/null \
    || fail "user create $u"
done
printf 'x\n' | "$R" user create --db "$DB" --name x --role wizard >/dev/null 2>&1; [ $? = 2 ] || fail "bad role"
printf 'x\n' | "$R" user create --db "$DB" --name rep1 --role reporter >/dev/null 2>&1; [ $? = 1 ] || fail "dup user"
: | "$R" user create --db "$DB" --name y --role reporter >/dev/null 2>&1; [ $? = 2 ] || fail "empty password"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM users WHERE pwhash LIKE '\$argon2id\$%'")" = 6 ] || fail "argon2id"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM users WHERE pwhash LIKE '%pw-%'")" = 0 ] || fail "password in clear"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM users u JOIN reporters r ON r.id = u.reporter_id AND r.name = u.name")" = 6 ] \
  || fail "users are reporters"
ok "repute user create: 6 users, argon2id hashes, own reporters; bad role 2, duplicate 1, empty password 2"

cat > "$T/reputed.conf" <<CONF
[http]
threads = 4
[limits]
rate_anonymous = 1000
burst_anonymous = 1000
[web]
root = $REPUTE_SRC/web
[publish]
enable = no
CONF
"$D" --config "$T/reputed.conf" --db "$DB" --http "127.0.0.1:$PORT" 2>"$T/reputed.log" &
PID=$!
for _ in $(seq 100); do curl -s "$U/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -s "$U/healthz" >/dev/null || fail "reputed did not start: $(tail -5 "$T/reputed.log")"

# --- login, cookies, CSRF ----------------------------------------------------------------
call anon GET /v1/session
expect_code 200 "anonymous session"
[ "$(printf '%s' "$BODY" | jq -c .user)" = null ] || fail "anonymous user: $BODY"
grep -qi '^set-cookie: repute_csrf=.*HttpOnly; SameSite=Strict' <<<"$HDRS" || fail "csrf cookie: $HDRS"
call anon GET /v1/session -H 'Accept-Language: zh-CN,zh;q=0.9,en;q=0.8'
[ "$(printf '%s' "$BODY" | jq -r .lang)" = zh ] || fail "Accept-Language zh: $BODY"
call anon GET /v1/session -H 'Accept-Language: en-GB,zh;q=0.5'
[ "$(printf '%s' "$BODY" | jq -r .lang)" = en ] || fail "Accept-Language en: $BODY"
ok "GET /v1/session: anonymous, CSRF cookie HttpOnly SameSite=Strict, language from Accept-Language"

call anon POST /v1/session -H 'Content-Type: application/json' -d '{"name":"rep1","password":"pw-rep1-secret"}'
expect_code 403 "login without CSRF"
[ "$(printf '%s' "$BODY" | jq -r .error.code)" = csrf ] || fail "csrf code: $BODY"
call anon POST /v1/session -H 'X-CSRF-Token: forged' -H 'Content-Type: application/json' \
  -d '{"name":"rep1","password":"pw-rep1-secret"}'
expect_code 403 "login with a wrong CSRF token"
login rep1 rep1 pw-rep1-secret; T1=$TOK
grep -qi '^set-cookie: repute_session=[A-Za-z0-9_-]\{43\}; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict' <<<"$HDRS" \
  || fail "session cookie attributes: $HDRS"
grep -qi '^set-cookie:.*Secure' <<<"$HDRS" && fail "Secure without web.cookie_secure"
SID=$(awk '$6 == "repute_session" {print $7}' "$T/rep1.jar")
[ "$(sqlite3 "$DB" "SELECT count(*) FROM sessions WHERE hash = '$SID'")" = 0 ] || fail "session token stored in clear"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM sessions")" = 1 ] || fail "one session"
login rep2 rep2 pw-rep2-secret; T2=$TOK
login ana ana pw-ana-secret; TA=$TOK
login prov1 prov1 pw-prov1-secret; TP1=$TOK
login prov2 prov2 pw-prov2-secret
call rep1 GET /v1/session
[ "$(printf '%s' "$BODY" | jq -c .user)" = '{"name":"rep1","role":"reporter"}' ] || fail "whoami: $BODY"
ok "login needs the CSRF token (403 csrf without or wrong); session cookie HttpOnly SameSite=Strict, hashed at rest"

# --- reports: own only ---------------------------------------------------------------------
call rep1 POST /v1/forms/report -F sms_sender=+8613800138000 -F 'sms_text=cheap loans http://loan-rep1.example.cn/a'
expect_code 403 "form post with a session but no CSRF header"
call rep1 POST /v1/forms/report -H "X-CSRF-Token: $T2" -F sms_sender=+8613800138000 -F 'sms_text=x http://a.example.cn'
expect_code 403 "form post with another session's CSRF token"
call rep1 POST /v1/forms/report -H "X-CSRF-Token: $T1" -F sms_sender=+8613800138000 \
  -F 'sms_text=cheap loans http://loan-rep1.example.cn/a'
expect_code 201 "rep1 files a report"
RID1=$(printf '%s' "$BODY" | jq -r .id)
RPT1=$(sqlite3 "$DB" "SELECT reporter_id FROM users WHERE name = 'rep1'")
[ "$(sqlite3 "$DB" "SELECT reporter_id FROM reports WHERE id = '$RID1'")" = "$RPT1" ] || fail "report not filed as rep1"
call prov1 POST /v1/forms/report -H "X-CSRF-Token: $TP1" -F sms_sender=+8613900139000 -F 'sms_text=win a prize http://prize.example.cn'
expect_code 201 "prov1 files a report"
RIDP=$(printf '%s' "$BODY" | jq -r .id)
call rep1 GET "/v1/reports/$RID1"; expect_code 200 "rep1 reads own report"
call rep2 GET "/v1/reports/$RID1"
[ "$CODE" = 403 ] || [ "$CODE" = 404 ] || fail "rep2 read rep1's report: HTTP $CODE"
call rep2 GET /v1/reports; expect_code 200 "rep2 search"
[ "$(printf '%s' "$BODY" | jq '.reports | length')" = 0 ] || fail "rep2 sees others' reports: $BODY"
call rep1 GET /v1/reports
[ "$(printf '%s' "$BODY" | jq -r '[.reports[].id] | join(",")')" = "$RID1" ] || fail "rep1 search: $BODY"
call prov2 GET "/v1/reports/$RIDP"
[ "$CODE" = 403 ] || [ "$CODE" = 404 ] || fail "prov2 read prov1's report: HTTP $CODE"
call prov2 GET /v1/reports
[ "$(printf '%s' "$BODY" | jq '.reports | length')" = 0 ] || fail "prov2 sees prov1's reports: $BODY"
call - GET "/v1/reports/$RID1"; expect_code 401 "anonymous report read"
ok "a reporter (and a provider) reads only its own reports (others get 403 or 404); anonymous 401"

# --- analyst endpoints and pages -----------------------------------------------------------
call rep1 GET /v1/cases; expect_code 403 "reporter case queue"
call prov1 GET /v1/cases; expect_code 403 "provider case queue"
call - GET /v1/cases; expect_code 401 "anonymous case queue"
call ana GET /v1/cases; expect_code 200 "analyst case queue"
CASE=$(printf '%s' "$BODY" | jq -r '.cases[] | select(.value == "+8613800138000") | .id')
[ -n "$CASE" ] || fail "case of rep1's sender not queued: $BODY"
call rep1 POST "/v1/cases/$CASE" -H "X-CSRF-Token: $T1" -H 'Content-Type: application/json' \
  -d '{"state":"confirmed","reason":"me"}'
expect_code 403 "reporter moves a case"
call prov1 POST /v1/whitelist -H "X-CSRF-Token: $TP1" -H 'Content-Type: application/json' \
  -d '{"provider":"p","contact":"a@b.example","network":"192.0.2.0/24","reason":"x"}'
expect_code 403 "provider edits the whitelist"
call ana POST "/v1/cases/$CASE" -H 'Content-Type: application/json' -d '{"state":"confirmed","reason":"seen"}'
expect_code 403 "analyst case move without CSRF"
call ana POST "/v1/cases/$CASE" -H "X-CSRF-Token: $TA" -H 'Content-Type: application/json' \
  -d '{"state":"confirmed","reason":"two reporters, same text"}'
expect_code 200 "analyst confirms"
[ "$(sqlite3 "$DB" "SELECT actor FROM audit_log WHERE object = 'case:$CASE' ORDER BY id DESC LIMIT 1")" = ana ] \
  || fail "audit actor"
call - GET /queue.html; expect_code 303 "anonymous queue page"
grep -qi '^location: /login.html?next=/queue.html' <<<"$HDRS" || fail "redirect: $HDRS"
call rep1 GET /queue.html; expect_code 403 "reporter queue page"
call ana GET /queue.html; expect_code 200 "analyst queue page"
call rep1 GET /my.html; expect_code 200 "reporter's own page"
call - GET /my.html; expect_code 303 "anonymous my page"
ok "case queue and case moves: analyst only (reporter/provider 403, anonymous 401), CSRF needed; /queue.html and /my.html gated"

# --- static files ------------------------------------------------------------------------
call - GET /; expect_code 200 "index"
grep -qi '^content-type: text/html' <<<"$HDRS" || fail "index type"
grep -qi "^content-security-policy: default-src 'self'" <<<"$HDRS" || fail "CSP: $HDRS"
curl -s -o /dev/null -w '%{http_code}' --path-as-is "$U/../etc/passwd" | grep -q 404 || fail "dot-dot"
curl -s -o /dev/null -w '%{http_code}' "$U/.hidden" | grep -q 404 || fail "hidden file"
call - GET /v1/nope; expect_code 404 "API 404"
[ "$(printf '%s' "$BODY" | jq -r .error.code)" = not_found ] || fail "API 404 shape"
ok "static files with CSP; .. and hidden files 404; /v1 404s keep the JSON shape"

# --- login rate limit, logout ------------------------------------------------------------
PRE=$(csrf_of anon)
codes=
for i in 1 2 3 4 5 6; do
  call anon POST /v1/session -H "X-CSRF-Token: $PRE" -H 'Content-Type: application/json' \
    -d '{"name":"victim","password":"guess-'$i'"}'
  codes="$codes$CODE "
done
[ "$codes" = "401 401 401 401 401 429 " ] || fail "bad passwords: $codes"
grep -qi '^retry-after: [0-9]' <<<"$HDRS" || fail "Retry-After"
call anon POST /v1/session -H "X-CSRF-Token: $PRE" -H 'Content-Type: application/json' \
  -d '{"name":"victim","password":"pw-victim-secret"}'
expect_code 429 "right password while limited"
ok "bad passwords: 5 x 401 then 429 with Retry-After (even for the right password)"

call rep1 POST /v1/session/logout; expect_code 403 "logout without CSRF"
call rep1 POST /v1/session/logout -H "X-CSRF-Token: $T1"; expect_code 200 "logout"
curl -s -b "repute_session=$SID" "$U/v1/reports" -o /dev/null -w '%{http_code}' | grep -q 401 || fail "old session works"
ok "logout ends the session (its cookie no longer authenticates)"

kill "$PID"; wait "$PID"; rc=$?; PID=
[ "$rc" = 0 ] || fail "reputed exit $rc: $(tail -5 "$T/reputed.log")"
done_ok
