/* test_origin.c - rp_origin_find: SpamAssassin's t/trust_path.t cases (all 32), our own
 * chains (trusted relays, forged lower hops, authenticated submission, all-private chains,
 * trusted domains, MSA, IPv6), and hostile input (100,000 headers, 1 MB values, garbage). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <jansson.h>

#include "repute/arena.h"
#include "repute/error.h"
#include "repute/netaddr.h"
#include "repute/origin.h"

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

/* canon_relay - an expected SpamAssassin relay string with its ip= in canonical form. */
static void canon_relay(const char *in, char *out, size_t len)
{
	const char *ip = strstr(in, "ip=");
	const char *end = ip ? strchr(ip, ' ') : NULL;
	struct rp_addr a;
	char tmp[64], buf[RP_ADDR_STRLEN];

	if (!ip || !end || (size_t)(end - ip - 3) >= sizeof(tmp)) {
		snprintf(out, len, "%s", in);
		return;
	}
	memcpy(tmp, ip + 3, (size_t)(end - ip - 3));
	tmp[end - ip - 3] = '\0';
	if (rp_addr_parse(tmp, &a) == RP_OK)
		snprintf(out, len, "%.*s%s%s", (int)(ip + 3 - in), in, rp_addr_format(&a, buf), end);
	else
		snprintf(out, len, "%s", in);
}

/* our_relay - one hop in SpamAssassin's make_relay_as_string notation. */
static void our_relay(const struct rp_hop *h, bool synthetic, char *out, size_t len)
{
	const struct rp_received *r = &h->rcvd;
	char ip[RP_ADDR_STRLEN];

	snprintf(out, len, "[ ip=%s rdns=%s helo=%s by=%s ident=%s envfrom=%s intl=%d id=%s auth=%s msa=%d ]",
		 rp_addr_format(&r->ip, ip), synthetic ? "" : r->rdns, synthetic ? "" : r->helo,
		 synthetic ? "" : r->by, r->ident, r->envfrom, h->internal, r->id, r->auth, h->msa);
}

/* sa_lists - SpamAssassin's trusted and untrusted relay strings from our walk. SpamAssassin
 * calls an authenticated/MSA-submitted client "trusted" (its header can be believed); we call
 * it the origin, so an origin with submission=true goes to the trusted list. */
static void sa_lists(const struct rp_origin *o, size_t n_real, json_t *trusted, json_t *untrusted)
{
	char buf[512];

	for (size_t i = 0; i < o->n_hops; i++) {
		const struct rp_hop *h = &o->hops[i];
		if (h->verdict == RP_HOP_SKIPPED)
			continue;
		our_relay(h, i >= n_real, buf, sizeof(buf));
		bool t = h->verdict == RP_HOP_TRUSTED || (h->verdict == RP_HOP_ORIGIN && o->submission);
		json_array_append_new(t ? trusted : untrusted, json_string(buf));
	}
}

/* lists_equal - expected relay strings (canonicalised) against ours. */
static bool lists_equal(json_t *want, json_t *got, int n, const char *what)
{
	char buf[512];
	bool ok = json_array_size(want) == json_array_size(got);

	for (size_t i = 0; ok && i < json_array_size(want); i++) {
		canon_relay(json_string_value(json_array_get(want, i)), buf, sizeof(buf));
		ok = strcmp(buf, json_string_value(json_array_get(got, i))) == 0;
	}
	if (!ok) {
		char *w = json_dumps(want, 0), *g = json_dumps(got, 0);
		print_message("trust_path #%d %s:\n  want %s\n  got  %s\n", n, what, w, g);
		free(w);
		free(g);
	}
	return ok;
}

/* has_flag - case carries the named flag. */
static bool has_flag(json_t *c, const char *flag)
{
	size_t i;
	json_t *f;

	json_array_foreach(json_object_get(c, "flags"), i, f)
		if (strcmp(json_string_value(f), flag) == 0)
			return true;
	return false;
}

