#!/usr/bin/env bash
# filter_feedback.sh - repute-filter's feedback loop and quarantine digest end to end with a real
# centre: reputed on 127.0.0.1 (temp database, a partner key for the provider), repute-filter with
# its feedback listener. "This is spam" by CLI (--report-spam FILE) and by HTTP
# (POST /v1/feedback/spam) files an ARF report that reputed stores, with the reporting user's
# address redacted everywhere and the origin as Source-IP, and trains the token DB as spam;
# "not spam" is refused on an untagged message and trains a tagged one as ham; bad requests,
# a dead centre and a wrong key give clear errors; the SMTP transport hands a valid ARF
# (checked with Python's email parser) to the sendmail command; --digest lists held messages
# per recipient once, then only newer ones.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$REPUTE_SRC/tests/integration/lib/ports.sh"
command -v curl >/dev/null && command -v sqlite3 >/dev/null && command -v jq >/dev/null || { echo "curl/sqlite3/jq missing: skipped"; exit 0; }
read -r HTTP_PORT FB_PORT POL_PORT DEAD_PORT <<<"$(free_ports 4)"
R="$REPUTE_BIN/repute"
F="$REPUTE_BIN/repute-filter"
DB="$T/repute.db"
U="http://127.0.0.1:$HTTP_PORT"
FB="http://127.0.0.1:$FB_PORT"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
cd "$T" || exit 1

KEY=$("$R" key create --db "$DB" --role partner --name prov 2>/dev/null) || fail "key create"
KANA=$("$R" key create --db "$DB" --role analyst --name ana 2>/dev/null) || fail "key create analyst"
printf '[http]\nthreads = 2\n[log]\nlevel = info\n' > reputed.conf
"$REPUTE_BIN/reputed" --config reputed.conf --db "$DB" --http "127.0.0.1:$HTTP_PORT" 2> reputed.log &
pids+=($!)
for _ in $(seq 50); do curl -s "$U/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "$U/healthz" >/dev/null || fail "reputed did not start: $(tail -3 reputed.log)"

# a fake sendmail: records its arguments and the message (SMTP transport, digests)
cat > fake-sendmail <<EOS
#!/bin/sh
n=\$(ls "$T"/sent.*.args 2>/dev/null | wc -l)
echo "\$@" > "$T/sent.\$n.args"
cat > "$T/sent.\$n.eml"
EOS
chmod +x fake-sendmail

cat > spam.eml <<'EOM'
Return-Path: <bounce@spammer.example>
Delivered-To: alice@example.net
Received: from mx.spammer.example (mx.spammer.example [61.135.10.77])
	by mx.example.net (Postfix) with ESMTP id 4AbCdE for <alice@example.net>; Mon, 23 Nov 2026 10:00:00 +0000 (UTC)
From: "Cheap Pills" <offers@spammer.example>
To: Alice <Alice@Example.NET>
Cc: bob@example.net
Subject: Cheap pills, best price
Date: Mon, 23 Nov 2026 09:59:58 +0000
Message-ID: <pills-1@spammer.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Dear alice@example.net, buy cheap pills now at http://pills.example/buy?u=alice%40example.net
Viagra cialis discount pharmacy.
EOM
sed -e 's/pills-1@/pills-2@/' -e 's/alice/carol/g; s/Alice/Carol/g' spam.eml > spam2.eml
cat > ham.eml <<'EOM'
From: Dave <dave@friends.example>
To: alice@example.net
Subject: Lunch on Friday
Date: Mon, 23 Nov 2026 11:00:00 +0000
Message-ID: <lunch@friends.example>

Shall we have lunch on Friday at the usual place?
EOM
{ printf 'X-Spam-Flag: YES\nX-Spam-Status: Yes, score=75\n'; cat ham.eml; } > tagged-ham.eml

