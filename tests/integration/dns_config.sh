#!/usr/bin/env bash
# dns_config.sh - repute-dns driven by its config file (listen, datasets joined with '+',
# snapshots, TCP limits, response-rate limiting): answers, a bad config refused with file:line,
# RRL (answers, truncated slips and drops for a flood from one client), the TCP connection limit,
# the TCP idle timeout, pipelined TCP queries, and SIGHUP keeping the old zones when a new
# snapshot is corrupt.
set -u
BIN=${REPUTE_BIN:?}; TMP=${REPUTE_TMP:-/tmp/repute-dns-config}
rm -rf "$TMP"; mkdir -p "$TMP"; cd "$TMP" || exit 1
. "$REPUTE_SRC/tests/integration/lib/ports.sh"
PORT=$(free_ports 1)
fails=0; pid=
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { if printf '%s\n' "$3" | grep -Eq -- "$2"; then pass "$1"; else fail "$1: wanted /$2/, got: $3"; fi; }
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; }
trap cleanup EXIT
q() { dig +time=2 +tries=1 -p "$PORT" @127.0.0.1 "$@" 2>&1; }

printf '$SOA 60 ns.wl.example. root.wl.example. 5 60 60 60 60\n:127.0.0.1:whitelisted\n' > a.ip4set
printf '198.51.100.0/24\n' > b.ip4set
printf '127.0.0.2\n' > snap.ip4set
"$BIN/repute" zone compile --zone snap.example --out snap.zone ip4set:snap.ip4set 2>/dev/null
cat > dns.conf <<EOT
[server]
listen = 127.0.0.1/$PORT
threads = 1
tcp_max = 2
tcp_idle = 2s
[rrl]
rate = 30
slip = 2
[zones]
datasets = wl.example:ip4set:a.ip4set+b.ip4set
snapshots = snap.zone
ttl = 1h
EOT
printf '[server]\nthreads = 999\n' > bad.conf
r=$("$BIN/repute-dns" --config bad.conf -n 2>&1)
check "out-of-range option refused with file:line" 'bad.conf:2' "$r"

"$BIN/repute-dns" --config dns.conf -n > daemon.log 2>&1 &
pid=$!
for i in $(seq 1 50); do q +short 7.100.51.198.wl.example A | grep -qx 127.0.0.1 && break; sleep 0.1; done
check "files joined with + share defaults per file" '^127\.0\.0\.2$' "$(q +short 7.100.51.198.wl.example A)"
check "config ttl" 'IN[[:space:]]+A' "$(q +noall +answer 7.100.51.198.wl.example A | grep -E '3600')"
check "snapshot from config" '^127\.0\.0\.2$' "$(q +short 2.0.0.127.snap.example A)"

python3 - "$PORT" > tcp.txt <<'PY'
import socket, struct, sys, time
port = int(sys.argv[1])
def query(i):
    q = struct.pack(">HHHHHH", i, 0, 1, 0, 0, 0) + b"\x012\x010\x010\x03127\x04snap\x07example\x00\x00\x01\x00\x01"
    return struct.pack(">H", len(q)) + q
def recv_msg(s):
    hdr = b""
    while len(hdr) < 2:
        c = s.recv(2 - len(hdr))
        if not c: return None
        hdr += c
    n = struct.unpack(">H", hdr)[0]; body = b""
    while len(body) < n:
        c = s.recv(n - len(body))
        if not c: return None
        body += c
    return body
# pipelining: three queries in one write, three answers in order
s = socket.create_connection(("127.0.0.1", port)); s.settimeout(3)
s.sendall(query(1) + query(2) + query(3))
ids = [struct.unpack(">H", recv_msg(s)[:2])[0] for _ in range(3)]
print("pipelined", ids)
# limit (tcp_max = 2): with two connections open, a third is closed at once
a = socket.create_connection(("127.0.0.1", port)); time.sleep(0.2)
c = socket.create_connection(("127.0.0.1", port)); c.settimeout(2)
c.sendall(query(9))
try:
    print("third", "answered" if recv_msg(c) else "closed")
except (ConnectionResetError, socket.timeout):
    print("third closed")
# idle: an idle connection is closed after tcp_idle
s.close(); a.settimeout(6); t = time.time()
try:
    d = a.recv(10)
    print("idle closed after %.0f s" % (time.time() - t) if d == b"" else "idle got data")
except (ConnectionResetError, socket.timeout):
    print("idle not closed")
PY
check "TCP pipelining answered in order" 'pipelined \[1, 2, 3\]' "$(cat tcp.txt)"
check "TCP connection limit" 'third closed' "$(cat tcp.txt)"
check "TCP idle timeout" 'idle closed after [1-5] s' "$(cat tcp.txt)"

python3 - "$PORT" > rrl.txt <<'PY'
import socket, struct, sys, time
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.3)
q = lambda i: struct.pack(">HHHHHH", i, 0, 1, 0, 0, 0) + b"\x012\x010\x010\x03127\x04snap\x07example\x00\x00\x01\x00\x01"
time.sleep(1.0 - time.time() % 1.0 + 0.05)  # start just after a second boundary
for i in range(150):
    s.sendto(q(i), ("127.0.0.1", port))
full = tc = 0
try:
    while True:
        r = s.recv(600)
        if r[2] & 2: tc += 1
        else: full += 1
except socket.timeout:
    pass
print("full", full, "tc", tc, "dropped", 150 - full - tc)
PY
read -r _ full _ tc _ dropped < rrl.txt
if [ "$full" -ge 20 ] && [ "$full" -le 40 ] && [ "$tc" -ge 30 ] && [ "$dropped" -ge 30 ]; then pass "RRL: $(cat rrl.txt)"; else fail "RRL: $(cat rrl.txt)"; fi
sleep 1.1
check "RRL: other clients unaffected over TCP" '^127\.0\.0\.2$' "$(q +tcp +short 2.0.0.127.snap.example A)"

cp snap.zone snap.good; head -c 1000 snap.good > snap.zone
kill -HUP "$pid"; sleep 1
check "corrupt snapshot refused on reload" 'action=reload result=failed' "$(cat daemon.log)"
check "old zones still served" '^127\.0\.0\.2$' "$(q +short 2.0.0.127.snap.example A)"
kill -TERM "$pid"; wait "$pid"; pid=
check "no sanitizer report" '^$' "$(grep -E 'ERROR: AddressSanitizer|runtime error' daemon.log)"
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
