/* test_netaddr.c - address parsing, scope classification and CIDR sets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "repute/error.h"
#include "repute/netaddr.h"

static void test_parse_and_format(void **state)
{
	struct rp_addr a;
	char buf[RP_ADDR_STRLEN];

	assert_int_equal(rp_addr_parse("192.0.2.7", &a), 0);
	assert_int_equal(a.family, 4);
	assert_string_equal(rp_addr_format(&a, buf), "192.0.2.7");
	assert_int_equal(rp_addr_parse("[IPv6:2001:DB8::1]", &a), 0);
	assert_int_equal(a.family, 6);
	assert_string_equal(rp_addr_format(&a, buf), "2001:db8::1");
	assert_int_equal(rp_addr_parse("::ffff:1.2.3.4", &a), 0);
	assert_int_equal(a.family, 4);
	assert_string_equal(rp_addr_format(&a, buf), "1.2.3.4");
	assert_int_equal(rp_addr_parse("1.2.3", &a), RP_EINVAL);
	assert_int_equal(rp_addr_parse("999.1.1.1", &a), RP_EINVAL);
	assert_int_equal(rp_addr_parse("", &a), RP_EINVAL);
	assert_int_equal(rp_addr_parse("[]", &a), RP_EINVAL);
}

static void test_scopes(void **state)
{
	static const struct { const char *ip; enum rp_addr_scope scope; } cases[] = {
		{ "8.8.8.8", RP_SCOPE_PUBLIC },        { "10.1.2.3", RP_SCOPE_PRIVATE },
		{ "172.31.255.255", RP_SCOPE_PRIVATE }, { "172.32.0.1", RP_SCOPE_PUBLIC },
		{ "192.168.1.1", RP_SCOPE_PRIVATE },   { "127.0.0.1", RP_SCOPE_LOOPBACK },
		{ "169.254.1.1", RP_SCOPE_LINKLOCAL }, { "100.64.0.1", RP_SCOPE_CGNAT },
		{ "100.128.0.1", RP_SCOPE_PUBLIC },    { "192.0.2.1", RP_SCOPE_RESERVED },
		{ "224.0.0.1", RP_SCOPE_RESERVED },    { "255.255.255.255", RP_SCOPE_RESERVED },
		{ "2001:db8::1", RP_SCOPE_RESERVED },  { "2a00:1450::1", RP_SCOPE_PUBLIC },
		{ "fe80::1", RP_SCOPE_LINKLOCAL },     { "fd00::1", RP_SCOPE_PRIVATE },
		{ "::1", RP_SCOPE_LOOPBACK },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rp_addr a;
		assert_int_equal(rp_addr_parse(cases[i].ip, &a), 0);
		if (rp_addr_scope(&a) != cases[i].scope)
			fail_msg("%s: scope %s, want %s", cases[i].ip, rp_addr_scope_name(rp_addr_scope(&a)),
				 rp_addr_scope_name(cases[i].scope));
	}
}

static void test_cidr(void **state)
{
	struct rp_cidr c;
	struct rp_addr a;
	char buf[RP_ADDR_STRLEN + 4];

	assert_int_equal(rp_cidr_parse("192.0.2.77/24", &c), 0);
	assert_string_equal(rp_cidr_format(&c, buf), "192.0.2.0/24");
	rp_addr_parse("192.0.2.200", &a);
	assert_true(rp_cidr_contains(&c, &a));
	rp_addr_parse("192.0.3.1", &a);
	assert_false(rp_cidr_contains(&c, &a));
	assert_int_equal(rp_cidr_parse("10/8", &c), 0);
	assert_int_equal(c.len, 8);
	assert_int_equal(rp_cidr_parse("10.", &c), 0);
	assert_int_equal(c.len, 8);
	assert_int_equal(rp_cidr_parse("127.0/16", &c), 0);
	assert_int_equal(c.len, 16);
	assert_int_equal(rp_cidr_parse("1.2.3.4/33", &c), RP_EINVAL);
	assert_int_equal(rp_cidr_parse("1.2.3.4/", &c), RP_EINVAL);
	assert_int_equal(rp_cidr_parse("garbage", &c), RP_EINVAL);
	assert_int_equal(rp_cidr_parse("2001:db8::/33", &c), 0);
	rp_addr_parse("2001:db8:7fff::1", &a);
	assert_true(rp_cidr_contains(&c, &a));
	rp_addr_parse("2001:db8:8000::1", &a);
	assert_false(rp_cidr_contains(&c, &a));
}

static void test_cidrset(void **state)
{
	struct rp_cidrset s;
	struct rp_addr a;

	rp_cidrset_init(&s);
	assert_int_equal(rp_cidrset_add_text(&s, "198.51.100.0/24"), 0);
	assert_int_equal(rp_cidrset_add_text(&s, "2001:db8::/32"), 0);
	assert_int_equal(rp_cidrset_add_text(&s, "nonsense"), RP_EINVAL);
	assert_int_equal(s.n, 2);
	rp_addr_parse("198.51.100.9", &a);
	assert_true(rp_cidrset_contains(&s, &a));
	rp_addr_parse("198.51.101.9", &a);
	assert_false(rp_cidrset_contains(&s, &a));
	rp_cidrset_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_format),
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_cidrset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
