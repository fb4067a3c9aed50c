/* test_received.c - rp_received_parse against SpamAssassin's t/rcvd_parser.t cases (all of
 * them, with a short list of deliberate differences), our own per-MTA cases in
 * tests/data/received/mta.json, and hostile input (1 MB values, NUL bytes, garbage). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <cmocka.h>
#include <jansson.h>

#include "repute/arena.h"
#include "repute/error.h"
#include "repute/netaddr.h"
#include "repute/received.h"

/* Cases of rcvd_parser.json (0-based index) where repute deliberately differs. */
static const struct {
	size_t index;
	const char *field;
	const char *reason;
} sa_exceptions[] = {
	{ 90, "rdns", "qmail line with a bare IP in the rDNS slot: an address is not a reverse DNS name, rdns stays empty" },
};

/* load_json - parse a file under the source tree. */
static json_t *load_json(const char *rel)
{
	const char *src = getenv("REPUTE_SRC");
	char path[1024];
	json_error_t err;

	snprintf(path, sizeof(path), "%s/%s", src ? src : REPUTE_SRC, rel);
	json_t *j = json_load_file(path, 0, &err);
	if (j == NULL)
		fail_msg("%s: %s (line %d)", path, err.text, err.line);
	return j;
}

/* is_exception - the case/field pair is on the deliberate-difference list. */
static bool is_exception(size_t index, const char *field)
{
	for (size_t i = 0; i < sizeof(sa_exceptions) / sizeof(sa_exceptions[0]); i++)
		if (sa_exceptions[i].index == index && strcmp(sa_exceptions[i].field, field) == 0)
			return true;
	return false;
}

/* sa_helo - our helo in SpamAssassin's notation (!1.2.3.4! for a literal). */
static const char *sa_helo(const struct rp_received *r, char *buf, size_t len)
{
	if (!r->helo_is_literal)
		return r->helo;
	size_t n = strlen(r->helo);
	const char *p = r->helo + 1;
	n -= 2;
	if (n > 5 && strncasecmp(p, "IPv6:", 5) == 0) {
		p += 5;
		n -= 5;
	}
	snprintf(buf, len, "!%.*s!", (int)n, p);
	return buf;
}

/* sa_compare - compare one parsed case; returns the number of mismatching fields. */
static int sa_compare(size_t idx, const char *header, json_t *fields, const struct rp_received *r,
		      size_t *excepted)
{
	char hbuf[256];
	const struct {
		const char *name;
		const char *ours;
	} cmp[] = {
		{ "rdns", r->rdns },   { "helo", sa_helo(r, hbuf, sizeof(hbuf)) },
		{ "by", r->by },       { "ident", r->ident },
		{ "envfrom", r->envfrom }, { "id", r->id },
		{ "auth", r->auth },
	};
	int bad = 0;

	const char *want_ip = json_string_value(json_object_get(fields, "ip"));
	struct rp_addr wip;
	if (rp_addr_parse(want_ip, &wip) != RP_OK || !rp_addr_equal(&wip, &r->ip)) {
		print_message("rcvd_parser[%zu] ip: got '%s' want '%s'\n  %s\n", idx, r->ip_text, want_ip, header);
		bad++;
	}
	for (size_t i = 0; i < sizeof(cmp) / sizeof(cmp[0]); i++) {
		const char *want = json_string_value(json_object_get(fields, cmp[i].name));
		if (want && strcmp(want, cmp[i].ours) != 0 && is_exception(idx, cmp[i].name)) {
			(*excepted)++;
		} else if (want && strcmp(want, cmp[i].ours) != 0) {
			print_message("rcvd_parser[%zu] %s: got '%s' want '%s'\n  %s\n", idx, cmp[i].name,
				      cmp[i].ours, want, header);
			bad++;
		}
	}
	return bad;
}

