#!/usr/bin/env bash
# dns_postfix.sh - a real Postfix smtpd acts on repute-dns's answers: with reject_rbl_client on our
# zone, a client listed in it is refused at RCPT with our TXT (the address '$'-substituted), and an
# unlisted one is accepted and its message delivered. The client address is varied with XCLIENT
# (swaks). Postfix resolves through the system resolver, so it runs in a private mount namespace
# whose /etc/resolv.conf points at repute-dns on a loopback address, port 53; nothing outside the
# namespace changes. Needs root, postfix, swaks and unshare; skipped (exit 0) without them.
set -u
BIN=${REPUTE_BIN:?}; TMP=${REPUTE_TMP:-/tmp/repute-dns-postfix}
POSTFIX=$(command -v postfix || echo /usr/sbin/postfix)
for x in "$POSTFIX" swaks unshare; do command -v "$x" > /dev/null || { echo "$x missing: skipped"; exit 0; }; done
[ "$(id -u)" -eq 0 ] || { echo "not root: skipped"; exit 0; }
id postfix > /dev/null 2>&1 && getent group postdrop > /dev/null || { echo "no postfix user/postdrop group: skipped"; exit 0; }
rm -rf "$TMP"; mkdir -p "$TMP"; cd "$TMP" || exit 1
chmod 755 "$TMP"
. "$REPUTE_SRC/tests/integration/lib/ports.sh"
SMTP_PORT=$(free_ports 1)
DNS_ADDR=127.53.$(( ($$ % 250) + 1 )).1
PF=$TMP/pf
fails=0; pid=
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { if printf '%s\n' "$3" | grep -Eq -- "$2"; then pass "$1"; else fail "$1: wanted /$2/, got: $3"; fi; }
cleanup() {
	[ -f "$PF/etc/main.cf" ] && "$POSTFIX" -c "$PF/etc" stop > /dev/null 2>&1
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
}
trap cleanup EXIT

cat > bl.ip4set <<'EOT'
$SOA 60 ns.bl.example. root.bl.example. 1 60 60 60 60
:127.0.0.2:Listed in bl.example, see http://bl.example/lookup?ip=$
127.0.0.2
192.0.2.0/25
EOT
"$BIN/repute-dns" -n -b "$DNS_ADDR/53" --threads 1 bl.example:ip4set:bl.ip4set > daemon.log 2>&1 &
pid=$!
for i in $(seq 1 50); do dig +short -p 53 @"$DNS_ADDR" 2.0.0.127.bl.example A 2>/dev/null | grep -qx 127.0.0.2 && break; sleep 0.1; done
printf 'nameserver %s\noptions attempts:2 timeout:2\n' "$DNS_ADDR" > resolv.conf

mkdir -p "$PF/etc" "$PF/spool" "$PF/data" "$PF/mail"
chown postfix:postfix "$PF/mail" "$PF/data"
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
smtp_dns_support_level = disabled
virtual_mailbox_domains = example.net
virtual_mailbox_base = $PF/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$(id -u postfix)
virtual_gid_maps = static:$(id -g postfix)
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = reject_rbl_client bl.example=127.0.0.2, permit
EOT
cat > "$PF/etc/master.cf" <<EOT
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
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
unshare -m --propagation private sh -c "mount --bind '$TMP/resolv.conf' /etc/resolv.conf && exec '$POSTFIX' -c '$PF/etc' start" \
	> pfstart.log 2>&1 || fail "postfix start: $(cat pfstart.log; cat "$PF/maillog" 2>/dev/null)"
for i in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null && break; sleep 0.1; done

smtp() { swaks --server "127.0.0.1:$SMTP_PORT" --from sender@origin.example --to user@example.net \
	--xclient-addr "$1" --helo client.example --timeout 20 "${@:2}" 2>&1; }
r=$(smtp 192.0.2.5 --quit-after RCPT)
check "listed client refused at RCPT" '<\*\* +554 5\.7\.1 .*blocked using bl\.example' "$r"
check "refusal carries our TXT with the address" 'Listed in bl\.example, see http://bl\.example/lookup\?ip=192\.0\.2\.5' "$r"
r=$(smtp 192.0.2.200 --body "unlisted client test")
check "unlisted client accepted" '<- +250 2\.0\.0 Ok: queued' "$r"
for i in $(seq 1 50); do ls "$PF/mail/inbox/new/"* > /dev/null 2>&1 && break; sleep 0.1; done
check "message delivered" 'unlisted client test' "$(cat "$PF"/mail/inbox/new/* 2>/dev/null)"
r=$(smtp 127.0.0.2 --quit-after RCPT)
check "RFC 5782 test point refused" '554 5\.7\.1' "$r"
check "repute-dns saw Postfix's queries" 'reject: RCPT from unknown\[192\.0\.2\.5\]' "$(cat "$PF/maillog")"
"$POSTFIX" -c "$PF/etc" stop > /dev/null 2>&1
kill "$pid"; wait "$pid"; pid=
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
