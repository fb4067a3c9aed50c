/* test_message.c - MIME parsing (rp_message_parse), the header fast path
 * (rp_message_parse_headers), not-a-mail detection and bounded behaviour on hostile input.
 * Sample messages live in tests/data/mail/ (see its README.md); hostile inputs are built here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <sodium.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/error.h"
#include "repute/message.h"
#include "repute/strutil.h"

/* load - read tests/data/mail/<name> (or a path relative to tests/data). */
static char *load(const char *rel, size_t *len)
{
	const char *src = getenv("REPUTE_SRC") ? getenv("REPUTE_SRC") : REPUTE_SRC;
	char *path = xasprintf("%s/tests/data/%s", src, rel);
	char *data = NULL;

	if (file_read_all(path, 64 << 20, &data, len) != 0)
		fail_msg("cannot read %s", path);
	xfree(path);
	return data;
}

/* parse_file - parse a sample with default limits, failing the test on error. */
static struct rp_message *parse_file(const char *rel)
{
	size_t len;
	char *data = load(rel, &len);
	struct rp_message *m = NULL;
	struct rp_diag d = { 0 };
	int rc = rp_message_parse(data, len, NULL, &m, &d);

	if (rc != 0)
		fail_msg("%s: %s (%s)", rel, rp_strerror(rc), d.reason);
	xfree(data);
	return m;
}

/* valid_utf8 - strict UTF-8 check written independently of the library's. */
static int valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
		if (n < 0 || (n == 1 && *p < 0xC2))
			return 0;
		p++;
		for (int i = 0; i < n; i++, p++)
			if ((*p & 0xC0) != 0x80)
				return 0;
	}
	return 1;
}

/* check_tree - every string of m and its attached messages is valid UTF-8; returns the
 * deepest depth seen. */
static int check_tree(const struct rp_message *m)
{
	int deepest = m->depth;

	for (size_t i = 0; i < m->n_headers; i++) {
		assert_true(valid_utf8(m->headers[i].name));
		assert_true(valid_utf8(m->headers[i].value));
		assert_true(valid_utf8(m->headers[i].decoded));
	}
	if (m->text)
		assert_true(valid_utf8(m->text));
	if (m->html_text)
		assert_true(valid_utf8(m->html_text));
	for (size_t i = 0; i < m->n_links; i++)
		assert_true(valid_utf8(m->links[i]));
	for (size_t i = 0; i < m->n_attachments; i++) {
		assert_true(valid_utf8(m->attachments[i].filename));
		assert_int_equal(strlen(m->attachments[i].sha256), 64);
	}
	for (size_t i = 0; i < m->n_attached; i++) {
		int d = check_tree(m->attached[i]);
		if (d > deepest)
			deepest = d;
	}
	return deepest;
}

/* contains - assert that hay contains needle, with a readable message. */
static void contains(const char *hay, const char *needle)
{
	if (hay == NULL || strstr(hay, needle) == NULL)
		fail_msg("\"%s\" not found in \"%s\"", needle, hay ? hay : "(null)");
}

static void test_gb2312_base64(void **state)
{
	struct rp_message *m = parse_file("mail/gb2312-base64.eml");

	assert_string_equal(m->content_type, "text/plain");
	assert_string_equal(rp_message_header(m, "subject"), "发票代开 优惠");
	contains(rp_message_header(m, "From"), "销售部 <sales@fapiao.example.cn>");
	contains(m->text, "朱镕基路办事处"); /* 镕 is GBK, not GB2312 */
	contains(m->text, "138-0013-8000");
	contains(m->text, "http://fapiao.example.cn/");
	assert_false(m->truncated);
	check_tree(m);
	rp_message_free(m);
}

static void test_big5_qp(void **state)
{
	struct rp_message *m = parse_file("mail/big5-qp.eml");

	assert_string_equal(rp_message_header(m, "Subject"), "限時優惠");
	contains(rp_message_header(m, "From"), "商城");
	contains(m->text, "親愛的會員您好：");
	contains(m->text, "請至 https://promo.example.tw/sale 查看。");
	check_tree(m);
	rp_message_free(m);
}

