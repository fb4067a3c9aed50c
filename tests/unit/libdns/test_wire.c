/* test_wire.c - libdns: reader bounds, query parsing with every FORMERR case (truncation,
 * qdcount, compression loops, bad labels, classes, trailing garbage, OPT rules), the writer
 * (compression, overflow rollback, RR encoders) and name conversions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "repute/error.h"
#include "repute/dns.h"

/* build_query - a query for name (text) with type, class, and optional OPT. */
static size_t build_query(uint8_t *pkt, size_t cap, const char *name, uint16_t type, uint16_t klass,
			  bool opt)
{
	struct dns_writer w;
	uint8_t wire[DNS_MAXNAME];
	int n = dns_name_from_text(name, wire);
	struct dns_header h = { .id = 0x1234, .flags = DNS_F_RD, .qdcount = 1, .arcount = opt ? 1 : 0 };

	assert_true(n > 0);
	dns_wr_init(&w, pkt, cap);
	assert_int_equal(dns_wr_header(&w, &h), 0);
	assert_int_equal(dns_wr_name(&w, wire, (size_t)n, false), 0);
	dns_wr_u16(&w, type);
	dns_wr_u16(&w, klass);
	if (opt)
		dns_wr_opt(&w, 1232, 0, true);
	assert_false(w.overflow);
	return w.len;
}

static void test_reader_bounds(void **state)
{
	const uint8_t data[3] = { 1, 2, 3 };
	struct dns_reader r;
	uint16_t v16;
	uint32_t v32;
	uint8_t v8;

	dns_rd_init(&r, data, sizeof(data));
	assert_int_equal(dns_rd_u32(&r, &v32), RP_EPARSE);
	assert_int_equal(dns_rd_u16(&r, &v16), 0);
	assert_int_equal(v16, 0x0102);
	assert_int_equal(dns_rd_u16(&r, &v16), RP_EPARSE);
	assert_int_equal(dns_rd_u8(&r, &v8), 0);
	assert_int_equal(dns_rd_u8(&r, &v8), RP_EPARSE);
	assert_int_equal(dns_rd_skip(&r, 1), RP_EPARSE);
}

static void test_parse_ok(void **state)
{
	uint8_t pkt[512];
	struct dns_query q;
	size_t n = build_query(pkt, sizeof(pkt), "2.0.0.127.BL.Example", DNS_T_A, DNS_C_IN, true);

	assert_int_equal(dns_query_parse(pkt, n, &q), DNS_PARSE_OK);
	assert_int_equal(q.hdr.id, 0x1234);
	assert_int_equal(q.qtype, DNS_T_A);
	assert_true(q.edns);
	assert_true(q.edns_do);
	assert_int_equal(q.edns_udp, 1232);
	char text[1010];
	assert_true(dns_name_to_text(q.qname, q.qname_len, text, sizeof(text)) > 0);
	assert_string_equal(text, "2.0.0.127.bl.example");
	n = build_query(pkt, sizeof(pkt), "x.example", DNS_T_TXT, DNS_C_IN, false);
	assert_int_equal(dns_query_parse(pkt, n, &q), DNS_PARSE_OK);
	assert_false(q.edns);
	assert_int_equal(q.question_end, n);
}

static void test_parse_truncated(void **state)
{
	uint8_t pkt[512];
	struct dns_query q;
	size_t n = build_query(pkt, sizeof(pkt), "a.b.example", DNS_T_A, DNS_C_IN, true);

	for (size_t cut = 0; cut < n; cut++) {
		enum dns_parse_result res = dns_query_parse(pkt, cut, &q);
		if (cut < DNS_HDRLEN)
			assert_int_equal(res, DNS_PARSE_DROP);
		else
			assert_int_equal(res, DNS_PARSE_FORMERR);
	}
}

struct bad_case {
	const char *name;
	uint8_t bytes[64];
	size_t len;
	enum dns_parse_result want;
};

