#!/usr/bin/env bash
# listing_publish.sh - reports in, listings out, served by a real repute-dns: keys for five
# reporters and an analyst, a certified provider network whitelisted with the CLI, reputed and
# repute-dns on 127.0.0.1 high ports. Checks with dig that a source reported by three
# reporters answers 127.0.0.2 with a TXT, that in a /24 only the spamming addresses are listed
# (no range), that the provider's address is never listed (a case instead), that a
# self-service delisting changes the DNS answer within seconds (measured), that a repeat
# request with new evidence becomes a case, manual listings by API and CLI (127.0.0.5), the
# rbldnsd export served by the real rbldnsd, the BIND file, and the fairness figures.
set -u
. "$(dirname "$0")/lib/common.sh"

R="$REPUTE_BIN/repute"
D="$REPUTE_BIN/reputed"
DNS="$REPUTE_BIN/repute-dns"
S="$REPUTE_SRC/samples/01-spam-forged-chain.eml"
DB="$T/repute.db"
Z="$T/zones"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HPORT=$(free_port); DPORT=$(free_port); RPORT=$(free_port)
U="http://127.0.0.1:$HPORT"
PID=; DPID=; RPID=
cleanup() { for p in $PID $DPID $RPID; do kill -9 "$p" 2>/dev/null; done; true; }
trap cleanup EXIT

q() { dig +time=1 +tries=1 +short -p "$DPORT" @127.0.0.1 "$@" 2>/dev/null; }
# wait_answer NAME WANT SECONDS - poll the A record until it is WANT ("" = no answer); prints ms.
wait_answer() {
  local t0 t1 got
  t0=$(date +%s%N)
  while :; do
    got=$(q "$1" A)
    [ "$got" = "$2" ] && break
    t1=$(date +%s%N)
    [ $(( (t1 - t0) / 1000000 )) -gt $(( $3 * 1000 )) ] && fail "$1: answer \"$got\", want \"$2\" within $3 s"
    sleep 0.05
  done
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 ))
}
# report KEY IP N - the sample spam with origin IP (Message-ID made unique by IP and N).
report() {
  sed -e "s/61\.135\.10\.77/$2/g" -e "s/<20261123001358.77@/<$2.$3@/" "$S" |
    curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" -H 'Content-Type: message/rfc822' \
      --data-binary @- "$U/v1/reports"
}
post() { # post PATH JSON [KEY] - sets CODE, BODY
  local auth=()
  [ -n "${3:-}" ] && auth=(-H "Authorization: Bearer $3")
  CODE=$(curl -s -o "$T/body" -w '%{http_code}' "${auth[@]}" -H 'Content-Type: application/json' -d "$2" "$U$1")
  BODY=$(cat "$T/body")
}

# keys and the provider registry (before the daemon: the CLI writes the database directly)
for i in 1 2 3 4 5; do
  K[$i]=$("$R" key create --db "$DB" --name "isp$i" --role reporter 2>/dev/null) || fail "key create isp$i"
done
ANA=$("$R" key create --db "$DB" --name "ana" --role analyst 2>/dev/null) || fail "key create ana"
"$R" whitelist --db "$DB" --provider BigMail --contact abuse@bigmail.example --network 61.135.10.0/24 \
  --reason "certified sender" > /dev/null || fail "repute whitelist"
"$R" whitelist --db "$DB" --provider BigMail --reason x > /dev/null 2>&1 && fail "whitelist without entry accepted"
ok "keys for five reporters and an analyst; provider network whitelisted by the CLI"

cat > "$T/reputed.conf" <<EOF
[http]
threads = 4
[limits]
rate_anonymous = 1000
burst_anonymous = 1000
[listing]
scan_interval = 1s
[publish]
dir = $Z
zone_ip = bl.repute.test
zone_domain = dbl.repute.test
zone_phone = pbl.repute.test
zone_white = wl.repute.test
txt_url = $U/v1/listings/
ttl = 1
dns_pidfile = $T/dns.pid
EOF
"$D" --config "$T/reputed.conf" --db "$DB" --http "127.0.0.1:$HPORT" > "$T/reputed.log" 2>&1 &
PID=$!
for i in $(seq 1 100); do [ -f "$Z/wl.repute.test.snap" ] && curl -sf "$U/healthz" >/dev/null && break; sleep 0.1; done
[ -f "$Z/bl.repute.test.snap" ] || fail "no snapshot published at start: $(cat "$T/reputed.log")"
ok "reputed publishes the four zones at start"

