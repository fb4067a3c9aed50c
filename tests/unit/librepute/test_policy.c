/* test_policy.c - the Postfix policy delegation parser: a full Postfix request, requests split
 * at every byte, several requests in one buffer, CRLF, every malformed kind (named cases), the
 * limits, resynchronisation after a bad request, and the answer writer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/error.h"
#include "repute/policy.h"

/* A request as Postfix 3.7 sends it (SMTPD_POLICY_README). */
static const char postfix_req[] =
	"request=smtpd_access_policy\n"
	"protocol_state=RCPT\n"
	"protocol_name=ESMTP\n"
	"client_address=192.0.2.7\n"
	"client_name=mail.example.com\n"
	"reverse_client_name=mail.example.com\n"
	"helo_name=mail.example.com\n"
	"sender=alice@example.com\n"
	"recipient=bob@example.net\n"
	"recipient_count=0\n"
	"queue_id=\n"
	"instance=123.456.7\n"
	"size=12345\n"
	"sasl_method=\n"
	"ccert_subject=\n"
	"server_address=198.51.100.1\n"
	"server_port=25\n"
	"\n";

/* test_full_request - every attribute is found, empty values kept. */
static void test_full_request(void **state)
{
	struct rp_policy_parser *p = xmalloc(sizeof(*p));
	struct rp_diag d = { 0 };

	assert_int_equal(rp_policy_parse(p, postfix_req, strlen(postfix_req), &d), 0);
	assert_int_equal(p->req.n, 17);
	assert_string_equal(rp_policy_get(&p->req, "client_address"), "192.0.2.7");
	assert_string_equal(rp_policy_get(&p->req, "sender"), "alice@example.com");
	assert_string_equal(rp_policy_get(&p->req, "queue_id"), "");
	assert_null(rp_policy_get(&p->req, "nosuch"));
	xfree(p);
}

/* test_split_every_byte - fed one byte at a time, the same request comes out. */
static void test_split_every_byte(void **state)
{
	struct rp_policy_parser *p = xmalloc(sizeof(*p));
	size_t len = strlen(postfix_req), used;
	int rc = 0;

	rp_policy_parser_init(p);
	for (size_t i = 0; i < len; i++) {
		rc = rp_policy_feed(p, postfix_req + i, 1, &used, NULL);
		assert_int_equal(used, 1);
		if (i + 1 < len)
			assert_int_equal(rc, 0);
	}
	assert_int_equal(rc, 1);
	assert_string_equal(rp_policy_get(&p->req, "helo_name"), "mail.example.com");
	xfree(p);
}

/* test_pipelined - two requests in one buffer, CRLF in the second. */
static void test_pipelined(void **state)
{
	struct rp_policy_parser *p = xmalloc(sizeof(*p));
	const char in[] = "request=smtpd_access_policy\nsender=a@x\n\n"
			  "request=smtpd_access_policy\r\nsender=b@y\r\n\r\n";
	size_t used, off = 0;

	rp_policy_parser_init(p);
	assert_int_equal(rp_policy_feed(p, in, sizeof(in) - 1, &used, NULL), 1);
	assert_string_equal(rp_policy_get(&p->req, "sender"), "a@x");
	off = used;
	assert_int_equal(rp_policy_feed(p, in + off, sizeof(in) - 1 - off, &used, NULL), 1);
	assert_int_equal(off + used, sizeof(in) - 1);
	assert_string_equal(rp_policy_get(&p->req, "sender"), "b@y");
	assert_string_equal(rp_policy_get(&p->req, "request"), "smtpd_access_policy");
	xfree(p);
}

struct bad_case {
	const char *name;
	const char *input;
	int code;
	const char *reason; /* a substring of diag.reason */
};

/* test_malformed - each malformed kind gives its code and a clear reason. */
static void test_malformed(void **state)
{
	static const struct bad_case cases[] = {
		{ "no_equals", "request=smtpd_access_policy\ngarbage\n\n", RP_EPARSE, "no '='" },
		{ "empty_name", "request=smtpd_access_policy\n=x\n\n", RP_EPARSE, "bad attribute name" },
		{ "upper_name", "request=smtpd_access_policy\nSender=x\n\n", RP_EPARSE, "bad attribute name" },
		{ "repeated", "request=smtpd_access_policy\nsender=a\nsender=b\n\n", RP_EPARSE, "repeated" },
		{ "no_request", "sender=a\n\n", RP_EPARSE, "missing request=" },
		{ "empty_request", "\n", RP_EPARSE, "missing request=" },
		{ "other_request", "request=junk\n\n", RP_EUNSUPP, "is not smtpd_access_policy" },
		{ "unterminated", "request=smtpd_access_policy\n", RP_EPARSE, "not terminated" },
		{ "trailing", "request=smtpd_access_policy\n\nx", RP_EPARSE, "after the request" },
	};
	struct rp_policy_parser *p = xmalloc(sizeof(*p));

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rp_diag d = { 0 };
		int rc = rp_policy_parse(p, cases[i].input, strlen(cases[i].input), &d);
		if (rc != cases[i].code || strstr(d.reason, cases[i].reason) == NULL)
			fail_msg("%s: rc %d reason '%s'", cases[i].name, rc, d.reason);
	}
	/* a NUL byte */
	struct rp_diag d = { 0 };
	const char nul[] = "request=smtpd_access_policy\nsender=a\0b\n\n";
	assert_int_equal(rp_policy_parse(p, nul, sizeof(nul) - 1, &d), RP_EPARSE);
	assert_non_null(strstr(d.reason, "NUL"));
	xfree(p);
}

