/* test_extract.c - URL, domain, e-mail and phone extraction, de-obfuscation, IDN, limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "repute/alloc.h"
#include "repute/error.h"
#include "repute/extract.h"

static struct rp_extractor *xt;

/* setup - one extractor for all tests (default country +86). */
static int setup(void **state)
{
	xt = rp_extractor_new(NULL);
	return xt == NULL ? -1 : 0;
}

/* teardown - free the extractor. */
static int teardown(void **state)
{
	xt = rp_extractor_free(xt);
	return 0;
}

/* has_url - whether e holds url (exact normalised form). */
static const struct rp_url *has_url(const struct rp_extract *e, const char *url)
{
	for (size_t i = 0; i < e->n_urls; i++)
		if (strcmp(e->urls[i].url, url) == 0)
			return &e->urls[i];
	return NULL;
}

/* has_str - whether list l holds s. */
static bool has_str(const struct rp_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return true;
	return false;
}

/* dump - print what was found (for failure messages). */
static void dump(const char *what, const struct rp_extract *e)
{
	fprintf(stderr, "input: %s\n", what);
	for (size_t i = 0; i < e->n_urls; i++)
		fprintf(stderr, "  url %s host=%s domain=%s obf=%d\n", e->urls[i].url, e->urls[i].host,
			e->urls[i].domain, e->urls[i].obfuscated);
	for (size_t i = 0; i < e->emails.n; i++)
		fprintf(stderr, "  email %s\n", e->emails.items[i]);
	for (size_t i = 0; i < e->phones.n; i++)
		fprintf(stderr, "  phone %s\n", e->phones.items[i]);
}

static void test_strlist(void **state)
{
	struct rp_strlist l = { 0 };

	assert_true(rp_strlist_add(&l, "a", 2));
	assert_false(rp_strlist_add(&l, "a", 2));
	assert_true(rp_strlist_add(&l, "b", 2));
	assert_false(rp_strlist_add(&l, "c", 2));
	assert_int_equal(l.n, 2);
	rp_strlist_fini(&l);
	assert_int_equal(l.n, 0);
	rp_strlist_fini(&l);
}

struct url_case {
	const char *name, *text, *url, *domain;
	bool obfuscated;
};