"$R" train --db tokens --ham ham.eml > train.log 2>&1 || fail "repute train: $(cat train.log)"
cat > filter.conf <<EOC
[server]
listen = 127.0.0.1:$POL_PORT
log_level = info
[milter]
tokens = $T/tokens
[quarantine]
path = $T/quarantine.db
[feedback]
listen = 127.0.0.1:$FB_PORT
centre_url = $U/v1/reports
api_key = $KEY
report_from = abuse-feedback@example.net
reporting_mta = mx.example.net
sendmail_command = $T/fake-sendmail
timeout = 5s
[digest]
from = quarantine@example.net
sendmail_command = $T/fake-sendmail
release_url = https://mail.example.net/quarantine/release?id={id}
EOC
"$F" --check-config --config filter.conf > check.out 2>&1 || fail "--check-config: $(cat check.out)"
"$F" -n --config filter.conf > filter.log 2>&1 &
FPID=$!
pids+=($FPID)
for _ in $(seq 50); do curl -s -o /dev/null "$FB/" 2>/dev/null && break; sleep 0.1; done
grep -q "feedback listener on 127.0.0.1:$FB_PORT" filter.log || fail "feedback listener not started: $(cat filter.log)"
ok "reputed and repute-filter with its feedback listener started"

# spam_count FILE - sum of the spam counts of a message's tokens in the token DB
spam_count() { "$R" classify --db tokens --tokens "$1" | awk 'NF >= 3 && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ { s += $1 } END { print s + 0 }'; }
before=$(spam_count spam.eml)

# --- CLI: --report-spam FILE --user ADDR ---------------------------------------------------------
out=$("$F" --config filter.conf --report-spam spam.eml --user alice@example.net 2>report.err) || fail "--report-spam: $out"
[[ "$out" =~ reported\ \(centre\ id\ (R[0-9A-Z]+),\ source\ 61\.135\.10\.77 ]] || fail "--report-spam output: $out"
ID=${BASH_REMATCH[1]}
[[ "$out" == *"trained as spam"* ]] || fail "not trained: $out"
ok "--report-spam: reported as $ID with Source-IP 61.135.10.77, trained as spam"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM reports")" = 1 ] || fail "reputed did not store the report"
sqlite3 "$DB" "SELECT raw FROM reports WHERE id = '$ID'" > stored.eml
grep -q 'report-type=feedback-report' stored.eml || fail "stored report is not ARF: $(head -20 stored.eml)"
grep -q '^Feedback-Type: abuse' stored.eml && grep -q '^Source-IP: 61.135.10.77' stored.eml && grep -q '^Version: 1' stored.eml \
	&& grep -q '^User-Agent: repute-filter' stored.eml && grep -q '^Original-Mail-From: <bounce@spammer.example>' stored.eml \
	&& grep -q '^Arrival-Date: Mon, 23 Nov 2026 10:00:00 +0000' stored.eml || fail "feedback-report fields: $(cat stored.eml)"
ok "reputed stored an ARF report (Feedback-Type, Version, User-Agent, Original-Mail-From, Arrival-Date, Source-IP)"
grep -qi 'alice@example.net\|alice%40example.net' stored.eml && fail "user's address not redacted: $(grep -i alice stored.eml)"
[ "$(grep -c 'redacted@redacted.invalid\|redacted%40redacted.invalid' stored.eml)" -ge 4 ] || fail "placeholder missing: $(cat stored.eml)"
grep -q '^Cc: bob@example.net' stored.eml || fail "another recipient was redacted too"
ok "the user's address is redacted in To, Delivered-To, Received for, body and URL (others kept)"
body=$(curl -s -H "Authorization: Bearer $KANA" "$U/v1/reports/$ID")
expect_json "$body" '.origin' '"61.135.10.77"'
expect_json "$body" '.evidence.source' '"arf-original"'
ok "GET /v1/reports/$ID: the centre analysed the attached original (origin 61.135.10.77)"
after=$(spam_count spam.eml)
[ "$after" -gt "$before" ] || fail "token DB not trained as spam: $before -> $after"
ok "token DB trained as spam (spam counts $before -> $after)"

# --- HTTP: POST /v1/feedback/spam --------------------------------------------------------------
code=$(curl -s -o http.out -w '%{http_code}' -H 'Content-Type: message/rfc822' --data-binary @spam2.eml "$FB/v1/feedback/spam?user=carol@example.net")
[ "$code" = 200 ] || fail "POST /v1/feedback/spam: HTTP $code $(cat http.out)"
expect_json "$(cat http.out)" '.ok' 'true'
expect_json "$(cat http.out)" '.result | test("^reported \\(centre id R[0-9A-Z]+, source 61.135.10.77.*trained as spam$")' 'true'
# the same campaign once redacted: reputed may count it as a duplicate of the first
[ "$(sqlite3 "$DB" "SELECT count(*) + sum(dup_count) FROM reports")" = 2 ] || fail "second report not stored"
sqlite3 "$DB" "SELECT raw FROM reports" | grep -qi 'carol@example.net' && fail "HTTP: user's address not redacted"
ok "POST /v1/feedback/spam?user=: reported and redacted"
code=$(curl -s -o http.out -w '%{http_code}' -H 'X-Repute-User: alice@example.net' --data-binary @spam.eml "$FB/v1/feedback/spam")
[ "$code" = 200 ] || fail "X-Repute-User: HTTP $code $(cat http.out)"
ok "the user may also come as X-Repute-User"

