#!/usr/bin/env bash
# reputed_smtp.sh - reputed's SMTP/LMTP intake for report@ addresses: swaks for real
# sessions (ARF report, LMTP with two recipients, a duplicate), raw sockets for abuse (lines
# over 1,000 bytes, text pipelined before the 354 reply, a client trickling bytes, an idle
# client, garbage, oversized messages, too many recipients, wrong recipients, null sender).
# Every bad session gets a clear 4xx/5xx and leaves the database unchanged (sqlite3).
set -u
. "$(dirname "$0")/lib/common.sh"

D="$REPUTE_BIN/reputed"
S="$REPUTE_SRC/samples"
DB="$T/repute.db"
. "$REPUTE_SRC/tests/integration/lib/ports.sh"
read -r HP SP <<<"$(free_ports 2)"
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; true; }
trap cleanup EXIT

cat > "$T/reputed.conf" <<EOF
[smtp]
enable = yes
max_message_size = 64k
max_recipients = 3
idle_timeout = 2s
EOF
"$D" --config "$T/reputed.conf" --db "$DB" --http "127.0.0.1:$HP" --smtp "127.0.0.1:$SP" 2>"$T/reputed.log" &
PID=$!
for _ in $(seq 100); do curl -s "http://127.0.0.1:$HP/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# sw ARGS... - a swaks session; the transcript is in $T/sw.out.
sw() { swaks --server "127.0.0.1:$SP" --timeout 20 "$@" > "$T/sw.out" 2>&1; true; }
db_state() {
  sqlite3 "$DB" "SELECT count(*), coalesce(sum(dup_count),0) FROM reports; SELECT count(*) FROM sources;
                 SELECT count(*) FROM reporters;" | tr '\n' ' '
}

# --- good sessions -----------------------------------------------------------------------
sw --from alice@example.org --to report@centre.example --data "$S/03-arf-report.eml"
ID=$(sed -n 's/^<-  250 2.0.0 stored as report \(R[0-9A-Z]*\)$/\1/p' "$T/sw.out")
[ -n "$ID" ] || fail "ARF over SMTP: $(grep '^<' "$T/sw.out" | tail -3)"
[ "$(sqlite3 "$DB" "SELECT r.channel || ' ' || u.name FROM reports r JOIN reporters u ON u.id = r.reporter_id WHERE r.id = '$ID'")" = "smtp mail:alice@example.org" ] \
  || fail "SMTP report owner"
[ "$(sqlite3 "$DB" "SELECT origin FROM reports WHERE id = '$ID'")" = 61.135.10.77 ] || fail "ARF original's origin"
ok "SMTP: ARF report -> 250 with report id $ID, filed under mail:alice@example.org"

sw --from alice@example.org --to report@centre.example --data "$S/03-arf-report.eml"
grep -q "^<-  250 2.0.0 duplicate of report $ID$" "$T/sw.out" || fail "duplicate over SMTP"
sw --protocol LMTP --from bob@example.org --to report@centre.example,report+phone@centre.example --data "$S/04-forwarded-attachment.eml"
[ "$(grep -c '^<-  250 2.0.0 stored as report R' "$T/sw.out")" = 2 ] || fail "LMTP: one reply per recipient"
ok "SMTP duplicate merged (250 duplicate of $ID); LMTP: one 250 per recipient"

# a forward of two spams as message/rfc822 attachments: one report per original, each
# with the original's own bytes (not the reporter's wrapper)
{ printf 'From: carol@example.org\r\nTo: report@centre.example\r\nSubject: two spams\r\nMIME-Version: 1.0\r\n'
  printf 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n'
  printf -- '--b1\r\nContent-Type: message/rfc822\r\n\r\n'; sed 's/$/\r/' "$S/01-spam-forged-chain.eml" | sed 's/\r\r$/\r/'
  printf -- '\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\n'; sed 's/$/\r/' "$S/02-chinese-gb2312.eml" | sed 's/\r\r$/\r/'
  printf -- '\r\n--b1--\r\n'; } > "$T/two.eml"
