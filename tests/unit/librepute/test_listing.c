/* test_listing.c - the listing policy: scores, reasons and return codes, thresholds,
 * min_reporters, expiry doubling, the provider whitelist, CIDR ranges with collateral caps,
 * self-service delisting, and one scenario (many reporters, trap hits, a provider network,
 * a /24 where only some addresses spam: only those are listed). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <stdlib.h>
#include <unistd.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/dns.h"
#include "repute/listing.h"
#include "repute/zone.h"

#define DAY 86400
#define NOW 1795450000

/* ev_reporters - evidence of n distinct reporters of trust t. */
static struct rp_listing_evidence ev_reporters(long n, double t)
{
	return (struct rp_listing_evidence){ .reporters = n, .reporter_weight = (double)n * t, .last_evidence = NOW };
}

static void test_defaults_and_check(void **state)
{
	struct rp_listing_policy p;
	struct rp_diag d;

	(void)state;
	rp_listing_policy_defaults(&p);
	assert_int_equal(rp_listing_policy_check(&p, &d), RP_OK);
	assert_int_equal(p.threshold, 30);
	assert_int_equal(p.window, 7 * DAY);
	p.range_min = 1;
	assert_int_equal(rp_listing_policy_check(&p, &d), RP_EINVAL);
	assert_non_null(strstr(d.reason, "range_min"));
	rp_listing_policy_defaults(&p);
	p.expiry_max = p.expiry - 1;
	assert_int_equal(rp_listing_policy_check(&p, &d), RP_EINVAL);
}

static void test_reasons_and_codes(void **state)
{
	enum rp_list_reason r;

	(void)state;
	assert_int_equal(rp_list_reason_code(RP_LIST_REPORTS), 0x7f000002);
	assert_int_equal(rp_list_reason_code(RP_LIST_TRAP), 0x7f000003);
	assert_int_equal(rp_list_reason_code(RP_LIST_RELAY), 0x7f000004);
	assert_int_equal(rp_list_reason_code(RP_LIST_MANUAL), 0x7f000005);
	assert_int_equal(rp_list_reason_code(RP_LIST_RANGE), 0x7f000006);
	for (int i = 1; i < RP_LIST_N_REASONS; i++) {
		assert_int_equal(rp_list_reason_parse(rp_list_reason_name((enum rp_list_reason)i), &r), RP_OK);
		assert_int_equal(r, i);
	}
	assert_int_equal(rp_list_reason_parse("none", &r), RP_EINVAL);
	assert_int_equal(rp_list_reason_parse("bogus", &r), RP_EINVAL);
}

static void test_decide(void **state)
{
	struct rp_listing_policy p;
	struct rp_listing_decision d;
	struct rp_listing_evidence ev;

	(void)state;
	rp_listing_policy_defaults(&p);
	/* two trusted reporters: 20 points, below 30 */
	ev = ev_reporters(2, 1.0);
	rp_listing_decide(&p, &ev, false, 0, NOW, &d);
	assert_int_equal(d.action, RP_ACT_NONE);
	/* three: listed for reports, two days */
	ev = ev_reporters(3, 1.0);
	rp_listing_decide(&p, &ev, false, 0, NOW, &d);
	assert_int_equal(d.action, RP_ACT_LIST);
	assert_int_equal(d.reason, RP_LIST_REPORTS);
	assert_int_equal(d.expires, NOW + 2 * DAY);
	assert_non_null(strstr(d.summary, "3 reporters"));
	/* five reporters whose reports are often rejected weigh less than three good ones */
	ev = ev_reporters(5, 0.4);
	rp_listing_decide(&p, &ev, false, 0, NOW, &d);
	assert_int_equal(d.action, RP_ACT_NONE);
	assert_true(d.score > 19.9 && d.score < 20.1);
	/* one reporter and two trap hits: trap weighs most */
	ev = ev_reporters(1, 1.0);
	ev.trap_hits = 2;
	rp_listing_decide(&p, &ev, false, 0, NOW, &d);
	assert_int_equal(d.action, RP_ACT_LIST);
	assert_int_equal(d.reason, RP_LIST_TRAP);
	assert_non_null(strstr(d.summary, "2 trap hits"));
	/* trap hits are capped */
	ev = ev_reporters(0, 1.0);
	ev.trap_hits = 100;
	assert_true(rp_listing_score(&p, &ev) < 60.1);
	/* an open relay alone, and it names the reason even with reports */
	ev = ev_reporters(2, 1.0);
	ev.open_relay = true;
	rp_listing_decide(&p, &ev, false, 0, NOW, &d);
	assert_int_equal(d.reason, RP_LIST_RELAY);
	/* one reporter with an analyst confirmation */
	ev = ev_reporters(1, 1.0);
	ev.confirmations = 1;
	rp_listing_decide(&p, &ev, false, 0, NOW, &d);
	assert_int_equal(d.action, RP_ACT_LIST);
	assert_int_equal(d.reason, RP_LIST_REPORTS);
	/* min_reporters: one very loud reporter alone never lists */
	p.reporter_points = 100;
	ev = ev_reporters(1, 1.0);
	rp_listing_decide(&p, &ev, false, 0, NOW, &d);
	assert_int_equal(d.action, RP_ACT_NONE);
	/* whitelisted: a case, never a listing */
	rp_listing_policy_defaults(&p);
	ev = ev_reporters(50, 1.0);
	ev.trap_hits = 10;
	rp_listing_decide(&p, &ev, true, 0, NOW, &d);
	assert_int_equal(d.action, RP_ACT_CASE);
	assert_int_equal(d.expires, 0);
}