static void test_html_only(void **state)
{
	static const char *const links[] = {
		"http://claim.example.com/win?id=1&x=2", "https://claim.example.com/win?id=1&x=2",
		"http://unquoted.example.net/path", "http://img.example.com/pixel.gif",
		"https://phish.example.org/login",
	};
	struct rp_message *m = parse_file("mail/utf8-html-only.eml");

	assert_string_equal(rp_message_header(m, "Subject"), "You won €1,000");
	assert_string_equal(m->content_type, "text/html");
	assert_string_equal(m->text, "");
	contains(m->html_text, "Winner!");
	contains(m->html_text, "Congratulations & welcome, café lover — you won €1,000 000!");
	contains(m->html_text, "Claim at this link\nor again or here");
	contains(m->html_text, "Ünïcödé 中文 text\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_null(strstr(m->html_text, "secret"));
	assert_null(strstr(m->html_text, "color"));
	assert_null(strstr(m->html_text, "comment"));
	assert_int_equal(m->n_links, sizeof(links) / sizeof(links[0]));
	for (size_t i = 0; i < m->n_links; i++)
		assert_string_equal(m->links[i], links[i]);
	check_tree(m);
	rp_message_free(m);
}

static void test_forwarded_rfc822(void **state)
{
	struct rp_message *m = parse_file("mail/forwarded-spam.eml");

	assert_string_equal(m->content_type, "multipart/mixed");
	contains(m->text, "Please look at the spam below.");
	assert_int_equal(m->n_attachments, 0);
	assert_int_equal(m->n_attached, 1);
	const struct rp_message *f = m->attached[0];
	assert_int_equal(f->depth, 1);
	assert_false(f->headers_only);
	assert_string_equal(f->content_type, "multipart/alternative");
	assert_string_equal(rp_message_header(f, "Subject"), "Cheap pills à vendre");
	contains(rp_message_header(f, "Received"), "from bad.example.com (bad.example.com [198.51.100.23]) by mx.example.org");
	contains(f->text, "Pilules pas chères: http://pills.bad.example.com/buy");
	contains(f->html_text, "Pilules pas chères: buy");
	assert_int_equal(f->n_links, 1);
	assert_string_equal(f->links[0], "http://pills.bad.example.com/buy");
	check_tree(m);
	rp_message_free(m);
}

/* encode_rfc822 - wrap a message as a base64 message/rfc822 attachment (heap). */
static char *encode_rfc822(const char *inner, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = xmalloc(cap);
	sodium_bin2base64(b64, cap, (const unsigned char *)inner, n, sodium_base64_VARIANT_ORIGINAL);
	char *r = xasprintf("Subject: wrap\nContent-Type: multipart/mixed; boundary=w\n\n--w\n"
			    "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n%s\n--w--\n", b64);
	xfree(b64);
	return r;
}

static void test_forwarded_base64_rfc822(void **state)
{
	struct rp_message *m = parse_file("mail/forwarded-base64-rfc822.eml");

	contains(m->text, "see attached");
	assert_int_equal(m->n_attachments, 0);
	assert_int_equal(m->n_attached, 1);
	assert_string_equal(rp_message_header(m->attached[0], "Subject"), "inner spam");
	contains(m->attached[0]->text, "http://pills.example/");
	assert_int_equal(m->attached[0]->depth, 1);
	rp_message_free(m);

	/* 20 levels of base64-wrapped messages against a depth limit of 10 */
	char *msg = xstrdup("Subject: core\n\ncore text\n");
	for (int i = 0; i < 20; i++) {
		char *w = encode_rfc822(msg, strlen(msg));
		xfree(msg);
		msg = w;
	}
	struct rp_message_limits lim;
	rp_message_limits_default(&lim);
	lim.max_depth = 10;
	assert_int_equal(rp_message_parse(msg, strlen(msg), &lim, &m, NULL), 0);
	assert_true(m->truncated);
	assert_true(check_tree(m) <= 10);
	rp_message_free(m);
	lim.max_depth = 50; /* each level is a multipart and a message: 40 MIME levels */
	assert_int_equal(rp_message_parse(msg, strlen(msg), &lim, &m, NULL), 0);
	assert_false(m->truncated);
	const struct rp_message *p = m;
	while (p->n_attached)
		p = p->attached[0];
	assert_int_equal(p->depth, 20);
	assert_string_equal(p->text, "core text\n");
	rp_message_free(m);
	xfree(msg);
}

static void test_rfc2231_attachments(void **state)
{
	struct rp_message *m = parse_file("mail/rfc2231-attachment.eml");

	contains(m->text, "See attached invoice.");
	assert_int_equal(m->n_attachments, 3);
	assert_string_equal(m->attachments[0].filename, "发票 invoice.pdf");
	assert_string_equal(m->attachments[0].content_type, "application/pdf");
	assert_int_equal(m->attachments[0].size, 280);
	assert_string_equal(m->attachments[0].sha256,
			    "fcbcbf9b6d9df0e7d352cb098224536d991154afc73daa240922eb83e3865c4a");
	assert_string_equal(m->attachments[1].filename, "压缩.zip");
	assert_string_equal(m->attachments[1].content_type, "application/zip");
	assert_int_equal(m->attachments[1].size, 64);
	assert_string_equal(m->attachments[1].sha256,
			    "1c9ae219b64ba6cbab16f0e755d2d640ebae1e1a771fd65539bac1b81d86e6b0");
	assert_string_equal(m->attachments[2].filename, "报价单.xls");
	assert_string_equal(m->attachments[2].sha256,
			    "13d14a6f3571f962ec85ca3cdbdaf4959990c862528b5cd88859d756b2040a3b");
	check_tree(m);
	rp_message_free(m);
}

static void test_nested_multipart(void **state)
{
	struct rp_message *m = parse_file("mail/nested-multipart.eml");

	contains(m->text, "Plain part “quoted” € price");
	contains(m->text, "Footer text.");
	contains(m->html_text, "HTML part");
	assert_int_equal(m->n_links, 2);
	assert_string_equal(m->links[0], "cid:logo@shop");
	assert_string_equal(m->links[1], "https://shop.example/deal");
	assert_int_equal(m->n_attachments, 1);
	assert_string_equal(m->attachments[0].content_type, "image/png");
	assert_string_equal(m->attachments[0].filename, "");
	assert_int_equal(m->attachments[0].size, 15);
	assert_string_equal(m->attachments[0].sha256,
			    "ed1d3f511871bc0c583b5b7cc0cc11add51f7d5000ea9c0815cffad0cfa20393");
	assert_false(m->truncated);
	check_tree(m);
	rp_message_free(m);
}

static void test_mbox_from_line(void **state)
{
	struct rp_message *m = parse_file("mail/mbox-from.eml");

	assert_string_equal(m->headers[0].name, "Return-Path");
	assert_string_equal(m->headers[0].value, "<12a1mailbot1@web.de>");
	contains(m->html_text, "Save up to 70% on Life Insurance.\nClick here");
	assert_int_equal(m->n_links, 1);
	assert_string_equal(m->links[0], "http://website.e365.cc/savequote/");
	rp_message_free(m);

	size_t len;
	char *data = load("mail/mbox-from.eml", &len);
	assert_int_equal(rp_message_parse_headers(data, len, NULL, &m, NULL), 0);
	assert_string_equal(rp_message_header(m, "Subject"), "Life Insurance - Why Pay More?");
	rp_message_free(m);
	xfree(data);
}

static void test_arf_parts(void **state)
{
	struct rp_message *m = parse_file("arf/001.eml");

	assert_string_equal(m->content_type, "multipart/report");
	assert_string_equal(m->report_type, "feedback-report");
	contains(m->feedback_report, "Feedback-Type: abuse");
	assert_null(m->xarf_report);
	assert_int_equal(m->n_attached, 1);
	contains(m->attached[0]->text, "Spam Spam Spam");
	contains(rp_message_header(m->attached[0], "Received"), "(mailserver.example.net [192.0.2.1]) by example.com");
	rp_message_free(m);

	m = parse_file("arf/004.eml");
	assert_int_equal(m->n_attached, 1);
	assert_true(m->attached[0]->headers_only);
	assert_string_equal(rp_message_header(m->attached[0], "Subject"), "Wir kaufen dein Auto!");
	assert_string_equal(m->attached[0]->content_type, "multipart/alternative");
	rp_message_free(m);

	m = parse_file("arf/xarf-0.2.eml");
	contains(m->xarf_report, "Report-Type: spam");
	assert_null(m->feedback_report);
	contains(m->text, "sent us spam");
	assert_null(strstr(m->text, "Schema-URL"));
	assert_int_equal(m->n_attached, 1);
	rp_message_free(m);

	m = parse_file("arf/xarf-json.eml");
	contains(m->xarf_report, "\"ReportType\": \"Spam\"");
	assert_int_equal(m->n_attachments, 0);
	rp_message_free(m);
}

static void test_not_mail(void **state)
{
#define C(n, s, r) { n, s, sizeof(s) - 1, r }
	static const struct { const char *name, *data; size_t len; const char *reason; } cases[] = {
		C("empty", "", "empty"),
		C("white space", " \r\n\n\t\n", "empty"),
		C("png", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10", "binary"),
		C("zip", "PK\x03\x04\x14\0\0\0\x08\0", "binary"),
		C("prose", "Hello world,\nthis is not mail.\n", "not a header field"),
		C("json", "{\"a\": 1}\n", "not a header field"),
		C("mbox only", "From someone@example.com Thu Aug 22 13:17:22 2002", "mbox"),
		C("mbox then prose", "From a@b Thu Aug 22 2002\nhello\n", "line 2"),
		C("space in name", "Not a header: value\n", "not a header field"),
	};
#undef C
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rp_message *m = NULL;
		struct rp_diag d = { 0 };
		int rc = rp_message_parse(cases[i].data, cases[i].len, NULL, &m, &d);
		if (rc != RP_ENOTMAIL || strstr(d.reason, cases[i].reason) == NULL)
			fail_msg("%s: rc %d reason \"%s\"", cases[i].name, rc, d.reason);
		memset(&d, 0, sizeof(d));
		rc = rp_message_parse_headers(cases[i].data, cases[i].len, NULL, &m, &d);
		if (rc != RP_ENOTMAIL || strstr(d.reason, cases[i].reason) == NULL)
			fail_msg("%s (headers): rc %d reason \"%s\"", cases[i].name, rc, d.reason);
	}
	/* minimal but real mail */
	struct rp_message *m = NULL;
	assert_int_equal(rp_message_parse("Subject: hi\n\nbody\n", 18, NULL, &m, NULL), 0);
	assert_string_equal(m->text, "body\n");
	rp_message_free(m);
	assert_int_equal(rp_message_parse("X-Only: header", 14, NULL, &m, NULL), 0);
	assert_int_equal(m->n_headers, 1);
	rp_message_free(m);
}

static void test_fast_path_matches_full(void **state)
{
	static const char *const files[] = {
		"mail/gb2312-base64.eml", "mail/big5-qp.eml", "mail/forwarded-spam.eml",
		"mail/utf8-html-only.eml", "arf/004.eml", "arf/005.eml",
	};
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *data = load(files[f], &len);
		struct rp_message *a = NULL, *b = NULL;
		assert_int_equal(rp_message_parse(data, len, NULL, &a, NULL), 0);
		assert_int_equal(rp_message_parse_headers(data, len, NULL, &b, NULL), 0);
		assert_int_equal(a->n_headers, b->n_headers);
		for (size_t i = 0; i < a->n_headers; i++) {
			assert_string_equal(a->headers[i].name, b->headers[i].name);
			assert_string_equal(a->headers[i].value, b->headers[i].value);
			assert_string_equal(a->headers[i].decoded, b->headers[i].decoded);
		}
		assert_string_equal(a->content_type, b->content_type);
		assert_null(b->text);
		assert_int_equal(b->n_attached, 0);
		rp_message_free(a);
		rp_message_free(b);
		xfree(data);
	}
}