/* run_trust_case - one trust_path.json case; returns true when it matches. */
static bool run_trust_case(json_t *c)
{
	static const struct { const char *key; enum rp_trust_list list; } keys[] = {
		{ "trusted_networks", RP_TRUST_TRUSTED },
		{ "internal_networks", RP_TRUST_INTERNAL },
		{ "msa_networks", RP_TRUST_MSA },
	};
	int num = (int)json_integer_value(json_object_get(c, "n"));
	struct rp_trust_config cfg;
	struct arena *a = arena_new(0);
	const char *values[16], *synth[16];
	size_t n_real = 0, n_synth = 0, i;
	json_t *h;

	rp_trust_config_init(&cfg);
	for (size_t k = 0; k < 3; k++) {
		json_t *v;
		json_array_foreach(json_object_get(json_object_get(c, "config"), keys[k].key), i, v)
			assert_int_equal(rp_trust_config_add_network(&cfg, keys[k].list, json_string_value(v)), 0);
	}
	json_array_foreach(json_object_get(c, "headers"), i, h) {
		const char *s = json_string_value(h);
		if (strncmp(s, "Received: ", 10) == 0)
			values[n_real++] = s + 10;
		else if (strncmp(s, "X-Originating-IP: ", 18) == 0) /* SpamAssassin appends these last */
			synth[n_synth++] = arena_printf(a, "from [%s] by X-Originating-IP", s + 18);
	}
	for (i = 0; i < n_synth; i++)
		values[n_real + i] = synth[i];

	struct rp_origin o;
	assert_int_equal(rp_origin_find(values, n_real + n_synth, &cfg, 50, a, &o), 0);
	json_t *t = json_array(), *u = json_array();
	sa_lists(&o, n_real, t, u);
	bool ok = lists_equal(json_object_get(c, "expected_trusted"), t, num, "trusted") &&
		  lists_equal(json_object_get(c, "expected_untrusted"), u, num, "untrusted");
	struct rp_diag d = { 0 };
	bool lint = rp_trust_config_check(&cfg, &d) != RP_OK;
	if (lint != has_flag(c, "Lint-Error")) {
		print_message("trust_path #%d: config check %s (%s)\n", num, lint ? "failed" : "passed", d.reason);
		ok = false;
	}
	json_decref(t);
	json_decref(u);
	rp_trust_config_fini(&cfg);
	arena_free(a);
	return ok;
}

static void test_spamassassin_trust_path(void **state)
{
	json_t *root = load_json("tests/data/spamassassin/trust_path.json");
	json_t *cases = json_object_get(root, "cases");
	size_t i, pass = 0, tolerated = 0, total = json_array_size(cases);
	json_t *c;

	assert_int_equal(total, 32);
	json_array_foreach(cases, i, c) {
		if (run_trust_case(c))
			pass++;
		else if (has_flag(c, "Patricia-Failure")) /* garbage-in: any answer, no crash */
			tolerated++;
	}
	print_message("SpamAssassin trust_path: %zu/%zu cases pass, %zu tolerated (Patricia-Failure)\n", pass,
		      total, tolerated);
	json_decref(root);
	assert_int_equal(pass + tolerated, total);
}

/* One chain of our own: headers top first, config, and what must come out. */
struct chain_case {
	const char *name;
	const char *hdr[6];
	const char *trusted[3];  /* trusted networks */
	const char *domains[2];  /* trusted domains */
	const char *origin;      /* expected origin IP, or NULL for none */
	long hop;
	bool submission;
	const char *verdicts;    /* one letter per hop: T O I S */
};

