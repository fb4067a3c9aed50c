/* test_redact.c - redaction of reporters' own addresses (redact.h): the address set, plain
 * text (whole addresses only, any case, the URL-encoded form), header lines with RFC 2047
 * encoded words, quoted-printable and base64 text parts (re-encoded, still decodable),
 * binary parts and messages without addresses left byte for byte, forwarded messages, and
 * the recipients collected from every header block; the repository's samples end up free of
 * their recipients' addresses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/error.h"
#include "repute/redact.h"
#include "repute/strutil.h"

/* set_of - a set with the given addresses (NULL-terminated). */
static void set_of(struct rp_redact_set *s, const char *const *addrs)
{
	rp_redact_set_init(s);
	for (size_t i = 0; addrs[i] != NULL; i++)
		rp_redact_set_add(s, addrs[i], strlen(addrs[i]));
}

/* redacted_text - rp_redact_text of text into a new string (caller frees); n replacements. */
static char *redacted_text(const struct rp_redact_set *s, const char *text, size_t *n)
{
	struct buf b;

	buf_init(&b);
	*n = rp_redact_text(text, strlen(text), s, &b);
	return b.data ? buf_steal(&b) : xstrdup("");
}

/* redacted_msg - rp_redact_message likewise. */
static char *redacted_msg(const struct rp_redact_set *s, const char *msg, size_t *n)
{
	struct buf b;

	buf_init(&b);
	*n = rp_redact_message(msg, strlen(msg), s, &b);
	return b.data ? buf_steal(&b) : xstrdup("");
}

/* test_set - normalised, deduplicated, junk refused. */
static void test_set(void **state)
{
	struct rp_redact_set s;
	const char *in[] = { "<Alice@Example.ORG>", " alice@example.org ", "bob@example.net", "not an address",
			     "@example.org", "carol@", "a b@example.org", "x@y@z", NULL };

	(void)state;
	set_of(&s, in);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.addr[0], "alice@example.org");
	assert_string_equal(s.addr[1], "bob@example.net");
	rp_redact_set_fini(&s);
}

/* test_text - whole addresses, any case, URL-encoded, boundaries. */
static void test_text(void **state)
{
	struct rp_redact_set s;
	const char *in[] = { "alice@example.org", NULL };
	size_t n;
	char *t;

	(void)state;
	set_of(&s, in);
	t = redacted_text(&s, "Dear ALICE@Example.Org, write to <alice@example.org>.", &n);
	assert_int_equal(n, 2);
	assert_string_equal(t, "Dear " RP_REDACTED_ADDR ", write to <" RP_REDACTED_ADDR ">.");
	xfree(t);
	t = redacted_text(&s, "http://x.example/u?e=alice%40example.org&k=1", &n);
	assert_int_equal(n, 1);
	assert_string_equal(t, "http://x.example/u?e=" RP_REDACTED_ADDR_URL "&k=1");
	xfree(t);
	/* other addresses that merely contain it stay */
	t = redacted_text(&s, "malice@example.org alice@example.org.evil.test alice@example.orgs x-alice@example.org", &n);
	assert_int_equal(n, 0);
	assert_string_equal(t, "malice@example.org alice@example.org.evil.test alice@example.orgs x-alice@example.org");
	xfree(t);
	/* but a Message-ID built on it goes (over-redacting is the safe side) */
	t = redacted_text(&s, "<20020731.4123f075.alice@example.org>", &n);
	assert_int_equal(n, 1);
	assert_string_equal(t, "<20020731.4123f075." RP_REDACTED_ADDR ">");
	xfree(t);
	t = redacted_text(&s, "remove.cfm?x=news%2Calice@example.org%2Chtm", &n);
	assert_int_equal(n, 1);
	assert_string_equal(t, "remove.cfm?x=news%2C" RP_REDACTED_ADDR "%2Chtm");
	xfree(t);
	t = redacted_text(&s, "", &n);
	assert_int_equal(n, 0);
	assert_string_equal(t, "");
	xfree(t);
	rp_redact_set_fini(&s);
}

