#!/usr/bin/env bash
# dns_rfc5782.sh - drive the real repute-dns over UDP and TCP (IPv4 and IPv6 loopback) with dig:
# RFC 5782 test points for IPv4, IPv6 and domain lists, A/TXT with '$' substitution, SOA and NS
# at the apex, NXDOMAIN/NODATA with the SOA, REFUSED (outside the zones, class CH, AXFR), EDNS0
# and BADVERS, TC and the TCP retry, malformed packets (FORMERR or dropped, never a crash), a
# snapshot compiled by `repute zone compile`, /metrics, SIGHUP reload under query load without a
# lost query, and a clean SIGTERM.
set -u
BIN=${REPUTE_BIN:?}; TMP=${REPUTE_TMP:-/tmp/repute-dns-it}
rm -rf "$TMP"; mkdir -p "$TMP"; cd "$TMP" || exit 1
. "$REPUTE_SRC/tests/integration/lib/ports.sh"
read -r PORT MPORT <<<"$(free_ports 2)"
fails=0; pid=
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { # check NAME EXPECTED-REGEX ACTUAL
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then pass "$1"; else fail "$1: wanted /$2/, got: $3"; fi
}
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; }
trap cleanup EXIT
q() { dig +time=2 +tries=1 -p "$PORT" @127.0.0.1 "$@" 2>&1; }
rev6() { python3 -c 'import ipaddress,sys; print(ipaddress.ip_address(sys.argv[1]).reverse_pointer[:-9])' "$1"; }
BAD6=$(rev6 2001:db8:bad::1)

long=$(printf 'x%.0s' $(seq 1 700))
cat > bl.ip4set <<EOT
\$SOA 3600 ns.bl.example. hostmaster.bl.example. 2026112301 3600 600 86400 60
\$NS 3600 ns1.bl.example. ns2.bl.example.
:127.0.0.2:Listed, see http://bl.example/lookup?ip=\$
127.0.0.2
192.0.2.0/24 :127.0.0.4:spam source \$
!192.0.2.99
198.51.100.7
10.9.9.9 :127.0.0.10:$long
bad.line.here
EOT
cat > bl.ip6trie <<'EOT'
:127.0.0.2:IPv6 listed $
::ffff:7f00:2
2001:db8:bad::/48
EOT
cat > bl.dnset <<'EOT'
:127.0.0.2:domain listed: $
test
*.spam.example
EOT
cat > bl.generic <<'EOT'
@ TXT "bl.example: a test DNSBL"
EOT
printf '127.0.0.2\n203.0.113.9 :127.0.0.3:from snapshot\n' > snap.ip4set
printf '$SOA 600 ns.snap.example. root.snap.example. 0 600 60 3600 30\n' > snap.soa

if ! "$BIN/repute" zone compile --zone snap.example --out snap.zone --serial 77 ip4set:snap.soa,snap.ip4set; then
	fail "repute zone compile"
fi
"$BIN/repute-dns" -n -b "127.0.0.1/$PORT" -b "::1/$PORT" --threads 2 --metrics "127.0.0.1/$MPORT" \
	--snapshot snap.zone bl.example:ip4set:bl.ip4set bl.example:ip6trie:bl.ip6trie \
	bl.example:dnset:bl.dnset bl.example:generic:bl.generic > daemon.log 2>&1 &
pid=$!
for i in $(seq 1 50); do q +short 2.0.0.127.bl.example A | grep -qx 127.0.0.2 && break; sleep 0.1; done
check "bad dataset line warned with file:line" 'file=bl.ip4set line=9' "$(cat daemon.log)"

for tr in "" "+tcp"; do
	t=${tr:-udp}
	check "$t ipv4 test point A" '^127\.0\.0\.2$' "$(q $tr +short 2.0.0.127.bl.example A)"
	check "$t ipv4 test point TXT" '"Listed, see http://bl.example/lookup\?ip=127\.0\.0\.2"' "$(q $tr +short 2.0.0.127.bl.example TXT)"
	r=$(q $tr 1.0.0.127.bl.example A)
	check "$t 127.0.0.1 NXDOMAIN" 'status: NXDOMAIN' "$r"
	check "$t NXDOMAIN carries SOA" 'bl\.example\.[[:space:]]+60[[:space:]]+IN[[:space:]]+SOA' "$r"
	check "$t ipv6 test point" '^127\.0\.0\.2$' "$(q $tr +short 2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.example A)"
	check "$t ipv6 ::ffff:7f00:1 NXDOMAIN" 'status: NXDOMAIN' "$(q $tr 1.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.example A)"
	check "$t domain test point" '^127\.0\.0\.2$' "$(q $tr +short test.bl.example A)"
	check "$t domain invalid NXDOMAIN" 'status: NXDOMAIN' "$(q $tr invalid.bl.example A)"
	check "$t ANY returns A and TXT" 'IN[[:space:]]+TXT.*' "$(q $tr 5.2.0.192.bl.example ANY)"