static void test_expiry_and_since(void **state)
{
	struct rp_listing_policy p;

	(void)state;
	rp_listing_policy_defaults(&p);
	assert_int_equal(rp_listing_expiry(&p, 0, NOW), NOW + 2 * DAY);
	assert_int_equal(rp_listing_expiry(&p, 1, NOW), NOW + 4 * DAY);
	assert_int_equal(rp_listing_expiry(&p, 3, NOW), NOW + 16 * DAY);
	assert_int_equal(rp_listing_expiry(&p, 6, NOW), NOW + 90 * DAY);
	assert_int_equal(rp_listing_expiry(&p, 1000000, NOW), NOW + 90 * DAY);
	assert_int_equal(rp_listing_since(&p, NOW, 0), NOW - 7 * DAY);
	assert_int_equal(rp_listing_since(&p, NOW, NOW - DAY), NOW - DAY);
	assert_int_equal(rp_listing_since(&p, NOW, NOW - 30 * DAY), NOW - 7 * DAY);
}

static void test_whitelist(void **state)
{
	struct rp_whitelist w;
	struct rp_addr a;
	struct rp_cidr c;

	(void)state;
	rp_whitelist_init(&w);
	assert_int_equal(rp_whitelist_add_network(&w, "198.51.100.0/24"), RP_OK);
	assert_int_equal(rp_whitelist_add_network(&w, "2001:db8::/32"), RP_OK);
	assert_int_equal(rp_whitelist_add_network(&w, "not a net"), RP_EINVAL);
	assert_int_equal(rp_whitelist_add_domain(&w, "Mail.Example.NET."), RP_OK);
	assert_int_equal(rp_whitelist_add_domain(&w, ""), RP_EINVAL);
	rp_addr_parse("198.51.100.77", &a);
	assert_true(rp_whitelist_match_addr(&w, &a));
	rp_addr_parse("198.51.101.1", &a);
	assert_false(rp_whitelist_match_addr(&w, &a));
	assert_true(rp_whitelist_match_domain(&w, "mail.example.net"));
	assert_true(rp_whitelist_match_domain(&w, "out1.MAIL.example.net"));
	assert_false(rp_whitelist_match_domain(&w, "example.net"));
	assert_false(rp_whitelist_match_domain(&w, "badmail.example.net"));
	rp_cidr_parse("198.51.100.128/25", &c);
	assert_true(rp_whitelist_overlaps(&w, &c));
	rp_cidr_parse("198.51.0.0/16", &c);
	assert_true(rp_whitelist_overlaps(&w, &c));
	rp_cidr_parse("198.51.99.0/24", &c);
	assert_false(rp_whitelist_overlaps(&w, &c));
	assert_true(rp_whitelist_match_source(&w, "198.51.100.7"));
	assert_true(rp_whitelist_match_source(&w, "2001:db8:1:2::/64"));
	assert_false(rp_whitelist_match_source(&w, "2001:db9:1:2::/64"));
	assert_true(rp_whitelist_match_source(&w, "smtp.mail.example.net"));
	assert_false(rp_whitelist_match_source(&w, "+8613800138000"));
	assert_false(rp_whitelist_match_source(&w, "203.0.113.9"));
	rp_whitelist_fini(&w);
	rp_whitelist_fini(&w); /* twice is harmless */
}

/* add_addr - one IPv4 address with evidence into a[*n]. */
static void add_addr(struct rp_range_addr *a, size_t *n, const char *ip, bool listed)
{
	assert_int_equal(rp_addr_parse(ip, &a[*n].addr), RP_OK);
	a[*n].listed = listed;
	(*n)++;
}

