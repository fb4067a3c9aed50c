/* test_audit.c - `repute-filter --audit-postfix` on small postconf texts: a safe configuration with
 * every check, open relays (no reject_unauth_destination, permit first, 0.0.0.0/0 in mynetworks), a
 * wide mynetworks, missing policy service / milter / DNSBL, continuation lines, -n output defaults,
 * and rf_audit_postfix's exit status on a file. The daemon file is compiled in directly (it has no
 * library home: it is part of the repute-filter program). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "rf_audit.c"

static char outbuf[4096];

/* audit - run rf_audit_text; the warnings text lands in outbuf. */
static int audit(const char *text)
{
	FILE *f = fmemopen(outbuf, sizeof(outbuf), "w");
	assert_non_null(f);
	int n = rf_audit_text(text, f);
	fclose(f);
	return n;
}

#define GOOD_CHECKS "smtpd_milters = inet:127.0.0.1:10041\n" \
	"smtpd_client_restrictions = reject_rbl_client zen.example\n"

/* test_safe - the documented integration: no warnings. */
static void test_safe(void **state)
{
	(void)state;
	assert_int_equal(audit("mynetworks = 127.0.0.0/8 [::1]/128 192.168.1.0/24\n"
			       "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination\n"
			       "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination,\n"
			       "    check_policy_service inet:127.0.0.1:10040\n" GOOD_CHECKS), 0);
	assert_string_equal(outbuf, "");
}

/* test_open_relay - relaying for anyone, three ways. */
static void test_open_relay(void **state)
{
	(void)state;
	assert_int_equal(audit("smtpd_relay_restrictions = permit\n"
			       "smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:10040\n" GOOD_CHECKS), 1);
	assert_non_null(strstr(outbuf, "open relay: neither"));
	assert_int_equal(audit("smtpd_relay_restrictions =\n"
			       "smtpd_recipient_restrictions = permit, reject_unauth_destination, check_policy_service inet:x:1\n"
			       GOOD_CHECKS), 1);
	assert_non_null(strstr(outbuf, "open relay"));
	assert_int_equal(audit("mynetworks = 127.0.0.0/8, 0.0.0.0/0\n"
			       "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n"
			       "smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:10040\n" GOOD_CHECKS), 1);
	assert_non_null(strstr(outbuf, "open relay: permit_mynetworks with mynetworks = 127.0.0.0/8, 0.0.0.0/0"));
	assert_int_equal(audit("mynetworks = [::]/0\n"
			       "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination, "
			       "check_policy_service inet:127.0.0.1:10040\n" GOOD_CHECKS), 1);
	assert_non_null(strstr(outbuf, "open relay: permit_mynetworks"));
}

/* test_wide_networks - a /12 is not an open relay but is worth a warning; maps are skipped. */
static void test_wide_networks(void **state)
{
	(void)state;
	assert_int_equal(audit("mynetworks = 172.16.0.0/12 hash:/etc/postfix/network_table $myorigin\n"
			       "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination, "
			       "check_policy_service inet:127.0.0.1:10040\n" GOOD_CHECKS), 1);
	assert_non_null(strstr(outbuf, "is wide"));
	/* not used by permit_mynetworks: no warning */
	assert_int_equal(audit("mynetworks = 0.0.0.0/0\n"
			       "smtpd_relay_restrictions = reject_unauth_destination\n"
			       "smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:10040\n" GOOD_CHECKS), 0);
}

/* test_missing_checks - -n output of a bare Postfix: default relay list is safe, but no checks. */
static void test_missing_checks(void **state)
{
	(void)state;
	assert_int_equal(audit("compatibility_level = 3.6\nmyhostname = mx.example\n"), 3);
	assert_non_null(strstr(outbuf, "no check_policy_service"));
	assert_non_null(strstr(outbuf, "no smtpd_milters"));
	assert_non_null(strstr(outbuf, "no reject_rbl_client"));
	assert_null(strstr(outbuf, "open relay"));
	/* postscreen DNSBL counts; a word inside another is not a match */
	assert_int_equal(audit("postscreen_dnsbl_sites = zen.example*2\nsmtpd_milters = unix:/run/m.sock\n"
			       "smtpd_recipient_restrictions = reject_unauth_destination, xcheck_policy_service\n"), 1);
	assert_non_null(strstr(outbuf, "no check_policy_service"));
}

/* test_file_status - the command's exit status and summary line. */
static void test_file_status(void **state)
{
	char path[] = "/tmp/test_audit.XXXXXX";
	int fd = mkstemp(path);
	FILE *out;

	(void)state;
	assert_true(fd >= 0);
	assert_true(write(fd, "smtpd_relay_restrictions = permit\n", 34) == 34);
	close(fd);
	out = fmemopen(outbuf, sizeof(outbuf), "w");
	assert_int_equal(rf_audit_postfix(path, out), 1);
	fclose(out);
	assert_non_null(strstr(outbuf, "4 warning(s)"));
	out = fmemopen(outbuf, sizeof(outbuf), "w");
	assert_int_equal(rf_audit_postfix("/nonexistent/postconf.txt", out), 2);
	fclose(out);
	unlink(path);
}

/* main - run the tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safe),
		cmocka_unit_test(test_open_relay),
		cmocka_unit_test(test_wide_networks),
		cmocka_unit_test(test_missing_checks),
		cmocka_unit_test(test_file_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