static void test_header_unfold_and_iterate(void **state)
{
	static const char msg[] =
		"Received: from a.example (a.example [192.0.2.1])\r\n"
		"\tby b.example with ESMTP id 1;\r\n"
		"    Mon, 1 Jan 2024 00:00:00 +0000\r\n"
		"X-Test:value-without-space\r\n"
		"Subject : =?utf-8?q?caf=C3=A9?= =?utf-8?b?IOKCrA==?= plain =?bogus?Q?x?=\r\n"
		"received: from c.example by d.example; Tue, 2 Jan 2024 00:00:00 +0000\r\n"
		"X-Raw-8bit: \xb7\xa2\xc6\xb1\r\n"
		"X-Bad-Word: =?utf-8?B?!!!?= =?gb2312?b?1tDOxA?=\r\n"
		"\r\n"
		"Received: not a header, body\r\n";
	struct rp_message *m = NULL;

	assert_int_equal(rp_message_parse_headers(msg, sizeof(msg) - 1, NULL, &m, NULL), 0);
	assert_int_equal(m->n_headers, 6);
	assert_string_equal(m->headers[0].value,
			    "from a.example (a.example [192.0.2.1]) by b.example with ESMTP id 1; Mon, 1 Jan 2024 00:00:00 +0000");
	assert_string_equal(rp_message_header(m, "x-test"), "value-without-space");
	assert_string_equal(m->headers[2].name, "Subject");
	assert_string_equal(rp_message_header(m, "Subject"), "café € plain x");
	assert_string_equal(rp_message_header(m, "X-Raw-8bit"), "发票"); /* raw GB bytes guessed */
	assert_string_equal(m->headers[4].value, "\xEF\xBF\xBD\xEF\xBF\xBD\xC6\xB1"); /* C6 B1 is valid UTF-8 */
	contains(rp_message_header(m, "X-Bad-Word"), "中文");
	long n = 0;
	for (long i = 0; (i = rp_message_header_next(m, "Received", i)) >= 0; i++)
		n++;
	assert_int_equal(n, 2);
	assert_int_equal(rp_message_header_next(m, "Received", 1), 3);
	assert_int_equal(rp_message_header_next(m, "Nope", 0), -1);
	assert_null(rp_message_header(m, "Nope"));
	check_tree(m);
	rp_message_free(m);
}