/* test_headers - plain header lines, Received "for", RFC 2047 B and Q words. */
static void test_headers(void **state)
{
	struct rp_redact_set s;
	const char *in[] = { "li.wei@provider.cn", NULL };
	const char *msg = "Received: from a.example by mx.provider.cn\r\n\tfor <li.wei@provider.cn>; Mon, 1 Jan 2026\r\n"
			  "To: =?UTF-8?B?bGkud2VpQHByb3ZpZGVyLmNu?= <LI.WEI@provider.cn>\r\n"
			  "Cc: =?iso-8859-1?Q?Li_Wei_li=2Ewei@provider=2Ecn?=, other@example.org\r\n"
			  "Subject: =?UTF-8?B?5L2g5aW9?=\r\n\r\nhello\r\n";
	size_t n;

	(void)state;
	set_of(&s, in);
	char *t = redacted_msg(&s, msg, &n);
	assert_int_equal(n, 4);
	assert_null(strcasestr(t, "li.wei@provider.cn"));
	assert_non_null(strstr(t, "\tfor <" RP_REDACTED_ADDR ">; Mon"));
	/* "redacted@redacted.invalid" in base64, in the word's own charset */
	assert_non_null(strstr(t, "To: =?UTF-8?B?cmVkYWN0ZWRAcmVkYWN0ZWQuaW52YWxpZA==?= <" RP_REDACTED_ADDR ">\r\n"));
	assert_non_null(strstr(t, "Cc: =?iso-8859-1?B?TGkgV2VpIHJlZGFjdGVkQHJlZGFjdGVkLmludmFsaWQ=?=, other@example.org"));
	assert_non_null(strstr(t, "Subject: =?UTF-8?B?5L2g5aW9?=\r\n\r\nhello\r\n"));
	xfree(t);
	rp_redact_set_fini(&s);
}

/* test_untouched - no address: the very same bytes, binary parts included. */
static void test_untouched(void **state)
{
	struct rp_redact_set s;
	const char *in[] = { "alice@example.org", NULL };
	const char *msg = "From: x@spam.example\nContent-Type: multipart/mixed; boundary=\"b\"\n\npre\n--b\n"
			  "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
			  "caf=C3=A9 =\nsoft\n--b\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
			  "YWxpY2VAZXhhbXBsZS5vcmc=\n--b--\nepilogue\n";
	size_t n;

	(void)state;
	set_of(&s, in);
	char *t = redacted_msg(&s, msg, &n);
	assert_int_equal(n, 0);
	assert_string_equal(t, msg); /* the PNG "contains" the address in base64: binary, not touched */
	xfree(t);
	rp_redact_set_fini(&s);
}

