# common.sh - helpers for integration tests (sourced). Needs REPUTE_BIN, REPUTE_SRC, REPUTE_TMP.
: "${REPUTE_BIN:?}" "${REPUTE_SRC:?}" "${REPUTE_TMP:=$(mktemp -d)}"
T=$REPUTE_TMP
rm -rf "$T" && mkdir -p "$T"
PASSED=0

# fail MSG - print and exit 1.
fail() { echo "FAIL: $*" >&2; exit 1; }
# ok MSG - one passed check.
ok() { PASSED=$((PASSED + 1)); echo "ok $PASSED - $*"; }
# expect_json JSON FILTER WANT - jq FILTER of JSON must print WANT (compact).
expect_json() {
  local got
  got=$(printf '%s' "$1" | jq -c "$2" 2>&1) || fail "jq $2: $got"
  [ "$got" = "$3" ] || fail "$2: got $got, want $3"
}
# done_ok - closing line counted by CI.
done_ok() { echo "$PASSED passed, 0 failed"; }