sw --from carol@example.org --to report@centre.example --data "$T/two.eml"
IDS=$(sed -n 's/^<-  250 2.0.0 stored as reports \(R[0-9A-Z]*, R[0-9A-Z]*\) (2 attached originals, 0 refused)$/\1/p' "$T/sw.out")
[ -n "$IDS" ] || fail "two originals: $(grep '^<' "$T/sw.out" | tail -3)"
for id in ${IDS//,/}; do
  sqlite3 "$DB" "SELECT raw FROM reports WHERE id = '$id'" | grep -q '^From: carol@example.org' && fail "wrapper stored as original"
done
[ "$(sqlite3 "$DB" "SELECT group_concat(message_id, ' ') FROM (SELECT message_id FROM reports WHERE id IN ('${IDS//, /\',\'}') ORDER BY message_id)")" = "<20261123001358.77@bulk-sender.net> <5f3a.8c21@163.com>" ] \
  || fail "split originals' Message-IDs"
ok "forward of two attached spams: two reports ($IDS), each the original alone"

# --- bad sessions leave the database unchanged -------------------------------------------
BEFORE=$(db_state)
sw --from alice@example.org --to postmaster@centre.example --data "$S/01-spam-forged-chain.eml"
grep -q '^<\*\* 550 5.1.1 <postmaster@centre.example>: only report@' "$T/sw.out" || fail "wrong recipient"
sw --from '<>' --to report@centre.example --data "$S/01-spam-forged-chain.eml"
grep -q '^<\*\* 550 5.7.1 reports need a return address' "$T/sw.out" || fail "null sender"
head -c 100000 /dev/zero | tr '\0' 'x' | fold -w 70 | sed '1i Subject: big\n' > "$T/big.eml"
sw --from alice@example.org --to report@centre.example --data "$T/big.eml"
grep -q '^<\*\* 552 5.3.4 message exceeds the limit of 65536 bytes' "$T/sw.out" || fail "oversized message"
head -c 3000 /dev/urandom | base64 -w 0 > "$T/garbage"
sw --from mallory@example.org --to report@centre.example --data "$T/garbage"
grep -q '^<\*\* 554 5.6.0' "$T/sw.out" || fail "garbage: $(grep '^<' "$T/sw.out" | tail -2)"
ok "wrong recipient 550, null sender 550, oversized 552, garbage 554"

python3 - "$SP" > "$T/raw.out" 2>&1 <<'EOF' || fail "raw socket sessions: $(cat "$T/raw.out")"
import socket, sys, threading, time
port = int(sys.argv[1])

def session(steps, wait=1.0):
    """send each step (bytes, or a float to sleep), return everything the server said"""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    got = b""
    def reader():
        nonlocal got
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                got += d
        except OSError:
            pass
    t = threading.Thread(target=reader); t.start()
    for st in steps:
        if isinstance(st, float):
            time.sleep(st)
        else:
            try:
                s.sendall(st)
            except OSError:
                break
            time.sleep(0.15)
    time.sleep(wait)
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close(); t.join()
    return got.decode(errors="replace")

def expect(name, text, want):
    if want not in text:
        print(f"FAIL {name}: wanted {want!r} in {text!r}")
        sys.exit(1)
    print(f"ok {name}")

hello = b"EHLO client.example\r\nMAIL FROM:<eve@example.org>\r\nRCPT TO:<report@centre.example>\r\n"
expect("command line over 1000 bytes", session([b"EHLO " + b"a" * 1200 + b"\r\n", b"NOOP\r\n"]),
       "500 5.5.0 line longer than 1000 bytes, closing")
expect("text line over 1000 bytes", session([hello, b"DATA\r\n", b"Subject: x\r\n\r\n" + b"b" * 1500 + b"\r\n.\r\nQUIT\r\n"]),
       "554 5.6.0 message has a line longer than 1000 bytes")
expect("pipelining abuse", session([hello + b"DATA\r\nSubject: early\r\n\r\nhi\r\n.\r\n"]),
       "554 5.5.0 improper pipelining")
out = session([hello, b"RCPT TO:<report+2@centre.example>\r\nRCPT TO:<report+3@centre.example>\r\nRCPT TO:<report+4@centre.example>\r\nQUIT\r\n"])
expect("too many recipients", out, "452 4.5.3 too many recipients (at most 3)")
expect("DATA before MAIL", session([b"EHLO x\r\nDATA\r\nQUIT\r\n"]), "503 5.5.1 need MAIL first")
expect("unknown command", session([b"EHLO x\r\nWIBBLE\r\nQUIT\r\n"]), "500 5.5.2 unknown command WIBBLE")
expect("MAIL before EHLO", session([b"MAIL FROM:<a@b.example>\r\nQUIT\r\n"]), "503 5.5.1 say EHLO")
# a client trickling one byte every 0.5 s is cut off after the 2 s line deadline,
# while another client is served normally meanwhile
result = {}
def trickle():
    result["t"] = session([c for ch in b"EHLO slowly.example\r\n" for c in (bytes([ch]), 0.5)], wait=0.5)
th = threading.Thread(target=trickle); th.start()
time.sleep(0.5)
expect("served during a trickle", session([b"EHLO x\r\nNOOP\r\nQUIT\r\n"], wait=0.3), "250 2.0.0 ok")
th.join()
expect("trickling client", result["t"], "421 4.4.2 line took too long to arrive")
t0 = time.time()
out = session([], wait=3.0)
expect("idle client", out, "421 4.4.2 idle for too long")
EOF
while read -r line; do ok "${line#ok }"; done < "$T/raw.out"
AFTER=$(db_state)
[ "$BEFORE" = "$AFTER" ] || fail "bad sessions changed the database: $BEFORE -> $AFTER"
ok "database unchanged by every bad session ($AFTER)"

kill -TERM "$PID"
wait "$PID" || fail "exit status $? after SIGTERM"
PID=
grep -q 'reputed stopped' "$T/reputed.log" || fail "no clean stop"
ok "SIGTERM with the SMTP listener: clean exit"
done_ok