# --- not spam ---------------------------------------------------------------------------------
code=$(curl -s -o http.out -w '%{http_code}' --data-binary @ham.eml "$FB/v1/feedback/ham?user=alice@example.net")
[ "$code" = 400 ] || fail "ham on an untagged message: HTTP $code $(cat http.out)"
expect_json "$(cat http.out)" '.error | test("not tagged")' 'true'
code=$(curl -s -o http.out -w '%{http_code}' --data-binary @tagged-ham.eml "$FB/v1/feedback/ham?user=alice@example.net")
[ "$code" = 200 ] || fail "ham on a tagged message: HTTP $code $(cat http.out)"
expect_json "$(cat http.out)" '.result' '"trained as ham"'
out=$("$F" --config filter.conf --report-ham tagged-ham.eml --user alice@example.net 2>report.err) || fail "--report-ham: $out"
[ "$out" = "trained as ham" ] || fail "--report-ham: $out"
[ "$(sqlite3 "$DB" "SELECT count(*) + sum(dup_count) FROM reports")" = 3 ] || fail "not-spam sent a report"
ok "not spam: refused on an untagged message (400), a tagged one trained as ham (HTTP and --report-ham), nothing reported"

# --- bad requests --------------------------------------------------------------------------------
code=$(curl -s -o http.out -w '%{http_code}' --data-binary @spam.eml "$FB/v1/feedback/spam")
[ "$code" = 400 ] && grep -q 'one address' http.out || fail "no user: HTTP $code $(cat http.out)"
code=$(curl -s -o http.out -w '%{http_code}' --data-binary @spam.eml "$FB/v1/feedback/spam?user=not-an-address")
[ "$code" = 400 ] || fail "bad user: HTTP $code"
code=$(curl -s -o http.out -w '%{http_code}' -X POST "$FB/v1/feedback/spam?user=a@example.net")
[ "$code" = 400 ] || fail "empty body: HTTP $code"
code=$(curl -s -o http.out -w '%{http_code}' "$FB/v1/feedback/spam")
[ "$code" = 405 ] || fail "GET: HTTP $code"
code=$(curl -s -o http.out -w '%{http_code}' --data-binary @spam.eml "$FB/v1/other")
[ "$code" = 404 ] || fail "unknown path: HTTP $code"
out=$("$F" --config filter.conf --report-spam nonexistent.eml --user alice@example.net 2>&1); rc=$?
[ "$rc" = 2 ] && [[ "$out" == *"no such file or quarantine id"* ]] || fail "missing file: $rc $out"
ok "no user, a bad user, an empty body (400), GET (405), unknown path (404), missing file refused"
out=$("$F" --config filter.conf --set feedback.api_key=rpk_wrong --report-spam spam.eml --user alice@example.net 2>&1); rc=$?
[ "$rc" = 2 ] && [[ "$out" == *"centre answered HTTP 401"* ]] || fail "wrong key: $rc $out"
out=$("$F" --config filter.conf --set "feedback.centre_url=http://127.0.0.1:$DEAD_PORT/v1/reports" --report-spam spam.eml --user alice@example.net 2>&1); rc=$?
[ "$rc" = 2 ] && [[ "$out" == *"cannot connect"* ]] || fail "dead centre: $rc $out"
ok "a wrong key (HTTP 401) and a dead centre are reported as failures (exit 2)"

# --- SMTP transport ------------------------------------------------------------------------------
out=$("$F" --config filter.conf --set feedback.transport=smtp --set feedback.report_to=report@centre.example \
	--report-spam spam.eml --user alice@example.net 2>&1) || fail "smtp transport: $out"