"$DNS" -n -b "127.0.0.1/$DPORT" -p "$T/dns.pid" --threads 1 --snapshot "$Z/bl.repute.test.snap" \
  --snapshot "$Z/dbl.repute.test.snap" --snapshot "$Z/pbl.repute.test.snap" --snapshot "$Z/wl.repute.test.snap" \
  > "$T/dns.log" 2>&1 &
DPID=$!
for i in $(seq 1 50); do [ "$(q 77.10.135.61.wl.repute.test A)" = 127.0.10.1 ] && break; sleep 0.1; done
[ "$(q 77.10.135.61.wl.repute.test A)" = 127.0.10.1 ] || fail "whitelist zone: $(cat "$T/dns.log")"
[ -z "$(q 1.1.1.62.bl.repute.test A)" ] || fail "listed before any report"
ok "repute-dns serves the snapshots; the provider answers 127.0.10.1 in the whitelist zone"

# one source, three reporters: listed for spam reports
[ "$(report "${K[1]}" 62.1.1.1 1)" = 201 ] || fail "report"
report "${K[2]}" 62.1.1.1 1 > /dev/null
sleep 1.5
[ -z "$(q 1.1.1.62.bl.repute.test A)" ] || fail "listed with two reporters"
ok "two reporters: not listed"
report "${K[3]}" 62.1.1.1 1 > /dev/null
ms=$(wait_answer 1.1.1.62.bl.repute.test 127.0.0.2 5)
ok "third reporter: 62.1.1.1 answers 127.0.0.2 after $ms ms"
txt=$(q 1.1.1.62.bl.repute.test TXT)
case $txt in *"spam reports since"*"/v1/listings/62.1.1.1"*) ;; *) fail "TXT: $txt" ;; esac
ok "TXT names the reason and the lookup URL: $txt"
curl -s "$U/v1/listings/62.1.1.1" > "$T/l.json"
expect_json "$(cat "$T/l.json")" '[.reason, .code, (.evidence | test("3 reporters"))]' '["reports","127.0.0.2",true]'
ok "GET /v1/listings/62.1.1.1 shows the evidence"
[ "$(q watches-outlet.top.dbl.repute.test A)" = 127.0.0.2 ] || fail "domain zone"
[ "$(q www.watches-outlet.top.dbl.repute.test A)" = 127.0.0.2 ] || fail "domain zone subdomain"
[ -z "$(q deals-4u-shop.com.dbl.repute.test A)" ] || fail "the From domain (not a source) listed"
ok "the spam's URL domain answers 127.0.0.2 in the domain zone (and its subdomains)"
[ "$(q 0.0.0.8.3.1.0.0.8.3.1.6.8.pbl.repute.test A)" = 127.0.0.2 ] || fail "phone zone"
ok "the phone number in the spam answers 127.0.0.2 in the phone zone (reversed digits)"

# the provider's own address, reported by all five: never listed, a case instead
for i in 1 2 3 4 5; do report "${K[$i]}" 61.135.10.77 1 > /dev/null; done
sleep 2
[ -z "$(q 77.10.135.61.bl.repute.test A)" ] || fail "whitelisted provider listed"
grep -q 'ip4=61.135.10.77 action=case' "$T/reputed.log" || fail "no case logged for the provider"
ok "whitelisted provider network reported by five: not listed, logged as a case"

