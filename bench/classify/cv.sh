#!/usr/bin/env bash
# cv.sh DIR [K]: K-fold cross-validation (default 3) of the content classifier on the TRAINING part of the
# benchmark split only (DIR/train-ham.txt, DIR/train-spam.txt as made by run.sh or
# ../shared/bench/corpus/split.sh); the test part is never read. Message i of each list is in fold i mod K.
# For each fold: train on the other folds, classify the fold. Prints, pooled over the folds, the ham marked
# spam and the spam caught at the default cutoff, and the spam caught at the lowest cutoff that keeps the
# ham marked spam <= 0.1 %. REPUTE=binary; CUTOFF=X the cutoff reported (default 0.70); CLASSIFY_ARGS="..."
# extra options of `repute classify`, several sets separated by ";" each evaluated on the same trained folds
# (e.g. "--param robs=0.5;--param robs=1 --param max-sig=40"). Used to choose parameters and features
# without looking at the test messages (docs/classifier.md).
set -eu
d=$(cd "$1" && pwd)
k=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
repute=${REPUTE:-$here/../../build/bench-classify/bin/repute}
w=$d/cv
rm -rf "$w" && mkdir -p "$w"
for ((f = 0; f < k; f++)); do
  for c in ham spam; do
    awk -v k="$k" -v f="$f" 'NR % k != f' "$d/train-$c.txt" >"$w/tr-$c.$f"
    awk -v k="$k" -v f="$f" 'NR % k == f' "$d/train-$c.txt" >"$w/va-$c.$f"
  done
  "$repute" train --db "$w/db.$f" --spam --files-from "$w/tr-spam.$f" --ham --files-from "$w/tr-ham.$f" 2>/dev/null
done
IFS=';' read -r -a sets <<<"${CLASSIFY_ARGS:- }"
for args in "${sets[@]}"; do
  : >"$w/scores"
  for ((f = 0; f < k; f++)); do
    # shellcheck disable=SC2086
    "$repute" classify --db "$w/db.$f" $args --files-from "$w/va-ham.$f" | awk '{print "ham", $3, $1}' >>"$w/scores"
    # shellcheck disable=SC2086
    "$repute" classify --db "$w/db.$f" $args --files-from "$w/va-spam.$f" | awk '{print "spam", $3, $1}' >>"$w/scores"
  done
  sort -k2,2gr "$w/scores" | awk -v cut="${CUTOFF:-0.70}" -v args="$args" '
    { n[$1]++; if ($2 >= cut) at[$1]++ }
    { s[NR] = $2; c[NR] = $1 }
    END {
      nh = n["ham"]; ns = n["spam"]; maxfp = int(nh * 0.001)
      fp = 0; tp = 0; best = 0; bcut = 1
      for (i = 1; i <= NR; i++) {
        if (c[i] == "ham") fp++; else tp++
        if ((i == NR || s[i + 1] != s[i]) && fp <= maxfp) { best = tp; bcut = s[i] }
      }
      printf "cv [%s]: ham %d, spam %d | cutoff %s: ham->spam %d (%.2f %%), spam caught %d (%.2f %%)", \
        args, nh, ns, cut, at["ham"], 100 * at["ham"] / nh, at["spam"], 100 * at["spam"] / ns
      printf " | best with ham->spam <= %d: %d (%.2f %%) at %s\n", maxfp, best, 100 * best / ns, bcut
    }'
done
rm -rf "$w"/db.*