static void test_urls_in_text(void **state)
{
	static const struct url_case cases[] = {
		{ "plain", "see http://Example.COM/a?b=1 now", "http://example.com/a?b=1", "example.com", false },
		{ "https", "https://www.example.co.uk.", "https://www.example.co.uk/", "example.co.uk", false },
		{ "ftp", "(ftp://files.example.org/x.zip)", "ftp://files.example.org/x.zip", "example.org", false },
		{ "www bare", "visit www.example.com, thanks", "http://www.example.com/", "example.com", false },
		{ "host/path", "go to example.com/path/x now", "http://example.com/path/x", "example.com", false },
		{ "bare common tld", "cheappills.net today", "http://cheappills.net/", "cheappills.net", false },
		{ "port default dropped", "http://example.com:80/x", "http://example.com/x", "example.com", false },
		{ "port kept", "http://example.com:8080/x", "http://example.com:8080/x", "example.com", false },
		{ "userinfo dropped", "http://paypal.com@evil.example.net/login", "http://evil.example.net/login",
		  "example.net", false },
		{ "hxxp", "hxxp://evil.example.com/x", "http://evil.example.com/x", "example.com", true },
		{ "hXXps", "hXXps://evil.example.com/x", "https://evil.example.com/x", "example.com", true },
		{ "hxxp [:]", "hxxps[:]//evil[.]example[.]com/x", "https://evil.example.com/x", "example.com", true },
		{ "[.]", "evil[.]example[.]com", "http://evil.example.com/", "example.com", true },
		{ "(.)", "evil(.)example(.)com", "http://evil.example.com/", "example.com", true },
		{ "(dot)", "evil (dot) example (dot) com", "http://evil.example.com/", "example.com", true },
		{ "[dot]", "evil[dot]example[dot]com", "http://evil.example.com/", "example.com", true },
		{ " dot ", "go to evil dot example dot com now", "http://evil.example.com/", "example.com", true },
		{ "spaced www", "www . example . com", "http://www.example.com/", "example.com", true },
		{ "zero width", "http://exa\u200bmple.com/x", "http://example.com/x", "example.com", true },
		{ "zwj zwnj", "www.exa\u200cmp\u200dle.com", "http://www.example.com/", "example.com", true },
		{ "bom wj shy", "www.ex\ufeffam\u2060pl\u00ade.com", "http://www.example.com/", "example.com", true },
		{ "full-width", "http\uff1a\uff0f\uff0fexample\uff0ecom\uff0fx", "http://example.com/x", "example.com",
		  true },
		{ "ideographic dot", "www\u3002example\u3002com", "http://www.example.com/", "example.com", true },
		{ "idn", "http://\u4f8b\u3048.\u30c6\u30b9\u30c8/", "http://xn--r8jz45g.xn--zckzah/",
		  "xn--r8jz45g.xn--zckzah", false },
		{ "www idn", "see www.\u041f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444 now",
		  "http://www.xn--e1afmkfd.xn--p1ai/", "xn--e1afmkfd.xn--p1ai", false },
		{ "punycode", "http://xn--r8jz45g.xn--zckzah/", "http://xn--r8jz45g.xn--zckzah/",
		  "xn--r8jz45g.xn--zckzah", false },
		{ "pct host", "http://%65xample.com/", "http://example.com/", "example.com", true },
		{ "ipv4", "http://192.0.2.7/x", "http://192.0.2.7/x", "", false },
		{ "ipv6", "http://[2001:db8::1]:8080/", "http://[2001:db8::1]:8080/", "", false },
		{ "psl private", "https://a.b.github.io/", "https://a.b.github.io/", "b.github.io", false },
		{ "cjk after", "\u8bf7\u8bbf\u95eehttp://example.cn/a\u70b9\u51fb", "http://example.cn/a",
		  "example.cn", false },
		{ "cjk after host", "\u8bf7\u8bbf\u95eehttp://example.com\u8bf7\u70b9\u51fb", "http://example.com/",
		  "example.com", false },
		{ "www cjk after host", "\u8bbf\u95eewww.example.com\u8c22\u8c22", "http://www.example.com/",
		  "example.com", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rp_extract e;
		const struct rp_url *u;
		rp_extract_init(&e);
		rp_extract_text(xt, &e, cases[i].text, strlen(cases[i].text));
		u = has_url(&e, cases[i].url);
		if (u == NULL || strcmp(u->domain, cases[i].domain) != 0 || u->obfuscated != cases[i].obfuscated) {
			dump(cases[i].text, &e);
			fail_msg("case %s: want %s domain %s obf %d", cases[i].name, cases[i].url, cases[i].domain,
				 cases[i].obfuscated);
		}
		if (cases[i].domain[0] != '\0')
			assert_true(has_str(&e.domains, cases[i].domain));
		rp_extract_fini(&e);
	}
}

static void test_no_false_urls(void **state)
{
	static const char *const texts[] = {
		"the dot com era was fun",
		"I said no . Com on.",
		"run setup.py and script.sh, read README.md",
		"version 1.2.3 and 3.14",
		"e.g. this, i.e. that; Mr.Smith went home.Then",
		"file.txt index.html Node.js",
		"the price (.) is (dot) high",
		"relative /path/to/x and ./x",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct rp_extract e;
		rp_extract_init(&e);
		rp_extract_text(xt, &e, texts[i], strlen(texts[i]));
		if (e.n_urls != 0 || e.domains.n != 0) {
			dump(texts[i], &e);
			fail_msg("false URL in \"%s\"", texts[i]);
		}
		rp_extract_fini(&e);
	}
}

static void test_idn_host_forms(void **state)
{
	struct rp_extract e;

	rp_extract_init(&e);
	rp_extract_link(xt, &e, "http://\u4f8b\u3048.\u30c6\u30b9\u30c8/");
	rp_extract_link(xt, &e, "http://xn--r8jz45g.xn--zckzah/");
	assert_int_equal(e.n_urls, 1);
	assert_string_equal(e.urls[0].host, "xn--r8jz45g.xn--zckzah");
	assert_string_equal(e.urls[0].host_unicode, "\u4f8b\u3048.\u30c6\u30b9\u30c8");
	rp_extract_link(xt, &e, "https://B\u00fccher.example/");
	assert_int_equal(e.n_urls, 2);
	assert_string_equal(e.urls[1].host, "xn--bcher-kva.example");
	assert_string_equal(e.urls[1].host_unicode, "b\u00fccher.example");
	rp_extract_link(xt, &e, "http://fa\u00df.de/"); /* TR46 non-transitional keeps sharp s */
	assert_int_equal(e.n_urls, 3);
	assert_string_equal(e.urls[2].host, "xn--fa-hia.de");
	assert_string_equal(e.urls[2].domain, "xn--fa-hia.de");
	rp_extract_link(xt, &e, "http://xn--zz-.example/"); /* bad punycode */
	rp_extract_link(xt, &e, "http://internet.e-mail/"); /* not a TLD */
	rp_extract_link(xt, &e, "http://localhost/");
	rp_extract_link(xt, &e, "http://a..example.com/");
	rp_extract_link(xt, &e, "http://999.1.2.3.4/");
	assert_int_equal(e.n_urls, 3);
	rp_extract_fini(&e);
}

static void test_registrable(void **state)
{
	static const struct { const char *host, *want; } cases[] = {
		{ "www.example.co.uk", "example.co.uk" }, { "a.b.github.io", "b.github.io" },
		{ "WWW.Example.COM", "example.com" },     { "example.com.", "example.com" },
		{ "co.uk", NULL },                        { "192.0.2.1", NULL },
		{ "", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *d = rp_registrable_domain(xt, cases[i].host);
		if (cases[i].want == NULL)
			assert_null(d);
		else
			assert_string_equal(d, cases[i].want);
		xfree(d);
	}
}

static void test_links(void **state)
{
	struct rp_extract e;

	rp_extract_init(&e);
	rp_extract_link(xt, &e, " https://Shop.Example.com/buy?id=1 ");
	rp_extract_link(xt, &e, "<mailto:Unsub@Example.ORG?subject=unsubscribe>");
	rp_extract_link(xt, &e, "mailto:a@example.net,b%40example.net");
	rp_extract_link(xt, &e, "tel:+86-138-0013-8000");
	rp_extract_link(xt, &e, "sms:13900139000;body=hi");
	rp_extract_link(xt, &e, "/relative/path");
	rp_extract_link(xt, &e, "page.html");
	rp_extract_link(xt, &e, "javascript:alert(1)");
	rp_extract_link(xt, &e, "#top");
	rp_extract_link(xt, &e, "//cdn.example.com/x.js");
	assert_int_equal(e.n_urls, 2);
	assert_non_null(has_url(&e, "https://shop.example.com/buy?id=1"));
	assert_non_null(has_url(&e, "http://cdn.example.com/x.js"));
	assert_int_equal(e.emails.n, 3);
	assert_true(has_str(&e.emails, "unsub@example.org"));
	assert_true(has_str(&e.emails, "a@example.net"));
	assert_true(has_str(&e.emails, "b@example.net"));
	assert_true(has_str(&e.phones, "+8613800138000"));
	assert_true(has_str(&e.phones, "+8613900139000"));
	assert_true(has_str(&e.domains, "example.org"));
	rp_extract_fini(&e);
}

static void test_emails(void **state)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "write to John.Doe+x@Example.COM today", "john.doe+x@example.com" },
		{ "<sales@shop.example.co.uk>", "sales@shop.example.co.uk" },
		{ "contact: info[at]example[.]com", "info@example.com" },
		{ "\u8054\u7cfbabc@example.cn\u83b7\u53d6", "abc@example.cn" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rp_extract e;
		rp_extract_init(&e);
		rp_extract_text(xt, &e, cases[i].text, strlen(cases[i].text));
		if (!has_str(&e.emails, cases[i].want) || e.n_urls != 0) {
			dump(cases[i].text, &e);
			fail_msg("want %s", cases[i].want);
		}
		rp_extract_fini(&e);
	}
	{
		struct rp_extract e;
		rp_extract_init(&e);
		rp_extract_email(xt, &e, "\"Shop\" <Info@B\u00fccher.example>");
		rp_extract_email(xt, &e, "not-an-address");
		rp_extract_email(xt, &e, "x@localhost");
		assert_int_equal(e.emails.n, 1);
		assert_string_equal(e.emails.items[0], "info@xn--bcher-kva.example");
		rp_extract_fini(&e);
	}
}

