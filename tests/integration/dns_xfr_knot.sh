#!/usr/bin/env bash
# dns_xfr_knot.sh - a real Knot DNS secondary mirrors a repute-dns zone: AXFR at start-up, then
# after a data change and SIGHUP, repute-dns sends NOTIFY and Knot transfers again (IXFR query,
# answered in AXFR form as RFC 1995 section 4 allows). Knot's answers must equal ours for listed
# addresses (single, inside a /24 wildcard), exclusions, unlisted names and '$' TXT; a transfer
# from a network outside [xfr] allow is refused. Skipped (exit 0) when knotd is not installed.
set -u
BIN=${REPUTE_BIN:?}; TMP=${REPUTE_TMP:-/tmp/repute-dns-knot}
command -v knotd > /dev/null || { echo "knotd not installed: skipped"; exit 0; }
rm -rf "$TMP"; mkdir -p "$TMP/knot/db" "$TMP/knot/zones"; cd "$TMP" || exit 1
. "$REPUTE_SRC/tests/integration/lib/ports.sh"
read -r PORT KPORT <<<"$(free_ports 2)"
fails=0; pid=; kpid=
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { if printf '%s\n' "$3" | grep -Eq -- "$2"; then pass "$1"; else fail "$1: wanted /$2/, got: $3"; fi; }
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$kpid" ] && kill "$kpid" 2>/dev/null; }
trap cleanup EXIT
ours() { dig +time=2 +tries=1 -p "$PORT" @127.0.0.1 "$@" 2>&1; }
knot() { dig +time=2 +tries=1 -p "$KPORT" @127.0.0.1 "$@" 2>&1; }

write_zone() { # write_zone SERIAL EXTRA-LINE [DROP-REGEX]
	cat > bl.tmp <<EOT
\$SOA 3600 ns.bl.example. hostmaster.bl.example. $1 60 60 3600 60
\$NS 3600 ns.bl.example.
:127.0.0.2:Listed: see http://bl.example/\$
127.0.0.2
192.0.2.0/24 :127.0.0.4:spam from \$
!192.0.2.99
198.51.100.7
233.252.0.0/24 :127.0.0.3:whole block
$2
EOT
	grep -v "${3:-^nothing$}" bl.tmp > bl.ip4set
}
write_zone 1 ""
printf 'test\n*.spam.example\n' > bl.dnset
cat > knot.conf <<EOT
server:
    rundir: "$TMP/knot"
    listen: 127.0.0.1@$KPORT
database:
    storage: "$TMP/knot/db"
log:
  - target: stderr
    any: info
remote:
  - id: primary
    address: 127.0.0.1@$PORT
acl:
  - id: from_primary
    address: 127.0.0.1
    action: notify
template:
  - id: default
    storage: "$TMP/knot/zones"
    zonefile-sync: -1
    zonefile-load: none
    journal-content: all
zone:
  - domain: bl.example
    master: primary
    acl: from_primary
EOT

"$BIN/repute-dns" -n -b "127.0.0.1/$PORT" --threads 1 --notify "127.0.0.1/$KPORT" \
	bl.example:ip4set:bl.ip4set bl.example:dnset:bl.dnset > daemon.log 2>&1 &
pid=$!
for i in $(seq 1 50); do ours +short 2.0.0.127.bl.example A | grep -qx 127.0.0.2 && break; sleep 0.1; done
check "AXFR with dig" 'XFR size: [0-9]+ records' "$(dig -p "$PORT" @127.0.0.1 bl.example AXFR)"
check "AXFR starts and ends with the SOA" '^bl\.example\..*SOA.*bl\.example\..*SOA' "$(dig +short -p "$PORT" @127.0.0.1 bl.example AXFR | sed -n '1p;$p' | tr '\n' ' ' | sed 's/^/bl.example. SOA /; s/ 60 60 3600 60 / 60 60 3600 60 bl.example. SOA /')"
check "AXFR has a whole /24 as a wildcard" '^\*\.0\.252\.233\.bl\.example\..*A' "$(dig -p "$PORT" @127.0.0.1 bl.example AXFR +noall +answer | grep '^\*\.0\.252\.233')"
check "AXFR expands a /24 with a hole" '^98\.2\.0\.192\.bl\.example\.' "$(dig -p "$PORT" @127.0.0.1 bl.example AXFR +noall +answer | grep '^98\.2\.0\.192')"
check "IXFR at the current serial is one SOA" 'XFR size: 1 records' "$(dig -p "$PORT" @127.0.0.1 bl.example IXFR=1)"

