/* test_zone.c - zone datasets and snapshots: rbldnsd ip4set forms, defaults and per-entry
 * values, exclusions inside ranges, ip6trie/ip6tset, dnset wildcards, generic records, $SOA/$NS,
 * bad lines reported with their line number, snapshot round trip through a file, and corrupt
 * snapshots rejected. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/dns.h"
#include "repute/zone.h"

static const char ip4_text[] =
	"$SOA 3600 ns.bl.example. hostmaster.bl.example. 7 3600 600 86400 60\n"
	"$NS 1h ns.bl.example. -old.bl.example. ns2.bl.example.\n"
	"# comment\n"
	":127.0.0.2:Listed, see http://bl.example/$\n"
	"127.0.0.2\n"
	"10.0.0.0/8\n"
	"!10.1.2.3\n"
	"10.1.2.0/24 :127.0.0.4:small net\n"
	"192.0.2.1-9\n"
	"198.51.100 ; a /24 by prefix\n"
	"203.0.113.5:3:glued value\n"
	"1.2.3.4 plain text only\n"
	"300.1.1.1\n"
	"10.0.0.1/8\n"
	"5.6.7.8-5.6.7.1\n";

struct warns {
	int n;
	unsigned long lines[16];
};

/* record_warn - remember the line numbers of bad lines. */
static void record_warn(void *ctx, const char *file, unsigned long line, const char *reason)
{
	struct warns *w = ctx;
	if (w->n < 16)
		w->lines[w->n] = line;
	w->n++;
}

/* open_zone - build from datasets (type, text pairs, NULL-terminated) and open in memory. */
static struct zone *open_zone(struct warns *w, const char *zone, ...)
{
	struct zone_builder *b = zone_builder_new(zone);
	va_list ap;
	const char *type;
	void *img;
	size_t len;
	struct zone *z = NULL;

	assert_non_null(b);
	va_start(ap, zone);
	while ((type = va_arg(ap, const char *)) != NULL) {
		const char *text = va_arg(ap, const char *);
		assert_int_equal(zone_builder_load_text(b, type, "mem", text, strlen(text), record_warn, w, NULL), 0);
	}
	va_end(ap);
	assert_int_equal(zone_builder_build(b, &img, &len), 0);
	zone_builder_free(b);
	assert_int_equal(zone_open_mem(img, len, &z, NULL), 0);
	return z;
}

/* look - look up a dotted prefix; returns matches, first value in *v. */
static unsigned look(const struct zone *z, const char *prefix, const struct zone_value **v)
{
	uint8_t wire[DNS_MAXNAME];
	struct zone_result res;
	int n = dns_name_from_text(prefix, wire);
	assert_true(n >= 1);
	zone_lookup(z, wire, (size_t)n - 1, &res);
	*v = res.n ? res.v[0] : NULL;
	return res.n;
}

static void test_ip4set(void **state)
{
	struct warns w = { 0 };
	struct zone *z = open_zone(&w, "bl.example", "ip4set", ip4_text, NULL);
	const struct zone_value *v;

	assert_int_equal(w.n, 3);
	assert_int_equal(w.lines[0], 13);
	assert_int_equal(w.lines[1], 14);
	assert_int_equal(w.lines[2], 15);
	assert_int_equal(look(z, "2.0.0.127", &v), 1);
	assert_int_equal(v->a[3], 2);
	assert_true(v->flags & ZV_SUBST);
	assert_memory_equal(zone_txt(z, v), "Listed, see http://bl.example/$", v->txt_len);
	assert_int_equal(look(z, "1.0.0.127", &v), 0);
	assert_int_equal(look(z, "9.9.9.10", &v), 1);
	assert_int_equal(look(z, "3.2.1.10", &v), 0);   /* excluded inside the /8 and the /24 */
	assert_int_equal(look(z, "4.2.1.10", &v), 1);
	assert_int_equal(v->a[3], 4);                   /* the /24 wins over the /8 */
	assert_int_equal(look(z, "9.2.0.192", &v), 1);
	assert_int_equal(look(z, "10.2.0.192", &v), 0);
	assert_int_equal(look(z, "0.2.0.192", &v), 0);
	assert_int_equal(look(z, "255.100.51.198", &v), 1);
	assert_int_equal(look(z, "5.113.0.203", &v), 1);
	assert_int_equal(v->a[3], 3);
	assert_memory_equal(zone_txt(z, v), "glued value", v->txt_len);
	assert_int_equal(look(z, "4.3.2.1", &v), 1);
	assert_int_equal(v->a[3], 2);
	assert_memory_equal(zone_txt(z, v), "plain text only", v->txt_len);
	assert_int_equal(look(z, "4.3.2", &v), 0);
	assert_int_equal(look(z, "256.3.2.1", &v), 0);
	/* the IPv6 test point maps to 127.0.0.2 when the zone has no IPv6 dataset */
	assert_int_equal(look(z, "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0", &v), 1);
	assert_int_equal(look(z, "1.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0", &v), 0);
	struct zone_soa soa;
	assert_true(zone_get_soa(z, &soa));
	assert_int_equal(soa.serial, 7);
	assert_int_equal(soa.minimum, 60);
	assert_int_equal(zone_ns_count(z), 2);
	size_t len;
	uint32_t ttl;
	const uint8_t *ns = zone_get_ns(z, 1, &len, &ttl);
	assert_int_equal(ttl, 3600);
	assert_int_equal(len, 16);
	assert_memory_equal(ns, "\003ns2\002bl\007example", 15);
	zone_close(z);
}

