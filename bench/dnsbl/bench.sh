#!/usr/bin/env bash
# bench.sh - repute-dns side by side with rbldnsd and the no-lookup floor on the same zone
# (../shared/bench/dnsbl/gen.py: 1,000,000 addresses + 50,000 /24s, 30 % listed queries), one
# dnsperf run each from the same query file, then ratios. Also: the same over TCP (rbldnsd has
# none), a snapshot-mode run, and reload under load (lost queries, reload seconds).
#
# usage: bench/dnsbl/bench.sh [SECONDS]     env: DATA (default /tmp/dnsblbench), BIN (default build/bin: make build),
#        THREADS (repute-dns workers, default 1), SHARED (default ../shared/bench/dnsbl),
#        ROUNDS (default 3: the UDP runs alternate this many times; ratios use the medians, and the
#        ratio to the floor also as the median of per-round ratios, which cancels slow load drift)
# The machine's 2 cores are shared with dnsperf (and other users): qps is bounded by the client;
# server CPU microseconds per answered query is the fair figure.
set -u
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
secs=${1:-10}
DATA=${DATA:-/tmp/dnsblbench}
BIN=${BIN:-$root/build/bin}
BIN=$(cd "$BIN" 2>/dev/null && pwd || echo "$BIN") # absolute: the runs cd to $DATA
THREADS=${THREADS:-1}
ROUNDS=${ROUNDS:-3}
SHARED=${SHARED:-$root/../shared/bench/dnsbl}
PORT=${PORT:-15300}
out=${OUT:-$DATA/results}
mkdir -p "$out"
[ -f "$DATA/zone.ip4set" ] || python3 "$SHARED/gen.py" "$DATA"
[ -x "$DATA/floor" ] || cc -O2 -o "$DATA/floor" "$SHARED/floor.c"
for p in "$BIN/repute-dns" "$BIN/repute"; do [ -x "$p" ] || { echo "missing $p (make build, or set BIN)"; exit 1; }; done
tck=$(getconf CLK_TCK)

# cpu_of PID - user+system ticks
cpu_of() { awk '{print $14+$15}' "/proc/$1/stat"; }

# run NAME PORT MODE(udp|tcp) -- COMMAND... : start, wait for the test point, dnsperf, report
run() {
	local name=$1 port=$2 mode=$3; shift 4
	local start ready pid rss c0 c1 done_q lost qps tcpflag=""
	[ "$mode" = tcp ] && tcpflag="+tcp"
	start=$(date +%s.%N)
	"$@" > "$out/$name.log" 2>&1 &
	pid=$!
	for i in $(seq 1 600); do
		dig +short +time=1 +tries=1 $tcpflag -p "$port" @127.0.0.1 2.0.0.127.bl.example A 2>/dev/null | grep -qx 127.0.0.2 && break
		[ "$name" = floor ] && break
		sleep 0.05
	done
	ready=$(date +%s.%N)
	sleep 0.5
	rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
	c0=$(cpu_of "$pid")
	dnsperf -s 127.0.0.1 -p "$port" -m "$mode" -d "$DATA/queries.txt" -l "$secs" -c 4 -q 200 -T 1 > "$out/dnsperf-$name.txt" 2>&1
	c1=$(cpu_of "$pid")
	kill "$pid"; wait "$pid" 2>/dev/null
	done_q=$(awk '/Queries completed/{print $3}' "$out/dnsperf-$name.txt")
	lost=$(awk '/Queries lost/{print $3}' "$out/dnsperf-$name.txt")
	qps=$(awk '/Queries per second/{printf "%.0f", $4}' "$out/dnsperf-$name.txt")
	local us; us=$(echo "($c1 - $c0) / $tck * 1000000 / $done_q" | bc -l)
	printf '%-16s %-4s load %6.2f s  rss %7d KiB  qps %7s  lost %6s  cpu/query %5.2f us\n' "$name" "$mode" \
		"$(echo "$ready - $start" | bc -l)" "$rss" "$qps" "$lost" "$us"
	echo "$name $qps $us $rss $(echo "$ready - $start" | bc -l)" >> "$out/figures"
}