/* test_limits - line length, attribute count and request size are enforced. */
static void test_limits(void **state)
{
	struct rp_policy_parser *p = xmalloc(sizeof(*p));
	struct rp_diag d = { 0 };
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "request=smtpd_access_policy\nsender=");
	for (int i = 0; i < RP_POLICY_MAX_LINE; i++)
		buf_putc(&b, 'a');
	buf_puts(&b, "\n\n");
	assert_int_equal(rp_policy_parse(p, b.data, b.len, &d), RP_ETOOBIG);
	assert_non_null(strstr(d.reason, "longer than"));

	buf_reset(&b);
	buf_puts(&b, "request=smtpd_access_policy\n");
	for (int i = 0; i < RP_POLICY_MAX_ATTRS; i++)
		buf_printf(&b, "a%d=x\n", i);
	buf_puts(&b, "\n");
	assert_int_equal(rp_policy_parse(p, b.data, b.len, &d), RP_ETOOBIG);
	assert_non_null(strstr(d.reason, "attributes"));

	/* exactly the maximum number of attributes is fine */
	buf_reset(&b);
	buf_puts(&b, "request=smtpd_access_policy\n");
	for (int i = 1; i < RP_POLICY_MAX_ATTRS; i++)
		buf_printf(&b, "a%d=x\n", i);
	buf_puts(&b, "\n");
	assert_int_equal(rp_policy_parse(p, b.data, b.len, &d), 0);
	assert_int_equal(p->req.n, RP_POLICY_MAX_ATTRS);

	buf_reset(&b);
	buf_puts(&b, "request=smtpd_access_policy\n");
	for (int i = 0; i < 40; i++) {
		buf_printf(&b, "a%d=", i);
		for (int k = 0; k < 1000; k++)
			buf_putc(&b, 'v');
		buf_putc(&b, '\n');
	}
	buf_puts(&b, "\n");
	assert_int_equal(rp_policy_parse(p, b.data, b.len, &d), RP_ETOOBIG);
	assert_non_null(strstr(d.reason, "request longer"));
	buf_fini(&b);
	xfree(p);
}

/* test_resync - after a malformed request the next one parses. */
static void test_resync(void **state)
{
	struct rp_policy_parser *p = xmalloc(sizeof(*p));
	const char in[] = "bad line\nmore junk\n\nrequest=smtpd_access_policy\nsender=ok@x\n\n";
	struct rp_diag d = { 0 };
	size_t used;

	rp_policy_parser_init(p);
	assert_int_equal(rp_policy_feed(p, in, sizeof(in) - 1, &used, &d), RP_EPARSE);
	assert_string_equal(d.reason, "line 1: no '=' (expected name=value)");
	assert_int_equal(rp_policy_feed(p, in + used, sizeof(in) - 1 - used, &used, &d), 1);
	assert_string_equal(rp_policy_get(&p->req, "sender"), "ok@x");
	/* another request type is refused but its attributes stay readable */
	const char other[] = "request=repute_stats\n\n";
	assert_int_equal(rp_policy_feed(p, other, sizeof(other) - 1, &used, &d), RP_EUNSUPP);
	assert_string_equal(rp_policy_get(&p->req, "request"), "repute_stats");
	xfree(p);
}

/* test_format - answers are one line plus the empty line, control bytes removed. */
static void test_format(void **state)
{
	struct buf b;

	buf_init(&b);
	rp_policy_format(&b, "DUNNO", NULL);
	assert_string_equal(b.data, "action=DUNNO\n\n");
	buf_reset(&b);
	rp_policy_format(&b, "REJECT", "listed in bl.example:\nspam\r");
	assert_string_equal(b.data, "action=REJECT listed in bl.example: spam \n\n");
	buf_reset(&b);
	char *big = xmalloc(5000);
	memset(big, 'x', 4999);
	big[4999] = '\0';
	rp_policy_format(&b, "REJECT", big);
	assert_true(b.len <= RP_POLICY_MAX_LINE + 2);
	assert_int_equal(strchr(b.data, '\n') - b.data, (long)b.len - 2);
	xfree(big);
	buf_fini(&b);
}

/* main - run the tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_request),
		cmocka_unit_test(test_split_every_byte),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_resync),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
