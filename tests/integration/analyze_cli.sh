#!/usr/bin/env bash
# analyze_cli.sh - `repute analyze` on the bundled samples: origin, evidence fields, ARF,
# forwarded attachments, --explain, trust options and exit codes.
set -u
. "$(dirname "$0")/lib/common.sh"

r="$REPUTE_BIN/repute"
s="$REPUTE_SRC/samples"

# 1. Forged lower hop: the origin is the first hop from outside, not the forged one below it.
out=$("$r" analyze "$s/01-spam-forged-chain.eml") || fail "analyze 01 exited $?"
expect_json "$out" '.origin.ip' '"61.135.10.77"'
expect_json "$out" '.origin.hop' '1'
expect_json "$out" '.received | length' '3'
expect_json "$out" '.received[0].verdict' '"trusted"'
expect_json "$out" '.received[1].verdict' '"origin"'
expect_json "$out" '.received[2].verdict' '"ignored"'
expect_json "$out" '.received[1].from_ip' '"61.135.10.77"'
expect_json "$out" '.received[1].by' '"mx1.provider.cn"'
expect_json "$out" '.received[1].id' '"9A8B7C6D"'
expect_json "$out" '.source' '"message"'
expect_json "$out" '[.domains[] | select(. == "watches-outlet.top")] | length' '1'
expect_json "$out" '[.domains[] | select(. == "deals-4u-shop.com")] | length' '1'
expect_json "$out" '[.urls[] | select(.obfuscated)] | length > 0' 'true'
expect_json "$out" '.phones' '["+8613800138000"]'
expect_json "$out" '[.emails[] | select(. == "promo@deals-4u-shop.com")] | length' '1'
expect_json "$out" '[.emails[] | select(. == "li.wei@provider.cn")] | length' '0'
expect_json "$out" '.fingerprint | type' '"string"'
ok "forged chain: origin, hops, URLs, phones, e-mails"

# 2. GB2312 body and RFC 2047 subject; trusting the provider's relay moves the origin down.
out=$("$r" analyze "$s/02-chinese-gb2312.eml") || fail "analyze 02 exited $?"
expect_json "$out" '.origin.ip' '"220.181.12.15"'
expect_json "$out" '.subject' '"代开发票，优惠多多"'
expect_json "$out" '.phones' '["+8613912345678"]'
expect_json "$out" '[.domains[] | select(. == "fapiao-daikai.cn")] | length' '1'
out=$("$r" analyze --trusted 220.181.12.0/24 "$s/02-chinese-gb2312.eml") || fail "analyze 02 trusted"
expect_json "$out" '.origin.ip' '"113.87.45.201"'
expect_json "$out" '.received[0].verdict' '"trusted"'
ok "GB2312 message and configured trust"

# 3. ARF: feedback fields, evidence about the attached original.
out=$("$r" analyze "$s/03-arf-report.eml") || fail "analyze 03 exited $?"
expect_json "$out" '.source' '"arf-original"'
expect_json "$out" '.feedback.feedback_type' '"abuse"'
expect_json "$out" '.feedback.source_ip' '"61.135.10.77"'
expect_json "$out" '.feedback.user_agent' '"ProviderFBL/2.1"'
expect_json "$out" '.feedback.reported_domain' '["deals-4u-shop.com"]'
expect_json "$out" '.origin.ip' '"61.135.10.77"'
expect_json "$out" '.subject' '"Luxury watches 90% off - today only"'
ok "ARF report"

# 4. Spam forwarded as an attachment by an authenticated user: evidence is about the attachment.
out=$("$r" analyze "$s/04-forwarded-attachment.eml") || fail "analyze 04 exited $?"
expect_json "$out" '.source' '"forwarded-attachment"'
expect_json "$out" '.origin.ip' '"185.220.101.34"'
expect_json "$out" '.attachments[0].name' '"claim-form.pdf"'
expect_json "$out" '.attachments[0].type' '"application/pdf"'
expect_json "$out" '.attachments[0].sha256 | length' '64'
expect_json "$out" '[.domains[] | select(. == "lucky-draw-center.xyz")] | length' '1'
expect_json "$out" '[.phones[] | select(. == "+8675588881234")] | length' '1'
expect_json "$out" '[.emails[] | select(. == "wang.fang@provider.cn")] | length' '0'
ok "forwarded attachment"

# 5. Same forged chain as the same message in the ARF: same fingerprint family.
fp1=$("$r" analyze "$s/01-spam-forged-chain.eml" | jq -r .fingerprint)
fp3=$("$r" analyze "$s/03-arf-report.eml" | jq -r .fingerprint)
[ -n "$fp1" ] && [ "$fp1" != null ] || fail "no fingerprint"
ok "fingerprints present ($fp1 / $fp3)"

# 6. --explain prints the walk.
"$r" analyze --explain "$s/01-spam-forged-chain.eml" >"$T/explain.txt" || fail "explain exited $?"
grep -q '^origin: 61.135.10.77' "$T/explain.txt" || fail "explain: no origin line"
grep -q 'ignored' "$T/explain.txt" || fail "explain: forged hop not marked"
ok "--explain"

# 7. Standard input, not-mail input, unreadable files and usage errors.
"$r" analyze - <"$s/01-spam-forged-chain.eml" | jq -e '.origin.ip == "61.135.10.77"' >/dev/null || fail "stdin"
printf '\x00\x01\x02binary garbage\xff\xfe' >"$T/garbage"
"$r" analyze "$T/garbage" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "garbage: exit $rc, want 1"
[ -s "$T/out" ] && fail "garbage: printed something on stdout"
grep -q 'not a mail message' "$T/err" || fail "garbage: unclear message: $(cat "$T/err")"
: >"$T/empty"
"$r" analyze "$T/empty" 2>/dev/null; [ $? -eq 1 ] || fail "empty input should exit 1"
"$r" analyze "$T/does-not-exist" 2>/dev/null; [ $? -eq 1 ] || fail "missing file should exit 1"
"$r" analyze 2>/dev/null; [ $? -eq 2 ] || fail "no argument should exit 2"
"$r" analyze --bogus x 2>/dev/null; [ $? -eq 2 ] || fail "bad option should exit 2"
"$r" analyze --trusted not-a-network x 2>/dev/null; [ $? -eq 2 ] || fail "bad network should exit 2"
ok "exit codes"

# 8. A config file sets the trust boundary.
printf '[evidence]\ntrusted_networks = 220.181.12.0/24\n' >"$T/repute.conf"
"$r" analyze --config "$T/repute.conf" "$s/02-chinese-gb2312.eml" | jq -e '.origin.ip == "113.87.45.201"' >/dev/null ||
  fail "config file trust"
printf '[evidence]\nno_such_option = 1\n' >"$T/bad.conf"
"$r" analyze --config "$T/bad.conf" "$s/02-chinese-gb2312.eml" 2>"$T/err"; [ $? -eq 2 ] || fail "bad config should exit 2"
grep -q 'bad.conf:2' "$T/err" || fail "bad config: no file:line in $(cat "$T/err")"
ok "config file"
done_ok
