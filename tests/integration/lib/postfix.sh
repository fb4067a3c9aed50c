# postfix.sh - throw-away Postfix instances on 127.0.0.1 for integration tests (sourced after
# common.sh and ports.sh). Each instance has its own config, queue and data directories under
# $PFROOT, smtpd on a high port, STARTTLS with a self-signed certificate, a "submission"
# smtpd on a second port, and discards or holds anything that would ever be queued.
#   pf_require           - exit 0 (skipped) without postfix, openssl, root, postfix user/postdrop
#   pf_init              - choose $PFROOT (reachable by the postfix user), make the certificate
#   pf_instance NAME PORT SUBPORT RELAY_RESTRICTIONS MYNETWORKS SUB_RESTRICTIONS - configure, start
#   pf_set NAME PARAM=VALUE... - change main.cf and reload
#   pf_stop_all          - stop every instance, remove a private $PFROOT (call from the EXIT trap)
# (master.cf -o values must not contain spaces: SUB_RESTRICTIONS is comma-separated.)
# Used by relay_postfix.sh and relay_centre.sh.
POSTFIX=$(command -v postfix || echo /usr/sbin/postfix)
PFROOT=
PF_OWN=

# pf_require - skip the test (exit 0) when Postfix cannot run here.
pf_require() {
	local x
	for x in "$POSTFIX" openssl postconf postqueue; do
		command -v "$x" >/dev/null || { echo "$x missing: skipped"; exit 0; }
	done
	[ "$(id -u)" -eq 0 ] || { echo "not root (Postfix needs root): skipped"; exit 0; }
	id postfix >/dev/null 2>&1 || { echo "no postfix user: skipped"; exit 0; }
	getent group postdrop >/dev/null || { echo "no postdrop group: skipped"; exit 0; }
}

# pf_init - $PFROOT and the certificate.
pf_init() {
	chmod 755 "$T"
	PFROOT=$T/pf
	if ! runuser -u postfix -- test -x "$T" 2>/dev/null; then
		PFROOT=$(mktemp -d /tmp/repute-pf.XXXXXX) && chmod 755 "$PFROOT" || fail "mktemp"
		PF_OWN=$PFROOT
	fi
	mkdir -p "$PFROOT"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mx.test.example" \
		-keyout "$PFROOT/key.pem" -out "$PFROOT/cert.pem" > "$T/openssl.log" 2>&1 || fail "openssl req: $(cat "$T/openssl.log")"
}

# pf_stop_all - stop every instance under $PFROOT.
pf_stop_all() {
	local d
	[ -n "$PFROOT" ] || return 0
	for d in "$PFROOT"/*/; do
		[ -f "$d/etc/main.cf" ] && "$POSTFIX" -c "$d/etc" stop >/dev/null 2>&1
	done
	[ -n "$PF_OWN" ] && rm -rf "$PF_OWN"
	return 0
}

# pf_instance NAME PORT SUBPORT RELAY_RESTRICTIONS MYNETWORKS SUB_RESTRICTIONS - one Postfix.
pf_instance() {
	local d=$PFROOT/$1
	mkdir -p "$d/etc" "$d/spool" "$d/data"
	chown postfix:postfix "$d/data"
	cp "$PFROOT/key.pem" "$PFROOT/cert.pem" "$d/etc/" && chmod 600 "$d/etc/key.pem"
	cat > "$d/etc/main.cf" <<EOT
compatibility_level = 3.6
config_directory = $d/etc
queue_directory = $d/spool
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $d/maillog
maillog_file_prefixes = $PFROOT
myhostname = mx.test.example
mydomain = test.example
myorigin = test.example
mydestination = test.example, mx.test.example
local_recipient_maps =
relay_domains =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = $5
smtpd_peername_lookup = no
disable_dns_lookups = yes
smtp_dns_support_level = disabled
smtpd_relay_restrictions = $4
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_cert_file = $d/etc/cert.pem
smtpd_tls_key_file = $d/etc/key.pem
smtpd_end_of_data_restrictions = check_client_access static:HOLD
default_transport = discard:relay test, no delivery
relay_transport = discard:relay test, no delivery
EOT
	cat > "$d/etc/master.cf" <<EOT
127.0.0.1:$2 inet n - n - - smtpd
127.0.0.1:$3 inet n - n - - smtpd -o syslog_name=postfix/submission -o smtpd_relay_restrictions=$6
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
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
postlog   unix-dgram n  -       n       -       1       postlogd
EOT
	"$POSTFIX" -c "$d/etc" check > "$T/pfcheck.$1" 2>&1 || fail "postfix check $1: $(cat "$T/pfcheck.$1")"
	"$POSTFIX" -c "$d/etc" start > "$T/pfstart.$1" 2>&1 || fail "postfix start $1: $(cat "$T/pfstart.$1"; tail -5 "$d/maillog")"
	local i
	for i in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && break; sleep 0.1; done
	(exec 3<>"/dev/tcp/127.0.0.1/$3") 2>/dev/null || fail "postfix $1 not listening: $(tail -5 "$d/maillog")"
}

# pf_set NAME PARAM=VALUE... - edit main.cf (postconf -e) and reload the instance.
pf_set() {
	local d=$PFROOT/$1
	shift
	postconf -c "$d/etc" -e "$@" || fail "postconf -e $*"
	"$POSTFIX" -c "$d/etc" reload > "$T/pfreload.log" 2>&1 || fail "postfix reload: $(cat "$T/pfreload.log")"
}
