#!/usr/bin/env bash
# classify_cli.sh - `repute train` and `repute classify` end to end: the Chinese test set leave-one-out (every
# message classified correctly), output format, directory/mbox/stdin/--files-from inputs, exit codes, and bad
# input (empty, binary, binary-only attachment, broken encodings, a 50 MB body) answered with a verdict or a
# clear error in bounded time.
set -u
bin=${REPUTE_BIN:?}/repute
src=${REPUTE_SRC:?}
tmp=${REPUTE_TMP:-/tmp/classify_cli.$$}
zh=$src/tests/data/zh
rm -rf "$tmp" && mkdir -p "$tmp"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }

# expect_rc WANT DESC CMD...: run CMD (output to $tmp/out, $tmp/err) and check its exit status
expect_rc() {
  local want=$1 desc=$2 rc
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" = "$want" ]; then pass "$desc (exit $rc)"; else fail "$desc: exit $rc, want $want; $(head -3 "$tmp/err")"; fi
}

# 1. leave-one-out on the Chinese set: train on 39, classify the one left out
loo_wrong=0
for f in "$zh"/spam/*.eml "$zh"/ham/*.eml; do
  want=$(basename "$(dirname "$f")")
  rm -rf "$tmp/loo"
  ls "$zh"/spam/*.eml | grep -v "^$f\$" >"$tmp/spam.list"
  ls "$zh"/ham/*.eml | grep -v "^$f\$" >"$tmp/ham.list"
  "$bin" train --db "$tmp/loo" --spam --files-from "$tmp/spam.list" --ham --files-from "$tmp/ham.list" 2>/dev/null ||
    fail "train for $f"
  got=$("$bin" classify --db "$tmp/loo" "$f")
  echo "  $got"
  case $got in "$f $want "[01].[0-9][0-9][0-9][0-9]) ;; *) loo_wrong=$((loo_wrong + 1)) ;; esac
done
[ $loo_wrong = 0 ] && pass "Chinese set leave-one-out: 40/40" || fail "Chinese set leave-one-out: $loo_wrong wrong"

# 2. directories, output format, --files-from -, stdin
expect_rc 0 "train on directories" "$bin" train --db "$tmp/db" --spam "$zh/spam" --ham "$zh/ham"
grep -q "40 messages trained, 0 skipped" "$tmp/err" && pass "train summary" || fail "train summary: $(cat "$tmp/err")"
expect_rc 0 "classify files" "$bin" classify --db "$tmp/db" "$zh/spam/01.eml" "$zh/ham/01.eml"
if grep -Evq '^[^ ]+ (spam|unsure|ham) [01]\.[0-9]{4}$' "$tmp/out" || [ "$(wc -l <"$tmp/out")" != 2 ]; then
  fail "output format: $(cat "$tmp/out")"
else
  pass "output format"
fi
grep -q "^$zh/spam/01.eml spam " "$tmp/out" && grep -q "^$zh/ham/01.eml ham " "$tmp/out" && pass "verdicts" ||
  fail "verdicts: $(cat "$tmp/out")"
ls "$zh"/spam/*.eml | "$bin" classify --db "$tmp/db" --files-from - >"$tmp/out"
[ "$(grep -c ' spam ' "$tmp/out")" = 20 ] && pass "--files-from -" || fail "--files-from -: $(cat "$tmp/out")"
"$bin" classify --db "$tmp/db" - <"$zh/ham/02.eml" >"$tmp/out"
grep -q '^- ham ' "$tmp/out" && pass "stdin" || fail "stdin: $(cat "$tmp/out")"
"$bin" classify --db "$tmp/db" --tokens "$zh/spam/01.eml" >"$tmp/out"
grep -q '  *[0-9]*  *[0-9]*  发票$' "$tmp/out" && pass "--tokens" || fail "--tokens"

# 3. mbox training ("From " lines) and training from standard input
for f in "$zh"/spam/*.eml; do echo "From spammer@example.com Mon Jun  2 10:00:00 2025"; tr -d '\r' <"$f"; echo; done >"$tmp/spam.mbox"
expect_rc 0 "train on an mbox" "$bin" train --db "$tmp/db2" --spam "$tmp/spam.mbox"
grep -q "20 messages trained" "$tmp/err" && pass "mbox split into 20" || fail "mbox: $(cat "$tmp/err")"
expect_rc 0 "train from stdin" sh -c "\"$bin\" train --db \"$tmp/db2\" --ham - <\"$zh/ham/03.eml\""

# 4. usage and errors
expect_rc 2 "no --db" "$bin" classify "$zh/ham/01.eml"
expect_rc 2 "no class before input" "$bin" train --db "$tmp/db" "$zh/ham/01.eml"
expect_rc 2 "unknown option" "$bin" classify --db "$tmp/db" --bogus "$zh/ham/01.eml"
expect_rc 2 "bad cutoff" "$bin" classify --db "$tmp/db" --spam-cutoff 2 "$zh/ham/01.eml"
expect_rc 2 "bad --param" "$bin" classify --db "$tmp/db" --param bogus=1 "$zh/ham/01.eml"
expect_rc 2 "bad --param value" "$bin" classify --db "$tmp/db" --param max-sig=0 "$zh/ham/01.eml"
expect_rc 0 "--param" "$bin" classify --db "$tmp/db" --param robs=0.5 --param max-sig=40 --param large-n=1 "$zh/ham/01.eml"
expect_rc 1 "missing database" "$bin" classify --db "$tmp/nonexistent" "$zh/ham/01.eml"
expect_rc 1 "missing file among good ones" "$bin" classify --db "$tmp/db" "$zh/ham/01.eml" "$tmp/nonexistent.eml"
[ "$(wc -l <"$tmp/out")" = 1 ] && pass "good file still classified" || fail "good file not classified"

# 5. bad input: a verdict or a clear error, bounded time
: >"$tmp/empty.eml"
expect_rc 1 "empty message" "$bin" classify --db "$tmp/db" "$tmp/empty.eml"
grep -q "empty message" "$tmp/err" && pass "empty: clear error" || fail "empty: $(cat "$tmp/err")"
head -c 4000 /dev/urandom >"$tmp/garbage.bin"
expect_rc 1 "binary garbage" "$bin" classify --db "$tmp/db" "$tmp/garbage.bin"
grep -q "not a mail message" "$tmp/err" && pass "garbage: clear error" || fail "garbage: $(cat "$tmp/err")"
{ printf 'From: a@example.org\r\nSubject: file\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
  printf -- '--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="x.exe"\r\n'
  printf 'Content-Transfer-Encoding: base64\r\n\r\n'; head -c 30000 /dev/urandom | base64; printf -- '\r\n--b1--\r\n'; } >"$tmp/binonly.eml"
expect_rc 0 "binary-only attachment" "$bin" classify --db "$tmp/db" "$tmp/binonly.eml"
printf 'From: a@example.org\r\nSubject: =?x-unknown?B?!!notbase64?= =?gb2312?Q?=B4=FA=BF=A?=\r\nContent-Type: text/plain; charset=x-bogus\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@ not base64 \xff\xfe\xc3 \xe4\xb8\r\n' >"$tmp/broken.eml"
expect_rc 0 "broken encodings" "$bin" classify --db "$tmp/db" "$tmp/broken.eml"
{ printf 'From: a@example.org\r\nSubject: big\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
  yes '免费 领取 hello world 代开发票 会议' | head -c $((50 * 1024 * 1024)); } >"$tmp/big.eml"
start=$(date +%s)
expect_rc 0 "50 MB body" timeout 120 "$bin" classify --db "$tmp/db" "$tmp/big.eml"
echo "  50 MB body: $(cat "$tmp/out") in $(( $(date +%s) - start )) s"
rm -f "$tmp/big.eml"

# 6. the database survives a trainer killed mid-way and is then still usable
many=()
for i in $(seq 30); do many+=("$zh/spam" "$zh/ham"); done
for delay in 0.2 0.5 0.9; do
  "$bin" train --db "$tmp/db3" --batch 5 --spam "${many[@]}" 2>/dev/null &
  pid=$!
  sleep $delay
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
done
expect_rc 0 "classify after a killed trainer" "$bin" classify --db "$tmp/db3" "$zh/ham/01.eml"

if [ $fails -gt 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all checks passed"
