/* test_arf_write.c - rp_arf_build (ARF, RFC 5965): a report about a sample spam round-trips
 * through our own parser (rp_message_parse + rp_arf_parse: every field written is read back,
 * the original comes back attached) and through Python's email package; the reporting user's
 * address is gone from the whole report (To, Cc, Delivered-To, body, encoded words); line ends
 * follow the original; bad fields and non-mail are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "repute/alloc.h"
#include "repute/arf.h"
#include "repute/buf.h"
#include "repute/error.h"
#include "repute/message.h"
#include "repute/redact.h"
#include "repute/strutil.h"

static const char spam[] =
	"Return-Path: <bounce@spammer.example>\n"
	"Delivered-To: Alice@Example.ORG\n"
	"Received: from mx.spammer.example (mx.spammer.example [198.51.100.23])\n"
	"\tby mx.example.org (Postfix) with ESMTP id 4AbC; Mon, 23 Nov 2026 10:00:00 +0000\n"
	"From: \"Cheap Pills\" <offers@spammer.example>\n"
	"To: alice@example.org\n"
	"Cc: \"Bob\" <bob@example.org>, =?UTF-8?B?YWxpY2VAZXhhbXBsZS5vcmc=?=\n"
	"Subject: Buy now\n"
	"Date: Mon, 23 Nov 2026 09:59:58 +0000\n"
	"Message-ID: <1@spammer.example>\n"
	"\n"
	"Dear alice@example.org,\n"
	"cheap pills at http://pills.example/?u=alice%40example.org\n";

/* build_in - the fields used by most cases. */
static struct rp_arf_build_in build_in(void)
{
	return (struct rp_arf_build_in){
		.user_agent = "repute-filter/1.0", .source_ip = "198.51.100.23",
		.reporting_mta = "mx.example.org", .from = "abuse-feedback@example.org",
		.to = "report@repute.example", .redact_user = "alice@example.org", .date = 1795428000,
	};
}

/* build - a report about msg or fail. */
static void build(const struct rp_arf_build_in *in, const char *msg, struct buf *out, size_t *n)
{
	struct rp_diag d = { 0 };

	buf_init(out);
	if (rp_arf_build(in, msg, strlen(msg), out, n, &d) != 0)
		fail_msg("rp_arf_build: %s", d.reason);
	buf_putc(out, '\0');
	out->len--;
}

/* test_round_trip - every field comes back through rp_arf_parse; the original is attached. */
static void test_round_trip(void **state)
{
	struct rp_arf_build_in in = build_in();
	struct buf out;
	struct rp_message *m = NULL;
	struct rp_arf *arf = NULL;
	struct rp_diag d = { 0 };
	size_t n = 0;

	(void)state;
	build(&in, spam, &out, &n);
	assert_int_equal(rp_message_parse(out.data, out.len, NULL, &m, &d), 0);
	assert_string_equal(m->content_type, "multipart/report");
	assert_string_equal(m->report_type, "feedback-report");
	assert_int_equal(rp_arf_parse(m, &arf, &d), 0);
	assert_string_equal(arf->feedback_type, "abuse");
	assert_string_equal(arf->user_agent, "repute-filter/1.0");
	assert_string_equal(arf->version, "1");
	assert_string_equal(arf->source_ip, "198.51.100.23");
	assert_non_null(strstr(arf->original_mail_from, "bounce@spammer.example"));
	assert_string_equal(arf->arrival_date, "Mon, 23 Nov 2026 10:00:00 +0000");
	assert_non_null(strstr(arf->reporting_mta, "mx.example.org"));
	assert_int_equal(m->n_attached, 1);
	assert_string_equal(rp_message_header(m->attached[0], "Subject"), "Buy now");
	assert_string_equal(rp_message_header(m->attached[0], "To"), RP_REDACTED_ADDR);
	assert_non_null(strstr(rp_message_header(m->attached[0], "Cc"), "bob@example.org"));
	assert_non_null(strstr(m->attached[0]->text, "Dear " RP_REDACTED_ADDR ","));
	assert_true(n >= 5);
	rp_arf_free(arf);
	rp_message_free(m);
	buf_fini(&out);
}

/* test_redacted_everywhere - the user's address is nowhere in the report, in any case or form. */
static void test_redacted_everywhere(void **state)
{
	struct rp_arf_build_in in = build_in();
	struct buf out;

	(void)state;
	build(&in, spam, &out, NULL);
	assert_null(mem_icasemem(out.data, out.len, "alice@example.org"));
	assert_null(mem_icasemem(out.data, out.len, "alice%40example.org"));
	assert_null(mem_icasemem(out.data, out.len, "YWxpY2VAZXhhbXBsZS5vcmc"));
	assert_non_null(strstr(out.data, "bob@example.org"));
	buf_fini(&out);
}

