#!/usr/bin/env bash
# reputed_http.sh - reputed's HTTP API with curl against a real daemon on 127.0.0.1 (a free
# high port, a temporary database): every endpoint, API keys and roles, the SMS webhook's
# HMAC, the web form, duplicates, bad input of every kind (each answered with the one error
# shape and leaving the database unchanged, checked with sqlite3), SIGHUP reload of the rate
# limit (429 with Retry-After) and a clean SIGTERM shutdown.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$REPUTE_SRC/tests/integration/lib/ports.sh"

R="$REPUTE_BIN/repute"
D="$REPUTE_BIN/reputed"
S="$REPUTE_SRC/samples"
DB="$T/repute.db"
SECRET="gateway-shared-secret"
PORT=$(free_ports 1)
U="http://127.0.0.1:$PORT"
PID=

cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; true; }
trap cleanup EXIT

# write_conf RATE BURST - the daemon's config file.
write_conf() {
  cat > "$T/reputed.conf" <<EOF
[storage]
raw_retention = 30d
sweep_interval = 1s
[http]
max_body = 256k
threads = 4
[limits]
rate_per_key = $1
burst_per_key = $2
rate_anonymous = 1000
burst_anonymous = 1000
[sms]
hmac_secret = $SECRET
[log]
level = info
EOF
}

# call METHOD PATH [curl args...] - sets CODE and BODY (and HDRS, the response headers).
call() {
  local m=$1 p=$2
  shift 2
  BODY=$(curl -s -S -X "$m" -D "$T/hdrs" -o "$T/body" -w '%{http_code}' "$@" "$U$p" 2>"$T/curl.err"; true)
  CODE=$BODY
  BODY=$(cat "$T/body" 2>/dev/null)
  HDRS=$(cat "$T/hdrs" 2>/dev/null)
}
# expect_code WANT WHAT - the last call's status.
expect_code() { [ "$CODE" = "$1" ] || fail "$2: HTTP $CODE, want $1: $BODY"; }
# expect_error STATUS CODE WHAT - the documented error shape with this code.
expect_error() {
  expect_code "$1" "$3"
  expect_json "$BODY" '.error.code' "\"$2\""
  expect_json "$BODY" '.error.message | type == "string" and length > 10' 'true'
  expect_json "$BODY" 'keys' '["error"]'
}
# db_state - counts that bad input must not change.
db_state() {
  sqlite3 "$DB" "SELECT count(*), coalesce(sum(dup_count),0) FROM reports; SELECT count(*), coalesce(sum(reports),0) FROM sources;
                 SELECT count(*) FROM campaigns; SELECT count(*) FROM cases; SELECT count(*) FROM audit_log;
                 SELECT count(*) FROM reporters;" | tr '\n' ' '
}

# --- keys and start-up ------------------------------------------------------------------
KA=$("$R" key create --db "$DB" --role reporter --name alice 2>/dev/null) || fail "key create alice"
KB=$("$R" key create --db "$DB" --role reporter --name bob 2>/dev/null) || fail "key create bob"
KN=$("$R" key create --db "$DB" --role analyst --name ana 2>/dev/null) || fail "key create ana"
KO=$("$R" key create --db "$DB" --role operator --name hotline 2>/dev/null) || fail "key create hotline"
KP=$("$R" key create --db "$DB" --role public --name anon 2>/dev/null) || fail "key create anon"
[[ "$KA" =~ ^rpk_[A-Za-z0-9_-]{43}$ ]] || fail "key format: $KA"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM api_keys WHERE hash LIKE '%${KA:4:20}%'")" = 0 ] || fail "key stored in clear"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM audit_log WHERE action = 'key.create'")" = 5 ] || fail "key audit"
"$R" key create --db "$DB" --role wizard --name x >/dev/null 2>&1; [ $? = 2 ] || fail "bad role not a usage error"
ok "repute key create: 5 keys, hashed at rest, audited; bad role refused"