static const struct chain_case chains[] = {
	{ "trusted_relays_then_origin",
	  { "from relay2.example.org (relay2.example.org [64.233.170.20]) by mx.example.org (Postfix) with ESMTP id A1; Tue, 15 Nov 2022 10:21:35 +0000",
	    "from relay1.example.org (relay1.example.org [10.0.0.5]) by relay2.example.org (Postfix) with ESMTP id A2; Tue, 15 Nov 2022 10:21:34 +0000",
	    "from spammer.example (dsl-5.example.net [45.33.32.156]) by relay1.example.org (Postfix) with ESMTP id A3; Tue, 15 Nov 2022 10:21:33 +0000",
	    "from client (unknown [8.8.4.4]) by spammer.example with SMTP id A4; Tue, 15 Nov 2022 10:21:32 +0000" },
	  { "64.233.160.0/19" }, { NULL }, "45.33.32.156", 2, false, "TTOI" },
	{ "forged_lower_hops_ignored",
	  { "from mail.bad.example (unknown [45.33.32.156]) by mx.example.org (Postfix) with ESMTP id B1; Tue, 15 Nov 2022 10:21:35 +0000",
	    "from innocent.example (innocent.example [198.51.100.99]) by mail.bad.example with ESMTP id B2; Tue, 15 Nov 2022 10:21:34 +0000",
	    "from localhost ([127.0.0.1]) by innocent.example with SMTP id B3; Tue, 15 Nov 2022 10:21:33 +0000" },
	  { "192.0.2.1/32" }, { NULL }, "45.33.32.156", 0, false, "OII" },
	{ "public_origin_after_private_relay",
	  { "from filter.internal ([172.16.0.9]) by mx.example.org (Postfix) with ESMTP id C1; Tue, 15 Nov 2022 10:21:35 +0000",
	    "from mail-qt1-f170.google.com (mail-qt1-f170.google.com [209.85.160.170]) by filter.internal with ESMTPS id C2; Tue, 15 Nov 2022 10:21:34 +0000",
	    "from [10.1.1.1] (host [8.8.8.8]) by mail-qt1-f170.google.com with ESMTP id C3; Tue, 15 Nov 2022 10:21:33 +0000" },
	  { NULL }, { NULL }, "209.85.160.170", 1, false, "TOI" },
	{ "authenticated_submission_private_ip",
	  { "from smtp.example.com (smtp.example.com [192.168.10.2]) by mx.example.com (Postfix) with ESMTP id D1; Tue, 15 Nov 2022 10:21:35 +0000",
	    "from [10.8.0.14] (unknown [10.8.0.14]) (Authenticated sender: alice@example.com) by smtp.example.com (Postfix) with ESMTPSA id D2; Tue, 15 Nov 2022 10:21:34 +0000" },
	  { NULL }, { NULL }, "10.8.0.14", 1, true, "TO" },
	{ "authenticated_webmail_http",
	  { "from web.example.com ([10.0.0.3]) by mx.example.com with ESMTP id E1; Tue, 15 Nov 2022 10:21:35 +0000",
	    "from 198.51.100.200 by web.example.com with HTTP; Tue, 15 Nov 2022 10:21:34 +0000",
	    "from forged.example ([8.8.8.8]) by 198.51.100.200 with SMTP; Tue, 15 Nov 2022 10:21:33 +0000" },
	  { NULL }, { NULL }, "198.51.100.200", 1, true, "TOI" },
	{ "all_private_chain_no_origin",
	  { "from a.internal ([10.0.0.2]) by mx.internal with ESMTP id F1; Tue, 15 Nov 2022 10:21:35 +0000",
	    "from b.internal ([192.168.1.2]) by a.internal with ESMTP id F2; Tue, 15 Nov 2022 10:21:34 +0000",
	    "from localhost ([127.0.0.1]) by b.internal with ESMTP id F3; Tue, 15 Nov 2022 10:21:33 +0000",
	    "from ipv6.internal ([fd12:3456::7]) by localhost with ESMTP id F4; Tue, 15 Nov 2022 10:21:32 +0000" },
	  { NULL }, { NULL }, NULL, -1, false, "TTTT" },
	{ "trusted_domain_by_verified_rdns",
	  { "from mx2.example.org (mx2.example.org [8.8.8.8]) by mx1.example.org (Postfix) with ESMTP id G1; Tue, 15 Nov 2022 10:21:35 +0000",
	    "from sender.example (sender.example [1.1.1.1]) by mx2.example.org (Postfix) with ESMTP id G2; Tue, 15 Nov 2022 10:21:34 +0000" },
	  { NULL }, { "example.org" }, "1.1.1.1", 1, false, "TO" },
	{ "helo_and_by_prove_nothing",
	  { "from mx2.example.org (unknown [8.8.8.8]) by mx1.example.org (Postfix) with ESMTP id H1; Tue, 15 Nov 2022 10:21:35 +0000",
	    "from sender.example (sender.example [1.1.1.1]) by mx2.example.org (Postfix) with ESMTP id H2; Tue, 15 Nov 2022 10:21:34 +0000" },
	  { NULL }, { "example.org" }, "8.8.8.8", 0, false, "OI" },
	{ "lookalike_domain_not_trusted",
	  { "from x (badexample.org [8.8.8.8]) by mx1.example.org (Postfix) with ESMTP id I1; Tue, 15 Nov 2022 10:21:35 +0000" },
	  { NULL }, { "example.org" }, "8.8.8.8", 0, false, "O" },
	{ "ipv6_origin_behind_exchange",
	  { "from BN7PR11MB2578.namprd11.prod.outlook.com (2603:10b6:406:b1::26) by mx.example.com (Postfix) with ESMTPS id J1; Wed, 15 Jan 2020 16:02:10 +0000",
	    "from BN6PR1101MB2132.namprd11.prod.outlook.com (2603:10b6:405:51::16) by BN7PR11MB2578.namprd11.prod.outlook.com (2603:10b6:406:b1::26) with Microsoft SMTP Server (version=TLS1_2, cipher=X) id 15.20.2644.20; Wed, 15 Jan 2020 16:02:09 +0000" },
	  { "2603:10b6::/32" }, { NULL }, NULL, -1, false, "TT" },
	{ "ipv6_public_origin",
	  { "from mail.example.net (mail.example.net [IPv6:2a00:1450:4864:20::32b]) by mx.example.com (Postfix) with ESMTPS id K1; Wed, 15 Jan 2020 16:02:10 +0000" },
	  { NULL }, { NULL }, "2a00:1450:4864:20::32b", 0, false, "O" },
	{ "skipped_lines_do_not_stop_walk",
	  { "by mx.example.com (Postfix, from userid 0) id L0; Wed, 15 Jan 2020 16:02:11 +0000",
	    "(qmail 1234 invoked by uid 89); 15 Jan 2020 16:02:10 -0000",
	    "from localhost by mx.example.com with ESMTP id L9; Wed, 15 Jan 2020 16:02:10 +0000",
	    "from relay.example.com ([10.9.9.9]) by mx.example.com with ESMTP id L1; Wed, 15 Jan 2020 16:02:10 +0000",
	    "totally garbage line",
	    "from evil.example (evil.example [45.33.32.156]) by relay.example.com with ESMTP id L2; Wed, 15 Jan 2020 16:02:09 +0000" },
	  { NULL }, { NULL }, "45.33.32.156", 5, false, "SSSTSO" },
	{ "relay_hiding_client_breaks_chain",
	  { "from relay.example.org ([10.0.0.2]) by mx.example.org with ESMTP id M1; Wed, 15 Jan 2020 16:02:10 +0000",
	    "from [Masked] by relay.example.org with ESMTP id M2; Wed, 15 Jan 2020 16:02:09 +0000",
	    "from innocent.example ([8.8.8.8]) by masked.example with SMTP id M3; Wed, 15 Jan 2020 16:02:08 +0000" },
	  { NULL }, { NULL }, NULL, -1, false, "TSI" },
	{ "smail_double_from",
	  { "from mx6.example.net from [45.33.32.156] by mail5.example.net (/\\##/\\ Smail3.2.0.114 #114) with esmtp for <a@example.net> id m1x9; Wed, 15 Jan 2020 16:02:08 +0000" },
	  { NULL }, { NULL }, "45.33.32.156", 0, false, "O" },
	{ "no_headers", { NULL }, { NULL }, { NULL }, NULL, -1, false, "" },
};

