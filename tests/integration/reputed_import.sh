#!/usr/bin/env bash
# reputed_import.sh - `repute import` of an mbox (with mboxrd ">From " escapes and a message
# that is not mail), a Maildir (cur/ and new/) and ARF files, into a database directly
# (--db: counted summary, rejections with their reason, duplicates on a second run, channel
# "import", the unescaped bytes stored) and through a running reputed (--url --key: the same
# counts over HTTP, a wrong key refused). Then privacy (issue 5): a reporter reading its own
# report gets the evidence with its recipients' addresses redacted, an analyst the original.
# The progress bar appears on a terminal (script) and not in a pipe.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/ports.sh"

R="$REPUTE_BIN/repute"
D="$REPUTE_BIN/reputed"
S="$REPUTE_SRC/samples"
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; true; }
trap cleanup EXIT

# --- inputs -------------------------------------------------------------------------------
MB="$T/in.mbox"
for f in "$S/01-spam-forged-chain.eml" "$S/02-chinese-gb2312.eml" "$S/04-forwarded-attachment.eml"; do
  echo "From MAILER-DAEMON Mon Nov 23 00:00:00 2026"; sed 's/^\(>*From \)/>\1/' "$f"; echo
done > "$MB"
{ echo "From someone Mon Nov 23 00:00:01 2026"; printf 'Subject: escaped\nMessage-ID: <esc1@spam.example>\nFrom: a@spam.example\nTo: victim@isp.example\n\n'
  printf '>From the body, escaped\nbody http://escape-test.example/x\n\n'
  echo "From nobody Mon Nov 23 00:00:02 2026"; printf 'this is not mail at all\n\n'; } >> "$MB"
mkdir -p "$T/md/cur" "$T/md/new" "$T/md/tmp" "$T/arf"
cp "$S/01-spam-forged-chain.eml" "$T/md/cur/1:2,S"; cp "$S/02-chinese-gb2312.eml" "$T/md/new/2"
printf 'garbage' > "$T/md/tmp/ignored"
cp "$S/03-arf-report.eml" "$T/arf/a.eml"

# --- --db ---------------------------------------------------------------------------------
DB="$T/direct.db"
OUT=$("$R" import --format mbox --db "$DB" "$MB" 2>"$T/err") || fail "mbox import: $(cat "$T/err")"
echo "$OUT" | grep -q '^5 messages: 4 accepted, 0 duplicates, 1 rejected$' || fail "mbox summary: $OUT"
echo "$OUT" | grep -q '^  rejected 1: not a mail message: line 1 is not a header field' || fail "mbox reason: $OUT"
[ ! -s "$T/err" ] || fail "progress bar in a pipe: $(cat "$T/err")"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM reports WHERE channel = 'import'")" = 4 ] || fail "import channel"
sqlite3 "$DB" "SELECT CAST(raw AS TEXT) FROM reports WHERE message_id = '<esc1@spam.example>'" | grep -q '^From the body, escaped$' \
  || fail ">From not unescaped"
sqlite3 "$DB" "SELECT CAST(raw AS TEXT) FROM reports" | grep -q '^From MAILER-DAEMON' && fail "separator line stored"
ok "import --format mbox --db: 4 accepted, 1 rejected with its reason, >From unescaped, channel import"

OUT=$("$R" import --format mbox --db "$DB" "$MB" 2>&1) || fail "second mbox import"
echo "$OUT" | grep -q '^5 messages: 0 accepted, 4 duplicates, 1 rejected$' || fail "second run: $OUT"
OUT=$("$R" import --format maildir --db "$DB" --reporter other-desk "$T/md" 2>&1) || fail "maildir import: $OUT"
echo "$OUT" | grep -q '^2 messages: 2 accepted, 0 duplicates, 0 rejected$' || fail "maildir summary: $OUT"
OUT=$("$R" import --format arf --db "$DB" --reporter arf-desk "$T/arf" 2>&1) || fail "arf import: $OUT"
echo "$OUT" | grep -q '^1 messages: 1 accepted' || fail "arf summary: $OUT"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM reporters WHERE name IN ('import', 'other-desk')")" = 2 ] || fail "reporters"
ok "second run all duplicates; Maildir cur+new (tmp ignored) under --reporter; ARF directory"

