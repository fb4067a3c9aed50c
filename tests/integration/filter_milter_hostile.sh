#!/usr/bin/env bash
# filter_milter_hostile.sh - repute-filter's milter spoken to directly with the milter protocol
# (a small Python client, no Postfix): a valid session gets X-Spam-Status and a continue; then bad
# input must not stop it: an absurd packet length, a truncated packet and a dropped connection,
# an unknown command, a client that connects and stays silent, a message over max_size (not
# content-scored), and a valid session still works afterwards. Also: SIGTERM stops both processes.
set -u
. "$(dirname "$0")/lib/common.sh"
"$REPUTE_BIN/repute-filter" --sample-config 2>/dev/null | grep -q '^\[milter\]' || { echo "no milter: skipped"; exit 0; }
cd "$T" || exit 1
. "$REPUTE_SRC/tests/integration/lib/ports.sh"
read -r POL_PORT MILTER_PORT <<<"$(free_ports 2)"
fpid=
cleanup() { [ -n "$fpid" ] && kill "$fpid" 2>/dev/null; }
trap cleanup EXIT

cat > filter.conf <<EOT
[server]
listen = 127.0.0.1:$POL_PORT
[spf]
enable = no
[milter]
listen = inet:$MILTER_PORT@127.0.0.1
max_size = 2k
EOT
"$REPUTE_BIN/repute-filter" -n --config filter.conf > filter.log 2>&1 &
fpid=$!
for i in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$MILTER_PORT") 2>/dev/null && break; sleep 0.1; done

# mclient.py MODE - one milter session; prints the replies of the end of message.
cat > mclient.py <<'PY'
import socket, struct, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
def send(cmd, data=b""):
    s.sendall(struct.pack("!I", len(data) + 1) + cmd + data)
def recv():
    hdr = b""
    while len(hdr) < 4:
        c = s.recv(4 - len(hdr))
        if not c:
            raise EOFError
        hdr += c
    n = struct.unpack("!I", hdr)[0]
    data = b""
    while len(data) < n:
        c = s.recv(n - len(data))
        if not c:
            raise EOFError
        data += c
    return data[:1], data[1:]
if mode == "absurd":
    s.sendall(b"\xff\xff\xff\xffO"); time.sleep(0.2); sys.exit(0)
if mode == "truncated":
    s.sendall(struct.pack("!I", 100) + b"Oabc"); s.close(); sys.exit(0)
send(b"O", struct.pack("!III", 6, 0x1FF, 0))
cmd, _ = recv()
assert cmd == b"O", cmd
if mode == "unknown":
    send(b"Z", b"junk")
    try:
        print(recv())
    except (EOFError, OSError):
        print("closed")
    sys.exit(0)
def step(cmd, data):
    send(cmd, data)
    r, _ = recv()
    assert r == b"c", (cmd, r)
step(b"C", b"client.example\x004\x00\x19198.51.100.9\x00")
step(b"H", b"client.example\x00")
step(b"M", b"<a@nospf.example>\x00")
step(b"R", b"<user@example.net>\x00")
step(b"L", b"Subject\x00hello\x00")
step(b"L", b"Message-ID\x00<m1@test.example>\x00")
step(b"N", b"")
body = b"hello world\r\n" * (400 if mode == "big" else 3)
for i in range(0, len(body), 65535):
    step(b"B", body[i:i + 65535])
send(b"E")
while True:
    cmd, data = recv()
    print(cmd.decode(), data.replace(b"\x00", b"|").decode("latin-1"))
    if cmd in b"cadryt":
        break
send(b"Q")
PY
expect() { printf '%s\n' "$3" | grep -Eq -- "$2" || fail "$1: wanted /$2/, got: $3"; ok "$1"; }

out=$(python3 mclient.py "$MILTER_PORT" ok 2>&1)
expect "valid session: X-Spam-Status added" '^h X-Spam-Status\|No, score=0 content=-1 dnsbl=0 spf=ok dnswl=no action=accept\|$' "$out"
expect "valid session: message continues" '^c $' "$(printf '%s\n' "$out" | tail -1)"
python3 mclient.py "$MILTER_PORT" absurd > /dev/null 2>&1
python3 mclient.py "$MILTER_PORT" truncated > /dev/null 2>&1
expect "unknown command: libmilter ends that session only" '^closed$' "$(python3 mclient.py "$MILTER_PORT" unknown 2>&1)"
exec 4<>"/dev/tcp/127.0.0.1/$MILTER_PORT"   # a silent client stays connected meanwhile
expect "after bad packets and a silent client, a valid session still works" '^c $' \
	"$(python3 mclient.py "$MILTER_PORT" ok 2>&1 | tail -1)"
