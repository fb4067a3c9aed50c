#!/bin/sh
# run.sh TARGET WORKDIR SEEDDIR SECONDS: a short libFuzzer run for ctest. New inputs go to
# WORKDIR (kept between runs), seeds are read from SEEDDIR when it exists, crashes are
# written to WORKDIR and fail the test.
set -eu
target=$1 work=$2 seeds=$3 secs=$4
mkdir -p "$work"
set -- "$work"
[ -d "$seeds" ] && set -- "$work" "$seeds"
exec "$target" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$work/" "$@"