"$R" import --format tar --db "$DB" "$MB" >/dev/null 2>&1; [ $? = 2 ] || fail "bad format not a usage error"
"$R" import --format mbox --url http://127.0.0.1:1 "$MB" >/dev/null 2>&1; [ $? = 2 ] || fail "--url without --key"
"$R" import --format mbox --db "$DB" "$T/missing" >/dev/null 2>&1; [ $? = 1 ] || fail "missing file not exit 1"
ok "usage errors exit 2, a missing file exits 1"

# progress bar on a terminal
if command -v script >/dev/null; then
  script -qec "$R import --format maildir --db $T/tty.db $T/md" /dev/null > "$T/tty.out" 2>&1 || true
  grep -q 'importing \[########################################\] 2/2' "$T/tty.out" || fail "no progress bar on a tty: $(cat "$T/tty.out")"
  ok "progress bar on a terminal"
fi

# --- --url through reputed ----------------------------------------------------------------
read -r HP <<<"$(free_ports 1)"
HDB="$T/centre.db"
KA=$("$R" key create --db "$HDB" --role reporter --name desk 2>/dev/null) || fail "key create"
KN=$("$R" key create --db "$HDB" --role analyst --name ana 2>/dev/null) || fail "key create analyst"
"$D" --db "$HDB" --http "127.0.0.1:$HP" 2>"$T/reputed.log" &
PID=$!
for _ in $(seq 100); do curl -s "http://127.0.0.1:$HP/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
OUT=$("$R" import --format mbox --url "http://127.0.0.1:$HP" --key "$KA" "$MB" 2>&1) || fail "url import: $OUT"
echo "$OUT" | grep -q '^5 messages: 4 accepted, 0 duplicates, 1 rejected$' || fail "url summary: $OUT"
echo "$OUT" | grep -q '^  rejected 1: not a mail message' || fail "url reason: $OUT"
[ "$(sqlite3 "$HDB" "SELECT count(*) FROM reports WHERE channel = 'http'")" = 4 ] || fail "reports over HTTP"
OUT=$("$R" import --format mbox --url "http://127.0.0.1:$HP/" --key "$KA" "$MB" 2>&1) || fail "url import 2: $OUT"
echo "$OUT" | grep -q '^5 messages: 0 accepted, 4 duplicates, 1 rejected$' || fail "url second run: $OUT"
"$R" import --format mbox --url "http://127.0.0.1:$HP" --key rpk_wrong "$MB" > "$T/bad.out" 2>&1; [ $? = 1 ] || fail "wrong key"
grep -q 'HTTP 401' "$T/bad.out" || fail "wrong key message: $(cat "$T/bad.out")"
ok "import --url: 4 accepted over HTTP, then 4 duplicates; a wrong key stops with HTTP 401"

# --- privacy: evidence redacted for non-analysts -----------------------------------------
ID=$(sqlite3 "$HDB" "SELECT id FROM reports WHERE message_id = '<20261123001358.77@bulk-sender.net>'")
[ -n "$ID" ] || fail "sample report id"
OWN=$(curl -s -H "Authorization: Bearer $KA" "http://127.0.0.1:$HP/v1/reports/$ID")
ANA=$(curl -s -H "Authorization: Bearer $KN" "http://127.0.0.1:$HP/v1/reports/$ID")
printf '%s' "$ANA" | grep -q 'li.wei@provider.cn' || fail "analyst view lost the address"
printf '%s' "$OWN" | grep -qi 'li.wei@provider.cn' && fail "reporter view still has the address"
expect_json "$OWN" '[.evidence.received[] | .for | select(. != null)] | unique' '["redacted@redacted.invalid"]'
expect_json "$OWN" '.evidence.origin.ip' '"61.135.10.77"'
ok "GET /v1/reports/{id}: recipients redacted for the reporter, original for the analyst"

kill -TERM "$PID"; wait "$PID" || fail "reputed exit status"
PID=
done_ok