static void test_ranges(void **state)
{
	struct rp_listing_policy p;
	struct rp_whitelist w;
	struct rp_range_addr a[64];
	struct rp_range_listing out[8];
	char ip[32], buf[64];
	size_t n = 0;

	(void)state;
	rp_listing_policy_defaults(&p);
	rp_whitelist_init(&w);
	rp_whitelist_add_network(&w, "198.51.100.8/30");
	/* 12 of the 16 addresses of 203.0.113.16/28 listed: a /28 with collateral 4 */
	for (int i = 16; i < 28; i++) {
		snprintf(ip, sizeof(ip), "203.0.113.%d", i);
		add_addr(a, &n, ip, true);
	}
	/* five scattered spammers and three with evidence below the threshold in the same /24 */
	add_addr(a, &n, "203.0.113.77", true);
	add_addr(a, &n, "203.0.113.130", true);
	add_addr(a, &n, "203.0.113.131", false);
	add_addr(a, &n, "203.0.113.200", true);
	add_addr(a, &n, "203.0.113.201", false);
	add_addr(a, &n, "203.0.113.240", false);
	add_addr(a, &n, "203.0.113.20", true); /* twice: counts once */
	/* a full /29 inside a provider's /24 that holds a whitelisted /30: never a range */
	for (int i = 8; i < 16; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		add_addr(a, &n, ip, true);
	}
	size_t k = rp_listing_ranges(&p, &w, a, n, out, 8);
	assert_int_equal(k, 1);
	assert_string_equal(rp_cidr_format(&out[0].cidr, buf), "203.0.113.16/28");
	assert_int_equal(out[0].listed, 12);
	assert_int_equal(out[0].evidence, 12);
	assert_int_equal(out[0].collateral, 4);
	/* tighter collateral cap: the narrower fully listed /29 instead */
	p.collateral_max = 3;
	assert_int_equal(rp_listing_ranges(&p, &w, a, n, out, 8), 1);
	assert_string_equal(rp_cidr_format(&out[0].cidr, buf), "203.0.113.16/29");
	assert_int_equal(out[0].collateral, 0);
	/* more listed addresses needed than there are: none */
	p.range_min = 13;
	assert_int_equal(rp_listing_ranges(&p, &w, a, n, out, 8), 0);
	/* without the whitelist the provider's /29 would be one (collateral 0) */
	rp_listing_policy_defaults(&p);
	assert_int_equal(rp_listing_ranges(&p, NULL, a, n, out, 8), 2);
	/* ranges off */
	p.range_min = 0;
	assert_int_equal(rp_listing_ranges(&p, NULL, a, n, out, 8), 0);
	rp_whitelist_fini(&w);
}

static void test_delist(void **state)
{
	struct rp_listing_policy p;
	struct rp_delist_input in = { .reason = RP_LIST_REPORTS, .listed_at = NOW - DAY,
				      .last_evidence = NOW - DAY - 60, .now = NOW };

	(void)state;
	rp_listing_policy_defaults(&p);
	assert_int_equal(rp_listing_delist(&p, &in), RP_DELIST_NOW);
	assert_string_equal(rp_delist_outcome_name(RP_DELIST_NOW), "delisted");
	in.last_self_delist = NOW - 10 * DAY;
	assert_int_equal(rp_listing_delist(&p, &in), RP_DELIST_CASE_PERIOD);
	in.last_self_delist = NOW - 31 * DAY;
	assert_int_equal(rp_listing_delist(&p, &in), RP_DELIST_NOW);
	in.last_evidence = NOW - 5;
	assert_int_equal(rp_listing_delist(&p, &in), RP_DELIST_CASE_EVIDENCE);
	in.last_evidence = NOW - 2 * DAY;
	in.reason = RP_LIST_MANUAL;
	assert_int_equal(rp_listing_delist(&p, &in), RP_DELIST_CASE_REASON);
	in.reason = RP_LIST_RELAY;
	assert_int_equal(rp_listing_delist(&p, &in), RP_DELIST_CASE_REASON);
}

/* One scenario through the whole policy: every decision checked. */
struct src {
	const char *value;
	long reporters;
	double trust;
	long traps;
	enum rp_list_action want;
	enum rp_list_reason reason;
};