expect "message over max_size passes unscored" 'content=-1' "$(python3 mclient.py "$MILTER_PORT" big 2>&1)"
exec 4>&-
kill -0 "$fpid" || fail "repute-filter died: $(tail -5 filter.log)"
grep -q 'action=accept' filter.log || fail "milter decisions not logged"
ok "the daemon survived and logged each message"

child=$(pgrep -P "$fpid" | head -1)
[ -n "$child" ] || fail "no milter child process"
kill -TERM "$fpid"
for i in $(seq 1 100); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
wait "$fpid"; rc=$?
fpid=
[ "$rc" -eq 0 ] || fail "exit status $rc: $(tail -5 filter.log)"
kill -0 "$child" 2>/dev/null && fail "milter child $child still running after SIGTERM"
grep -q 'milter: stopped' filter.log || fail "milter stop not logged"
! grep -Eq 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error' filter.log || fail "sanitizer report: $(grep -A5 Sanitizer filter.log | head -20)"
ok "SIGTERM stops the daemon and its milter process (status 0), no sanitizer reports"

# quarantine by policy points alone (SPF fail = 20 >= quarantine_score 20): stored and discarded;
# an unusable quarantine file defers (451) instead of losing the message
printf 'nospf.example TXT "v=spf1 -all"\n' > spf.records
qconf() { # qconf QUARANTINE_PATH
	cat > filter.conf <<EOT
[server]
listen = 127.0.0.1:$POL_PORT
[spf]
dns = $T/spf.records
[milter]
listen = inet:$MILTER_PORT@127.0.0.1
tag_score = 10
quarantine_score = 20
[quarantine]
path = $1
EOT
}
qconf "$T/q.db"
"$REPUTE_BIN/repute-filter" -n --config filter.conf > filter3.log 2>&1 &
fpid=$!
for i in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$MILTER_PORT") 2>/dev/null && break; sleep 0.1; done
expect "SPF fail points reach quarantine_score: message stored and discarded" '^d $' "$(python3 mclient.py "$MILTER_PORT" ok 2>&1 | tail -1)"
expect "quarantined message listed" 'score 20 \(content -1, dnsbl listings 0, spf fail\)' \
	"$("$REPUTE_BIN/repute-filter" --config filter.conf --quarantine-list user@example.net 2>&1)"
qconf "$T/no/such/dir/q.db"
kill -HUP "$fpid"; sleep 0.5
expect "quarantine not writable: 451 4.3.0, the message is deferred, not lost" '^y 451 4\.3\.0 ' "$(python3 mclient.py "$MILTER_PORT" ok 2>&1 | tail -1)"
kill -TERM "$fpid"; wait "$fpid"; fpid=
qconf "$T/q.db"

# the milter process dies: the daemon logs it and goes on serving policy requests
"$REPUTE_BIN/repute-filter" -n --config filter.conf > filter2.log 2>&1 &
fpid=$!
for i in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$MILTER_PORT") 2>/dev/null && break; sleep 0.1; done
child=$(pgrep -P "$fpid" | head -1)
[ -n "$child" ] || fail "no milter child process (second start)"
kill -KILL "$child"
for i in $(seq 1 50); do grep -q 'milter: process .* killed by signal 9' filter2.log && break; sleep 0.1; done
grep -q 'milter: process .* killed by signal 9' filter2.log || fail "milter death not logged: $(tail -3 filter2.log)"
exec 3<>"/dev/tcp/127.0.0.1/$POL_PORT"
printf 'request=repute_stats\n\n' >&3
read -r -t 5 line <&3
exec 3>&-
[[ "$line" == uptime=* ]] || fail "policy service not answering after the milter died: $line"
kill -TERM "$fpid"
wait "$fpid"; rc=$?
fpid=
[ "$rc" -eq 0 ] || fail "exit status $rc after the milter died: $(tail -5 filter2.log)"
ok "a dead milter process is logged; the policy service goes on and stops cleanly"
done_ok