write_conf 1000 1000
"$D" --config "$T/reputed.conf" --db "$DB" --http "127.0.0.1:$PORT" 2>"$T/reputed.log" &
PID=$!
for _ in $(seq 50); do curl -s "$U/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
call GET /healthz
expect_code 200 healthz
[ "$("$D" --sample-config | grep -c '^database = var/repute.db')" = 1 ] || fail "sample config"
"$D" --config "$T/reputed.conf" --check-config >/dev/null || fail "check-config"
printf '[http]\nthreads = 0\n' > "$T/bad.conf"
out=$("$D" --config "$T/bad.conf" --check-config 2>&1) && fail "out-of-bounds option accepted"
[[ "$out" == *"bad.conf:2: threads: 0 is outside 1..1024"* ]] || fail "bad option message: $out"
printf '[http]\nthreds = 4\n' > "$T/bad.conf"
out=$("$D" --config "$T/bad.conf" --check-config 2>&1) && fail "unknown option accepted"
[[ "$out" == *"bad.conf:2: unknown option http.threds"* ]] || fail "unknown option message: $out"
out=$("$D" --http nonsense --check-config 2>&1) && fail "bad --http accepted"
[[ "$out" == *'http.listen: "nonsense" is not ADDR:PORT'* ]] || fail "bad --http message: $out"
ok "reputed started on 127.0.0.1:$PORT; --sample-config, --check-config, bad options refused with file:line"

# --- intake ------------------------------------------------------------------------------
call POST /v1/reports -H "Authorization: Bearer $KA" -H 'Content-Type: message/rfc822' --data-binary @"$S/01-spam-forged-chain.eml"
expect_code 201 "raw message"
expect_json "$BODY" '.id | test("^R[0-9A-HJKMNP-TV-Z]{26}$")' 'true'
expect_json "$BODY" '.duplicate' 'false'
ID1=$(printf '%s' "$BODY" | jq -r .id)
call POST /v1/reports -H "Authorization: Bearer $KA" -H 'Content-Type: message/rfc822' --data-binary @"$S/01-spam-forged-chain.eml"
expect_code 200 "duplicate"
expect_json "$BODY" '.duplicate' 'true'
expect_json "$BODY" '.dup_count' '1'
expect_json "$BODY" ".id" "\"$ID1\""
call POST /v1/reports -H "Authorization: Bearer $KB" -H 'Content-Type: message/rfc822' --data-binary @"$S/01-spam-forged-chain.eml"
expect_code 201 "same message, other reporter"
ok "raw message/rfc822: 201 with id; same reporter again merged (200, dup_count 1); other reporter new"

B64=$(base64 -w0 "$S/03-arf-report.eml")
call POST /v1/reports -H "Authorization: Bearer $KN" -H 'Content-Type: application/json' -d "{\"message_base64\":\"$B64\"}"
expect_code 201 "base64 JSON"
ID3=$(printf '%s' "$BODY" | jq -r .id)
call POST /v1/reports -H "Authorization: Bearer $KA" -H 'Content-Type: application/json; charset=utf-8' \
  -d '{"sender":"+8613800138000","recipient":"13900139000","text":"Congratulations! Your loan of 50000 is approved, visit http://loan-fast.example.cn/apply today","received_at":"2026-11-20T08:30:00+08:00"}'
expect_code 201 "SMS JSON"
IDS=$(printf '%s' "$BODY" | jq -r .id)
call POST /v1/reports -H "Authorization: Bearer $KO" -H 'Content-Type: message/rfc822' --data-binary @"$S/04-forwarded-attachment.eml"
expect_code 201 "operator entry"
IDO=$(printf '%s' "$BODY" | jq -r .id)
[ "$(sqlite3 "$DB" "SELECT channel FROM reports WHERE id = '$IDO'")" = operator ] || fail "operator channel"
ok "JSON message_base64, SMS report, operator entry (channel operator)"