/* verdict_letter - T, O, I or S. */
static char verdict_letter(enum rp_hop_verdict v)
{
	return v == RP_HOP_TRUSTED ? 'T' : v == RP_HOP_ORIGIN ? 'O' : v == RP_HOP_IGNORED ? 'I' : 'S';
}

static void test_chains(void **state)
{
	for (size_t c = 0; c < sizeof(chains) / sizeof(chains[0]); c++) {
		const struct chain_case *cc = &chains[c];
		struct rp_trust_config cfg;
		struct arena *a = arena_new(0);
		struct rp_origin o;
		size_t n = 0;
		char got[8] = "";

		rp_trust_config_init(&cfg);
		for (size_t i = 0; i < 3 && cc->trusted[i]; i++)
			assert_int_equal(rp_cidrset_add_text(&cfg.trusted, cc->trusted[i]), 0);
		for (size_t i = 0; i < 2 && cc->domains[i]; i++)
			rp_trust_config_add_domain(&cfg, cc->domains[i]);
		while (n < 6 && cc->hdr[n])
			n++;
		assert_int_equal(rp_origin_find(cc->hdr, n, &cfg, 0, a, &o), 0);
		for (size_t i = 0; i < o.n_hops; i++) {
			got[i] = verdict_letter(o.hops[i].verdict);
			assert_non_null(o.hops[i].why);
		}
		assert_non_null(o.reason);
		assert_null(strchr(o.reason, '\n'));
		if (strcmp(got, cc->verdicts) != 0)
			fail_msg("%s: verdicts %s, want %s (%s)", cc->name, got, cc->verdicts, o.reason);
		if (cc->origin) {
			struct rp_addr want;
			char buf[RP_ADDR_STRLEN];
			assert_int_equal(rp_addr_parse(cc->origin, &want), 0);
			if (!o.found || !rp_addr_equal(&want, &o.ip))
				fail_msg("%s: origin %s, want %s (%s)", cc->name, o.found ? rp_addr_format(&o.ip, buf) : "none",
					 cc->origin, o.reason);
		} else if (o.found) {
			fail_msg("%s: unexpected origin (%s)", cc->name, o.reason);
		}
		assert_int_equal(o.hop, cc->hop);
		assert_int_equal(o.submission, cc->submission);
		rp_trust_config_fini(&cfg);
		arena_free(a);
	}
}