/* build_deep_multipart - n nested multiparts, innermost a text part. */
static char *build_deep_multipart(int n, size_t *len)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "From: deep@example.com\nSubject: deep\nMIME-Version: 1.0\n");
	for (int i = 0; i < n; i++)
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
	buf_puts(&b, "Content-Type: text/plain\n\ninnermost\n");
	for (int i = n - 1; i >= 0; i--)
		buf_printf(&b, "--b%d--\n", i);
	*len = b.len;
	return buf_steal(&b);
}

static void test_hostile_deep_nesting(void **state)
{
	size_t len;
	char *data = build_deep_multipart(1000, &len);
	struct rp_message *m = NULL;
	clock_t t0 = clock();

	assert_int_equal(rp_message_parse(data, len, NULL, &m, NULL), 0);
	assert_true(m->truncated);
	check_tree(m);
	rp_message_free(m);
	xfree(data);

	/* 1,000 nested message/rfc822 parts */
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "Subject: level %d\nContent-Type: message/rfc822\n\n", i);
	buf_puts(&b, "Subject: bottom\n\nbottom text\n");
	assert_int_equal(rp_message_parse(b.data, b.len, NULL, &m, NULL), 0);
	assert_true(m->truncated);
	assert_true(check_tree(m) <= 33);
	rp_message_free(m);

	/* the same with a generous depth limit still terminates and is bounded */
	struct rp_message_limits lim;
	rp_message_limits_default(&lim);
	lim.max_depth = 2000;
	assert_int_equal(rp_message_parse(b.data, b.len, &lim, &m, NULL), 0);
	assert_true(check_tree(m) <= 1001);
	rp_message_free(m);
	buf_fini(&b);

	/* 100,000 nested multiparts: the input is cut before GMime sees the nesting */
	data = build_deep_multipart(100000, &len);
	assert_int_equal(rp_message_parse(data, len, NULL, &m, NULL), 0);
	assert_true(m->truncated);
	rp_message_free(m);
	xfree(data);
	print_message("deep nesting cases: %.2f s CPU\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
}