static void test_spamassassin_rcvd_parser(void **state)
{
	json_t *root = load_json("tests/data/spamassassin/rcvd_parser.json");
	json_t *cases = json_object_get(root, "cases");
	size_t idx, pass = 0, excepted = 0, total = json_array_size(cases);
	json_t *c;

	assert_int_equal(total, 145);
	json_array_foreach(cases, idx, c) {
		struct arena *a = arena_new(0);
		struct rp_received r;
		const char *header = json_string_value(json_object_get(c, "header"));
		int rc = rp_received_parse(header, a, &r);
		bool ok;

		if (json_is_true(json_object_get(c, "skip"))) {
			ok = rc != RP_OK;
			if (!ok)
				print_message("rcvd_parser[%zu]: parsed as relay, want skip\n  %s\n", idx, header);
		} else if (rc != RP_OK) {
			print_message("rcvd_parser[%zu]: rc %s, want a relay\n  %s\n", idx, rp_strerror(rc), header);
			ok = false;
		} else {
			ok = sa_compare(idx, header, json_object_get(c, "fields"), &r, &excepted) == 0;
		}
		pass += ok;
		arena_free(a);
	}
	print_message("SpamAssassin rcvd_parser: %zu/%zu cases pass (%zu exactly, %zu by a listed exception)\n",
		      pass, total, pass - excepted, excepted);
	assert_int_equal(excepted, sizeof(sa_exceptions) / sizeof(sa_exceptions[0])); /* no stale entries */
	json_decref(root);
	assert_int_equal(pass, total);
}

/* want_rc - "ok", "skip", "parse" to an RP code. */
static int want_rc(const char *s)
{
	if (s == NULL || strcmp(s, "ok") == 0)
		return RP_OK;
	return strcmp(s, "skip") == 0 ? RP_ESKIP : RP_EPARSE;
}

static void test_mta_formats(void **state)
{
	json_t *root = load_json("tests/data/received/mta.json");
	json_t *cases = json_object_get(root, "cases");
	size_t idx, failures = 0;
	json_t *c;

	assert_true(json_array_size(cases) >= 30);
	json_array_foreach(cases, idx, c) {
		struct arena *a = arena_new(0);
		struct rp_received r;
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *header = json_string_value(json_object_get(c, "header"));
		int rc = rp_received_parse(header, a, &r);
		const struct {
			const char *key;
			const char *ours;
		} fields[] = {
			{ "helo", r.helo }, { "rdns", r.rdns }, { "by", r.by },   { "with", r.with },
			{ "id", r.id },     { "for", r.for_addr }, { "envfrom", r.envfrom },
			{ "ident", r.ident }, { "auth", r.auth },
		};

		if (rc != want_rc(json_string_value(json_object_get(c, "rc")))) {
			print_message("%s: rc %s\n", name, rp_strerror(rc));
			failures++;
		}
		const char *ip = json_string_value(json_object_get(c, "ip"));
		struct rp_addr want;
		if (ip && (rp_addr_parse(ip, &want) != RP_OK || !rp_addr_equal(&want, &r.ip))) {
			print_message("%s: ip '%s' want '%s'\n", name, r.ip_text, ip);
			failures++;
		}
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			const char *w = json_string_value(json_object_get(c, fields[i].key));
			if (w && strcmp(w, fields[i].ours) != 0) {
				print_message("%s: %s '%s' want '%s'\n", name, fields[i].key, fields[i].ours, w);
				failures++;
			}
		}
		json_t *d = json_object_get(c, "date");
		if (d && (long long)r.date != json_integer_value(d)) {
			print_message("%s: date %lld want %lld\n", name, (long long)r.date, json_integer_value(d));
			failures++;
		}
		arena_free(a);
	}
	json_decref(root);
	assert_int_equal(failures, 0);
}

static void test_literal_helo_and_strings_never_null(void **state)
{
	struct arena *a = arena_new(0);
	struct rp_received r;

	assert_int_equal(rp_received_parse("from [192.0.2.1] (host.example [198.51.100.1]) by mx", a, &r), RP_OK);
	assert_true(r.helo_is_literal);
	assert_string_equal(r.helo, "[192.0.2.1]");
	assert_string_equal(r.ip_text, "198.51.100.1");
	assert_int_equal(rp_received_parse("garbage", a, &r), RP_EPARSE);
	assert_non_null(r.helo);
	assert_non_null(r.by);
	assert_non_null(r.auth);
	assert_int_equal(rp_received_parse(NULL, a, &r), RP_EPARSE);
	assert_string_equal(r.raw, "");
	arena_free(a);
}