[ "$(cat sent.0.args)" = "-f abuse-feedback@example.net -- report@centre.example" ] || fail "sendmail args: $(cat sent.0.args)"
grep -qi 'alice@example.net' sent.0.eml && fail "smtp: user's address not redacted"
python3 - sent.0.eml <<'PY' || fail "Python's email parser rejects the ARF report"
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
assert m.get_content_type() == "multipart/report" and m.get_param("report-type") == "feedback-report"
parts = m.get_payload()
assert [p.get_content_type() for p in parts] == ["text/plain", "message/feedback-report", "message/rfc822"]
orig = parts[2].get_payload()[0]
assert orig["Message-ID"] == "<pills-1@spammer.example>", orig["Message-ID"]
assert "redacted@redacted.invalid" in orig["To"], orig["To"]
PY
ok "SMTP transport: a valid ARF report (Python's email parser) to report_to through the sendmail command"
rm -f sent.*

# --- quarantine digest ---------------------------------------------------------------------------
"$F" --config filter.conf --quarantine-list all > /dev/null || fail "quarantine create"
now=$(date +%s)
sqlite3 quarantine.db "INSERT INTO messages (id, received, sender, client, subject, reason, score, size, body) VALUES
  (1, $now - 3600, 'offers@spammer.example', '61.135.10.77', 'Cheap pills', 'content score 97 >= 90', 97, 100, 'x'),
  (2, $now - 60, 'news@shop.example', '203.0.113.5', 'Your invoice', 'content score 91 >= 90', 91, 100, 'x'),
  (3, $now - 30, 'x@spammer.example', '61.135.10.77', 'Hi', 'content score 99 >= 90', 99, 100, 'x');
  INSERT INTO recipients VALUES (1, 'alice@example.net'), (2, 'alice@example.net'), (2, 'bob@example.net'), (3, 'bob@example.net');" \
	|| fail "quarantine rows"
out=$("$F" --config filter.conf --digest --to alice@example.net 2>&1) || fail "--digest --to: $out"
[ "$out" = "digest sent to alice@example.net: 2 messages" ] || fail "--digest --to: $out"
[ "$(cat sent.0.args)" = "-f quarantine@example.net -- alice@example.net" ] || fail "digest args: $(cat sent.0.args)"
grep -q '^Subject: Quarantine digest: 2 messages held for you' sent.0.eml && grep -q '<offers@spammer.example>' sent.0.eml \
	&& grep -q 'Subject: Your invoice' sent.0.eml && grep -q 'content score 97 >= 90 (score 97)' sent.0.eml \
	&& grep -q 'Release: https://mail.example.net/quarantine/release?id=2' sent.0.eml \
	&& grep -q 'lawful mail is sometimes held by mistake' sent.0.eml || fail "digest text: $(cat sent.0.eml)"
ok "--digest --to: one message lists sender, subject, date, reason, score, release link, the mistake warning"
out=$("$F" --config filter.conf --digest 2>&1) || fail "--digest: $out"
[ "$out" = "digest sent to bob@example.net: 2 messages" ] || fail "--digest after alice's: $out"
out=$("$F" --config filter.conf --digest 2>&1) || fail "--digest again: $out"
[[ "$out" == "no recipient has messages held"* ]] || fail "--digest repeated: $out"
sqlite3 quarantine.db "INSERT INTO messages (id, received, sender, client, subject, reason, score, size, body) VALUES
  (4, $now, 'late@spammer.example', '198.51.100.24', 'Late', 'content score 95 >= 90', 95, 100, 'x');
  INSERT INTO recipients VALUES (4, 'alice@example.net');"
out=$("$F" --config filter.conf --set digest.release_url= --digest 2>&1) || fail "--digest new: $out"
[ "$out" = "digest sent to alice@example.net: 1 message" ] || fail "--digest with one new: $out"
last=$(ls sent.*.eml | sort -t. -k2 -n | tail -1)
grep -q 'late@spammer.example' "$last" && ! grep -q 'offers@spammer.example' "$last" \
	&& grep -q 'Release: repute-filter --quarantine-release 4' "$last" || fail "second digest: $(cat "$last")"
[ "$(sqlite3 quarantine.db "SELECT last_id FROM digests WHERE rcpt = 'alice@example.net'")" = 4 ] || fail "digest not recorded"
kill -TERM "$FPID"; wait "$FPID"; rc=$?
[ "$rc" = 0 ] && ! grep -q 'Sanitizer\|runtime error' filter.log || fail "repute-filter stop: status $rc: $(tail -20 filter.log)"
grep -q 'feedback=spam user=carol@example.net reported' filter.log || fail "HTTP feedback not logged"
ok "--digest: each recipient once, then only newer messages; the release command without a URL; recorded in the quarantine DB; SIGTERM stops the listener cleanly"
done_ok