static void test_hostile_long_header(void **state)
{
	size_t big = 1 << 20;
	struct buf b;
	struct rp_message *m = NULL;

	buf_init(&b);
	buf_puts(&b, "Subject: ");
	for (size_t i = 0; i < big; i++)
		buf_putc(&b, (char)('A' + i % 26));
	buf_puts(&b, "\nX-Folded: start\n");
	for (size_t i = 0; i < big / 16; i++)
		buf_puts(&b, " =?utf-8?q?x?=\n");
	buf_puts(&b, "\nbody\n");
	assert_int_equal(rp_message_parse(b.data, b.len, NULL, &m, NULL), 0);
	assert_true(m->truncated);
	assert_true(strlen(rp_message_header(m, "Subject")) <= 64 * 1024);
	assert_true(strlen(m->headers[1].value) <= 64 * 1024);
	contains(m->text, "body");
	rp_message_free(m);
	assert_int_equal(rp_message_parse_headers(b.data, b.len, NULL, &m, NULL), 0);
	assert_true(m->truncated);
	assert_true(strlen(m->headers[0].value) <= 64 * 1024);
	rp_message_free(m);

	/* unterminated encoded-words must not make decoding quadratic */
	clock_t t0 = clock();
	buf_reset(&b);
	for (int h = 0; h < 50; h++) {
		buf_puts(&b, "Subject: ");
		for (int i = 0; i < 9000; i++)
			buf_puts(&b, "=?a?b?x");
		buf_puts(&b, "\nX-Cs: ");
		for (int i = 0; i < 10000; i++)
			buf_puts(&b, "=?aaaa");
		buf_puts(&b, "\n");
	}
	buf_puts(&b, "\nbody\n");
	assert_int_equal(rp_message_parse_headers(b.data, b.len, NULL, &m, NULL), 0);
	assert_int_equal(m->n_headers, 100);
	rp_message_free(m);
	print_message("unterminated encoded-words: %.3f s CPU\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
	buf_fini(&b);
}

static void test_hostile_nul_bytes(void **state)
{
	static const char msg[] = "Subject: a\0b\nX-Nul: \0\0\0\nContent-Type: text/plain\n\nbefore\0after\0\0end\n"
				  "<html>\0</html>";
	struct rp_message *m = NULL;

	assert_int_equal(rp_message_parse(msg, sizeof(msg) - 1, NULL, &m, NULL), 0);
	assert_string_equal(rp_message_header(m, "Subject"), "ab");
	assert_string_equal(rp_message_header(m, "X-Nul"), "");
	contains(m->text, "beforeafterend");
	check_tree(m);
	rp_message_free(m);
}

static void test_hostile_encodings(void **state)
{
	static const char msg[] =
		"From: x@example.com\n"
		"Subject: =?x-no-such-charset?B?w6k=?= =?utf-8?B?####?= =?utf-8?Q?=ZZ=4?=\n"
		"Content-Type: multipart/mixed; boundary=q\n\n"
		"--q\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
		"!!!@@@ aGVsbG8gd29y bGQ=== ==junk= \xff\xfe 8J+Y\n"
		"--q\nContent-Type: text/plain; charset=\"x-no-such-charset\"\n\ncaf\xe9 \xd6\xd0\xce\xc4\n"
		"--q\nContent-Type: text/plain; charset=utf-8\n\nbad \xc3\x28 \xed\xa0\x80 \xf4\x90\x80\x80 end\n"
		"--q\nContent-Type: text/plain; charset=gb2312\nContent-Transfer-Encoding: quoted-printable\n\n"
		"=D6=D0=CE=C4 =B7= =G1 trunc=\xd6\n"
		"--q\nContent-Type: text/html; charset=big5\n\n<a href=\"http://x.example/\xa4\xa4\">\xa4\xa4</a><a href=\"\n"
		"--q\nContent-Type: text/plain; charset=utf-7\n\n+ZeVnLIqe-\n"
		"--q--\n";
	struct rp_message *m = NULL;

	assert_int_equal(rp_message_parse(msg, sizeof(msg) - 1, NULL, &m, NULL), 0);
	contains(m->text, "hello world");
	contains(m->text, "bad \xEF\xBF\xBD( ");
	contains(m->text, "café ÖÐÎÄ"); /* unknown label, not GB18030: windows-1252 */
	contains(m->text, "中文");
	contains(m->text, "日本語");
	contains(m->html_text, "中");
	assert_true(m->n_links >= 1);
	assert_string_equal(m->links[0], "http://x.example/中");
	check_tree(m);
	rp_message_free(m);
}

static void test_hostile_many_received(void **state)
{
	struct buf b;
	struct rp_message *m = NULL;
	clock_t t0;

	buf_init(&b);
	for (int i = 0; i < 100000; i++)
		buf_printf(&b, "Received: from h%d.example ([192.0.2.%d])\n\tby mx.example; Mon, 1 Jan 2024 00:00:00 +0000\n",
			   i, i % 256);
	buf_puts(&b, "Subject: many hops\n\nbody\n");
	t0 = clock();
	assert_int_equal(rp_message_parse_headers(b.data, b.len, NULL, &m, NULL), 0);
	print_message("100,000 Received, headers only: %.3f s CPU\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
	assert_true(m->truncated);
	assert_int_equal(m->n_headers, 10000);
	rp_message_free(m);
	t0 = clock();
	assert_int_equal(rp_message_parse(b.data, b.len, NULL, &m, NULL), 0);
	print_message("100,000 Received, full parse: %.3f s CPU\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
	assert_true(m->truncated);
	assert_int_equal(m->n_headers, 10000);
	contains(m->text, "body");
	rp_message_free(m);
	buf_fini(&b);
}

static void test_hostile_truncated(void **state)
{
	static const char *const cases[] = {
		"Subject: foo\nReceived: from x\n\tby",
		"Subject: foo\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nunfinished",
		"Subject: foo\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/pl",
		"Subject: foo\nContent-Type: multipart/mixed; boundary=\n\n--\n--\n",
		"Subject: foo\nContent-Type: message/rfc822\n\n",
		"Subject: foo\nContent-Type: text/rfc822-headers\n\n\n",
		"Subject: foo\nContent-Type: text/html\n\n<a href='unterminated",
		"Subject: foo\nContent-Type: text/html\n\n<!-- open comment <script>",
		"Subject: =?utf-8?B?",
		"A:\n",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rp_message *m = NULL;
		if (rp_message_parse(cases[i], strlen(cases[i]), NULL, &m, NULL) != 0)
			fail_msg("case %zu failed", i);
		check_tree(m);
		rp_message_free(m);
	}
}

static void test_limits_parts_links_text(void **state)
{
	struct buf b;
	struct rp_message *m = NULL;

	buf_init(&b);
	buf_puts(&b, "Subject: parts\nContent-Type: multipart/mixed; boundary=p\n\n");
	for (int i = 0; i < 5000; i++)
		buf_printf(&b, "--p\nContent-Type: application/octet-stream\n\npart %d\n", i);
	buf_puts(&b, "--p--\n");
	assert_int_equal(rp_message_parse(b.data, b.len, NULL, &m, NULL), 0);
	assert_true(m->truncated);
	assert_true(m->n_attachments < 1000);
	rp_message_free(m);

	buf_reset(&b);
	buf_puts(&b, "Subject: links\nContent-Type: text/html\n\n");
	for (int i = 0; i < 20000; i++)
		buf_printf(&b, "<a href=\"http://l%d.example/\">x</a><a href=\"http://l%d.example/\">dup</a>", i, i);
	assert_int_equal(rp_message_parse(b.data, b.len, NULL, &m, NULL), 0);
	assert_true(m->truncated);
	assert_int_equal(m->n_links, 10000);
	assert_string_equal(m->links[9999], "http://l9999.example/");
	rp_message_free(m);

	struct rp_message_limits lim;
	rp_message_limits_default(&lim);
	lim.max_text = 100;
	buf_reset(&b);
	buf_puts(&b, "Subject: text\nContent-Type: text/plain; charset=utf-8\n\n");
	for (int i = 0; i < 1000; i++)
		buf_puts(&b, "中文");
	assert_int_equal(rp_message_parse(b.data, b.len, &lim, &m, NULL), 0);
	assert_true(m->truncated);
	assert_true(strlen(m->text) < 100);
	check_tree(m);
	rp_message_free(m);
	buf_fini(&b);
}

static void test_fast_path_throughput(void **state)
{
	size_t len;
	char *data = load("arf/005.eml", &len);
	const int rounds = 20000;
	clock_t t0 = clock();

	for (int i = 0; i < rounds; i++) {
		struct rp_message *m = NULL;
		assert_int_equal(rp_message_parse_headers(data, len, NULL, &m, NULL), 0);
		rp_message_free(m);
	}
	double s = (double)(clock() - t0) / CLOCKS_PER_SEC;
	print_message("parse_headers: %.0f messages/s (%zu bytes each, this build)\n", s > 0 ? rounds / s : 0.0, len);
	xfree(data);
}

static void test_charsets(void **state)
{
	static const struct { const char *charset, *bytes, *utf8; } cases[] = {
		{ "windows-1251", "\xcf\xf0\xe8\xe2\xe5\xf2", "Привет" },
		{ "ISO-8859-2", "\x5a\x61\xbf\xf3\xb3\xe6", "Zażółć" },
		{ "koi8-r", "\xf3\xd0\xc1\xcd", "Спам" },
		{ "iso-2022-jp", "\x1b\x24\x42\x46\x7c\x4b\x5c\x38\x6c\x1b\x28\x42", "日本語" },
		{ "euc-jp", "\xc6\xfc\xcb\xdc\xb8\xec", "日本語" },
		{ "ks_c_5601-1987", "\xc7\xd1\xb1\xb9\xbe\xee", "한국어" },
		{ "iso-8859-15", "\xa4\x75\x72\x6f", "€uro" },
		{ "windows-1256", "\xe3\xd1\xcd\xc8\xc7", "مرحبا" },
		{ "shift_jis", "\x83\x4a\x83\x5e\x83\x4a\x83\x69", "カタカナ" },
		{ "gb2312", "\xe9\x46", "镕" },
		{ "\"GB18030\"", "\x95\x32\x82\x36", "𠀀" },
		{ "us-ascii", "\x80 caf\xe9", "€ café" },
		{ "", "\xb7\xa2\xc6\xb1", "发票" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *msg = xasprintf("Subject: cs\nContent-Type: text/plain; charset=%s\n"
				      "Content-Transfer-Encoding: 8bit\n\n%s", cases[i].charset, cases[i].bytes);
		struct rp_message *m = NULL;
		assert_int_equal(rp_message_parse(msg, strlen(msg), NULL, &m, NULL), 0);
		if (strcmp(m->text, cases[i].utf8) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].charset, m->text, cases[i].utf8);
		rp_message_free(m);
		xfree(msg);
	}
}

/* test_mutations - deterministic byte flips, cuts and splices of every sample: no crash,
 * no sanitizer report, valid UTF-8 out (a cheap stand-in for the fuzzer). */
static void test_mutations(void **state)
{
	static const char *const files[] = {
		"mail/gb2312-base64.eml", "mail/big5-qp.eml", "mail/utf8-html-only.eml",
		"mail/forwarded-spam.eml", "mail/rfc2231-attachment.eml", "mail/nested-multipart.eml",
		"arf/002.eml", "arf/004.eml", "arf/xarf-0.2.eml",
	};
	static const char *const junk[] = { "\n", "\r\n\r\n", "--", "=?", "?=", "<", "&#", "\0", "\xff", ":", " " };
	unsigned long seed = 12345;

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *orig = load(files[f], &len);
		for (int round = 0; round < 150; round++) {
			char *d = xmalloc(len + 64);
			size_t n = len;
			memcpy(d, orig, len);
			for (int k = 0; k < 1 + round % 8; k++) {
				seed = seed * 6364136223846793005UL + 1442695040888963407UL;
				size_t pos = (size_t)(seed >> 33) % (n ? n : 1);
				switch ((seed >> 20) % 4) {
				case 0: d[pos] = (char)(seed >> 8); break;
				case 1: n = pos; break;
				default: {
					const char *j = junk[(seed >> 12) % (sizeof(junk) / sizeof(junk[0]))];
					size_t jl = *j ? strlen(j) : 1;
					if (n + jl <= len + 64) {
						memmove(d + pos + jl, d + pos, n - pos);
						memcpy(d + pos, j, jl);
						n += jl;
					}
				}
				}
			}
			struct rp_message *m = NULL;
			if (rp_message_parse(d, n, NULL, &m, NULL) == 0) {
				check_tree(m);
				rp_message_free(m);
			}
			if (rp_message_parse_headers(d, n, NULL, &m, NULL) == 0) {
				check_tree(m);
				rp_message_free(m);
			}
			xfree(d);
		}
		xfree(orig);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gb2312_base64),
		cmocka_unit_test(test_big5_qp),
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_html_only),
		cmocka_unit_test(test_forwarded_rfc822),
		cmocka_unit_test(test_forwarded_base64_rfc822),
		cmocka_unit_test(test_rfc2231_attachments),
		cmocka_unit_test(test_nested_multipart),
		cmocka_unit_test(test_mbox_from_line),
		cmocka_unit_test(test_arf_parts),
		cmocka_unit_test(test_not_mail),
		cmocka_unit_test(test_fast_path_matches_full),
		cmocka_unit_test(test_header_unfold_and_iterate),
		cmocka_unit_test(test_hostile_deep_nesting),
		cmocka_unit_test(test_hostile_long_header),
		cmocka_unit_test(test_hostile_nul_bytes),
		cmocka_unit_test(test_hostile_encodings),
		cmocka_unit_test(test_hostile_many_received),
		cmocka_unit_test(test_hostile_truncated),
		cmocka_unit_test(test_limits_parts_links_text),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_fast_path_throughput),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