# reload_run NAME PORT HUP-PREP -- COMMAND... : dnsperf for secs with two SIGHUPs, report lost
reload_run() {
	local name=$1 port=$2 prep=$3; shift 4
	"$@" > "$out/$name.log" 2>&1 &
	local pid=$!
	for i in $(seq 1 600); do dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 2.0.0.127.bl.example A 2>/dev/null | grep -qx 127.0.0.2 && break; sleep 0.05; done
	dnsperf -s 127.0.0.1 -p "$port" -d "$DATA/queries.txt" -l "$secs" -c 4 -q 200 -T 1 > "$out/dnsperf-$name.txt" 2>&1 &
	local dp=$!
	sleep $((secs / 3)); eval "$prep"; kill -HUP "$pid"
	sleep $((secs / 3)); eval "$prep"; kill -HUP "$pid"
	wait "$dp"
	local m=""
	[ -n "${MPORT:-}" ] && m=$(curl -s "http://127.0.0.1:$MPORT/metrics" | awk '/^repute_dns_last_reload_seconds/{print "last reload " $2 " s"} /^repute_dns_reloads_total/{print "reloads " $2}' | tr '\n' ' ')
	kill "$pid"; wait "$pid" 2>/dev/null
	printf '%-16s reload under load: completed %s, lost %s %s\n' "$name" \
		"$(awk '/Queries completed/{print $3}' "$out/dnsperf-$name.txt")" "$(awk '/Queries lost/{print $3, $4}' "$out/dnsperf-$name.txt")" "$m"
}

# same_answers - both servers give identical answers (A and TXT) for the first 3000 queries
same_answers() {
	head -3000 "$DATA/queries.txt" > "$out/q3000.txt"
	rbldnsd -n -b 127.0.0.1/$((PORT + 11)) bl.example:ip4set:"$DATA/zone.ip4set" > /dev/null 2>&1 &
	local p1=$!
	"$BIN/repute-dns" -n -b 127.0.0.1/$((PORT + 12)) --snapshot "$DATA/zone.snap" > /dev/null 2>&1 &
	local p2=$!
	sleep 2
	dig -p $((PORT + 11)) @127.0.0.1 -f "$out/q3000.txt" +noall +answer +nottlid | sort > "$out/answers.rbldnsd"
	dig -p $((PORT + 12)) @127.0.0.1 -f "$out/q3000.txt" +noall +answer +nottlid | sort > "$out/answers.repute"
	kill "$p1" "$p2" 2>/dev/null; wait "$p1" "$p2" 2>/dev/null
	if cmp -s "$out/answers.rbldnsd" "$out/answers.repute"; then
		echo "answers: identical to rbldnsd on 3000 queries ($(wc -l < "$out/answers.repute") records)"
	else
		echo "answers: DIFFER from rbldnsd (see $out/answers.*)"
	fi
}

rm -f "$out/figures"
t0=$(date +%s.%N)
"$BIN/repute" zone compile --zone bl.example --out "$DATA/zone.snap" ip4set:"$DATA/zone.ip4set" 2>/dev/null
echo "snapshot compile: $(echo "$(date +%s.%N) - $t0" | bc -l | cut -c1-5) s, $(stat -c %s "$DATA/zone.snap") bytes"
cd "$DATA" || exit 1
same_answers
for round in $(seq 1 "$ROUNDS"); do
	run rbldnsd $PORT udp -- rbldnsd -n -b 127.0.0.1/$PORT bl.example:ip4set:zone.ip4set
	run floor $((PORT + 1)) udp -- "$DATA/floor" $((PORT + 1))
	run repute-dns $((PORT + 2)) udp -- "$BIN/repute-dns" -n --threads "$THREADS" -b 127.0.0.1/$((PORT + 2)) bl.example:ip4set:zone.ip4set
	run repute-snap $((PORT + 3)) udp -- "$BIN/repute-dns" -n --threads "$THREADS" -b 127.0.0.1/$((PORT + 3)) --snapshot zone.snap
