#!/usr/bin/env bash
# bench/analyze/run.sh: evidence-engine throughput over the whole public SpamAssassin corpus on
# one core (taskset), headers+origin alone and full analysis, with peak memory. Uses the
# optimised build in build/ (make build). Targets: 50,000 messages/s headers+origin, 10,000/s full.
set -eu
cd "$(dirname "$0")/../.."
make -s build >/dev/null
data=$(scripts/corpus)
find "$data" -name '*.txt' | sort | taskset -c 0 build/bench/bench_analyze "${1:-3}"