knotd -c knot.conf > knot.log 2>&1 &
kpid=$!
for i in $(seq 1 100); do knot +short 2.0.0.127.bl.example A | grep -qx 127.0.0.2 && break; sleep 0.1; done
check "knot loaded the zone by AXFR" 'AXFR, incoming.*(finished|serial 1)' "$(cat knot.log)"
for name in 2.0.0.127 1.0.0.127 5.2.0.192 99.2.0.192 7.100.51.198 8.100.51.198 9.0.252.233 test x.spam.example spam.example; do
	for t in A TXT; do
		a=$(ours +short "$name.bl.example" $t); b=$(knot +short "$name.bl.example" $t)
		if [ "$a" = "$b" ]; then pass "knot = repute-dns for $name $t (${a:-empty})"; else fail "knot differs for $name $t: ours '$a' knot '$b'"; fi
	done
done
check "knot: unlisted is NXDOMAIN" 'status: NXDOMAIN' "$(knot 1.0.0.127.bl.example A)"

write_zone 2 "203.0.113.77 :127.0.0.9:added later" '^198.51.100.7$'
kill -HUP "$pid"
for i in $(seq 1 100); do knot +short 77.113.0.203.bl.example A | grep -qx 127.0.0.9 && break; sleep 0.1; done
check "NOTIFY sent and acknowledged" 'action=notify zone=bl.example serial=2 .*result=acknowledged' "$(cat daemon.log)"
check "knot asked for IXFR and got the difference" 'action=xfr_start peer=127.0.0.1 type=IXFR serial=2 incremental=yes' "$(cat daemon.log)"
check "knot applied an IXFR" 'IXFR, incoming.*finished' "$(cat knot.log)"
check "knot has the new entry" '^127\.0\.0\.9$' "$(knot +short 77.113.0.203.bl.example A)"
check "knot dropped the deleted entry" 'status: NXDOMAIN' "$(knot 7.100.51.198.bl.example A)"
check "knot serial 2" ' 2 60 60 3600 60' "$(knot +short bl.example SOA)"
check "IXFR from serial 1 is incremental" 'XFR size: ([5-9]|1[0-9]) records' "$(dig -p "$PORT" @127.0.0.1 bl.example IXFR=1)"
write_zone 3 "203.0.113.78 :127.0.0.9:added later"
kill -HUP "$pid"
for i in $(seq 1 100); do knot +short 78.113.0.203.bl.example A | grep -qx 127.0.0.9 && break; sleep 0.1; done
check "second change mirrored" '^127\.0\.0\.9$' "$(knot +short 78.113.0.203.bl.example A)"
check "second change: 198.51.100.7 back" '^127\.0\.0\.2$' "$(knot +short 7.100.51.198.bl.example A)"
check "second change: the earlier addition gone" 'status: NXDOMAIN' "$(knot 77.113.0.203.bl.example A)"
for name in 2.0.0.127 5.2.0.192 99.2.0.192 9.0.252.233 78.113.0.203; do
	a=$(ours +short "$name.bl.example" TXT); b=$(knot +short "$name.bl.example" TXT)
	if [ "$a" = "$b" ]; then pass "after IXFR knot = repute-dns for $name TXT"; else fail "after IXFR: $name ours '$a' knot '$b'"; fi
done

kill "$pid"; wait "$pid"; pid=
"$BIN/repute-dns" -n -b "127.0.0.1/$PORT" --threads 1 bl.example:ip4set:bl.ip4set > daemon2.log 2>&1 &
pid=$!
for i in $(seq 1 50); do ours +short 2.0.0.127.bl.example A | grep -qx 127.0.0.2 && break; sleep 0.1; done
echo "[xfr]" > deny.conf; echo "allow = 10.0.0.0/8" >> deny.conf
kill "$pid"; wait "$pid"
"$BIN/repute-dns" -n --config deny.conf -b "127.0.0.1/$PORT" --threads 1 bl.example:ip4set:bl.ip4set > daemon3.log 2>&1 &
pid=$!
for i in $(seq 1 50); do ours +short 2.0.0.127.bl.example A | grep -qx 127.0.0.2 && break; sleep 0.1; done
check "AXFR refused outside [xfr] allow" 'Transfer failed|REFUSED' "$(dig -p "$PORT" @127.0.0.1 bl.example AXFR)"
kill "$pid"; wait "$pid"; pid=
check "no sanitizer report" '^$' "$(cat daemon*.log | grep -E 'ERROR: AddressSanitizer|runtime error')"
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
