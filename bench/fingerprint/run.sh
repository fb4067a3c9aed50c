#!/usr/bin/env bash
# bench/fingerprint/run.sh: false-match and true-match rates of the campaign fingerprint over
# every pair of messages of the public SpamAssassin corpus (docs/fingerprint.md). Uses the
# optimised build (make build) and the corpus cache of scripts/corpus.
set -eu
cd "$(dirname "$0")/../.."
make -s build >/dev/null
data=$(scripts/corpus)
list=$(mktemp)
find "$data" -name '*.txt' | sort >"$list"
build/bench/bench_fingerprint "$list"
rm -f "$list"