static void test_scenario(void **state)
{
	static const struct src srcs[] = {
		/* a botnet host reported by 12 ISPs */
		{ "192.0.2.10", 12, 0.9, 0, RP_ACT_LIST, RP_LIST_REPORTS },
		/* a snowshoe host hitting traps, one reporter */
		{ "192.0.2.11", 1, 1.0, 3, RP_ACT_LIST, RP_LIST_TRAP },
		/* a provider's outbound relay: lots of reports, still only a case */
		{ "198.51.100.25", 40, 1.0, 2, RP_ACT_CASE, RP_LIST_REPORTS },
		{ "mail.example.net", 9, 1.0, 0, RP_ACT_CASE, RP_LIST_REPORTS },
		/* a /24 where four addresses spam, two are reported once, the rest are innocent */
		{ "203.0.113.5", 4, 1.0, 0, RP_ACT_LIST, RP_LIST_REPORTS },
		{ "203.0.113.6", 3, 1.0, 1, RP_ACT_LIST, RP_LIST_REPORTS },
		{ "203.0.113.99", 6, 0.8, 0, RP_ACT_LIST, RP_LIST_REPORTS },
		{ "203.0.113.250", 0, 1.0, 4, RP_ACT_LIST, RP_LIST_TRAP },
		{ "203.0.113.7", 1, 1.0, 0, RP_ACT_NONE, RP_LIST_NONE },
		{ "203.0.113.8", 2, 0.5, 0, RP_ACT_NONE, RP_LIST_NONE },
		/* a domain and a phone number from SMS reports */
		{ "loan.example.cn", 5, 1.0, 0, RP_ACT_LIST, RP_LIST_REPORTS },
		{ "+8613800138000", 2, 1.0, 0, RP_ACT_NONE, RP_LIST_NONE },
	};
	struct rp_listing_policy p;
	struct rp_whitelist w;
	struct rp_range_addr ra[16];
	struct rp_range_listing out[4];
	size_t n = 0;
	long listed = 0, cases = 0;

	(void)state;
	rp_listing_policy_defaults(&p);
	rp_whitelist_init(&w);
	rp_whitelist_add_network(&w, "198.51.100.0/24");
	rp_whitelist_add_domain(&w, "example.net");
	for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		const struct src *s = &srcs[i];
		struct rp_listing_evidence ev = ev_reporters(s->reporters, s->trust);
		struct rp_listing_decision d;
		ev.trap_hits = s->traps;
		rp_listing_decide(&p, &ev, rp_whitelist_match_source(&w, s->value), 0, NOW, &d);
		if (d.action != s->want || (s->want != RP_ACT_NONE && d.reason != s->reason))
			fail_msg("%s: action %d reason %d (%s)", s->value, d.action, d.reason, d.summary);
		listed += d.action == RP_ACT_LIST;
		cases += d.action == RP_ACT_CASE;
		if (strncmp(s->value, "203.0.113.", 10) == 0) {
			rp_addr_parse(s->value, &ra[n].addr);
			ra[n++].listed = d.action == RP_ACT_LIST;
		}
	}
	assert_int_equal(listed, 7);
	assert_int_equal(cases, 2);
	/* only the four spamming addresses of the /24: no range */
	assert_int_equal(rp_listing_ranges(&p, &w, ra, n, out, 4), 0);
	rp_whitelist_fini(&w);
}

/* lookup_a - the A answer (host order) of name in a snapshot file, 0 when not listed. */
static uint32_t lookup_a(const char *snap, const char *name)
{
	struct zone *z = NULL;
	struct rp_diag d = { 0 };
	struct zone_result res;
	uint8_t wire[DNS_NAME_BUF];
	uint32_t a = 0;

	assert_int_equal(zone_open_file(snap, &z, &d), RP_OK);
	int len = dns_name_from_text(name, wire);
	assert_true(len > 1);
	zone_lookup(z, wire, (size_t)len - 1, &res);
	for (unsigned i = 0; i < res.n; i++)
		if (res.v[i]->flags & ZV_A)
			a = (uint32_t)res.v[i]->a[0] << 24 | (uint32_t)res.v[i]->a[1] << 16 |
			    (uint32_t)res.v[i]->a[2] << 8 | res.v[i]->a[3];
	zone_close(z);
	return a;
}

/* file_has - the file contains text. */
static bool file_has(const char *path, const char *text)
{
	FILE *f = fopen(path, "r");
	char data[65536];
	size_t n;

	if (f == NULL)
		return false;
	n = fread(data, 1, sizeof(data) - 1, f);
	fclose(f);
	data[n] = '\0';
	return strstr(data, text) != NULL;
}

