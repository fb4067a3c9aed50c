#!/usr/bin/env bash
# filter_policy.sh - drive the real repute-filter policy service over TCP with a local
# authoritative DNSBL/DNSWL server (rbldnsd on 127.0.0.1) and a static SPF record file:
# a listed client is rejected with our text (list, reason, delisting URL), a whitelisted one
# passes even with a forged sender, SPF fail/softfail/pass handled per policy, a dead DNSBL
# server (a UDP socket that never answers, added by SIGHUP reload) does not stall the answer,
# rate limits defer, malformed and oversized requests get a clear DEFER_IF_PERMIT and the
# connection goes on, pipelined requests are answered in order, the stats request, SIGTERM.
set -u
. "$(dirname "$0")/lib/common.sh"
command -v rbldnsd >/dev/null || command -v /usr/sbin/rbldnsd >/dev/null || { echo "rbldnsd missing: skipped"; exit 0; }
RBLDNSD=$(command -v rbldnsd || echo /usr/sbin/rbldnsd)
cd "$T" || exit 1
chmod 755 "$T"
. "$REPUTE_SRC/tests/integration/lib/ports.sh"
read -r DNS_PORT POL_PORT DEAD_PORT <<<"$(free_ports 3)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

# client.py PORT NANSWERS - send stdin, print NANSWERS answers (each ends with an empty line).
cat > client.py <<'PY'
import socket, sys, time
port, want = int(sys.argv[1]), int(sys.argv[2])
data = sys.stdin.buffer.read()
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(data)
buf = b""
while buf.count(b"\n\n") < want:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
s.close()
sys.stdout.write(buf.decode("latin-1"))
PY
# ask CLIENT SENDER [HELO] - one RCPT request, prints the answer line.
ask() {
	printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=%s\nclient_name=unknown\nhelo_name=%s\nsender=%s\nrecipient=user@example.net\ninstance=1.2.3\n\n' \
		"$1" "${3:-mail.example.com}" "$2" | python3 client.py "$POL_PORT" 1 | head -1
}
expect() { # expect NAME REGEX ACTUAL
	printf '%s\n' "$3" | grep -Eq -- "$2" || fail "$1: wanted /$2/, got: $3"
	ok "$1"
}

printf ':127.0.0.2:Listed by test list: $\n127.0.0.2\n192.0.2.99 :127.0.0.3:Spam source $\n' > bl.zone
printf ':127.0.0.2:whitelisted\n192.0.2.10\n' > wl.zone
asuser=(); [ "$(id -u)" -eq 0 ] && asuser=(-u nobody)
"$RBLDNSD" -n "${asuser[@]}" -b "127.0.0.1/$DNS_PORT" -w "$T" bl.example.net:ip4set:bl.zone wl.example.net:ip4set:wl.zone > rbldnsd.log 2>&1 &
pids+=($!)
python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1]))); time.sleep(600)' "$DEAD_PORT" &
pids+=($!)

# wait for rbldnsd with a raw query (libunbound would remember a server that was not up yet)
python3 - "$DNS_PORT" <<'PY' || fail "rbldnsd did not start: $(cat rbldnsd.log)"
import socket, sys, time
q = bytes.fromhex("123401000001000000000000") + b"".join(bytes([len(l)]) + l.encode() for l in "2.0.0.127.bl.example.net".split(".")) + b"\0\0\1\0\1"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.1)
for _ in range(50):
    s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
    try:
        s.recv(512); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY

