#!/usr/bin/env bash
# dns_sa_data.sh - SpamAssassin's DNSBL test zone (tests/data/dnsbl, from apache/spamassassin
# t/dnsbl.t) served by repute-dns as an rbldnsd generic dataset: every answer SpamAssassin's test
# expects (A return codes as bitmasks, TXT reasons, the right-hand-side domain lookup) must come back.
set -u
BIN=${REPUTE_BIN:?}; SRC=${REPUTE_SRC:?}; TMP=${REPUTE_TMP:-/tmp/repute-dns-sa}
rm -rf "$TMP"; mkdir -p "$TMP"; cd "$TMP" || exit 1
. "$REPUTE_SRC/tests/integration/lib/ports.sh"
PORT=$(free_ports 1)
fails=0; pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; }
trap cleanup EXIT
"$BIN/repute-dns" -n -b "127.0.0.1/$PORT" --threads 1 \
	spamassassin.org:generic:"$SRC/tests/data/dnsbl/sa-dnsbltest.zone" > daemon.log 2>&1 &
pid=$!
for i in $(seq 1 50); do
	dig +short -p "$PORT" @127.0.0.1 98.3.137.144.dnsbltest.spamassassin.org A | grep -qx 127.0.0.2 && break
	sleep 0.1
done
python3 - "$PORT" "$SRC/tests/data/dnsbl/expected.json" <<'PY' || fails=1
import json, subprocess, sys
port, path = sys.argv[1], sys.argv[2]
cases = json.load(open(path))["spamassassin_dnsbl_t"]["expected_queries_answered"]
bad = 0
def dig(name, qtype):
    out = subprocess.run(["dig", "+short", "-p", port, "@127.0.0.1", name, qtype], capture_output=True, text=True).stdout
    return [l.strip().strip('"') for l in out.splitlines() if l.strip()]
for c in cases:
    a = dig(c["qname"], "A")
    ok = a == [c["answer"]]
    if "txt" in c:
        ok = ok and dig(c["qname"], "TXT") == [c["txt"]]
    print("%s %s -> %s%s" % ("ok  " if ok else "FAIL", c["qname"], a, "" if "txt" not in c else " / " + repr(dig(c["qname"], "TXT"))))
    bad += not ok
# bitmask semantics: 127.0.0.12 matches 4 and 8, not 16
v = int(dig("18.13.119.61.dnsbltest.spamassassin.org", "A")[0].split(".")[3])
ok = v & 4 and v & 8 and not v & 16
print("%s bitmask 127.0.0.%d = spam source + open relay" % ("ok  " if ok else "FAIL", v))
bad += not ok
sys.exit(1 if bad else 0)
PY
r=$(dig +short -p "$PORT" @127.0.0.1 1.2.3.4.dnsbltest.spamassassin.org A)
[ -z "$r" ] && echo "ok   unlisted address not answered" || { echo "FAIL unlisted answered: $r"; fails=1; }
grep -q "line=" daemon.log && { echo "FAIL zone file had bad lines: $(cat daemon.log)"; fails=1; }
kill "$pid"; wait "$pid"; pid=
[ "$fails" -eq 0 ]