# a /24 where three addresses spam and two were reported once: only the three
for ip in 62.3.3.5 62.3.3.6 62.3.3.7; do for i in 1 2 3; do report "${K[$i]}" $ip 1 > /dev/null; done; done
report "${K[4]}" 62.3.3.8 1 > /dev/null
report "${K[5]}" 62.3.3.9 1 > /dev/null
wait_answer 7.3.3.62.bl.repute.test 127.0.0.2 5 > /dev/null
for ip in 5 6 7; do [ "$(q $ip.3.3.62.bl.repute.test A)" = 127.0.0.2 ] || fail "62.3.3.$ip not listed"; done
for ip in 1 8 9 200; do [ -z "$(q $ip.3.3.62.bl.repute.test A)" ] || fail "62.3.3.$ip listed"; done
ok "in 62.3.3.0/24 only .5 .6 .7 are listed; .8 .9 (one reporter each) and the rest are not"

# self-service delisting: immediate, measured at the DNS
post /v1/delist '{"value": "62.1.1.1", "contact": "postmaster@62.example", "reason": "compromised host cleaned"}'
[ "$CODE" = 200 ] || fail "delist: $CODE $BODY"
expect_json "$BODY" '.outcome' '"delisted"'
ms=$(wait_answer 1.1.1.62.bl.repute.test "" 5)
ok "self-service delisting: the DNS answer changed $ms ms after the request"
echo "measured: delisting request to DNS answer change: $ms ms"
post /v1/delist '{"value": "62.1.1.1", "contact": "x@y", "reason": "again"}'
[ "$CODE" = 404 ] || fail "second delist of an unlisted source: $CODE"
post /v1/delist '{"value": "62.1.1.1", "reason": "no contact"}'
[ "$CODE" = 400 ] || fail "delist without contact: $CODE"
expect_json "$BODY" '.error.code' '"missing_field"'
ok "delisting an unlisted source is 404; without a contact 400"

# new evidence after listing: the request becomes an analyst case, the listing stays
sleep 1
report "${K[4]}" 62.3.3.5 2 > /dev/null
sleep 1.5
post /v1/delist '{"value": "62.3.3.5", "contact": "noc@62.example", "reason": "please"}'
[ "$CODE" = 202 ] || fail "delist with new evidence: $CODE $BODY"
expect_json "$BODY" '.outcome' '"case:new-evidence"'
[ "$(q 5.3.3.62.bl.repute.test A)" = 127.0.0.2 ] || fail "62.3.3.5 delisted despite new evidence"
ok "delisting request with new evidence since listing: 202, an analyst case, still listed"

# manual listings: API (analyst only) and CLI
post /v1/listings '{"value": "spam-kit.example.org", "action": "list", "reason": "phishing kit"}' "${K[1]}"
[ "$CODE" = 403 ] || fail "reporter listed by hand: $CODE"
post /v1/listings '{"value": "spam-kit.example.org", "action": "list"}' "$ANA"
[ "$CODE" = 400 ] || fail "manual listing without reason: $CODE"
post /v1/listings '{"value": "spam-kit.example.org", "action": "list", "reason": "phishing kit"}' "$ANA"
[ "$CODE" = 200 ] || fail "manual listing: $CODE $BODY"
wait_answer spam-kit.example.org.dbl.repute.test 127.0.0.5 5 > /dev/null
ok "analyst lists a domain by API: 127.0.0.5 (a reporter key gets 403, no reason 400)"
"$R" list --db "$DB" --reason "snowshoe block seen by hand" 62.9.9.9 > /dev/null || fail "repute list"
ms=$(wait_answer 9.9.9.62.bl.repute.test 127.0.0.5 5)
"$R" delist --db "$DB" --reason "owner called" 62.9.9.9 > /dev/null || fail "repute delist"
wait_answer 9.9.9.62.bl.repute.test "" 5 > /dev/null
"$R" list --db "$DB" 62.9.9.9 > /dev/null 2>&1 && fail "repute list without --reason accepted"
ok "repute list / delist from the CLI reach the running DNS ($ms ms)"