/* count_in - occurrences of needle in hay, any case. */
static int count_in(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strcasestr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* test_encoded_parts - QP (an address split by a soft break) and base64 text parts. */
static void test_encoded_parts(void **state)
{
	struct rp_redact_set s;
	const char *in[] = { "alice@example.org", NULL };
	const char *msg = "To: alice@example.org\r\nMIME-Version: 1.0\r\n"
			  "Content-Type: multipart/alternative; boundary=xyz\r\n\r\n--xyz\r\n"
			  "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
			  "Hello ali=\r\nce@example.org, caf=C3=A9 =3D ok\r\n--xyz\r\n"
			  "Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"
			  "PGEgaHJlZj0ibWFpbHRvOmFsaWNlQGV4YW1wbGUub3JnIj5tZTwvYT4=\r\n"
			  "list footer: you are subscribed as alice@example.org\r\n--xyz--\r\n";
	size_t n;

	(void)state;
	set_of(&s, in);
	char *t = redacted_msg(&s, msg, &n);
	assert_int_equal(n, 4);
	assert_int_equal(count_in(t, "alice@example.org"), 0);
	assert_non_null(strstr(t, "Hello redacted@redacted.invalid, caf=C3=A9 =3D ok\r\n--xyz\r\n"));
	/* <a href="mailto:redacted@redacted.invalid">me</a> in base64, CRLF kept */
	assert_non_null(strstr(t, "PGEgaHJlZj0ibWFpbHRvOnJlZGFjdGVkQHJlZGFjdGVkLmludmFsaWQiPm1lPC9hPg==\r\n"
				  "list footer: you are subscribed as " RP_REDACTED_ADDR "\r\n--xyz--\r\n"));
	xfree(t);
	rp_redact_set_fini(&s);
}

/* test_forwarded - a spam forwarded as message/rfc822: its headers and body too. */
static void test_forwarded(void **state)
{
	struct rp_redact_set s;
	const char *msg = "From: abuse@isp.example\nTo: report@centre.example\n"
			  "Content-Type: multipart/mixed; boundary=\"==b\"\n\n--==b\nContent-Type: text/plain\n\nsee below\n"
			  "--==b\nContent-Type: message/rfc822\n\nDelivered-To: Bob@Isp.Example\n"
			  "Received: from spam.example by mx.isp.example for <bob@isp.example>; now\n"
			  "To: Bob <bob@isp.example>\nCc: carol@isp.example, \"Dan\" <dan@isp.example>\n"
			  "Subject: win\n\nHi bob@isp.example, click http://spam.example/?u=bob%40isp.example\n--==b--\n";
	size_t n;

	(void)state;
	rp_redact_set_init(&s);
	rp_redact_collect(msg, strlen(msg), &s);
	assert_int_equal(s.n, 4); /* report@centre.example, bob, carol, dan */
	assert_string_equal(s.addr[0], "report@centre.example");
	assert_string_equal(s.addr[1], "bob@isp.example");
	char *t = redacted_msg(&s, msg, &n);
	assert_int_equal(count_in(t, "@isp.example"), 1); /* abuse@isp.example, the sender, stays */
	assert_int_equal(count_in(t, "bob%40isp"), 0);
	assert_non_null(
		strstr(t, "Subject: win\n\nHi " RP_REDACTED_ADDR ", click http://spam.example/?u=" RP_REDACTED_ADDR_URL));
	assert_int_equal(n, 8);
	xfree(t);
	rp_redact_set_fini(&s);
}

/* test_samples - the repository's samples lose every recipient address they name. */
static void test_samples(void **state)
{
	const char *src = getenv("REPUTE_SRC") ? getenv("REPUTE_SRC") : REPUTE_SRC;
	const char *files[] = { "01-spam-forged-chain.eml", "02-chinese-gb2312.eml", "03-arf-report.eml",
				"04-forwarded-attachment.eml" };

	(void)state;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		char *path = xasprintf("%s/samples/%s", src, files[f]), *data;
		size_t len;
		struct rp_redact_set s;
		struct buf out;
		assert_int_equal(file_read_all(path, 1 << 24, &data, &len), RP_OK);
		rp_redact_set_init(&s);
		rp_redact_collect(data, len, &s);
		assert_true(s.n > 0);
		buf_init(&out);
		size_t n = rp_redact_message(data, len, &s, &out);
		assert_true(n > 0);
		for (size_t i = 0; i < s.n; i++)
			if (strcasestr(out.data, s.addr[i]) != NULL)
				fail_msg("%s: %s still there", files[f], s.addr[i]);
		buf_fini(&out);
		rp_redact_set_fini(&s);
		xfree(data);
		xfree(path);
	}
}

/* main - run the tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set),	    cmocka_unit_test(test_text),      cmocka_unit_test(test_headers),
		cmocka_unit_test(test_untouched), cmocka_unit_test(test_encoded_parts), cmocka_unit_test(test_forwarded),
		cmocka_unit_test(test_samples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