static void test_huge_value(void **state)
{
	const size_t n = 1 << 20;
	char *v = malloc(n + 1);
	struct arena *a = arena_new(0);
	struct rp_received r;

	/* 1 MB: a real prefix and then endless comments and words */
	assert_non_null(v);
	const char *head = "from a.example (a.example [192.0.2.7]) by b.example with ESMTP id X1 ";
	size_t hl = strlen(head);
	memcpy(v, head, hl);
	for (size_t i = hl; i < n; i++)
		v[i] = "( x) y["[i % 7];
	v[n] = '\0';
	clock_t t0 = clock();
	assert_int_equal(rp_received_parse(v, a, &r), RP_OK);
	assert_string_equal(r.ip_text, "192.0.2.7");
	assert_string_equal(r.by, "b.example");
	/* one unclosed paren spanning the whole megabyte */
	memset(v, '(', n);
	assert_int_not_equal(rp_received_parse(v, a, &r), RP_OK);
	memset(v, ' ', n);
	memcpy(v, "from", 4);
	assert_int_not_equal(rp_received_parse(v, a, &r), RP_OK);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
	free(v);
	arena_free(a);
}

static void test_nul_bytes_and_garbage(void **state)
{
	static const char with_nul[] = "from a.example (a.example [192.0.2.8]) by b\0.example with ESMTP";
	struct arena *a = arena_new(0);
	struct rp_received r;
	unsigned seed = 12345;
	char buf[512];

	/* a NUL ends the value: what follows is never read */
	assert_int_equal(rp_received_parse(with_nul, a, &r), RP_OK);
	assert_string_equal(r.by, "b");
	assert_string_equal(r.with, "");
	/* random bytes, and random cuts of a real header: never crash, strings stay valid */
	static const char real[] = "from x.example (HELO y) (id@192.0.2.9) (envelope-from <a@b>) by "
				   "z.example ([192.0.2.1]:25 helo=q) with ESMTPSA id Q; Thu, 9 Mar 2023 00:00:00 +0000";
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = (seed = seed * 1103515245u + 12345u) % (sizeof(buf) - 1);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = iter & 1 ? (char)(1 + (seed >> 16) % 255) : real[(seed >> 16) % (sizeof(real) - 1)];
		}
		buf[len] = '\0';
		int rc = rp_received_parse(buf, a, &r);
		assert_true(rc == RP_OK || rc == RP_ESKIP || rc == RP_EPARSE);
		assert_non_null(r.helo);
		assert_non_null(r.rdns);
		assert_non_null(r.ip_text);
		if (rc == RP_OK)
			assert_int_not_equal(r.ip.family, 0);
		if (iter % 1000 == 999) {
			arena_free(a);
			a = arena_new(0);
		}
	}
	arena_free(a);
}

static void test_speed(void **state)
{
	static const char *const lines[] = {
		"from mail-wm1-f54.google.com (mail-wm1-f54.google.com [209.85.128.54]) by mx1.example.org "
		"(Postfix) with ESMTPS id 4N1abc2XyZz9sPq for <user@example.org>; Tue, 15 Nov 2022 10:21:33 +0000 (UTC)",
		"from BN6PR1101MB2132.namprd11.prod.outlook.com (2603:10b6:405:51::16) by "
		"BN7PR11MB2578.namprd11.prod.outlook.com (2603:10b6:406:b1::26) with Microsoft SMTP Server "
		"(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.2644.20; Wed, 15 Jan 2020 16:02:09 +0000",
		"from host86-150-7-1.range86-150.btcentralplus.com ([86.150.7.1]:53210 helo=desktop) by mx.example.co.uk "
		"with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <sender@example.com>) id "
		"1pXyZ1-0004Ab-2C for rcpt@example.co.uk; Sat, 04 Mar 2023 11:22:33 +0000",
	};
	const int rounds = 20000;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < rounds; i++) {
		struct arena *a = arena_new(4096);
		struct rp_received r;
		for (size_t k = 0; k < 3; k++)
			assert_int_equal(rp_received_parse(lines[k], a, &r), RP_OK);
		arena_free(a);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / (rounds * 3.0);
	print_message("rp_received_parse: %.2f us per header (sanitizer build)\n", us);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spamassassin_rcvd_parser),
		cmocka_unit_test(test_mta_formats),
		cmocka_unit_test(test_literal_helo_and_strings_never_null),
		cmocka_unit_test(test_huge_value),
		cmocka_unit_test(test_nul_bytes_and_garbage),
		cmocka_unit_test(test_speed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
