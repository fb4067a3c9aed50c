#!/usr/bin/env bash
# bench/intake/run.sh: reputed's intake under load. Starts a release reputed (make build) on
# free 127.0.0.1 ports with a fresh database, creates one reporter key per connection, then
# runs bench_intake over HTTP (keep-alive POST /v1/reports) and over SMTP (parallel
# sessions), with the public SpamAssassin corpus as the messages. Every accepted report was
# acknowledged after its group commit (fsync). Targets (2 cores): HTTP >= 5,000 reports/s
# with p99 < 20 ms, SMTP >= 1,000 reports/s. First, bench_store measures the writer alone (the
# store's CPU time per report in groups of 16, which holds still on a shared machine).
# Usage: bench/intake/run.sh [SECONDS] [HTTP_CONNS] [SMTP_CONNS]
# BUILD=dir uses another build directory (default: build, made by make build).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
[ "$BUILD" = build ] && make -s build >/dev/null
SECS=${1:-10}
HC=${2:-32}
SC=${3:-16}
data=$(scripts/corpus)
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HP=$(free_port)
SP=$(free_port)
find "$data" -name '*.txt' | sort > "$T/list"
cat > "$T/reputed.conf" <<CONF
[http]
threads = 64
[smtp]
enable = yes
[limits]
rate_per_key = 1000000
burst_per_key = 1000000
[log]
level = warn
CONF
keys=()
for i in $(seq "$HC"); do
  keys+=(--key "$("$BUILD/bin/repute" key create --db "$T/repute.db" --role reporter --name "bench-$i" 2>/dev/null)")
done
"$BUILD/bin/reputed" --config "$T/reputed.conf" --db "$T/repute.db" --http "127.0.0.1:$HP" \
  --smtp "127.0.0.1:$SP" 2>"$T/reputed.log" &
PID=$!
for _ in $(seq 100); do curl -s "http://127.0.0.1:$HP/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
echo "corpus: $(wc -l < "$T/list") messages; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (shared machine)"
"$BUILD/bench/bench_store" "$T/store.db" 16 1 < "$T/list"
# cpu_ms - CPU time (user + system) reputed has used so far, in milliseconds.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / hz }' "/proc/$PID/stat"; }
# reports - rows in the reports table now.
reports() { sqlite3 "$T/repute.db" 'SELECT count(*) + coalesce(sum(dup_count), 0) FROM reports'; }
# per_report MODE C0 N0 - CPU milliseconds reputed spent per accepted report since (C0, N0).
per_report() { echo "$1: reputed CPU $(awk -v a="$2" -v b="$(cpu_ms)" -v n0="$3" -v n1="$(reports)" \
  'BEGIN { printf "%.3f", (b - a) / ((n1 - n0) > 0 ? n1 - n0 : 1) }') ms per report (user + system, both cores)"; }
C0=$(cpu_ms); N0=$(reports)
"$BUILD/bench/bench_intake" http "$HP" -c "$HC" -d "$SECS" "${keys[@]}" < "$T/list" || echo "http: some reports failed"
per_report http "$C0" "$N0"
C0=$(cpu_ms); N0=$(reports)
"$BUILD/bench/bench_intake" smtp "$SP" -c "$SC" -d "$SECS" < "$T/list" || echo "smtp: some reports failed"
per_report smtp "$C0" "$N0"
curl -s "http://127.0.0.1:$HP/metrics" | grep -E '^repute_(commits|committed_reports)' || true
echo "reports in the database: $(sqlite3 "$T/repute.db" 'SELECT count(*) FROM reports')"
kill "$PID"; wait "$PID" || true; PID=
grep -v '^$' "$T/reputed.log" | tail -5 || true