static void test_exclusion_and_msa(void **state)
{
	static const char *const hdr[] = {
		"from a ([10.1.1.1]) by mx with ESMTP; Wed, 15 Jan 2020 16:02:10 +0000",
		"from b ([10.1.1.66]) by a with ESMTP; Wed, 15 Jan 2020 16:02:09 +0000",
		"from c ([8.8.8.8]) by b with ESMTP; Wed, 15 Jan 2020 16:02:08 +0000",
	};
	struct rp_trust_config cfg;
	struct arena *a = arena_new(0);
	struct rp_origin o;

	/* "!10.1.1.66" takes a compromised internal host out of the boundary */
	rp_trust_config_init(&cfg);
	assert_int_equal(rp_trust_config_add_network(&cfg, RP_TRUST_TRUSTED, "!10.1.1.66"), 0);
	assert_int_equal(rp_trust_config_add_network(&cfg, RP_TRUST_TRUSTED, "10/8"), 0);
	assert_int_equal(rp_trust_config_add_network(&cfg, RP_TRUST_TRUSTED, "!!bad"), RP_EINVAL);
	assert_int_equal(rp_origin_find(hdr, 3, &cfg, 0, a, &o), 0);
	assert_true(o.found);
	assert_int_equal(o.hop, 1);
	assert_int_equal(o.hops[2].verdict, RP_HOP_IGNORED);
	rp_trust_config_fini(&cfg);

	/* 10.1.1.66 as MSA: the hop it wrote names the sender 8.8.8.8 */
	rp_trust_config_init(&cfg);
	assert_int_equal(rp_trust_config_add_network(&cfg, RP_TRUST_MSA, "10.1.1.66"), 0);
	assert_int_equal(rp_origin_find(hdr, 3, &cfg, 0, a, &o), 0);
	assert_int_equal(o.hop, 2);
	assert_true(o.submission);
	assert_true(o.hops[1].msa);
	rp_trust_config_fini(&cfg);
	rp_trust_config_fini(&cfg); /* fini twice is harmless */
	arena_free(a);
}

