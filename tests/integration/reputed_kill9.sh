#!/usr/bin/env bash
# reputed_kill9.sh - nothing acknowledged is lost: parallel curl clients post distinct
# reports to reputed, the daemon is killed with SIGKILL in the middle of the stream, then
# restarted on the same database; every id that was answered 201 must be there with its raw
# original byte for byte, and the database must pass PRAGMA integrity_check.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$REPUTE_SRC/tests/integration/lib/ports.sh"

R="$REPUTE_BIN/repute"
D="$REPUTE_BIN/reputed"
S="$REPUTE_SRC/samples"
DB="$T/repute.db"
WORKERS=${KILL9_WORKERS:-6}
PORT=$(free_ports 1)
U="http://127.0.0.1:$PORT"
PID=
WPIDS=()

cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  for w in "${WPIDS[@]}"; do kill "$w" 2>/dev/null; done
  true
}
trap cleanup EXIT

# start_daemon - reputed on the test port; waits until it answers.
start_daemon() {
  printf '[limits]\nrate_per_key = 1000000\nburst_per_key = 1000000\n' > "$T/reputed.conf"
  "$D" --config "$T/reputed.conf" --db "$DB" --http "127.0.0.1:$PORT" --log-level warn 2>>"$T/reputed.log" &
  PID=$!
  for _ in $(seq 100); do curl -s "$U/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "reputed did not start"
}

# worker N - post distinct messages until stopped; log "id file" for every 201.
worker() {
  local w=$1 i=0
  mkdir -p "$T/m$w"
  while [ ! -e "$T/stop" ]; do
    i=$((i + 1))
    local f="$T/m$w/$i.eml"
    # a distinct Message-ID and origin address each, so that no two are duplicates
    { printf 'X-Load: worker %s message %s\r\n' "$w" "$i"
      sed -e "s/^Message-ID: <\\(.*\\)>/Message-ID: <k9-$w-$i-\\1>/" \
          -e "s/61\\.135\\.10\\.77/61.$((100 + w)).$((i / 250)).$((i % 250 + 1))/g" "$S/01-spam-forged-chain.eml"; } > "$f"
    code=$(curl -s -o "$T/m$w/$i.out" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $KEY" \
             -H 'Content-Type: message/rfc822' --data-binary @"$f" "$U/v1/reports" 2>/dev/null)
    if [ "$code" = 201 ]; then
      printf '%s %s\n' "$(jq -r .id "$T/m$w/$i.out")" "$f" >> "$T/acks.$w"
    fi
  done
}

KEY=$("$R" key create --db "$DB" --role reporter --name loader 2>/dev/null) || fail "key create"
start_daemon
for w in $(seq "$WORKERS"); do
  worker "$w" &
  WPIDS+=($!)
done
# let acknowledgements accumulate, then kill in mid-stream
for _ in $(seq 300); do
  n=$(cat "$T"/acks.* 2>/dev/null | wc -l)
  [ "$n" -ge "${KILL9_MIN_ACKS:-150}" ] && break
  sleep 0.1
done
kill -9 "$PID"
wait "$PID" 2>/dev/null
PID=
touch "$T/stop"
for w in "${WPIDS[@]}"; do wait "$w" 2>/dev/null; done
WPIDS=()
cat "$T"/acks.* > "$T/acked" 2>/dev/null
ACKED=$(wc -l < "$T/acked")
[ "$ACKED" -ge 20 ] || fail "only $ACKED reports acknowledged before the kill"
ok "load with $WORKERS clients, SIGKILL after $ACKED acknowledgements"

start_daemon
[ "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok ] || fail "integrity check after kill -9"
python3 - "$DB" "$T/acked" <<'EOF' || fail "acknowledged reports missing or changed"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
missing = changed = 0
for line in open(sys.argv[2]):
    rid, path = line.split()
    row = db.execute("SELECT raw, raw_len FROM reports WHERE id = ?", (rid,)).fetchone()
    if row is None:
        missing += 1
        print("missing", rid, file=sys.stderr)
    elif row[0] != open(path, "rb").read() or row[1] != len(row[0]):
        changed += 1
        print("changed", rid, file=sys.stderr)
sys.exit(1 if missing or changed else 0)
EOF
STORED=$(sqlite3 "$DB" 'SELECT count(*) FROM reports')
ok "after restart: all $ACKED acknowledged reports present and intact ($STORED stored)"

# the restarted daemon serves them and keeps accepting
ID=$(head -1 "$T/acked" | cut -d' ' -f1)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "$U/v1/reports/$ID")
[ "$code" = 200 ] || fail "GET acknowledged report after restart: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" -H 'Content-Type: message/rfc822' \
         --data-binary @"$S/02-chinese-gb2312.eml" "$U/v1/reports")
[ "$code" = 201 ] || [ "$code" = 200 ] || fail "POST after restart: $code"
ok "restarted daemon serves old reports and accepts new ones"

# SIGTERM under load: in-flight reports finish, everything acknowledged is there, exit 0
rm -f "$T"/acks.* "$T/stop"
for w in $(seq "$WORKERS"); do
  worker "$((w + 100))" &
  WPIDS+=($!)
done
for _ in $(seq 300); do
  n=$(cat "$T"/acks.* 2>/dev/null | wc -l)
  [ "$n" -ge 60 ] && break
  sleep 0.1
done
kill -TERM "$PID"
wait "$PID" || fail "exit status $? after SIGTERM under load"
PID=
touch "$T/stop"
for w in "${WPIDS[@]}"; do wait "$w" 2>/dev/null; done
WPIDS=()
cat "$T"/acks.* > "$T/acked2"
ACKED2=$(wc -l < "$T/acked2")
python3 - "$DB" "$T/acked2" <<'EOF2' || fail "acknowledged reports missing after SIGTERM"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
bad = [l.split()[0] for l in open(sys.argv[2])
       if db.execute("SELECT raw FROM reports WHERE id = ?", (l.split()[0],)).fetchone() != (open(l.split()[1], "rb").read(),)]
print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
EOF2
ok "SIGTERM under load: exit 0, all $ACKED2 acknowledged reports present and intact"
done_ok