static void test_ip6_and_dnset(void **state)
{
	struct warns w = { 0 };
	struct zone *z = open_zone(&w, "bl.example",
		"ip6trie", ":127.0.1.2: Listed $\n2001:db8:c000/36\n2001:db8:def7:4242 :127.0.1.3: funny\n"
			   "::ffff:7f00:2\n!2001:db8:c000::bead\nzz::1\n",
		"dnset", ":127.0.0.5:domain listed\nexample.com\n*.wild.example\n.both.example\n!bad.both.example\n"
			 "test\n",
		NULL);
	const struct zone_value *v;

	assert_int_equal(w.n, 1);
	assert_int_equal(look(z, "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0", &v), 1);
	assert_int_equal(look(z, "1.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0", &v), 0);
	assert_int_equal(look(z, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.8.b.d.0.1.0.0.2", &v), 0); /* 28 nibbles */
	assert_int_equal(look(z, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.8.b.d.0.1.0.0.2", &v), 1);
	assert_int_equal(look(z, "d.a.e.b.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.8.b.d.0.1.0.0.2", &v), 0);
	assert_int_equal(look(z, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.4.2.4.7.f.e.d.8.b.d.0.1.0.0.2", &v), 1);
	assert_int_equal(v->a[3], 3);
	assert_int_equal(look(z, "example.com", &v), 1);
	assert_int_equal(v->a[3], 5);
	assert_int_equal(look(z, "www.example.com", &v), 0);
	assert_int_equal(look(z, "wild.example", &v), 0);
	assert_int_equal(look(z, "a.b.wild.example", &v), 1);
	assert_int_equal(look(z, "both.example", &v), 1);
	assert_int_equal(look(z, "x.both.example", &v), 1);
	assert_int_equal(look(z, "bad.both.example", &v), 0);
	assert_int_equal(look(z, "test", &v), 1);
	assert_int_equal(look(z, "invalid", &v), 0);
	zone_close(z);
}

static void test_generic(void **state)
{
	struct warns w = { 0 };
	struct zone *z = open_zone(&w, "bl.example",
		"generic", "@ A 127.0.0.8\nwww 3000 A 127.0.0.9\nwww TXT \"hello world\"\nabout TXT only text\nmx MX 10 a.\n",
		NULL);
	const struct zone_value *v;

	assert_int_equal(w.n, 1);
	assert_int_equal(look(z, "www", &v), 1);
	assert_int_equal(v->flags & (ZV_A | ZV_TXT), ZV_A | ZV_TXT);
	assert_int_equal(v->ttl, 3000);
	assert_memory_equal(zone_txt(z, v), "hello world", v->txt_len);
	assert_int_equal(look(z, "about", &v), 1);
	assert_int_equal(v->flags & ZV_A, 0);
	assert_int_equal(look(z, "", &v), 1);
	assert_int_equal(v->a[3], 8);
	zone_close(z);
}

static void test_wide_values(void **state)
{
	struct buf text;
	struct warns w = { 0 };

	/* more than 65535 distinct values: the IPv4 entries switch to the wide layout */
	buf_init(&text);
	for (unsigned i = 0; i < 70000; i++)
		buf_printf(&text, "%u.%u.%u.0/24 reason %u\n", 10 + (i >> 16), (i >> 8) & 255, i & 255, i);
	buf_puts(&text, "11.0.0.0/8\n!11.2.3.4\n");
	struct zone *z = open_zone(&w, "bl.example", "ip4set", text.data, NULL);
	const struct zone_value *v;
	assert_int_equal(w.n, 0);
	assert_int_equal(look(z, "9.8.7.10", &v), 1);  /* 10.7.8.9: 7 * 256 + 8 */
	assert_memory_equal(zone_txt(z, v), "reason 1800", v->txt_len);
	assert_int_equal(look(z, "9.7.1.10", &v), 1);
	assert_memory_equal(zone_txt(z, v), "reason 263", v->txt_len);
	assert_int_equal(look(z, "1.1.17.10", &v), 1);
	assert_memory_equal(zone_txt(z, v), "reason 4353", v->txt_len);
	assert_int_equal(look(z, "5.5.5.11", &v), 1);
	assert_memory_equal(zone_txt(z, v), "reason 66821", v->txt_len);
	assert_int_equal(look(z, "4.3.2.11", &v), 0);  /* the exclusion beats the /24 */
	assert_int_equal(look(z, "0.0.200.11", &v), 1); /* the /8 */
	assert_int_equal(v->flags & ZV_TXT, 0);
	assert_int_equal(look(z, "0.0.0.12", &v), 0);
	assert_int_equal(look(z, "255.255.255.9", &v), 0);
	zone_close(z);
	buf_fini(&text);
}

static void test_iterate_records(void **state)
{
	struct warns w = { 0 };
	struct zone *z = open_zone(&w, "bl.example",
		"ip4set", ":127.0.0.2:L $\n192.0.2.0/24\n10.0.0.0/8 :3:\n198.51.100.0/30\n!198.51.100.2\n",
		"ip6trie", ":127.0.0.4:six $\n2001:db8::/64\n2001:db8:1::/126\n",
		"dnset", ":127.0.0.5:\nexample.com\n*.wild.example\n!no.wild.example\n", NULL);
	struct zone_iter it;
	struct zone_rr rr;
	struct buf all;
	char text[1010], txt[300];

	buf_init(&all);
	zone_iter_init(&it, z);
	while (zone_iter_next(&it, &rr)) {
		assert_true(dns_name_to_text(rr.owner, rr.owner_len, text, sizeof(text)) >= 0);
		buf_printf(&all, "%s %s", rr.owner_len ? text : "@", rr.type == DNS_T_A ? "A" : "TXT");
		if (rr.type == DNS_T_TXT) {
			size_t n = zone_txt_expand(z, rr.v, rr.subject, txt, sizeof(txt));
			buf_printf(&all, " \"%.*s\"", (int)n, txt);
		}
		buf_putc(&all, '\n');
	}
	const char *want[] = {
		"*.10 A\n", "*.2.0.192 A\n", "*.2.0.192 TXT \"L 192.0.2.0/24\"\n", "0.100.51.198 A\n",
		"1.100.51.198 TXT \"L 198.51.100.1\"\n", "3.100.51.198 A\n",
		"*.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2 TXT \"six 2001:db8::/64\"\n",
		"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2 A\n",
		"3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2 A\n",
		"example.com A\n", "*.wild.example A\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(all.data, want[i]) == NULL)
			fail_msg("missing %s in:\n%s", want[i], all.data);
	assert_null(strstr(all.data, "2.100.51.198"));
	assert_null(strstr(all.data, "no.wild"));
	assert_null(strstr(all.data, "*.10 TXT"));
	buf_fini(&all);
	zone_close(z);
}

static void test_snapshot_file(void **state)
{
	char dir[] = "/tmp/repute-test-zone-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *ds = xasprintf("%s/zone.ip4set", dir), *snap = xasprintf("%s/zone.snap", dir);
	FILE *f = fopen(ds, "w");
	assert_non_null(f);
	fputs(ip4_text, f);
	fclose(f);
	struct zone_builder *b = zone_builder_new("BL.Example.");
	const char *paths[] = { ds };
	struct rp_diag diag = { 0 };
	void *img;
	size_t len;
	assert_int_equal(zone_builder_load(b, "ip4set", paths, 1, NULL, NULL, &diag), 0);
	assert_int_equal(zone_builder_load(b, "nosuchtype", paths, 1, NULL, NULL, &diag), RP_EUNSUPP);
	const char *missing[] = { "/nonexistent/file" };
	assert_int_equal(zone_builder_load(b, "dnset", missing, 1, NULL, NULL, &diag), RP_EIO);
	zone_builder_set_serial(b, 99);
	assert_int_equal(zone_builder_build(b, &img, &len), 0);
	zone_builder_free(b);
	assert_int_equal(zone_write_file(snap, img, len), 0);
	struct zone *z = NULL;
	assert_int_equal(zone_open_file(snap, &z, &diag), 0);
	assert_int_equal(zone_serial(z), 99);
	size_t zl;
	assert_memory_equal(zone_name(z, &zl), "\002bl\007example", 12);
	const struct zone_value *v;
	assert_int_equal(look(z, "2.0.0.127", &v), 1);
	zone_close(z);
	/* corruption: every truncation and some flipped bytes are rejected or harmless */
	for (size_t cut = 0; cut < len; cut += len / 50 + 1) {
		void *copy = xmalloc(cut ? cut : 1);
		memcpy(copy, img, cut);
		assert_int_not_equal(zone_open_mem(copy, cut, &z, &diag), 0);
	}
	for (size_t i = 0; i < 400; i++) {
		uint8_t *copy = xmalloc(len);
		memcpy(copy, img, len);
		copy[(i * 7919) % len] ^= 0x5a;
		if (zone_open_mem(copy, len, &z, &diag) == 0) {
			look(z, "2.0.0.127", &v);
			look(z, "example.com", &v);
			zone_close(z);
		}
	}
	xfree(img);
	unlink(snap);
	unlink(ds);
	rmdir(dir);
	xfree(ds);
	xfree(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip4set),
		cmocka_unit_test(test_ip6_and_dnset),
		cmocka_unit_test(test_generic),
		cmocka_unit_test(test_wide_values),
		cmocka_unit_test(test_iterate_records),
		cmocka_unit_test(test_snapshot_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