done
check "reason code by entry" '^127\.0\.0\.4$' "$(q +short 5.2.0.192.bl.example A)"
check "TXT substitution per entry" '"spam source 192\.0\.2\.5"' "$(q +short 5.2.0.192.bl.example TXT)"
check "exclusion inside a range" 'status: NXDOMAIN' "$(q 99.2.0.192.bl.example A)"
check "ipv6 prefix" '^127\.0\.0\.2$' "$(q +short "$BAD6.bl.example" A)"
check "ipv6 TXT substitution" '"IPv6 listed 2001:db8:bad::1"' "$(q +short "$BAD6.bl.example" TXT)"
check "dnset wildcard" '^127\.0\.0\.2$' "$(q +short a.b.spam.example.bl.example A)"
check "dnset wildcard excludes base" 'status: NXDOMAIN' "$(q spam.example.bl.example A)"
check "dnset TXT subject is the domain" '"domain listed: a\.spam\.example"' "$(q +short a.spam.example.bl.example TXT)"
r=$(q bl.example SOA)
check "apex SOA" 'status: NOERROR.*|2026112301 3600 600 86400 60' "$r"
check "apex SOA authoritative" 'flags: qr aa' "$r"
check "apex SOA serial" '2026112301 3600 600 86400 60' "$r"
check "apex NS" 'ns1\.bl\.example\.' "$(q +short bl.example NS)"
check "apex NS both" 'ns2\.bl\.example\.' "$(q +short bl.example NS)"
check "apex generic TXT" '"bl\.example: a test DNSBL"' "$(q +short bl.example TXT)"
r=$(q 2.0.0.127.bl.example AAAA)
check "NODATA is NOERROR" 'status: NOERROR' "$r"
check "NODATA has no answer" 'ANSWER: 0, AUTHORITY: 1' "$r"
check "outside the zones REFUSED" 'status: REFUSED' "$(q www.example.org A)"
check "recursion question REFUSED" 'status: REFUSED' "$(q +rec example.com A)"
check "class CH REFUSED" 'status: REFUSED' "$(q -c CH 2.0.0.127.bl.example TXT)"
check "AXFR over TCP from loopback" 'XFR size: [0-9]+ records' "$(q bl.example AXFR)"
check "AXFR of a name below the apex refused" 'Transfer failed|REFUSED' "$(q 2.0.0.127.bl.example AXFR)"
check "EDNS0 echoed" 'EDNS: version: 0, flags:; udp: 1232' "$(q +edns=0 2.0.0.127.bl.example A)"
check "EDNS version 1 BADVERS" 'status: BADVERS' "$(q +edns=1 +noednsneg 2.0.0.127.bl.example A)"
check "no EDNS, no OPT" 'ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 0' "$(q +noedns 2.0.0.127.bl.example A)"
check "long TXT truncated over UDP" 'flags: qr aa tc' "$(q +noedns +ignore 9.9.9.10.bl.example TXT)"
check "long TXT complete after TCP retry" 'xxxxxxxxxx' "$(q +noedns 9.9.9.10.bl.example TXT)"
check "long TXT fits with EDNS 4096" 'flags: qr aa rd;' "$(q +bufsize=4096 +ignore 9.9.9.10.bl.example TXT)"
check "ipv6 transport UDP" '^127\.0\.0\.2$' "$(dig +short -p "$PORT" @::1 2.0.0.127.bl.example A)"
check "ipv6 transport TCP" '^127\.0\.0\.2$' "$(dig +short +tcp -p "$PORT" @::1 2.0.0.127.bl.example A)"
check "snapshot zone listed" '^127\.0\.0\.3$' "$(q +short 9.113.0.203.snap.example A)"
check "snapshot zone serial" '77 600 60 3600 30' "$(q +short snap.example SOA)"
check "snapshot zone NXDOMAIN" 'status: NXDOMAIN' "$(q 1.0.0.127.snap.example A)"
check "0x20 case kept in question" '2\.0\.0\.127\.BL\.eXample\.' "$(q 2.0.0.127.BL.eXample A)"

