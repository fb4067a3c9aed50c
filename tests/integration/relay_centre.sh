#!/usr/bin/env bash
# relay_centre.sh - the centre's relay scanner (reputed [relay], src/reputed/rd_relay.c) against
# a real Postfix on 127.0.0.1 configured as an open relay (mynetworks = 127.0.0.0/8). Reports
# name public origins (62.1.1.1, 62.2.2.2); relay.test_connect sends every scan to the local
# Postfix instead, so nothing leaves the machine. Proves: a report's origin is scanned once,
# found open, stored as evidence, listed with 127.0.0.4 (GET /v1/listings and the rbldnsd
# export), audited, shown by GET /v1/relays; a second report within relay.interval does not
# scan again; an opted-out network is never scanned (no connection reaches Postfix) and an
# analyst cannot force it; private targets are refused; after Postfix is reconfigured closed,
# an analyst's re-scan finds it closed and the relay listing ends (and leaves the zone);
# scans follow relay.scans_per_hour; the last-scan time survives a restart; nothing is ever queued by Postfix; reputed stops cleanly.
# Needs postfix, openssl, jq, curl and root; skipped (exit 0) without Postfix.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$REPUTE_SRC/tests/integration/lib/ports.sh"
. "$REPUTE_SRC/tests/integration/lib/postfix.sh"
pf_require
cd "$T" || exit 1

R="$REPUTE_BIN/repute"
D="$REPUTE_BIN/reputed"
S="$REPUTE_SRC/samples/01-spam-forged-chain.eml"
DB="$T/repute.db"
Z="$T/zones"
read -r PORT SUB HPORT <<<"$(free_ports 3)"
U="http://127.0.0.1:$HPORT"
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; pf_stop_all; }
trap cleanup EXIT

pf_init
pf_instance open "$PORT" "$SUB" "permit_mynetworks, reject_unauth_destination" 127.0.0.0/8 \
	permit_mynetworks,reject_unauth_destination
ML=$PFROOT/open/maillog
ok "Postfix $(postconf -c "$PFROOT/open/etc" -h mail_version) open relay on 127.0.0.1:$PORT"

K=$("$R" key create --db "$DB" --name isp1 --role reporter 2>/dev/null) || fail "key create"
K2=$("$R" key create --db "$DB" --name isp2 --role reporter 2>/dev/null) || fail "key create isp2"
ANA=$("$R" key create --db "$DB" --name ana --role analyst 2>/dev/null) || fail "key create analyst"
printf '# networks that asked not to be scanned\n62.2.2.0/24  # opted out\n' > optout.txt
cat > reputed.conf <<EOF
[limits]
rate_anonymous = 1000
burst_anonymous = 1000
[listing]
scan_interval = 1s
[publish]
dir = $Z
zone_ip = bl.repute.test
zone_domain =
zone_phone =
zone_white =
ttl = 1
[relay]
enable = yes
interval = 7d
scans_per_hour = 1800
connect_rate = 20
optout = $T/optout.txt
timeout = 10s
port = $PORT
helo = scanner.test.example
outside = outside.example
local_domain = test.example
test_connect = 127.0.0.1
EOF
"$D" --config reputed.conf --db "$DB" --http "127.0.0.1:$HPORT" > reputed.log 2>&1 &
PID=$!
for i in $(seq 1 100); do curl -sf "$U/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$U/healthz" >/dev/null || fail "reputed did not start: $(cat reputed.log)"
ok "reputed with [relay] enabled (opt-out 62.2.2.0/24)"

# report IP N [KEY] - the sample spam with origin IP, unique Message-ID.
report() {
	local key=${3:-$K}
	sed -e "s/61\.135\.10\.77/$1/g" -e "s/<20261123001358.77@/<$1.$2@/" "$S" |
		curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" -H 'Content-Type: message/rfc822' \
			--data-binary @- "$U/v1/reports"
}
# relays [QUERY] - GET /v1/relays as the analyst.
relays() { curl -s -H "Authorization: Bearer $ANA" "$U/v1/relays${1:-}"; }
# wait_for FILTER SECONDS - poll GET /v1/relays until jq -e FILTER holds.
wait_for() {
	for i in $(seq 1 $(($2 * 10))); do relays | jq -e "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
	fail "GET /v1/relays never matched $1: $(relays | head -c 2000)"
}
post() { # post PATH JSON [KEY] - sets CODE, BODY
	CODE=$(curl -s -o body -w '%{http_code}' -H "Authorization: Bearer ${3:-$ANA}" -H 'Content-Type: application/json' \
		-d "$2" "$U$1")
	BODY=$(cat body)
}
connects() { grep -c 'postfix/smtpd.*connect from' "$ML" 2>/dev/null || true; }