static void test_phones_in_text(void **state)
{
	static const struct { const char *name, *text, *want; } cases[] = {
		{ "dashed", "call 138-0013-8000 now", "+8613800138000" },
		{ "intl spaced", "+86 138 0013 8000", "+8613800138000" },
		{ "paren cc", "(+86)13800138000", "+8613800138000" },
		{ "0086", "0086 138 0013 8000", "+8613800138000" },
		{ "bare", "\u7535\u8bdd13800138000\u8054\u7cfb", "+8613800138000" },
		{ "full-width", "\uff11\uff13\uff18\uff10\uff10\uff11\uff13\uff18\uff10\uff10\uff10", "+8613800138000" },
		{ "landline bj", "Tel: 010-12345678", "+861012345678" },
		{ "landline 3-digit area", "(0755) 8888 6666", "+8675588886666" },
		{ "400", "hotline 400-820-8820.", "+864008208820" },
		{ "us", "+1 (202) 555-0123", "+12025550123" },
		{ "uk trunk", "+44 (0)20 7946 0958", "+442079460958" },
		{ "de", "+49 30 123456", "+4930123456" },
		{ "leading digit", "room 2 138 0013 8000", "+8613800138000" },
		{ "after date", "2023-01-15 13800138000", "+8613800138000" },
		{ "dotted", "138.0013.8000", "+8613800138000" },
		{ "nanp with 1", "call 1-800-421-6318 today", "+18004216318" },
		{ "nanp parens", "(617) 253-5339", "+16172535339" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rp_extract e;
		rp_extract_init(&e);
		rp_extract_text(xt, &e, cases[i].text, strlen(cases[i].text));
		if (e.phones.n != 1 || strcmp(e.phones.items[0], cases[i].want) != 0) {
			dump(cases[i].text, &e);
			fail_msg("case %s: want %s", cases[i].name, cases[i].want);
		}
		rp_extract_fini(&e);
	}
}

static void test_not_phones(void **state)
{
	static const char *const texts[] = {
		"on 2023-01-15 at 12:30:45",
		"20230115 123045",
		"price $13800138000 or \u00a513800138000 or 1,380,013,800.00",
		"server 192.168.100.138 and 10.0.0.1",
		"http://shop.example.com/order/13800138000?id=13900139000",
		"card 6222021234567890123",
		"12345678901234567890",
		"id ABC13800138000 and 13800138000x",
		"ratio 13800138000%",
		"1700000000 unix time, 3.13800138000",
		"+999 1234 5678",
		"call 12345",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct rp_extract e;
		rp_extract_init(&e);
		rp_extract_text(xt, &e, texts[i], strlen(texts[i]));
		if (e.phones.n != 0) {
			dump(texts[i], &e);
			fail_msg("false phone in \"%s\"", texts[i]);
		}
		rp_extract_fini(&e);
	}
}

static void test_phone_normalize(void **state)
{
	static const struct { const char *in, *cc, *want; } cases[] = {
		{ "138-0013-8000", NULL, "+8613800138000" },
		{ "+86 138 0013 8000", "86", "+8613800138000" },
		{ "(202) 555-0123", "1", "+12025550123" },
		{ "1-202-555-0123", "+1", "+12025550123" },
		{ "030 123456", "49", "+4930123456" },
		{ "+7 495 123-45-67", "86", "+74951234567" },
		{ "+86 10 1234 5678", "86", "+861012345678" },
		{ "+86 755 8888 6666", "86", "+8675588886666" },
		{ "+86 (0)21 1234 5678", "86", "+862112345678" },
		{ "\uff08\uff0b\uff18\uff16\uff09\uff11\uff13\uff18\uff10\uff10\uff11\uff13\uff18\uff10\uff10\uff10", "86",
		  "+8613800138000" },
		{ "+86 1012345", "86", NULL },
		{ "12345678", "86", NULL },
		{ "1380013800", "86", NULL },
		{ "12ab", "86", NULL },
		{ "", "86", NULL },
		{ "+0 1234567", "86", NULL },
		{ "1234567", "86", NULL },
		{ "+86 12345", "86", NULL },
		{ "+1 123 456 7890", "86", NULL },
		{ "+49 1234567890123456", "86", NULL },
	};
	char out[24];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = rp_phone_normalize(cases[i].in, cases[i].cc, out, sizeof(out));
		if (cases[i].want == NULL) {
			if (r != RP_EINVAL)
				fail_msg("%s: got %s, want EINVAL", cases[i].in, out);
		} else {
			if (r != 0)
				fail_msg("%s: EINVAL, want %s", cases[i].in, cases[i].want);
			assert_string_equal(out, cases[i].want);
		}
	}
	assert_int_equal(rp_phone_normalize("13800138000", "86", out, 5), RP_EINVAL);
}