cat > spf.records <<'EOT'
# name TYPE data
example.org TXT "v=spf1 ip4:192.0.2.0/24 -all"
soft.example.org TXT "v=spf1 ~all"
EOT
write_conf() { # write_conf EXTRA_BLOCK_ZONES [MAX_CONNECTIONS]
	cat > filter.conf <<EOT
[server]
listen = 127.0.0.1:$POL_PORT
log_level = info
max_connections = ${2:-100}
[dnsbl]
block = bl.example.net $1
allow = wl.example.net
server = 127.0.0.1@$DNS_PORT
timeout_ms = 700
delist_url = https://repute.example/delist?ip={ip}&zone={zone}
[spf]
dns = $T/spf.records
fail = reject
softfail = tag
[rate]
client_max = 5
window = 60s
EOT
}
write_conf ""
"$REPUTE_BIN/repute-filter" --check-config --config filter.conf > check.out 2>&1 || fail "--check-config: $(cat check.out)"
ok "--check-config accepts the test config"
printf '[dnsbl]\ntimeout_ms = 5\n' > bad.conf
"$REPUTE_BIN/repute-filter" --check-config --config bad.conf > bad.out 2>&1 && fail "--check-config accepted timeout_ms = 5"
expect "--check-config refuses an out-of-bounds value with file:line" 'bad\.conf:2:' "$(cat bad.out)"
printf '[spf]\nfail = maybe\n' > bad.conf
"$REPUTE_BIN/repute-filter" --check-config --config bad.conf > bad.out 2>&1 && fail "--check-config accepted fail = maybe"
expect "--check-config refuses an unknown SPF action" 'spf actions' "$(cat bad.out)"
"$REPUTE_BIN/repute-filter" -n --config filter.conf > filter.log 2>&1 &
fpid=$!
pids+=($fpid)
for i in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$POL_PORT") 2>/dev/null && break; sleep 0.1; done
sleep 0.2

expect "listed client rejected with list, reason and delisting URL" \
	'^action=REJECT 5\.7\.1 Service unavailable; client \[127\.0\.0\.2\] listed in bl\.example\.net: Listed by test list: 127\.0\.0\.2; delist at https://repute\.example/delist\?ip=127\.0\.0\.2&zone=bl\.example\.net$' \
	"$(ask 127.0.0.2 a@example.org)"
expect "second listed client, its own TXT reason" 'listed in bl\.example\.net: Spam source 192\.0\.2\.99;' "$(ask 192.0.2.99 a@example.org)"
expect "RFC 5782 test point 127.0.0.1 not listed" '^action=DUNNO$' "$(ask 127.0.0.1 '')"
expect "whitelisted client passes despite a forged SPF sender" '^action=DUNNO$' "$(ask 192.0.2.10 forged@example.org)"
expect "SPF fail rejected per policy" '^action=REJECT 5\.7\.23 SPF fail for <a@example\.org> from \[198\.51\.100\.7\]' "$(ask 198.51.100.7 a@example.org)"
expect "SPF pass accepted" '^action=DUNNO$' "$(ask 192.0.2.7 a@example.org)"
expect "SPF softfail tagged" '^action=PREPEND X-Spam-Repute: spf=softfail$' "$(ask 198.51.100.7 b@soft.example.org)"
expect "no SPF record, clean client" '^action=DUNNO$' "$(ask 198.51.100.8 a@nospf.example)"
expect "HELO identity checked for the null sender" '^action=REJECT 5\.7\.23 SPF fail for <example\.org>' "$(ask 198.51.100.7 '' example.org)"
expect "non-RCPT state is DUNNO" '^action=DUNNO$' \
	"$(printf 'request=smtpd_access_policy\nprotocol_state=DATA\nclient_address=127.0.0.2\n\n' | python3 client.py "$POL_PORT" 1 | head -1)"

out=$(printf 'garbage line\n\nrequest=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=127.0.0.2\nsender=\n\n' | python3 client.py "$POL_PORT" 2)
expect "malformed request gets a clear error" "^action=DEFER_IF_PERMIT 4\.7\.0 malformed policy request: line 1: no '=' \(expected name=value\)$" "$(printf '%s\n' "$out" | sed -n 1p)"
expect "same connection goes on after a malformed request" '^action=REJECT 5\.7\.1' "$(printf '%s\n' "$out" | sed -n 3p)"
long=$(head -c 5000 /dev/zero | tr '\0' x)
expect "oversized line refused" 'malformed policy request: line 2 longer than 2048 bytes' \
	"$(printf 'request=smtpd_access_policy\nsender=%s\n\n' "$long" | python3 client.py "$POL_PORT" 1 | head -1)"
expect "binary junk refused" 'malformed policy request' "$(head -c 3000 /dev/urandom | tr -d '\n' | { cat; printf '\n\n'; } | python3 client.py "$POL_PORT" 1 | head -1)"
expect "missing request= refused" 'missing request= attribute' "$(printf 'client_address=1.2.3.4\n\n' | python3 client.py "$POL_PORT" 1 | head -1)"
out=$(printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=127.0.0.2\n\nrequest=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.10\n\n' | python3 client.py "$POL_PORT" 2)
expect "pipelined requests answered in order" '^action=REJECT.*action=DUNNO$' "$(printf '%s' "$out" | tr -s '\n' ' ' | sed 's/ $//; s/ action=/action=/')"

# a client that drops the connection half way through a request, and one that sends nothing
python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); s.sendall(b"request=smtpd_access_policy\nclient_addr"); s.close()' "$POL_PORT"
exec 4<>"/dev/tcp/127.0.0.1/$POL_PORT"
expect "dropped and idle connections do not disturb others" '^action=REJECT 5\.7\.1' "$(ask 127.0.0.2 a@example.org)"
exec 4>&-

