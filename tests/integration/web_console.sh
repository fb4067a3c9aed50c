#!/usr/bin/env bash
# web_console.sh - the web console in a real browser: headless Debian chromium driven by
# playwright-core (tests/integration/web/console.mjs) against reputed on 127.0.0.1 with a
# temporary database. playwright-core and axe-core are installed from npm into a cache
# (~/.cache/repute/web-test, or $REPUTE_WEB_NODE) the first time. Screenshots and axe
# results are left in $REPUTE_TMP/shots. Needs chromium, node, npm, curl.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$REPUTE_SRC/tests/integration/lib/ports.sh"

R="$REPUTE_BIN/repute"
D="$REPUTE_BIN/reputed"
DB="$T/repute.db"
PORT=$(free_ports 1)
PID=
NODE_DIR=${REPUTE_WEB_NODE:-$HOME/.cache/repute/web-test}
PKGS="playwright-core@1.65.1 axe-core@4.14.1"

cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; true; }
trap cleanup EXIT

[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing (apt-get install chromium)"
mkdir -p "$NODE_DIR" "$T/shots"
if [ ! -f "$NODE_DIR/node_modules/playwright-core/package.json" ] || [ ! -f "$NODE_DIR/node_modules/axe-core/axe.min.js" ]; then
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --prefix . $PKGS >"$T/npm.log" 2>&1) || fail "npm install: $(tail -5 "$T/npm.log")"
fi
ok "playwright-core and axe-core in $NODE_DIR"

printf 'analyst-pw-1\n' | "$R" user create --db "$DB" --name ana --role analyst 2>/dev/null || fail "user create"
cat > "$T/reputed.conf" <<CONF
[http]
threads = 8
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
for _ in $(seq 100); do curl -s "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -s "http://127.0.0.1:$PORT/healthz" >/dev/null || fail "reputed did not start: $(tail -5 "$T/reputed.log")"

# a source listed by reports: the same SMS sender from three reporters' keys
LISTED=+8613899990000
for who in r1 r2 r3; do
  KEY=$("$R" key create --db "$DB" --role reporter --name "$who" 2>/dev/null) || fail "key $who"
  curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d "{\"sender\":\"$LISTED\",\"text\":\"$who: prize waiting, call now http://prize-$who.example.net/\"}" \
    "http://127.0.0.1:$PORT/v1/reports" | grep -q 201 || fail "report from $who"
done
for _ in $(seq 50); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v1/listings/%2B${LISTED#+}")" = 200 ] && break
  sleep 0.2
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v1/listings/%2B${LISTED#+}")" = 200 ] \
  || fail "$LISTED not listed after three reporters: $(tail -3 "$T/reputed.log")"
ok "$LISTED reported by three reporters (listed by the listing thread)"

EML="$REPUTE_SRC/samples/01-spam-forged-chain.eml" EML2="$REPUTE_SRC/samples/02-chinese-gb2312.eml" \
BASE="http://127.0.0.1:$PORT" LISTED="$LISTED" SHOTS="$T/shots" PROFILE="$T/profile" NODE_DIR="$NODE_DIR" ANALYST=ana ANALYST_PW=analyst-pw-1 \
  timeout 240 node "$REPUTE_SRC/tests/integration/web/console.mjs" || fail "browser test (screenshots in $T/shots)"
ok "browser flows passed; screenshots: $(ls "$T/shots" | grep -c png) in $T/shots"

kill "$PID"; wait "$PID"; rc=$?; PID=
[ "$rc" = 0 ] || fail "reputed exit $rc: $(tail -5 "$T/reputed.log")"
done_ok