# --- SMS webhook -------------------------------------------------------------------------
SMS='{"sender":"+86 138 0013 8000","text":"Your parcel is held, pay the fee at http://parcel-fee.example.net/p now","received_at":1795000000}'
SIG=$(printf '%s' "$SMS" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
call POST /v1/sms -H 'Content-Type: application/json' -H "X-Repute-Signature: $SIG" -d "$SMS"
expect_code 201 "signed webhook"
IDW=$(printf '%s' "$BODY" | jq -r .id)
[ "$(sqlite3 "$DB" "SELECT r.channel || ' ' || u.name FROM reports r JOIN reporters u ON u.id = r.reporter_id WHERE r.id = '$IDW'")" = "sms sms-gateway" ] || fail "webhook report owner"
ok "SMS webhook with a valid HMAC-SHA256: 201, filed under sms-gateway"

# --- web form ----------------------------------------------------------------------------
call POST /v1/forms/report -F "eml=@$S/02-chinese-gb2312.eml"
expect_code 201 "form .eml upload"
call POST /v1/forms/report -F $'headers=Received: from relay.example.org (relay.example.org [198.51.100.23]) by mx.example.com; Mon, 23 Nov 2026 10:00:00 +0000\nFrom: "Prize" <win@prize-claim.example>\nSubject: You won\nMessage-ID: <form-paste-1@prize-claim.example>'
expect_code 201 "form pasted headers"
call POST /v1/forms/report -F 'sms_sender=13800138111' -F 'sms_text=Cheap loans at http://cash-now.example.org call today' -F 'csrf_token=x'
expect_code 201 "form SMS"
ok "web form: .eml upload, pasted headers, SMS number + text"

# --- queries -----------------------------------------------------------------------------
call GET "/v1/reports/$ID1" -H "Authorization: Bearer $KA"
expect_code 200 "own report"
expect_json "$BODY" '.evidence.origin.ip' '"61.135.10.77"'
expect_json "$BODY" '.dup_count' '1'
expect_json "$BODY" 'has("raw_base64")' 'false'
call GET "/v1/reports/$ID1" -H "Authorization: Bearer $KB"
expect_error 403 forbidden "another reporter's report"
call GET "/v1/reports/$ID3?raw=1" -H "Authorization: Bearer $KN"
expect_code 200 "analyst report with raw"
printf '%s' "$BODY" | jq -r .raw_base64 | base64 -d | cmp - "$S/03-arf-report.eml" || fail "raw original not intact"
call GET "/v1/reports/$IDS" -H "Authorization: Bearer $KA"
expect_json "$BODY" '.evidence.kind' '"sms"'
expect_json "$BODY" '.evidence.sender' '"+8613800138000"'
expect_json "$BODY" '.received_at' '1795134600'
call GET "/v1/reports/R0000000000000000000000000" -H "Authorization: Bearer $KN"
expect_error 404 not_found "unknown report"
call GET "/v1/reports/$ID1"
expect_error 401 unauthorized "report without key"
call GET /v1/sources/61.135.10.77
expect_code 200 "source ip"
expect_json "$BODY" '.reports' '3'
expect_json "$BODY" '.reporters' '3'
expect_json "$BODY" '.case.state' '"new"'
call GET /v1/sources/+8613800138000
expect_code 200 "source phone"
expect_json "$BODY" '.by_channel.sms' '1'
call GET /v1/sources/example.cn
expect_code 200 "source domain"
call POST /v1/forms/report -F $'headers=Received: from h.example.net (h.example.net [2a00:1450:4001:81c::200e]) by mx.example.com; Mon, 23 Nov 2026 10:00:00 +0000\nFrom: x@spam6.example\nSubject: v6\nMessage-ID: <v6-1@spam6.example>'
expect_code 201 "IPv6 origin"
call GET "/v1/sources/2a00:1450:4001:81c::%2F64"
expect_code 200 "IPv6 /64 source"
expect_json "$BODY" '.kind + " " + .value' '"ip6-64 2a00:1450:4001:81c::/64"'
call GET "/v1/sources/2a00:1450:4001:81c:1:2:3:4"
expect_json "$BODY" '.value' '"2a00:1450:4001:81c::/64"'
call GET /v1/sources/not_a_source
expect_error 400 invalid_field "bad source"
call GET /v1/sources/192.0.2.200
expect_error 404 not_found "unreported source"
call GET "/v1/stats?days=30"
expect_code 200 stats
expect_json "$BODY" '.totals.reports' '10'
expect_json "$BODY" '.totals.duplicates' '1'
expect_json "$BODY" '[.per_day[].channel] | unique' '["form","http","operator","sms"]'
call GET "/v1/stats?days=zero"
expect_error 400 invalid_field "bad days"
call GET /metrics
expect_code 200 metrics
grep -q '^repute_reports_total{channel="form"} 4$' "$T/body" || fail "metrics form count"
grep -q '^repute_commit_seconds_count ' "$T/body" || fail "metrics histogram"
grep -qi '^content-type: text/plain; version=0.0.4' "$T/hdrs" || fail "metrics content type"
call GET "/v1/reports?source=61.135.10.77" -H "Authorization: Bearer $KN"
expect_code 200 "search by source (analyst)"
expect_json "$BODY" '.reports | length' '3'
call GET "/v1/reports?source=61.135.10.77" -H "Authorization: Bearer $KA"
expect_json "$BODY" ".reports | map(.id)" "[\"$ID1\"]"
call GET "/v1/reports?limit=4" -H "Authorization: Bearer $KN"
expect_json "$BODY" '.reports | length' '4'
NEXT=$(printf '%s' "$BODY" | jq -r .next)
call GET "/v1/reports?limit=100&before=$NEXT" -H "Authorization: Bearer $KN"
expect_json "$BODY" '.reports | length' '6'
expect_json "$BODY" '.next' 'null'
call GET "/v1/reports?channel=sms" -H "Authorization: Bearer $KN"
expect_json "$BODY" '[.reports[].channel] | unique' '["sms"]'
call GET "/v1/reports?limit=0" -H "Authorization: Bearer $KN"
expect_error 400 invalid_field "bad limit"
CID=$(sqlite3 "$DB" "SELECT campaign_id FROM reports WHERE id = '$ID1'")
call GET "/v1/campaigns/$CID" -H "Authorization: Bearer $KA"
expect_code 200 campaign
expect_json "$BODY" '.reporters >= 2' 'true'
call GET "/v1/campaigns/999999" -H "Authorization: Bearer $KA"
expect_error 404 not_found "unknown campaign"
call GET "/v1/campaigns/x1" -H "Authorization: Bearer $KA"
expect_error 400 invalid_field "bad campaign id"
CASE=$(curl -s "$U/v1/sources/61.135.10.77" | jq .case.id)
call POST "/v1/cases/$CASE" -H "Authorization: Bearer $KN" -H 'Content-Type: application/json' -d '{"state":"confirmed","reason":"3 reporters, forged chain"}'
expect_code 200 "case confirmed"
expect_json "$BODY" '.state' '"confirmed"'
call GET "/v1/sources/61.135.10.77"
expect_json "$BODY" '.case.state' '"confirmed"'
call GET "/v1/audit?object=case:$CASE" -H "Authorization: Bearer $KN"
expect_code 200 "audit"
expect_json "$BODY" '.audit[0] | [.actor, .action, .reason]' '["ana","case.new->confirmed","3 reporters, forged chain"]'
ok "analyst case transition (audited with actor and reason), audit log query"
ok "GET reports (owner, analyst with raw intact, 403/404/401), search with paging, campaigns, sources (ip, phone, domain), stats, metrics"

# --- bad input leaves the database unchanged ---------------------------------------------
BEFORE=$(db_state)
head -c 300000 /dev/zero | tr '\0' 'a' > "$T/big.eml"
head -c 4096 /dev/urandom > "$T/noise.bin"
call POST /v1/reports -H "Authorization: Bearer $KA" -H 'Content-Type: application/json' -d '{"message_base64": '
expect_error 400 invalid_json "invalid JSON"
call POST /v1/reports -H "Authorization: Bearer $KA" -H 'Content-Type: application/json' -d '[1,2]'
expect_error 400 invalid_json "JSON array"
call POST /v1/reports -H "Authorization: Bearer $KA" -H 'Content-Type: application/json' -d '{"hello":1}'
expect_error 400 missing_field "no known field"
call POST /v1/reports -H "Authorization: Bearer $KA" -H 'Content-Type: application/json' -d '{"message_base64":"***"}'
expect_error 400 invalid_field "bad base64"
call POST /v1/reports -H "Authorization: Bearer $KA" -H 'Content-Type: application/json' -d '{"sender":"+8613800138000"}'
expect_error 400 missing_field "SMS without text"
call POST /v1/reports -H "Authorization: Bearer $KA" -H 'Content-Type: application/json' -d '{"sender":"call me","text":"x y z"}'
expect_error 400 invalid_field "SMS bad sender"
call POST /v1/reports -H "Authorization: Bearer $KA" -H 'Content-Type: application/json' -d '{"sender":"+8613800138000","text":"hi there","received_at":"yesterday"}'
expect_error 400 invalid_field "SMS bad time"
call POST /v1/reports -H "Authorization: Bearer $KA" -H 'Content-Type: text/plain' --data-binary @"$S/01-spam-forged-chain.eml"
expect_error 415 unsupported_media_type "text/plain"
call POST /v1/reports -H "Authorization: Bearer $KA" -H 'Content-Type: message/rfc822' --data-binary @"$T/big.eml"
expect_error 413 payload_too_large "oversized"
call POST /v1/reports -H "Authorization: Bearer $KA" -H 'Content-Type: message/rfc822' -H 'Transfer-Encoding: chunked' --data-binary @"$T/big.eml"
expect_error 413 payload_too_large "oversized chunked"
call POST /v1/reports -H "Authorization: Bearer $KA" -H 'Content-Type: message/rfc822' --data-binary @"$T/noise.bin"
expect_error 400 not_mail "binary upload"
call POST /v1/reports -H "Authorization: Bearer $KA" -H 'Content-Type: message/rfc822' --data-binary ''
expect_error 400 empty_message "empty body"
call POST /v1/reports -H 'Content-Type: message/rfc822' --data-binary @"$S/01-spam-forged-chain.eml"
expect_error 401 unauthorized "no key"
call POST /v1/reports -H "Authorization: Bearer ${KA%?}x" -H 'Content-Type: message/rfc822' --data-binary @"$S/01-spam-forged-chain.eml"
expect_error 401 unauthorized "wrong key"
call POST /v1/reports -H "Authorization: Basic YTpi" -H 'Content-Type: message/rfc822' --data-binary @"$S/01-spam-forged-chain.eml"
expect_error 401 unauthorized "not a bearer"
call POST /v1/reports -H "Authorization: Bearer $KP" -H 'Content-Type: message/rfc822' --data-binary @"$S/01-spam-forged-chain.eml"
expect_error 403 forbidden "public role"
call POST /v1/sms -H 'Content-Type: application/json' -d "$SMS"
expect_error 401 missing_signature "webhook without signature"
call POST /v1/sms -H 'Content-Type: application/json' -H "X-Repute-Signature: ${SIG%?}0" -d "$SMS"
expect_error 401 bad_signature "webhook wrong signature"
call POST /v1/sms -H 'Content-Type: application/json' -H "X-Repute-Signature: $SIG" -d "${SMS% }"' '
expect_error 401 bad_signature "webhook body changed"
call POST /v1/sms -H 'Content-Type: application/json' -H "X-Repute-Signature: nothex" -d "$SMS"
expect_error 401 bad_signature "webhook malformed signature"
BADSMS='{"sender":"+8613800138000"'
BSIG=$(printf '%s' "$BADSMS" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
call POST /v1/sms -H 'Content-Type: application/json' -H "X-Repute-Signature: $BSIG" -d "$BADSMS"
expect_error 400 invalid_json "webhook signed invalid JSON"
call POST /v1/forms/report -F "eml=@$T/noise.bin"
expect_error 400 not_mail "form non-mail upload"
call POST /v1/forms/report -F 'name=x'
expect_error 400 invalid_field "form unknown field"
call POST /v1/forms/report -F 'csrf_token=x'
expect_error 400 missing_field "form nothing to report"
call POST /v1/forms/report -H 'Content-Type: application/json' -d '{}'
expect_error 415 unsupported_media_type "form as JSON"
call POST /v1/forms/report -F "eml=@$T/big.eml"
expect_error 413 payload_too_large "form oversized"
call DELETE "/v1/reports/$ID1" -H "Authorization: Bearer $KN"
expect_error 405 method_not_allowed "DELETE"
call POST "/v1/cases/$CASE" -H "Authorization: Bearer $KN" -H 'Content-Type: application/json' -d '{"state":"resolved","reason":"x"}'
expect_error 409 conflict "case confirmed -> resolved"
call POST "/v1/cases/$CASE" -H "Authorization: Bearer $KN" -H 'Content-Type: application/json' -d '{"state":"listed"}'
expect_error 400 missing_field "case transition without reason"
call POST "/v1/cases/$CASE" -H "Authorization: Bearer $KN" -H 'Content-Type: application/json' -d '{"state":"gone","reason":"x"}'
expect_error 400 invalid_field "unknown case state"
call POST "/v1/cases/$CASE" -H "Authorization: Bearer $KA" -H 'Content-Type: application/json' -d '{"state":"listed","reason":"x"}'
expect_error 403 forbidden "reporter works a case"
call POST "/v1/cases/999999" -H "Authorization: Bearer $KN" -H 'Content-Type: application/json' -d '{"state":"listed","reason":"x"}'
expect_error 404 not_found "unknown case"
call GET "/v1/audit" -H "Authorization: Bearer $KA"
expect_error 403 forbidden "reporter reads the audit log"
call GET /v2/nothing
expect_error 404 not_found "unknown path"
call GET "/v1/sources/%ff%fe.example"
expect_error 400 invalid_field "invalid UTF-8 in a source (regression: the error body must still encode)"
call GET "/v1/reports/%ff%fe%fd%fc%fb%fa%f9%f8%f7%f6%f5%f4%f3%f2%f1%f0%ef%ee%ed%ec%eb%ea%e9%e8%e7%e6a" -H "Authorization: Bearer $KN"
expect_error 404 not_found "invalid UTF-8 report id"
AFTER=$(db_state)
[ "$BEFORE" = "$AFTER" ] || fail "bad input changed the database: $BEFORE -> $AFTER"
ok "36 kinds of bad input: one error shape each, database unchanged ($AFTER)"

# --- retention: raw originals older than storage.raw_retention are dropped by the sweep ----
call POST /v1/reports -H "Authorization: Bearer $KA" -H 'Content-Type: application/json' \
  -d '{"sender":"+8613800138222","text":"An old message about cheap loans http://old.example.org","received_at":"2020-01-01T00:00:00Z"}'
expect_code 201 "old SMS"
IDOLD=$(printf '%s' "$BODY" | jq -r .id)
for _ in $(seq 50); do
  [ "$(sqlite3 "$DB" "SELECT raw IS NULL FROM reports WHERE id = '$IDOLD'")" = 1 ] && break
  sleep 0.1
done
[ "$(sqlite3 "$DB" "SELECT raw IS NULL AND raw_len > 0 AND evidence IS NOT NULL FROM reports WHERE id = '$IDOLD'")" = 1 ] || fail "old raw not swept"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM reports WHERE raw IS NULL")" = 1 ] || fail "sweep took recent originals"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM audit_log WHERE action = 'retention.sweep'")" -ge 1 ] || fail "sweep not audited"
call GET "/v1/reports/$IDOLD?raw=1" -H "Authorization: Bearer $KN"
expect_json "$BODY" 'has("raw_base64")' 'false'
expect_json "$BODY" '.evidence.sender' '"+8613800138222"'
ok "retention sweep: a 2020 original dropped within seconds (evidence kept, audited), recent ones kept"