static const struct bad_case bad_cases[] = {
	{ "qdcount 0", { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 12, DNS_PARSE_FORMERR },
	{ "qdcount 2", { 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1 }, 22,
	  DNS_PARSE_FORMERR },
	{ "self pointer", { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1 }, 18, DNS_PARSE_FORMERR },
	{ "loop", { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xc0, 12, 0, 1, 0, 1 }, 20, DNS_PARSE_FORMERR },
	{ "forward pointer", { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0, 0, 1, 0, 1 }, 19,
	  DNS_PARSE_FORMERR },
	{ "label type 0x40", { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0, 0, 1, 0, 1 }, 19,
	  DNS_PARSE_FORMERR },
	{ "label past end", { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 40, 'a', 'b' }, 15, DNS_PARSE_FORMERR },
	{ "class 0", { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0 }, 17, DNS_PARSE_FORMERR },
	{ "class 77", { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 77 }, 17, DNS_PARSE_FORMERR },
	{ "trailing garbage", { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0xde, 0xad }, 19,
	  DNS_PARSE_FORMERR },
	{ "arcount without records", { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1 }, 17, DNS_PARSE_FORMERR },
	{ "OPT with owner", { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 'a', 0, 0, 41, 2, 0, 0, 0, 0, 0,
	  0, 0 }, 30, DNS_PARSE_FORMERR },
	{ "two OPT", { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 1, 0, 1, 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41,
	  2, 0, 0, 0, 0, 0, 0, 0 }, 39, DNS_PARSE_FORMERR },
	{ "EDNS version 1", { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 41, 2, 0, 0, 1, 0, 0, 0, 0 },
	  28, DNS_PARSE_BADVERS },
	{ "response", { 0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 }, 17, DNS_PARSE_DROP },
	{ "opcode 2", { 0, 1, 0x10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 }, 17, DNS_PARSE_NOTIMP },
	{ "class CH parses", { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3 }, 17, DNS_PARSE_OK },
};

static void test_parse_bad(void **state)
{
	struct dns_query q;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		enum dns_parse_result res = dns_query_parse(bad_cases[i].bytes, bad_cases[i].len, &q);
		if (res != bad_cases[i].want)
			fail_msg("case \"%s\": got %d want %d", bad_cases[i].name, res, bad_cases[i].want);
	}
}

static void test_parse_long_names(void **state)
{
	uint8_t pkt[600] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	struct dns_query q;
	size_t n = 12;

	/* 5 labels of 63 bytes: 320 bytes of name, over the 255 limit */
	for (int l = 0; l < 5; l++) {
		pkt[n++] = 63;
		memset(pkt + n, 'a', 63);
		n += 63;
	}
	pkt[n++] = 0;
	pkt[n++] = 0, pkt[n++] = 1, pkt[n++] = 0, pkt[n++] = 1;
	assert_int_equal(dns_query_parse(pkt, n, &q), DNS_PARSE_FORMERR);
	/* a chain of DNS_MAXPTRS + 1 pointers, each to the previous one */
	uint8_t chain[200] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 };
	size_t c = 13;
	for (int i = 0; i <= DNS_MAXPTRS + 1; i++) {
		chain[c] = 0xc0;
		chain[c + 1] = (uint8_t)(c - (i == 0 ? 1 : 2));
		c += 2;
	}
	/* question starts at the last pointer: the packet would need a valid header first */
	struct dns_reader r;
	uint8_t out[DNS_MAXNAME];
	size_t olen;
	dns_rd_init(&r, chain, c);
	r.pos = c - 2;
	assert_int_equal(dns_rd_name(&r, out, &olen), RP_EPARSE);
	r.pos = 15; /* two pointers deep: fine */
	assert_int_equal(dns_rd_name(&r, out, &olen), 0);
	assert_int_equal(olen, 1);
}

static void test_garbage_never_crashes(void **state)
{
	uint8_t pkt[300];
	struct dns_query q;
	uint32_t x = 12345;

	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(x % sizeof(pkt));
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			pkt[i] = (uint8_t)(x >> 16);
		}
		if (n > 5)
			pkt[4] = 0, pkt[5] = 1, pkt[2] &= 0x07;
		(void)dns_query_parse(pkt, n, &q);
	}
}

static void test_writer_compression(void **state)
{
	uint8_t buf[512], a[DNS_MAXNAME], b[DNS_MAXNAME];
	struct dns_writer w;
	int al = dns_name_from_text("www.Example.org", a), bl = dns_name_from_text("mail.example.org.", b);
	struct dns_header h = { .id = 7, .flags = DNS_F_QR, .ancount = 2 };

	dns_wr_init(&w, buf, sizeof(buf));
	dns_wr_header(&w, &h);
	assert_int_equal(dns_wr_name(&w, a, (size_t)al, true), 0);
	size_t before = w.len;
	assert_int_equal(dns_wr_name(&w, b, (size_t)bl, true), 0);
	assert_int_equal(w.len - before, 5 + 2); /* "mail" then a pointer to example.org */
	assert_int_equal(buf[w.len - 2], 0xc0);
	assert_int_equal(buf[w.len - 1], 12 + 4);
	struct dns_reader r;
	uint8_t out[DNS_MAXNAME];
	size_t olen;
	dns_rd_init(&r, buf, w.len);
	r.pos = before;
	assert_int_equal(dns_rd_name(&r, out, &olen), 0);
	assert_true(dns_name_equal(out, olen, b, (size_t)bl));
}

