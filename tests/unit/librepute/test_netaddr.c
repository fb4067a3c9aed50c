/* test_netaddr.c - address parsing, scope classification (the precomputed table is checked
 * against the ranges written as text), formatting and CIDR sets. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
		{ "::1", RP_SCOPE_LOOPBACK },          { "198.19.255.255", RP_SCOPE_RESERVED },
		{ "198.20.0.0", RP_SCOPE_PUBLIC },     { "240.0.0.1", RP_SCOPE_RESERVED },
		{ "0.1.2.3", RP_SCOPE_RESERVED },      { "2001:4860:4860::8888", RP_SCOPE_PUBLIC },
		{ "2002:c000:204::1", RP_SCOPE_PUBLIC }, { "64:ff9b:1::1", RP_SCOPE_PRIVATE },
		{ "100::1", RP_SCOPE_RESERVED },       { "::", RP_SCOPE_RESERVED },
		{ "::ffff:10.1.2.3", RP_SCOPE_PRIVATE }, { "ff02::1", RP_SCOPE_RESERVED },
		{ "3fff::1", RP_SCOPE_PUBLIC },        { "4000::1", RP_SCOPE_PUBLIC },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rp_addr a;
		assert_int_equal(rp_addr_parse(cases[i].ip, &a), 0);
		if (rp_addr_scope(&a) != cases[i].scope)
			fail_msg("%s: scope %s, want %s", cases[i].ip, rp_addr_scope_name(rp_addr_scope(&a)),
				 rp_addr_scope_name(cases[i].scope));
	}
}

/* The special-purpose ranges as text: a reference the precomputed table must agree with. */
static const struct { const char *cidr; enum rp_addr_scope scope; } reference[] = {
	{ "127.0.0.0/8", RP_SCOPE_LOOPBACK },     { "10.0.0.0/8", RP_SCOPE_PRIVATE },
	{ "172.16.0.0/12", RP_SCOPE_PRIVATE },    { "192.168.0.0/16", RP_SCOPE_PRIVATE },
	{ "169.254.0.0/16", RP_SCOPE_LINKLOCAL }, { "100.64.0.0/10", RP_SCOPE_CGNAT },
	{ "0.0.0.0/8", RP_SCOPE_RESERVED },       { "192.0.0.0/24", RP_SCOPE_RESERVED },
	{ "192.0.2.0/24", RP_SCOPE_RESERVED },    { "198.18.0.0/15", RP_SCOPE_RESERVED },
	{ "198.51.100.0/24", RP_SCOPE_RESERVED }, { "203.0.113.0/24", RP_SCOPE_RESERVED },
	{ "224.0.0.0/3", RP_SCOPE_RESERVED },     { "::1/128", RP_SCOPE_LOOPBACK },
	{ "::/128", RP_SCOPE_RESERVED },          { "fe80::/10", RP_SCOPE_LINKLOCAL },
	{ "fc00::/7", RP_SCOPE_PRIVATE },         { "ff00::/8", RP_SCOPE_RESERVED },
	{ "2001:db8::/32", RP_SCOPE_RESERVED },   { "64:ff9b:1::/48", RP_SCOPE_PRIVATE },
	{ "100::/64", RP_SCOPE_RESERVED },        { "2001:2::/48", RP_SCOPE_RESERVED },
	{ "::/8", RP_SCOPE_RESERVED },
};

/* reference_scope - slow scope lookup by parsing the reference table. */
static enum rp_addr_scope reference_scope(const struct rp_addr *a)
{
	for (size_t i = 0; i < sizeof(reference) / sizeof(reference[0]); i++) {
		struct rp_cidr c;
		assert_int_equal(rp_cidr_parse(reference[i].cidr, &c), 0);
		if (rp_cidr_contains(&c, a))
			return reference[i].scope;
	}
	return RP_SCOPE_PUBLIC;
}

static void test_scope_table_matches_reference(void **state)
{
	unsigned seed = 1;
	struct rp_addr a;

	/* both ends of every range, one step outside each, and random addresses */
	for (size_t i = 0; i < sizeof(reference) / sizeof(reference[0]); i++) {
		struct rp_cidr c;
		rp_cidr_parse(reference[i].cidr, &c);
		unsigned bytes = c.addr.family == 4 ? 4 : 16;
		for (int end = 0; end < 2; end++) {
			a = c.addr;
			if (end)
				for (unsigned bit = c.len; bit < bytes * 8; bit++)
					a.b[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
			assert_int_equal(rp_addr_scope(&a), reference_scope(&a));
			for (int k = (int)bytes - 1; k >= 0; k--) /* +1 / -1 across the edge */
				if (end ? ++a.b[k] != 0 : a.b[k]-- != 0)
					break;
			assert_int_equal(rp_addr_scope(&a), reference_scope(&a));
		}
	}
	for (int i = 0; i < 200000; i++) {
		a.family = i & 1 ? 4 : 6;
		for (int k = 0; k < 16; k++) {
			seed = seed * 1103515245u + 12345u;
			a.b[k] = (uint8_t)(seed >> 16);
		}
		if (a.family == 6 && i % 4 == 0)
			memset(a.b, 0, 8 + (seed % 8)); /* reach the ::/8 and ::1 neighbourhoods */
		if (a.family == 4)
			memset(a.b + 4, 0, 12);
		if (rp_addr_scope(&a) != reference_scope(&a)) {
			char buf[RP_ADDR_STRLEN];
			fail_msg("%s: table %d, reference %d", rp_addr_format(&a, buf), rp_addr_scope(&a), reference_scope(&a));
		}
	}
	a.family = 0;
	assert_int_equal(rp_addr_scope(&a), RP_SCOPE_RESERVED);
}

static void test_format_v4(void **state)
{
	static const char *const ips[] = { "0.0.0.0", "255.255.255.255", "10.0.100.9", "1.20.255.0", "99.100.101.9" };
	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		struct rp_addr a;
		char buf[RP_ADDR_STRLEN];
		assert_int_equal(rp_addr_parse(ips[i], &a), 0);
		assert_string_equal(rp_addr_format(&a, buf), ips[i]);
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
		cmocka_unit_test(test_scope_table_matches_reference),
		cmocka_unit_test(test_format_v4),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_cidrset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