# --- SIGHUP reload: a lower rate limit applies without a restart --------------------------
write_conf 1 2
kill -HUP "$PID"
for _ in $(seq 50); do grep -q 'reload: ' "$T/reputed.log" && break; sleep 0.1; done
codes=""
for i in 1 2 3 4; do
  call GET "/v1/reports/$ID1" -H "Authorization: Bearer $KA"
  codes="$codes $CODE"
done
[[ "$codes" == *429* ]] || fail "no 429 after reload: $codes"
call GET "/v1/reports/$ID1" -H "Authorization: Bearer $KA"
expect_error 429 rate_limited "rate limited"
printf '%s' "$HDRS" | grep -qi '^retry-after: [1-9]' || fail "429 without Retry-After"
call GET "/v1/reports/$ID1" -H "Authorization: Bearer $KB"
[ "$CODE" = 403 ] || fail "another key is limited too: $CODE"
ok "SIGHUP reload: rate limit 1/s burst 2 -> 429 with Retry-After, per key ($codes)"

# --- SIGTERM: clean shutdown -------------------------------------------------------------
kill -TERM "$PID"
for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PID" 2>/dev/null && fail "still running 10 s after SIGTERM"
wait "$PID"; rc=$?
PID=
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
grep -q 'reputed stopped' "$T/reputed.log" || fail "no clean stop in the log"
[ "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok ] || fail "integrity check"
ok "SIGTERM: exit 0, database intact"
done_ok