static void test_writer_overflow_rolls_back(void **state)
{
	uint8_t buf[40], owner[DNS_MAXNAME];
	struct dns_writer w;
	int ol = dns_name_from_text("example", owner);
	const uint8_t addr[4] = { 127, 0, 0, 2 };

	dns_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(dns_wr_rr_a(&w, owner, (size_t)ol, 60, addr), 0);
	size_t one = w.len;
	assert_int_equal(dns_wr_rr_txt(&w, owner, (size_t)ol, 60, "a long text that does not fit", 29),
			 RP_ETOOBIG);
	assert_true(w.overflow);
	assert_int_equal(w.len, one);
}

static void test_writer_records(void **state)
{
	uint8_t buf[1024], owner[DNS_MAXNAME], ns[DNS_MAXNAME];
	struct dns_writer w;
	int ol = dns_name_from_text("bl.example", owner), nl = dns_name_from_text("ns.bl.example", ns);
	char text[600];

	memset(text, 'x', sizeof(text));
	dns_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(dns_wr_rr_txt(&w, owner, (size_t)ol, 60, text, 300), 0);
	/* owner 12 + fixed 10 + 1+255 + 1+45 */
	assert_int_equal(w.len, 12 + 10 + 256 + 46);
	assert_int_equal(buf[12 + 8], (256 + 46) >> 8);
	assert_int_equal(buf[12 + 9], (256 + 46) & 0xff);
	size_t mark = w.len;
	assert_int_equal(dns_wr_rr_ns(&w, owner, (size_t)ol, 60, ns, (size_t)nl), 0);
	assert_int_equal(w.len - mark, 2 + 10 + 3 + 2); /* owner ptr, fixed, "ns" + ptr */
	struct dns_soa soa = { ns, ns, (size_t)nl, (size_t)nl, 42, 3600, 600, 86400, 60 };
	mark = w.len;
	assert_int_equal(dns_wr_rr_soa(&w, owner, (size_t)ol, 60, &soa), 0);
	assert_int_equal(w.len - mark, 2 + 10 + 2 + 2 + 20);
	const uint8_t v6[16] = { 0x20, 1, 0xd, 0xb8 };
	assert_int_equal(dns_wr_rr_aaaa(&w, owner, (size_t)ol, 60, v6), 0);
	assert_int_equal(dns_wr_opt(&w, 1232, 0, false), 0);
}

static void test_names(void **state)
{
	uint8_t n[DNS_MAXNAME], z[DNS_MAXNAME];
	char label[80], text[300];
	size_t pre;

	assert_int_equal(dns_name_from_text(".", n), 1);
	assert_int_equal(dns_name_from_text("", n), 1);
	assert_int_equal(dns_name_from_text("a..b", n), RP_EINVAL);
	memset(label, 'a', 64);
	label[64] = 0;
	assert_int_equal(dns_name_from_text(label, n), RP_EINVAL);
	memset(text, 0, sizeof(text));
	for (int i = 0; i < 128; i++)
		memcpy(text + 2 * i, "a.", 2);
	assert_int_equal(dns_name_from_text(text, n), RP_EINVAL); /* 257 bytes */
	int nl = dns_name_from_text("1.2.3.4.bl.example", n), zl = dns_name_from_text("BL.example", z);
	assert_true(dns_name_is_subdomain(n, (size_t)nl, z, (size_t)zl, &pre));
	assert_int_equal(pre, 8);
	assert_true(dns_name_is_subdomain(z, (size_t)zl, z, (size_t)zl, &pre));
	assert_int_equal(pre, 0);
	nl = dns_name_from_text("1.2.3.4.xbl.example", n);
	assert_false(dns_name_is_subdomain(n, (size_t)nl, z, (size_t)zl, &pre));
	char out[1010];
	const uint8_t odd[] = { 3, 'a', '.', 0x01, 0 };
	assert_int_equal(dns_name_to_text(odd, sizeof(odd), out, sizeof(out)), 7);
	assert_string_equal(out, "a\\.\\001");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_bounds),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_long_names),
		cmocka_unit_test(test_garbage_never_crashes),
		cmocka_unit_test(test_writer_compression),
		cmocka_unit_test(test_writer_overflow_rolls_back),
		cmocka_unit_test(test_writer_records),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
