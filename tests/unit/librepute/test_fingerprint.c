/* test_fingerprint.c - campaign fingerprint: variants match, unrelated and short texts do
 * not, text form round trip and rejection of bad text forms, huge inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "repute/alloc.h"
#include "repute/error.h"
#include "repute/fingerprint.h"

static const char base_en[] =
	"Dear John Smith,\n\nCongratulations! Your email address has been selected as the winner of our "
	"annual online lottery draw. You have won the sum of 1,500,000 USD. To claim your prize please "
	"contact our claims agent Mr. Peter Brown at claims@lotto-example.com with your full name, address "
	"and phone number. Your reference number is REF-88231-XZ.\n\nVisit "
	"http://lotto-example.com/claim?id=88231&u=john to start the process today. This offer expires in "
	"seven days, so act now and do not tell anyone about your win until the money is transferred.\n\n"
	"Best regards,\nThe International Lottery Commission";

static const char base_zh[] =
	"\u5c0a\u656c\u7684\u5ba2\u6237\u60a8\u597d\uff0c\u60a8\u7684\u8d26\u6237\u5df2\u88ab\u5192\u7528"
	"\uff0c\u8bf7\u7acb\u5373\u70b9\u51fb\u4e0b\u9762\u7684\u94fe\u63a5\u8fdb\u884c\u8eab\u4efd\u9a8c"
	"\u8bc1\uff0c\u5426\u5219\u60a8\u7684\u8d26\u6237\u5c06\u5728\u4e8c\u5341\u56db\u5c0f\u65f6\u5185"
	"\u88ab\u51bb\u7ed3\u3002\u5982\u6709\u7591\u95ee\u8bf7\u8054\u7cfb\u5ba2\u670d\u3002"
	"http://bank-example.cn/verify?u=12345 \u5ba2\u670d\u7535\u8bdd13800138000";

static const char unrelated_en[] =
	"Hi team, the quarterly planning meeting has moved to Thursday afternoon in the large conference "
	"room on the third floor. Please bring your updated project timelines and the list of open issues "
	"for the storage migration. We will also review the on-call rotation for next month and decide "
	"who owns the documentation cleanup. Lunch will be provided, let me know about dietary needs.";

/* fp - fingerprint of a NUL-terminated text. */
static struct rp_fingerprint fp(const char *t)
{
	struct rp_fingerprint f;

	rp_fingerprint_compute(t, strlen(t), &f);
	return f;
}

/* replace_all - copy of s with every from replaced by to. */
static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	char *out;

	for (const char *p = s; (p = strstr(p, from)) != NULL; p += fl)
		n++;
	out = xmalloc(strlen(s) + n * (tl > fl ? tl - fl : 0) + 1);
	out[0] = '\0';
	for (const char *p = s, *q; ; p = q + fl) {
		q = strstr(p, from);
		if (q == NULL) {
			strcat(out, p);
			break;
		}
		strncat(out, p, (size_t)(q - p));
		strcat(out, to);
	}
	return out;
}

static void test_variants_match(void **state)
{
	static const struct { const char *name, *from, *to; } subs[] = {
		{ "name", "John Smith", "Maria Garcia" },
		{ "numbers", "88231", "10477" },
		{ "amount", "1,500,000", "2,750,000" },
		{ "query", "claim?id=88231&u=john", "claim?id=5&u=maria&utm_source=x" },
		{ "white space", " ", "   " },
		{ "line breaks", "\n\n", "\r\n \r\n\t" },
		{ "case", "Congratulations", "CONGRATULATIONS" },
		{ "invisible", "lottery", "lot\u200btery" },
		{ "full-width", "USD", "\uff35\uff33\uff24" },
		{ "email local part", "claims@", "agent.peter77@" },
	};
	struct rp_fingerprint a = fp(base_en);
	char *all = xstrdup(base_en);

	assert_true(a.n_features > 0);
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		char *v = replace_all(base_en, subs[i].from, subs[i].to), *w;
		struct rp_fingerprint b = fp(v);
		if (!rp_fingerprint_match(&a, &b))
			fail_msg("variant %s: similarity %.2f", subs[i].name, rp_fingerprint_similarity(&a, &b));
		w = replace_all(all, subs[i].from, subs[i].to);
		xfree(all);
		all = w;
		xfree(v);
	}
	{
		struct rp_fingerprint b = fp(all);
		if (!rp_fingerprint_match(&a, &b))
			fail_msg("all variants together: similarity %.2f", rp_fingerprint_similarity(&a, &b));
	}
	xfree(all);
	{
		struct rp_fingerprint z = fp(base_zh);
		char *v = replace_all(base_zh, "13800138000", "13912345678"), *w = replace_all(v, "u=12345", "u=99");
		struct rp_fingerprint y = fp(w);
		assert_true(z.n_features > 0);
		assert_true(rp_fingerprint_match(&z, &y));
		xfree(v);
		xfree(w);
	}
	assert_true(rp_fingerprint_similarity(&a, &a) == 1.0);
}

static void test_unrelated_differ(void **state)
{
	struct rp_fingerprint a = fp(base_en), b = fp(unrelated_en), c = fp(base_zh);

	assert_true(b.n_features > 0);
	assert_false(rp_fingerprint_match(&a, &b));
	assert_false(rp_fingerprint_match(&a, &c));
	assert_false(rp_fingerprint_match(&b, &c));
	assert_true(rp_fingerprint_similarity(&a, &b) < 0.2);
}