# trap hits from a trap feed: one reporter and two hits list with the trap code
report "${K[5]}" 62.4.4.4 1 > /dev/null
post /v1/evidence '{"value": "62.4.4.4", "type": "trap", "note": "mail to trap t1@traps.example"}' "$ANA"
[ "$CODE" = 201 ] || fail "evidence: $CODE $BODY"
post /v1/evidence '{"value": "62.4.4.4", "type": "trap", "note": "mail to trap t2@traps.example"}' "$ANA"
expect_json "$BODY" '.action' '"listed"'
wait_answer 4.4.4.62.bl.repute.test 127.0.0.3 5 > /dev/null
post /v1/evidence '{"value": "62.4.4.4", "type": "bogus", "note": "x"}' "$ANA"
[ "$CODE" = 400 ] || fail "bad evidence type: $CODE"
ok "one reporter and two trap hits: 62.4.4.4 answers 127.0.0.3"

# the exports: rbldnsd serves the dataset files, the BIND file is a master file
rbldnsd -n -b "127.0.0.1/$RPORT" bl.repute.test:ip4set:"$Z/rbldnsd/bl.repute.test.ip4set" > "$T/rbldnsd.log" 2>&1 &
RPID=$!
for i in $(seq 1 50); do
  got=$(dig +time=1 +tries=1 +short -p "$RPORT" @127.0.0.1 6.3.3.62.bl.repute.test A 2>/dev/null)
  [ "$got" = 127.0.0.2 ] && break; sleep 0.1
done
[ "$got" = 127.0.0.2 ] || fail "rbldnsd on the export: $got $(cat "$T/rbldnsd.log")"
[ -z "$(dig +time=1 +tries=1 +short -p "$RPORT" @127.0.0.1 8.3.3.62.bl.repute.test A)" ] || fail "rbldnsd 62.3.3.8"
kill "$RPID"; RPID=
ok "the real rbldnsd serves the exported ip4set dataset identically"
grep -q '^\$ORIGIN bl.repute.test.' "$Z/bind/bl.repute.test.zone" || fail "BIND file origin"
grep -qP '^6\.3\.3\.62\t1\tIN\tA\t127\.0\.0\.2$' "$Z/bind/bl.repute.test.zone" || fail "BIND file record"
if command -v named-checkzone > /dev/null; then
  named-checkzone -q bl.repute.test "$Z/bind/bl.repute.test.zone" || fail "named-checkzone"
fi
ok "the BIND master file holds the listings"

# the fairness figures
curl -s "$U/v1/stats/listings?days=1" > "$T/stats.json"
S1=$(cat "$T/stats.json")
expect_json "$S1" '.delisting.by_outcome' '{"case:new-evidence":1,"delisted":1}'
expect_json "$S1" '.delisting.published' '1'
expect_json "$S1" '.listed_by_reason.manual' '2'
expect_json "$S1" '.listed_by_reason.trap' '1'
expect_json "$S1" '.ranges.listed' '0'
expect_json "$S1" '[.whitelisted_open_cases[].value]' '["61.135.10.77"]'
expect_json "$S1" '.listed_by_reason.reports >= 4' 'true'
"$R" stats listings --db "$DB" --days 1 > "$T/cli-stats.json" || fail "repute stats listings"
expect_json "$(cat "$T/cli-stats.json")" '.delisting.published' '1'
ok "GET /v1/stats/listings and repute stats listings: by reason, ranges, turnaround, provider cases"
echo "figures: $(jq -c '{turnaround_median_s: .delisting.turnaround_median_s, p95: .delisting.turnaround_p95_s, listed: .listed_by_reason}' "$T/stats.json")"
n=$(sqlite3 "$DB" "SELECT count(*) FROM audit_log WHERE action LIKE 'listing.%' OR action LIKE 'provider.%' OR action = 'delist.request'")
[ "$n" -ge 12 ] || fail "audit records: $n"
ok "every listing change is in the audit log ($n records)"

kill -TERM "$PID"; wait "$PID" || fail "reputed exit"
PID=
kill -TERM "$DPID"; wait "$DPID" 2>/dev/null; DPID=
ok "SIGTERM"
done_ok