static void test_other_default_country(void **state)
{
	struct rp_extractor *us = rp_extractor_new("+1");
	struct rp_extract e;
	const char *t = "Call (202) 555-0123 or 202.555.0199, not 138-0013-8000 or 123-456-7890.";

	assert_non_null(us);
	rp_extract_init(&e);
	rp_extract_text(us, &e, t, strlen(t));
	if (e.phones.n != 2 || !has_str(&e.phones, "+12025550123") || !has_str(&e.phones, "+12025550199")) {
		dump(t, &e);
		fail_msg("default +1");
	}
	rp_extract_fini(&e);
	us = rp_extractor_free(us);
	assert_null(us);
}

static void test_dedup_and_limits(void **state)
{
	struct rp_extract e;
	const char *t = "http://a.example.com/ http://a.example.com/ http://b.example.com/ http://c.example.org/";

	rp_extract_init(&e);
	e.max_items = 2;
	rp_extract_text(xt, &e, t, strlen(t));
	assert_int_equal(e.n_urls, 2);
	assert_int_equal(e.domains.n, 1);
	assert_true(e.truncated);
	rp_extract_fini(&e);
}

static void test_huge_inputs(void **state)
{
	size_t n = 10u << 20;
	char *big = xmalloc(n + 1);
	struct rp_extract e;
	static const char *const pieces[] = {
		"http://x", ".example.com/", " 138-0013-8000 ", "a@b.example.org ", "www . ", "[.]", " dot ",
		"\u200b", "+86 ", "1234567890", "\uff0e", "(", ")", "hxxp", "@", "aaaa.", " ",
	};
	size_t o = 0;

	srand(7);
	while (o < n) {
		const char *p = pieces[(size_t)rand() % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t l = strlen(p);
		if (o + l > n)
			break;
		memcpy(big + o, p, l);
		o += l;
	}
	rp_extract_init(&e);
	rp_extract_text(xt, &e, big, o);
	assert_true(e.n_urls <= 10000 && e.phones.n <= 10000);
	rp_extract_fini(&e);

	/* one 1 MB token of each kind */
	static const char fill[] = "a.1-@:/%";
	for (size_t k = 0; k < sizeof(fill) - 1; k++) {
		memset(big, fill[k], 1u << 20);
		memcpy(big, "http://", 7);
		rp_extract_init(&e);
		rp_extract_text(xt, &e, big, 1u << 20);
		rp_extract_fini(&e);
		memset(big, k % 2 ? '1' : 'a', 1u << 20);
		for (size_t j = 3; j < (1u << 20); j += 4)
			big[j] = fill[k];
		rp_extract_init(&e);
		rp_extract_text(xt, &e, big, 1u << 20);
		rp_extract_link(xt, &e, "http://example.com/");
		rp_extract_fini(&e);
	}
	big[1u << 20] = '\0';
	memcpy(big, "http://", 7);
	rp_extract_init(&e);
	rp_extract_link(xt, &e, big);
	rp_extract_email(xt, &e, big);
	rp_extract_fini(&e);
	xfree(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strlist),
		cmocka_unit_test(test_urls_in_text),
		cmocka_unit_test(test_no_false_urls),
		cmocka_unit_test(test_idn_host_forms),
		cmocka_unit_test(test_registrable),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_emails),
		cmocka_unit_test(test_phones_in_text),
		cmocka_unit_test(test_not_phones),
		cmocka_unit_test(test_phone_normalize),
		cmocka_unit_test(test_other_default_country),
		cmocka_unit_test(test_dedup_and_limits),
		cmocka_unit_test(test_huge_inputs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