done
run repute-tcp $((PORT + 4)) tcp -- "$BIN/repute-dns" -n --threads "$THREADS" -b 127.0.0.1/$((PORT + 4)) --snapshot zone.snap
MPORT=$((PORT + 9)) reload_run repute-reload $((PORT + 5)) "touch zone.ip4set" -- "$BIN/repute-dns" -n --threads "$THREADS" \
	-b 127.0.0.1/$((PORT + 5)) --metrics 127.0.0.1/$((PORT + 9)) bl.example:ip4set:zone.ip4set
MPORT=$((PORT + 10)) reload_run repute-reload-snap $((PORT + 6)) "touch zone.snap" -- "$BIN/repute-dns" -n --threads "$THREADS" \
	-b 127.0.0.1/$((PORT + 6)) --metrics 127.0.0.1/$((PORT + 10)) --snapshot zone.snap
reload_run rbldnsd-reload $((PORT + 7)) "touch zone.ip4set" -- rbldnsd -n -b 127.0.0.1/$((PORT + 7)) bl.example:ip4set:zone.ip4set
awk '
function median(list,   a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ q[$1] = q[$1] " " $2; c[$1] = c[$1] " " $3; r[$1] = r[$1] " " $4; k = $1 SUBSEP (++seen[$1]); cr[k] = $3 }
END {
	for (k in q) { Q[k] = median(q[k]); C[k] = median(c[k]); R[k] = median(r[k]) }
	printf "medians: rbldnsd %.0f qps %.2f us %d KiB | floor %.2f us | repute-dns %.0f qps %.2f us %d KiB | snapshot %.0f qps %.2f us %d KiB\n", Q["rbldnsd"], C["rbldnsd"], R["rbldnsd"], C["floor"], Q["repute-dns"], C["repute-dns"], R["repute-dns"], Q["repute-snap"], C["repute-snap"], R["repute-snap"]
	printf "ratios (repute-dns / rbldnsd): qps %.2f, cpu per query %.2f (target <= 0.85), rss %.2f (target <= 1)\n", Q["repute-dns"]/Q["rbldnsd"], C["repute-dns"]/C["rbldnsd"], R["repute-dns"]/R["rbldnsd"]
	printf "ratios (snapshot mode / rbldnsd): qps %.2f, cpu per query %.2f, rss %.2f\n", Q["repute-snap"]/Q["rbldnsd"], C["repute-snap"]/C["rbldnsd"], R["repute-snap"]/R["rbldnsd"]
	printf "cpu per query / floor: repute-dns %.2f, snapshot %.2f (target <= 1.1); rbldnsd %.2f\n", C["repute-dns"]/C["floor"], C["repute-snap"]/C["floor"], C["rbldnsd"]/C["floor"]
	# the same paired within each round (the floor of the same round), which cancels slow load drift
	for (i = 1; i <= seen["floor"]; i++) {
		f = cr["floor", i]
		pf = pf sprintf(" %.2f", cr["repute-dns", i] / f); ps = ps sprintf(" %.2f", cr["repute-snap", i] / f)
		pr = pr sprintf(" %.2f", cr["rbldnsd", i] / f)
	}
	printf "cpu per query / floor, median of per-round ratios: repute-dns %.2f, snapshot %.2f; rbldnsd %.2f (rounds:%s |%s)\n", median(pf), median(ps), median(pr), pf, ps
	printf "TCP: %s qps at %.2f us per query (rbldnsd: no TCP)\n", Q["repute-tcp"], C["repute-tcp"]
}' "$out/figures"