static void test_short_texts(void **state)
{
	static const char *const shorts[] = {
		"", "hello", "Hello world", "Click here now", "Your account has been suspended",
		"http://example.com/?a=1", "13800138000", "\u60a8\u597d", "re: hi", "   \n\t  ",
	};
	struct rp_fingerprint f[sizeof(shorts) / sizeof(shorts[0])];

	for (size_t i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++) {
		f[i] = fp(shorts[i]);
		assert_int_equal(f[i].n_features, 0);
	}
	for (size_t i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++)
		for (size_t j = 0; j < sizeof(shorts) / sizeof(shorts[0]); j++) {
			assert_false(rp_fingerprint_match(&f[i], &f[j]));
			assert_true(rp_fingerprint_similarity(&f[i], &f[j]) == 0.0);
		}
	rp_fingerprint_compute(NULL, 5, &f[0]);
	assert_int_equal(f[0].n_features, 0);
}

static void test_text_form(void **state)
{
	struct rp_fingerprint a = fp(base_en), b, e;
	char text[RP_FP_TEXTLEN], again[RP_FP_TEXTLEN];

	rp_fingerprint_format(&a, text);
	assert_int_equal(strlen(text), RP_FP_TEXTLEN - 1);
	assert_int_equal(rp_fingerprint_parse(text, &b), 0);
	assert_memory_equal(a.slot, b.slot, sizeof(a.slot));
	assert_int_equal(b.n_features, a.n_features > 255 ? 255 : a.n_features);
	assert_true(rp_fingerprint_match(&a, &b));
	rp_fingerprint_format(&b, again);
	assert_string_equal(text, again);

	/* stable: the same text always gives the same form */
	b = fp(base_en);
	rp_fingerprint_format(&b, again);
	assert_string_equal(text, again);

	/* empty fingerprint round trip */
	memset(&e, 0, sizeof(e));
	rp_fingerprint_format(&e, again);
	assert_int_equal(rp_fingerprint_parse(again, &b), 0);
	assert_int_equal(b.n_features, 0);
}

static void test_bad_text_forms(void **state)
{
	struct rp_fingerprint a = fp(base_en), b;
	char text[RP_FP_TEXTLEN], bad[RP_FP_TEXTLEN + 8];

	rp_fingerprint_format(&a, text);
	b = a;
	assert_int_equal(rp_fingerprint_parse(NULL, &b), RP_EINVAL);
	assert_int_equal(rp_fingerprint_parse("", &b), RP_EINVAL);
	assert_int_equal(rp_fingerprint_parse("zz", &b), RP_EINVAL);
	memcpy(bad, text, RP_FP_TEXTLEN - 2);
	bad[RP_FP_TEXTLEN - 2] = '\0';
	assert_int_equal(rp_fingerprint_parse(bad, &b), RP_EINVAL); /* one short */
	snprintf(bad, sizeof(bad), "%s0", text);
	assert_int_equal(rp_fingerprint_parse(bad, &b), RP_EINVAL); /* one long */
	strcpy(bad, text);
	bad[40] = 'g';
	assert_int_equal(rp_fingerprint_parse(bad, &b), RP_EINVAL);
	strcpy(bad, text);
	bad[41] = 'A';
	assert_int_equal(rp_fingerprint_parse(bad, &b), RP_EINVAL); /* upper case is not canonical */
	strcpy(bad, text);
	bad[0] = '0';
	bad[1] = '0';
	assert_int_equal(rp_fingerprint_parse(bad, &b), RP_EINVAL); /* empty count, non-zero slots */
	strcpy(bad, text);
	bad[0] = '0';
	bad[1] = '3';
	assert_int_equal(rp_fingerprint_parse(bad, &b), RP_EINVAL); /* too few features */
	strcpy(bad, text);
	bad[100] = ' ';
	assert_int_equal(rp_fingerprint_parse(bad, &b), RP_EINVAL);
	assert_memory_equal(&a, &b, sizeof(a)); /* failed parses leave the output alone */
}

static void test_huge_inputs(void **state)
{
	size_t n = 10u << 20;
	char *big = xmalloc(n);
	struct rp_fingerprint a, b;

	for (size_t i = 0; i < n; i++)
		big[i] = (char)("abcdefgh ijklmnop\n\xe4\xb8\xad"[rand() % 21]);
	rp_fingerprint_compute(big, n, &a);
	assert_true(a.n_features > 0);
	memset(big, 'a', 1u << 20);
	rp_fingerprint_compute(big, 1u << 20, &b); /* one 1 MB token */
	assert_int_equal(b.n_features, 0);
	memset(big, 0xff, 1u << 20);
	rp_fingerprint_compute(big, 1u << 20, &b); /* invalid UTF-8 */
	assert_int_equal(b.n_features, 0);
	for (size_t i = 0; i + 3 <= (1u << 20); i += 3)
		memcpy(big + i, "\xe4\xb8\xad", 3); /* one CJK character repeated */
	rp_fingerprint_compute(big, 1u << 20, &b);
	assert_int_equal(b.n_features, 0);
	xfree(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_variants_match),
		cmocka_unit_test(test_unrelated_differ),
		cmocka_unit_test(test_short_texts),
		cmocka_unit_test(test_text_form),
		cmocka_unit_test(test_bad_text_forms),
		cmocka_unit_test(test_huge_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