static void test_hundred_thousand_headers(void **state)
{
	const size_t n = 100000;
	const char **v = malloc(n * sizeof(*v));
	struct rp_trust_config cfg;
	struct arena *a = arena_new(0);
	struct rp_origin o;

	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		v[i] = "from loop.internal ([10.0.0.1]) by loop.internal with ESMTP id X; Wed, 15 Jan 2020 16:02:10 +0000";
	rp_trust_config_init(&cfg);
	clock_t t0 = clock();
	assert_int_equal(rp_origin_find(v, n, &cfg, 1000, a, &o), 0);
	assert_false(o.found);
	assert_int_equal(o.n_hops, 1000);
	assert_non_null(strstr(o.reason, "max_hops=1000"));
	/* max_hops 0 means the default bound, never "unbounded" */
	assert_int_equal(rp_origin_find(v, n, &cfg, 0, a, &o), 0);
	assert_int_equal(o.n_hops, RP_ORIGIN_MAX_HOPS);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
	rp_trust_config_fini(&cfg);
	arena_free(a);
	free(v);
}

static void test_hostile_values(void **state)
{
	const size_t big = 1 << 20;
	char *huge = malloc(big + 1);
	static const char with_nul[] = "from x (y [192.0.2.1]) by\0 z with ESMTP";
	char garbage[300];
	unsigned seed = 7;
	struct rp_trust_config cfg;
	struct arena *a = arena_new(0);
	struct rp_origin o;

	assert_non_null(huge);
	memset(huge, 'A', big);
	memcpy(huge, "from ", 5);
	huge[big] = '\0';
	for (size_t i = 0; i < sizeof(garbage) - 1; i++) {
		seed = seed * 1103515245u + 12345u;
		garbage[i] = (char)(1 + (seed >> 16) % 255);
	}
	garbage[sizeof(garbage) - 1] = '\0';
	const char *v[] = { huge, with_nul, NULL, garbage, "",
			    "from real.example (real.example [8.8.8.8]) by x with ESMTP; Wed, 15 Jan 2020 16:02:10 +0000" };
	rp_trust_config_init(&cfg);
	assert_int_equal(rp_origin_find(v, 6, &cfg, 0, a, &o), 0);
	assert_int_equal(o.n_hops, 6);
	assert_int_equal(o.hops[0].verdict, RP_HOP_SKIPPED);
	assert_int_equal(o.hops[1].verdict, RP_HOP_TRUSTED); /* 192.0.2.1 is documentation space */
	assert_int_equal(o.hops[2].verdict, RP_HOP_SKIPPED);
	assert_true(o.found);
	assert_int_equal(o.hop, 5);
	assert_int_equal(rp_origin_find(NULL, 0, &cfg, 0, a, &o), 0);
	assert_false(o.found);
	assert_string_equal(o.reason, "no Received headers");
	rp_trust_config_fini(&cfg);
	arena_free(a);
	free(huge);
}

static void test_verdict_names(void **state)
{
	assert_string_equal(rp_hop_verdict_name(RP_HOP_TRUSTED), "trusted");
	assert_string_equal(rp_hop_verdict_name(RP_HOP_ORIGIN), "origin");
	assert_string_equal(rp_hop_verdict_name(RP_HOP_IGNORED), "ignored");
	assert_string_equal(rp_hop_verdict_name(RP_HOP_SKIPPED), "skipped");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spamassassin_trust_path),
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_exclusion_and_msa),
		cmocka_unit_test(test_hundred_thousand_headers),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_verdict_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