# malformed packets: FORMERR or silence, and the server keeps answering
python3 - "$PORT" > malformed.txt <<'PY'
import socket, struct, sys
port = int(sys.argv[1])
def ask(pkt):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
    s.sendto(pkt, ("127.0.0.1", port))
    try:
        r = s.recv(4096); return "rcode=%d" % (r[3] & 15) if len(r) >= 12 else "short"
    except socket.timeout:
        return "dropped"
hdr = lambda qd, ar=0: struct.pack(">HHHHHH", 0x4242, 0, qd, 0, 0, ar)
q = b"\x012\x010\x010\x03127\x02bl\x07example\x00\x00\x01\x00\x01"
cases = {
    "truncated header": b"\x42\x42\x00",
    "truncated question": hdr(1) + q[:7],
    "qdcount 0": hdr(0),
    "qdcount 2": hdr(2) + q + q,
    "compression loop": hdr(1) + b"\x01a\xc0\x0c\x00\x01\x00\x01",
    "pointer to itself": hdr(1) + b"\xc0\x0c\x00\x01\x00\x01",
    "class 0": hdr(1) + q[:-2] + b"\x00\x00",
    "oversized name": hdr(1) + (b"\x3f" + b"a" * 63) * 5 + b"\x00\x00\x01\x00\x01",
    "garbage after question": hdr(1) + q + b"\xde\xad\xbe\xef",
    "response bit": struct.pack(">HHHHHH", 1, 0x8000, 1, 0, 0, 0) + q,
    "random bytes": bytes(range(200, 256)) * 3,
    "oversized packet": hdr(1) + q + b"\x00" * 1400,
    "AXFR over UDP": hdr(1) + q[:-4] + b"\x00\xfc\x00\x01",
}
for name, pkt in cases.items():
    print(name, ask(pkt))
PY
while read -r line; do
	case "$line" in
	"truncated header dropped"|"response bit dropped"|*rcode=1|"random bytes dropped"|"random bytes rcode=4"|"oversized packet dropped"|"AXFR over UDP rcode=5") pass "malformed: $line" ;;
	*) fail "malformed: $line" ;;
	esac
done < malformed.txt
check "alive after malformed packets" '^127\.0\.0\.2$' "$(q +short 2.0.0.127.bl.example A)"

# reload under load: no lost query, new data visible, serial reported
if command -v dnsperf > /dev/null; then
	for i in $(seq 1 2000); do echo "$((i % 250)).2.0.192.bl.example A"; echo "2.0.0.127.bl.example TXT"; done > queries.txt
	dnsperf -s 127.0.0.1 -p "$PORT" -d queries.txt -l 4 -c 2 -q 20 -t 2 > dnsperf.txt 2>&1 &
	perf_pid=$!
	sleep 1; echo "203.0.113.50 :127.0.0.9:added" >> bl.ip4set; kill -HUP "$pid"; sleep 1; kill -HUP "$pid"
	wait "$perf_pid"
	check "reload under load: queries completed" 'Queries completed: +[1-9]' "$(cat dnsperf.txt)"
	check "reload under load: none lost" 'Queries lost: +0 ' "$(cat dnsperf.txt)"
else
	echo "203.0.113.50 :127.0.0.9:added" >> bl.ip4set; kill -HUP "$pid"; sleep 1; kill -HUP "$pid"; sleep 1
fi
check "reloaded data visible" '^127\.0\.0\.9$' "$(q +short 50.113.0.203.bl.example A)"
m=$(curl -s "http://127.0.0.1:$MPORT/metrics")
check "metrics: reloads" 'repute_dns_reloads_total 2' "$m"
check "metrics: queries" 'repute_dns_queries_total [1-9]' "$m"
check "metrics: rcodes" 'repute_dns_responses_total\{rcode="NXDOMAIN"\} [1-9]' "$m"
check "metrics: serials" 'repute_dns_zone_serial\{zone="snap.example"\} 77' "$m"
check "reload logged" 'action=reload result=ok' "$(cat daemon.log)"

kill -TERM "$pid"
for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then fail "SIGTERM stops the server"; else wait "$pid"; check "SIGTERM exit status" '^0$' "$?"; fi
pid=
check "no sanitizer report" '^$' "$(grep -E 'ERROR: AddressSanitizer|runtime error' daemon.log)"
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
