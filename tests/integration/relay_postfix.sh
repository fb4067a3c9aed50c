#!/usr/bin/env bash
# relay_postfix.sh - `repute scan-relay` against two real Postfix instances on 127.0.0.1, each
# with its own config, queue and data directories, smtpd on high ports and STARTTLS with a
# throw-away self-signed certificate: OPEN (permit_mynetworks, reject_unauth_destination with
# mynetworks = 127.0.0.0/8, the classic mistake; Postfix refuses a bare "permit") and CLOSED
# (the same restrictions, mynetworks not covering the scanner). Each also runs a "submission"
# service on a second port (open: as above; closed: permit_sasl_authenticated,reject without
# any SASL). Proves: the scanner finds OPEN open (exit 1) and CLOSED closed (exit 0), plain,
# after STARTTLS and on submission; every verdict agrees with Postfix's own log (one reject
# line per refused test, none on OPEN); nothing is ever queued and no DATA is sent; private
# targets are refused without --allow-private; --rate spaces the connections. Postfix is
# stopped on any exit.
# Needs the Debian packages postfix and openssl and root; skipped (exit 0) without them.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$REPUTE_SRC/tests/integration/lib/postfix.sh"
pf_require
cd "$T" || exit 1
. "$REPUTE_SRC/tests/integration/lib/ports.sh"
read -r OPEN_PORT OPEN_SUB CLOSED_PORT CLOSED_SUB <<<"$(free_ports 4)"
pf_init
trap pf_stop_all EXIT
SCAN="$REPUTE_BIN/repute scan-relay --allow-private --local-domain test.example --outside outside.example --helo scanner.test.example --timeout 10"

# (master.cf -o values must not contain spaces)
pf_instance open "$OPEN_PORT" "$OPEN_SUB" "permit_mynetworks, reject_unauth_destination" 127.0.0.0/8 \
	permit_mynetworks,reject_unauth_destination
pf_instance closed "$CLOSED_PORT" "$CLOSED_SUB" "permit_mynetworks, reject_unauth_destination" 10.255.255.254/32 \
	permit_sasl_authenticated,reject
ok "two Postfix $(postconf -c "$PFROOT/open/etc" -h mail_version) instances: open on $OPEN_PORT/$OPEN_SUB, closed on $CLOSED_PORT/$CLOSED_SUB"

$REPUTE_BIN/repute scan-relay "127.0.0.1:$CLOSED_PORT" > private.out 2> private.err
rc=$?
[ "$rc" -eq 2 ] && grep -q 'loopback range' private.err || fail "loopback target without --allow-private: status $rc $(cat private.err)"
[ ! -s private.out ] || fail "output for a refused target"
ok "127.0.0.1 refused without --allow-private (exit 2), no connection made"

# jq_count FILE FILTER - the number of tests matching FILTER.
jq_count() { jq "[.tests[] | select($2)] | length" "$1"; }

# scan NAME PORT SUBPORT WANT_EXIT - run the scanner (JSON) and check its exit status.
scan() {
	$SCAN --starttls --submission="$3" --rate 20 --json "127.0.0.1:$2" > "scan.$1.json" 2> "scan.$1.err"
	local rc=$?
	[ "$rc" -eq "$4" ] || fail "scan $1: exit $rc, want $4: $(cat "scan.$1.err"; head -c 3000 "scan.$1.json")"
	jq -e . "scan.$1.json" > /dev/null || fail "scan $1: bad JSON"
}
scan closed "$CLOSED_PORT" "$CLOSED_SUB" 0
scan open "$OPEN_PORT" "$OPEN_SUB" 1
n=$(jq '.tests | length' scan.open.json)
phases=$(jq -r '[.tests[].phase] | unique | join(",")' scan.open.json)
[ "$phases" = "smtp,starttls,submission" ] || fail "phases run: $phases"
expect_json "$(cat scan.open.json)" '[.starttls_offered, .starttls_tested]' '[true,true]'
expect_json "$(cat scan.closed.json)" '[.starttls_offered, .starttls_tested]' '[true,true]'
ok "STARTTLS offered and tested on both; $n tests per instance over $phases"

# every outside test relayed on OPEN, refused on CLOSED; the local control accepted on both
# (except closed submission, where everything without AUTH is refused)
for name in open closed; do
	f=scan.$name.json
	[ "$(jq_count "$f" '.verdict == "error"')" -eq 0 ] || fail "$name: errors: $(jq -c '[.tests[] | select(.verdict == "error") | [.phase, .name, .transcript]]' "$f")"
	jq -r '.tests[].transcript' "$f" | grep -q '^C: DATA' && fail "$name: DATA in a transcript"