[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $K" "$U/v1/relays")" = 403 ] || fail "reporter read /v1/relays"
ok "GET /v1/relays is for analysts (403 for a reporter)"

[ "$(report 62.1.1.1 1)" = 201 ] || fail "report 62.1.1.1 not stored"
wait_for '.findings[] | select(.address == "62.1.1.1" and .verdict == "open")' 60
F=$(relays '?address=62.1.1.1')
expect_json "$F" '.findings[0] | [.port, .action, .relayed >= 18, (.relayed_tests | test("smtp/percent-hack"))]' \
	"[$PORT,\"listed\",true,true]"
expect_json "$F" '.findings[0].transcript | test("C: RCPT TO:<relaytest@outside.example>")' 'true'
expect_json "$F" '[.scans, .open]' '[1,1]'
ok "report origin 62.1.1.1 scanned: open relay, $(jq '.findings[0].relayed' <<<"$F") of $(jq '.findings[0].tests' <<<"$F") tests relayed, listed"

L=$(curl -s "$U/v1/listings/62.1.1.1")
expect_json "$L" '[.reason, .code, (.evidence | test("open relay"))]' '["relay","127.0.0.4",true]'
[ "$(jq '.expires_at - .listed_at' <<<"$L")" -ge $((13 * 86400)) ] || fail "relay listing expiry: $L"
for i in $(seq 1 50); do grep -q '^62\.1\.1\.1\b.*127\.0\.0\.4' "$Z/rbldnsd/bl.repute.test.ip4set" 2>/dev/null && break; sleep 0.1; done
grep -q '^62\.1\.1\.1\b.*127\.0\.0\.4' "$Z/rbldnsd/bl.repute.test.ip4set" || fail "not in the rbldnsd export: $(cat "$Z/rbldnsd/bl.repute.test.ip4set")"
ok "62.1.1.1 listed for the relay: 127.0.0.4 in GET /v1/listings and in the rbldnsd export (until re-scan, $(jq '(.expires_at - .listed_at) / 86400' <<<"$L") days max)"

A=$(curl -s -H "Authorization: Bearer $ANA" "$U/v1/audit?object=relay:62.1.1.1")
expect_json "$A" '.audit[0] | [.actor, .action, (.reason | test("verdict=open.*action=listed"))]' '["relay-scanner","relay.scan",true]'
ok "the scan is audited (relay.scan, object relay:62.1.1.1)"

# per-target interval: a second report does not scan again
c0=$(connects)
[ "$(report 62.1.1.1 2 "$K2")" = 201 ] || fail "second report (another reporter) not stored"
wait_for '.skipped_recent >= 1' 10
sleep 1
expect_json "$(relays)" '.scans' '1'
[ "$(connects)" -eq "$c0" ] || fail "a connection reached Postfix for a recently scanned address"
ok "second report of 62.1.1.1 within relay.interval: not scanned again"

# opt-out: never scanned, not even on request
c0=$(connects)
[ "$(report 62.2.2.2 1)" = 201 ] || fail "report 62.2.2.2 not stored"
wait_for '.skipped_optout >= 1' 10
post /v1/relays '{"value": "62.2.2.9"}'
[ "$CODE" = 409 ] || fail "forced scan of an opted-out address: $CODE $BODY"
sleep 1.5
expect_json "$(relays)" '[.scans, ([.findings[] | select(.address | startswith("62.2.2."))] | length)]' '[1,0]'
[ "$(connects)" -eq "$c0" ] || fail "a connection reached Postfix for an opted-out address"
grep -q 'relay: ip=62.2.2.2 skipped: opted out' reputed.log || fail "opt-out not logged"
ok "opted-out 62.2.2.2 never scanned: no connection reached Postfix, forced scan refused (409)"
echo '62.4.4.0/24' >> optout.txt
post /v1/relays '{"value": "62.4.4.4"}'
[ "$CODE" = 409 ] || fail "opt-out file change not seen: $CODE $BODY"
ok "an opt-out added to the file while running applies at once (409)"