/* test_python_email - Python's email package reads the same structure. */
static void test_python_email(void **state)
{
	struct rp_arf_build_in in = build_in();
	struct buf out;
	char path[] = "/tmp/test_arf_write.XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	build(&in, spam, &out, NULL);
	assert_int_equal(write(fd, out.data, out.len), (ssize_t)out.len);
	close(fd);
	char *cmd = xasprintf(
		"python3 -c 'import email,sys\n"
		"m = email.message_from_binary_file(open(sys.argv[1], \"rb\"))\n"
		"assert m.get_content_type() == \"multipart/report\", m.get_content_type()\n"
		"assert m.get_param(\"report-type\") == \"feedback-report\"\n"
		"p = m.get_payload()\n"
		"assert [x.get_content_type() for x in p] == [\"text/plain\", \"message/feedback-report\", \"message/rfc822\"], p\n"
		"fr = p[1].get_payload()[0] if p[1].is_multipart() else email.message_from_string(p[1].get_payload())\n"
		"assert fr[\"Feedback-Type\"] == \"abuse\" and fr[\"Version\"] == \"1\" and fr[\"Source-IP\"] == \"198.51.100.23\", fr.items()\n"
		"o = p[2].get_payload()[0]\n"
		"assert o[\"Subject\"] == \"Buy now\" and o[\"To\"] == \"%s\", o.items()\n"
		"assert not m.defects, m.defects\n"
		"' %s",
		RP_REDACTED_ADDR, path);
	int st = system(cmd);
	unlink(path);
	xfree(cmd);
	buf_fini(&out);
	assert_int_equal(st, 0);
}

/* test_crlf - a CRLF original gives a CRLF report with no bare LF. */
static void test_crlf(void **state)
{
	struct rp_arf_build_in in = build_in();
	struct buf crlf, out;

	(void)state;
	buf_init(&crlf);
	for (const char *p = spam; *p != '\0'; p++) {
		if (*p == '\n')
			buf_putc(&crlf, '\r');
		buf_putc(&crlf, *p);
	}
	buf_putc(&crlf, '\0');
	build(&in, crlf.data, &out, NULL);
	for (size_t i = 0; i < out.len; i++)
		if (out.data[i] == '\n')
			assert_true(i > 0 && out.data[i - 1] == '\r');
	buf_fini(&out);
	buf_fini(&crlf);
}

/* test_defaults - no user to redact, no Source-IP: fields fall back or stay out. */
static void test_defaults(void **state)
{
	struct rp_arf_build_in in = { .from = "a@example.org", .to = "report@repute.example", .date = 0 };
	struct buf out;
	struct rp_message *m = NULL;
	struct rp_arf *arf = NULL;
	struct rp_diag d = { 0 };

	(void)state;
	build(&in, spam, &out, NULL);
	assert_int_equal(rp_message_parse(out.data, out.len, NULL, &m, &d), 0);
	assert_int_equal(rp_arf_parse(m, &arf, &d), 0);
	assert_string_equal(arf->user_agent, "repute/1");
	assert_null(arf->source_ip);
	assert_non_null(strstr(out.data, "To: alice@example.org"));
	rp_arf_free(arf);
	rp_message_free(m);
	buf_fini(&out);
}

/* test_refused - line breaks in fields, a missing To, a bad user address, non-mail. */
static void test_refused(void **state)
{
	struct rp_arf_build_in in = build_in();
	struct buf out;
	struct rp_diag d = { 0 };

	(void)state;
	buf_init(&out);
	in.source_ip = "1.2.3.4\r\nBcc: x@y.example";
	assert_int_equal(rp_arf_build(&in, spam, strlen(spam), &out, NULL, &d), RP_EINVAL);
	assert_non_null(strstr(d.reason, "source_ip"));
	in = build_in();
	in.to = NULL;
	assert_int_equal(rp_arf_build(&in, spam, strlen(spam), &out, NULL, &d), RP_EINVAL);
	in = build_in();
	in.redact_user = "not an address";
	assert_int_equal(rp_arf_build(&in, spam, strlen(spam), &out, NULL, &d), RP_EINVAL);
	in = build_in();
	assert_int_equal(rp_arf_build(&in, "\n\nno header", 11, &out, NULL, &d), RP_ENOTMAIL);
	assert_int_equal(out.len, 0);
	buf_fini(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),   cmocka_unit_test(test_redacted_everywhere),
		cmocka_unit_test(test_python_email), cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_defaults),     cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
