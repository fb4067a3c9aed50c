#!/usr/bin/env bash
# analyze_hostile.sh - hostile messages through the real `repute analyze`: each must finish
# within its time bound with exit 0 (partial evidence) or 1 (clear error), never a crash
# (sanitizers abort with other codes) and never a hang.
set -u
. "$(dirname "$0")/lib/common.sh"

python3 - "$T" <<'PY'
import sys, os
d = sys.argv[1]
hdr = "From: a@example.com\nTo: b@example.org\nSubject: hostile\n"
def w(name, data):
    open(os.path.join(d, name), "wb").write(data if isinstance(data, bytes) else data.encode())
w("long-header.eml", "X-Long: " + "a" * (1 << 20) + "\n" + hdr + "\nbody\n")
w("many-received.eml", "".join("Received: from h%d (h%d [8.8.%d.%d]) by mx.example.net with SMTP; Mon, 23 Nov 2026 00:00:00 +0000\n"
                               % (i, i, (i >> 8) & 255, i & 255) for i in range(100000)) + hdr + "\nbody\n")
nest = hdr + "MIME-Version: 1.0\n"
body = ""
for i in range(1000):
    nest_hdr = 'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i)
    body += nest_hdr
body += "Content-Type: text/plain\n\ndeep http://deep.example.com/\n"
for i in reversed(range(1000)):
    body += "\n--b%d--\n" % i
w("deep-nesting.eml", nest + body)
w("nul-bytes.eml", (hdr + "\n").encode() + b"text\x00with\x00nuls http://nul.example.com/\x00\n" * 1000)
w("broken-base64.eml", hdr + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + "!!!*&^%$#@not base64===\n" * 1000)
w("bad-charset.eml", (hdr + "MIME-Version: 1.0\nContent-Type: text/plain; charset=x-no-such-charset\n\n").encode() + bytes(range(128, 256)) * 100)
w("truncated-headers.eml", "Received: from x (x [1.2.3.4]) by y with SMTP; Mon, 23 No")
w("header-only-no-body.eml", hdr)
w("big-body.eml", hdr + "\n" + ("spam spam http://big.example.com/ +86 138 0013 8000\n" * 400000))
w("garbage.bin", os.urandom(100000))
w("many-parts.eml", hdr + 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="x"\n\n' +
  "".join("--x\nContent-Type: text/plain\n\npart %d\n" % i for i in range(20000)) + "--x--\n")
w("crlf-only.eml", "\r\n" * 1000)
w("rfc2047-bomb.eml", "Subject: " + "=?utf-8?B?5L2g5aW9?= " * 50000 + "\n" + hdr + "\nx\n")
PY

for f in "$T"/*.eml "$T"/garbage.bin; do
  name=$(basename "$f")
  start=$(date +%s)
  timeout 60 "$REPUTE_BIN/repute" analyze "$f" >"$T/$name.json" 2>"$T/$name.err"
  rc=$?
  secs=$(( $(date +%s) - start ))
  case $rc in
    0) jq -e 'has("origin")' "$T/$name.json" >/dev/null || fail "$name: exit 0 but no JSON evidence" ;;
    1) [ -s "$T/$name.err" ] || fail "$name: exit 1 without a message" ;;
    124) fail "$name: hung (killed after 60 s)" ;;
    *) fail "$name: exit $rc (crash?): $(head -c 600 "$T/$name.err")" ;;
  esac
  ok "$name: exit $rc in ${secs}s"
done
jq -e '.truncated == true or (.received | length) <= 1000' "$T/many-received.eml.json" >/dev/null ||
  fail "100,000 Received lines were not bounded"
ok "100,000 Received lines bounded"
done_ok
