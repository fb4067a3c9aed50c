#!/usr/bin/env bash
# run.sh - policy decisions per second with a warm DNSBL cache (issue 7 target: >= 20,000/s).
# Starts rbldnsd with a small zone (10.0.0.0/24 listed, 10.0.3.0/24 allowed) and repute-filter
# (its policy service only: static SPF records, no rate limits) on free loopback ports, then
# runs bench_policy: CONNS connections with DEPTH pipelined requests each over 1000 client
# addresses, after a warm-up that asks each address once.
#
# usage: bench/policy/run.sh [SECONDS]   env: BIN (default build/bin: make build), BENCH
#        (default build/bench), CONNS (8), DEPTH (16), ROUNDS (3: the median is printed last)
set -u
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
secs=${1:-10}
BIN=${BIN:-$root/build/bin}
BENCH=${BENCH:-$root/build/bench}
CONNS=${CONNS:-8}
DEPTH=${DEPTH:-16}
ROUNDS=${ROUNDS:-3}
RBLDNSD=$(command -v rbldnsd || echo /usr/sbin/rbldnsd)
for p in "$BIN/repute-filter" "$BENCH/bench_policy" "$RBLDNSD"; do
	[ -x "$p" ] || { echo "missing $p (make build, or set BIN/BENCH)"; exit 1; }
done
T=$(mktemp -d /tmp/policybench.XXXXXX)
chmod 755 "$T"
. "$root/tests/integration/lib/ports.sh"
read -r DNS_PORT POL_PORT <<<"$(free_ports 2)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

{ echo ':127.0.0.2:Listed by the benchmark zone: $'; for i in $(seq 1 250); do echo "10.0.0.$i"; done; } > "$T/bl.zone"
{ echo ':127.0.0.2:allowed'; echo '10.0.3.0/24'; } > "$T/wl.zone"
asuser=(); [ "$(id -u)" -eq 0 ] && asuser=(-u nobody)
"$RBLDNSD" -n "${asuser[@]}" -b "127.0.0.1/$DNS_PORT" -w "$T" bl.example.net:ip4set:bl.zone \
	wl.example.net:ip4set:wl.zone > "$T/rbldnsd.log" 2>&1 &
pids+=($!)
for i in $(seq 1 50); do
	dig +short +time=1 +tries=1 -p "$DNS_PORT" @127.0.0.1 1.0.0.10.bl.example.net A 2>/dev/null | grep -qx 127.0.0.2 && break
	sleep 0.1
done
cat > "$T/spf.records" <<'EOT'
example.org TXT "v=spf1 ip4:10.0.0.0/16 -all"
soft.example.org TXT "v=spf1 ~all"
EOT
cat > "$T/filter.conf" <<EOT
[server]
listen = 127.0.0.1:$POL_PORT
log_level = warn
max_connections = 200
[dnsbl]
block = bl.example.net
allow = wl.example.net
server = 127.0.0.1@$DNS_PORT
timeout_ms = 2000
[spf]
dns = $T/spf.records
EOT
"$BIN/repute-filter" -n --config "$T/filter.conf" > "$T/filter.log" 2>&1 &
fpid=$!
pids+=($fpid)
for i in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$POL_PORT") 2>/dev/null && break; sleep 0.1; done

tck=$(getconf CLK_TCK)
echo "# repute-filter policy service, $CONNS connections x $DEPTH pipelined, ${secs}s per round, $(nproc) cores (shared)"
rates=()
for r in $(seq 1 "$ROUNDS"); do
	c0=$(awk '{print $14+$15}' "/proc/$fpid/stat")
	"$BENCH/bench_policy" -c "$CONNS" -d "$DEPTH" -t "$secs" "$POL_PORT" > "$T/round$r.txt" || { cat "$T/round$r.txt"; tail -5 "$T/filter.log"; exit 1; }
	c1=$(awk '{print $14+$15}' "/proc/$fpid/stat")
	n=$(sed -n 's/.*decisions=\([0-9]*\) .*/\1/p' "$T/round$r.txt")
	echo "## round $r"
	cat "$T/round$r.txt"
	# server CPU per decision (includes the warm-up requests: an upper bound)
	awk -v c=$((c1 - c0)) -v t="$tck" -v n="$n" 'BEGIN{ if (n > 0) printf "server_cpu_us_per_decision<=%.1f\n", c / t * 1e6 / n }'
	rates+=("$(sed -n 's/.*decisions_per_s=\([0-9]*\).*/\1/p' "$T/round$r.txt")")
done
med=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
rss=$(awk '/VmRSS/{print $2}' "/proc/$fpid/status")
echo "median_decisions_per_s=$med target=20000 $([ "$med" -ge 20000 ] && echo met || echo NOT-met) filter_rss_kb=$rss"
grep -c . "$T/filter.log" >/dev/null && grep -i 'warn\|error' "$T/filter.log" | head -3
exit 0