done
bad=$(jq -c '[.tests[] | select(.outside and .verdict != "relayed") | [.phase, .name, .code]]' scan.open.json)
[ "$bad" = "[]" ] || fail "open relay: outside tests not relayed: $bad"
bad=$(jq -c '[.tests[] | select(.outside and .verdict != "refused") | [.phase, .name, .code, .rcpt_to]]' scan.closed.json)
[ "$bad" = "[]" ] || fail "closed server: false relay verdicts: $bad"
expect_json "$(cat scan.open.json)" '[.tests[] | select(.outside | not) | .verdict] | unique' '["accepted"]'
expect_json "$(cat scan.closed.json)" '[.tests[] | select(.outside | not) | [.phase, .verdict]]' \
	'[["smtp","accepted"],["starttls","accepted"],["submission","refused"]]'
expect_json "$(cat scan.open.json)" '.open_relay' 'true'
expect_json "$(cat scan.closed.json)" '.open_relay' 'false'
ok "open instance: $(jq '.relayed' scan.open.json) of $(jq_count scan.open.json '.outside') outside tests relayed (exit 1)"
ok "closed instance: all $(jq_count scan.closed.json .outside) outside tests refused, none relayed (exit 0)"
for v in percent-hack bang-path quoted source-route percent-literal null-sender uppercase; do
	jq -e --arg v "$v" '[.tests[] | select(.name == $v)] | length == 3' scan.closed.json > /dev/null || fail "variation $v missing"
done
ok "variations covered: $(jq -r '[.tests[] | select(.phase == "smtp") | .name] | join(" ")' scan.closed.json)"

# cross-check with Postfix's own log: one reject per refused RCPT/MAIL, none on OPEN
sleep 1
rej_closed=$(grep -c 'NOQUEUE: reject: \(RCPT\|MAIL\)' "$PFROOT/closed/maillog")
[ "$rej_closed" -eq "$(jq '[.tests[] | select(.verdict == "refused")] | length' scan.closed.json)" ] \
	|| fail "closed: Postfix logged $rej_closed rejects, scanner refused $(jq '.refused' scan.closed.json): $(grep reject "$PFROOT/closed/maillog" | head -3)"
grep -q 'Relay access denied' "$PFROOT/closed/maillog" || fail "no 'Relay access denied' logged"
[ "$(grep -c 'NOQUEUE: reject' "$PFROOT/open/maillog")" -eq 0 ] || fail "open instance logged rejects: $(grep reject "$PFROOT/open/maillog" | head -3)"
[ "$(grep -c 'STARTTLS\|TLS connection established' "$PFROOT/closed/maillog")" -gt 0 ] || fail "no TLS session in the log"
ok "verdicts agree with Postfix's log ($rej_closed rejects on closed, 0 on open)"

# nothing queued, nothing delivered, no message ever entered cleanup
for name in open closed; do
	d=$PFROOT/$name
	q=$(postqueue -c "$d/etc" -p 2>&1)
	printf '%s' "$q" | grep -q 'Mail queue is empty' || fail "$name queue not empty: $q"
	files=$(find "$d/spool/incoming" "$d/spool/active" "$d/spool/deferred" "$d/spool/hold" "$d/spool/maildrop" -type f 2>/dev/null | wc -l)
	[ "$files" -eq 0 ] || fail "$name: $files queue files"
	pat='message-id=|status=|postfix/(qmgr|discard|local|smtp|pickup)\['
	grep -Eq "$pat" "$d/maillog" && fail "$name: a message was queued or delivered: $(grep -E "$pat" "$d/maillog" | head -3)"
done
ok "both queues empty, no message-id/status/qmgr/delivery lines in either maillog: nothing queued for outside.example"

# text output and the rate limit: --rate 2 spaces connections by >= 0.5 s
start=$(date +%s%N)
$SCAN --rate 2 "127.0.0.1:$CLOSED_PORT" > text.out 2> text.err || fail "text scan: $(cat text.err)"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
conns=$(sed -n 's/.*error(s), \([0-9]*\) connection(s)$/\1/p' text.out)
[ -n "$conns" ] && [ "$conns" -ge 3 ] || fail "connections: $(tail -2 text.out)"
min=$(( (conns - 1) * 500 ))
[ "$ms" -ge "$min" ] || fail "--rate 2: $conns connections in $ms ms (< $min)"
grep -q '^smtp  *percent-hack  *refused  *554  MAIL FROM:<postmaster@test.example> RCPT TO:<relaytest%outside.example@test.example>$' text.out \
	|| fail "text line: $(grep percent-hack text.out)"
grep -q '^    S: 554 5.7.1 <relaytest%outside.example@test.example>: Relay access denied$' text.out || fail "transcript missing"
tail -1 text.out | grep -q '^no relay found$' || fail "text summary: $(tail -1 text.out)"
ok "--rate 2: $conns connections took $ms ms (>= $min); text output has verdict lines and transcripts"

for d in "$PFROOT"/open "$PFROOT"/closed; do
	"$POSTFIX" -c "$d/etc" stop > pfstop.log 2>&1 || fail "postfix stop: $(cat pfstop.log)"
done
ok "both Postfix instances stopped"
done_ok