/* mk - one listing. */
static struct rp_listing mk(const char *kind, const char *value, enum rp_list_reason r)
{
	struct rp_listing l = { .reason = r, .listed_at = NOW };

	snprintf(l.kind, sizeof(l.kind), "%s", kind);
	snprintf(l.value, sizeof(l.value), "%s", value);
	return l;
}

static void test_publish(void **state)
{
	struct rp_listing l[] = {
		mk("ip4", "192.0.2.10", RP_LIST_REPORTS),   mk("ip4", "192.0.2.11", RP_LIST_TRAP),
		mk("range4", "203.0.113.16/28", RP_LIST_RANGE), mk("ip6-64", "2001:db8:1:2::/64", RP_LIST_MANUAL),
		mk("domain", "loan.example.cn", RP_LIST_REPORTS), mk("phone", "+8613800138000", RP_LIST_REPORTS),
	};
	struct rp_whitelist w;
	struct rp_publish_stats ps;
	struct rp_diag d = { 0 };
	char dir[64], p[256], name[64];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_publish.XXXXXX");
	assert_non_null(mkdtemp(dir));
	rp_whitelist_init(&w);
	rp_whitelist_add_network(&w, "198.51.100.0/24");
	rp_whitelist_add_domain(&w, "bigmail.example");
	struct rp_publish_config cfg = { .dir = dir, .zone_ip = "bl.test", .zone_domain = "dbl.test",
					 .zone_phone = "pbl.test", .zone_white = "wl.test",
					 .txt_url = "https://repute.test/lookup/", .ttl = 60, .serial = 42 };
	assert_true(rp_phone_name("+8613800138000", name, sizeof(name)));
	assert_string_equal(name, "0.0.0.8.3.1.0.0.8.3.1.6.8");
	assert_false(rp_phone_name("8613800138000", name, sizeof(name)));
	assert_int_equal(rp_listing_publish(&cfg, l, 6, &w, &ps, &d), RP_OK);
	assert_int_equal(ps.zones, 4);
	assert_int_equal(ps.entries[RP_PART_IP4], 3);
	snprintf(p, sizeof(p), "%s/bl.test.snap", dir);
	assert_int_equal(lookup_a(p, "10.2.0.192"), 0x7f000002);
	assert_int_equal(lookup_a(p, "11.2.0.192"), 0x7f000003);
	assert_int_equal(lookup_a(p, "12.2.0.192"), 0);
	assert_int_equal(lookup_a(p, "20.113.0.203"), 0x7f000006);
	assert_int_equal(lookup_a(p, "32.113.0.203"), 0);
	assert_int_equal(lookup_a(p, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2"), 0x7f000005);
	snprintf(p, sizeof(p), "%s/dbl.test.snap", dir);
	assert_int_equal(lookup_a(p, "loan.example.cn"), 0x7f000002);
	assert_int_equal(lookup_a(p, "www.loan.example.cn"), 0x7f000002);
	assert_int_equal(lookup_a(p, "example.cn"), 0);
	snprintf(p, sizeof(p), "%s/pbl.test.snap", dir);
	assert_int_equal(lookup_a(p, "0.0.0.8.3.1.0.0.8.3.1.6.8"), 0x7f000002);
	snprintf(p, sizeof(p), "%s/wl.test.snap", dir);
	assert_int_equal(lookup_a(p, "7.100.51.198"), RP_WHITELIST_CODE);
	assert_int_equal(lookup_a(p, "mx.bigmail.example"), RP_WHITELIST_CODE);
	assert_int_equal(lookup_a(p, "10.2.0.192"), 0);
	snprintf(p, sizeof(p), "%s/rbldnsd/bl.test.ip4set", dir);
	assert_true(file_has(p, "192.0.2.10 :127.0.0.2:spam reports since 2026-11-"));
	snprintf(p, sizeof(p), "%s/bind/bl.test.zone", dir);
	assert_true(file_has(p, "$ORIGIN bl.test."));
	assert_true(file_has(p, "10.2.0.192\t60\tIN\tA\t127.0.0.2"));
	assert_true(file_has(p, "https://repute.test/lookup/192.0.2.10\""));
	assert_true(file_has(p, "IN\tSOA\tns.bl.test. hostmaster.bl.test. 42 "));
	rp_whitelist_fini(&w);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_check), cmocka_unit_test(test_reasons_and_codes),
		cmocka_unit_test(test_decide),             cmocka_unit_test(test_expiry_and_since),
		cmocka_unit_test(test_whitelist),          cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_delist),             cmocka_unit_test(test_scenario),
		cmocka_unit_test(test_publish),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