post /v1/relays '{"value": "127.0.0.1"}'
[ "$CODE" = 400 ] && grep -q loopback body || fail "private target accepted: $CODE $BODY"
post /v1/relays '{"value": "62.1.1.1"}' "$K"
[ "$CODE" = 403 ] || fail "reporter requested a scan: $CODE"
ok "private targets refused without relay.allow_private (400); reporters cannot request scans (403)"

# the relay is closed: an analyst's re-scan ends the listing
pf_set open mynetworks=10.255.255.254/32
post /v1/relays '{"value": "62.1.1.1"}'
[ "$CODE" = 202 ] || fail "re-scan request: $CODE $BODY"
post /v1/relays '{"value": "62.3.3.3"}'
[ "$CODE" = 202 ] || fail "scan request: $CODE $BODY"
wait_for '.findings[] | select(.address == "62.1.1.1" and .verdict == "closed")' 60
wait_for '.findings[] | select(.address == "62.3.3.3" and .verdict == "closed")' 60
gap=$(relays | jq '[.findings[] | select(.address == "62.1.1.1" or .address == "62.3.3.3") | .scanned_at] | max - min')
[ "$gap" -ge 2 ] || fail "two scans requested together started $gap s apart (scans_per_hour 1800: >= 2)"
expect_json "$(relays '?address=62.1.1.1')" '.findings[0] | [.action, .relayed, .refused > 0]' '["delisted",0,true]'
[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/v1/listings/62.1.1.1")" = 404 ] || fail "still listed after the closed re-scan"
for i in $(seq 1 50); do grep -q '^62\.1\.1\.1\b' "$Z/rbldnsd/bl.repute.test.ip4set" || break; sleep 0.1; done
grep -q '^62\.1\.1\.1\b' "$Z/rbldnsd/bl.repute.test.ip4set" && fail "still in the rbldnsd export"
expect_json "$(relays)" '[.scans, .open, .closed]' '[3,1,2]'
ok "after Postfix is closed, the re-scan finds it closed: relay listing ended, gone from the zone"
ok "two scans requested together started $gap s apart (scans_per_hour = 1800)"

# the last-scan time survives a restart (it is read back from the audit log)
kill -TERM "$PID"
wait "$PID" || fail "reputed exit status $?: $(tail -20 reputed.log)"
PID=
"$D" --config reputed.conf --db "$DB" --http "127.0.0.1:$HPORT" > reputed2.log 2>&1 &
PID=$!
for i in $(seq 1 100); do curl -sf "$U/healthz" >/dev/null && break; sleep 0.1; done
c0=$(connects)
K3=$("$R" key create --db "$DB" --name isp3 --role reporter 2>/dev/null) || fail "key create isp3"
[ "$(report 62.1.1.1 3 "$K3")" = 201 ] || fail "report after restart not stored"
wait_for '.skipped_recent >= 1' 10
sleep 1
expect_json "$(relays)" '[.scans, .queued]' '[0,0]'
[ "$(connects)" -eq "$c0" ] || fail "a connection reached Postfix after the restart"
ok "after a restart, a new report of 62.1.1.1 is not scanned again within relay.interval"

q=$(postqueue -c "$PFROOT/open/etc" -p 2>&1)
printf '%s' "$q" | grep -q 'Mail queue is empty' || fail "Postfix queue not empty: $q"
grep -Eq 'message-id=|status=' "$ML" && fail "a message was queued: $(grep -E 'message-id=|status=' "$ML" | head -3)"
ok "nothing queued or delivered by Postfix ($(connects) connections in all)"

kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
[ "$rc" -eq 0 ] || fail "reputed exit status $rc: $(tail -20 reputed.log)"
ok "reputed stopped cleanly"
done_ok