for i in 1 2 3 4 5; do r=$(ask 203.0.113.77 x@nospf.example); [ "$r" = "action=DUNNO" ] || fail "rate: request $i: $r"; done
expect "client over its rate limit is deferred" '^action=DEFER_IF_PERMIT 4\.7\.1 rate limit: client \[203\.0\.113\.77\] sent more than 5 recipients in 60s$' "$(ask 203.0.113.77 x@nospf.example)"

# a dead list server, added by SIGHUP: the answer still comes within the timeout
write_conf "dead.example.net=127.0.0.1@$DEAD_PORT"
kill -HUP "$fpid"
for i in $(seq 1 50); do grep -q 'reloaded configuration 2' filter.log && break; sleep 0.1; done
grep -q 'reloaded configuration 2' filter.log || fail "SIGHUP reload not logged: $(tail -3 filter.log)"
ok "SIGHUP reloads the configuration"
start=$(date +%s%N)
r=$(ask 203.0.113.5 a@nospf.example)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect "dead DNSBL fails open" '^action=DUNNO$' "$r"
[ "$ms" -lt 2500 ] || fail "dead DNSBL stalled the answer: $ms ms"  # includes starting python and a resolver context
ok "dead DNSBL answered in $ms ms (timeout 700 ms)"
expect "listed client still rejected with a dead list configured" '^action=REJECT 5\.7\.1.*listed in bl\.example\.net' "$(ask 127.0.0.2 a@example.org)"
grep -q 'dnsbl=dead.example.net timeout: skipped (fail open)' filter.log || fail "dead list not logged"
ok "dead DNSBL logged"

stats=$(printf 'request=repute_stats\n\n' | python3 client.py "$POL_PORT" 1)
expect "stats: requests counted" '^requests=[0-9]+$' "$(printf '%s\n' "$stats" | grep '^requests=')"
expect "stats: rejections counted" '^action_reject=[1-9]' "$(printf '%s\n' "$stats" | grep '^action_reject=')"
expect "stats: dead list timeouts counted" '^dnsbl_timeouts=[1-9]' "$(printf '%s\n' "$stats" | grep '^dnsbl_timeouts=')"
expect "stats: malformed counted" '^malformed=[1-9]' "$(printf '%s\n' "$stats" | grep '^malformed=')"
expect "stats: rate limits counted" '^rate_limited_client=1$' "$(printf '%s\n' "$stats" | grep '^rate_limited_client=')"
expect "stats: SPF fail counted" '^spf_fail=[1-9]' "$(printf '%s\n' "$stats" | grep '^spf_fail=')"

# the connection limit: with max_connections = 2 and two idle clients, a third is refused
write_conf "dead.example.net=127.0.0.1@$DEAD_PORT" 2
kill -HUP "$fpid"
for i in $(seq 1 50); do grep -q 'reloaded configuration 3' filter.log && break; sleep 0.1; done
exec 6<>"/dev/tcp/127.0.0.1/$POL_PORT" 7<>"/dev/tcp/127.0.0.1/$POL_PORT"
sleep 0.3
expect "connection over max_connections refused" '^$' "$(ask 127.0.0.2 a@example.org)"
exec 6>&- 7>&-
sleep 0.3
expect "connections_refused counted" '^connections_refused=[1-9]' \
	"$(printf 'request=repute_stats\n\n' | python3 client.py "$POL_PORT" 1 | grep '^connections_refused=')"

# an idle open connection must not stop SIGTERM
exec 5<>"/dev/tcp/127.0.0.1/$POL_PORT"
kill -TERM "$fpid"
for i in $(seq 1 60); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$fpid" 2>/dev/null && fail "SIGTERM: still running"
wait "$fpid"; rc=$?
exec 5>&-
[ "$rc" -eq 0 ] || fail "SIGTERM: exit status $rc: $(tail -5 filter.log)"
ok "SIGTERM stops cleanly (status 0)"
done_ok
