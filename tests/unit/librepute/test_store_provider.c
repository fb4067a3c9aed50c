/* test_store_provider.c - the complaint feed storage on a real SQLite file (migration 4,
 * store_sqlite_provider.c): memberships (add, move, remove, unknown names, audit), the
 * provider's own view, which reports fall in which provider's networks (IPv4 CIDRs, an IPv6
 * /48 against /64 sources and full origins, nested and removed networks, SMS senders never),
 * keyset pagination, and rp_store_complaint_in. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "repute/alloc.h"
#include "repute/listing.h"
#include "repute/store.h"

#define NOW 1795450000

struct fixture {
	char dir[64];
	char path[128];
	struct rp_store *st;
	char rep[32];
	char ids[8][RP_REPORT_ID_LEN];
};

/* report - one report with origin and its source (kind k, value v); id into out. */
static void report(struct fixture *f, const char *origin, enum rp_source_kind k, const char *v, int n, char *out)
{
	struct rp_source_ref src = { k, v };
	struct rp_report_result res;
	struct rp_diag d = { 0 };
	char mid[64];

	snprintf(mid, sizeof(mid), "<%d@x>", n);
	struct rp_report_in in = { .channel = k == RP_SRC_PHONE ? "sms" : "http", .reporter_id = f->rep,
				   .received_at = NOW + n, .message_id = mid, .origin = origin, .sources = &src,
				   .n_sources = 1 };
	assert_int_equal(rp_store_report_add(f->st, &in, &res, &d), RP_OK);
	snprintf(out, RP_REPORT_ID_LEN, "%s", res.id);
}

/* entry - a provider network or domain. */
static void entry(struct fixture *f, const char *p, const char *kind, const char *v)
{
	struct rp_diag d = { 0 };

	assert_int_equal(rp_store_provider_entry(f->st, p, kind, v, true, "t", "r", NOW, &d), RP_OK);
}

/* setup - two providers with networks, a reporter, eight reports. */
static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct rp_store_config cfg = { 0 };
	struct rp_diag d = { 0 };

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_pstore.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/repute.db", f->dir);
	cfg.path = f->path;
	assert_int_equal(rp_store_open(&cfg, &f->st, &d), RP_OK);
	assert_int_equal(rp_store_reporter_add(f->st, "isp", "reporter", f->rep, &d), RP_OK);
	assert_int_equal(rp_store_provider_add(f->st, "a", "abuse@a.example", "t", "r", NOW, &d), RP_OK);
	assert_int_equal(rp_store_provider_add(f->st, "b", "abuse@b.example", "t", "r", NOW, &d), RP_OK);
	entry(f, "a", "net", "62.1.1.0/24");
	entry(f, "a", "net", "62.1.1.128/25"); /* nested: a report counts once */
	entry(f, "a", "domain", "a.example");
	entry(f, "b", "net", "85.2.2.0/23");
	entry(f, "b", "net", "2a01:4f8:77::/48");
	report(f, "62.1.1.5", RP_SRC_IP4, "62.1.1.5", 0, f->ids[0]);           /* a */
	report(f, "62.1.1.200", RP_SRC_IP4, "62.1.1.200", 1, f->ids[1]);       /* a (both nets) */
	report(f, "85.2.3.7", RP_SRC_IP4, "85.2.3.7", 2, f->ids[2]);           /* b */
	report(f, "2a01:4f8:77:5::25", RP_SRC_IP6_64, "2a01:4f8:77:5::/64", 3, f->ids[3]); /* b */
	report(f, "2a01:4f8:78::1", RP_SRC_IP6_64, "2a01:4f8:78::/64", 4, f->ids[4]);     /* none */
	report(f, "62.1.2.1", RP_SRC_IP4, "62.1.2.1", 5, f->ids[5]);           /* none */
	report(f, "+8613800138000", RP_SRC_PHONE, "+8613800138000", 6, f->ids[6]); /* sms: none */
	report(f, "62.1.1.77", RP_SRC_IP4, "62.1.1.77", 7, f->ids[7]);         /* a */
	*state = f;
	return 0;
}

/* teardown - close and remove the files. */
static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[160];
	static const char *const suffixes[] = { "", "-wal", "-shm" };

	f->st = rp_store_close(f->st);
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
		unlink(p);
	}
	rmdir(f->dir);
	xfree(f);
	return 0;
}

/* feed_ids - the ids of one page, space-separated, into out; the "next" into next. */
static void feed_ids(struct fixture *f, const char *provider, const char *before, size_t limit, char *out, size_t len,
		     char *next)
{
	struct rp_complaint_query q = { .provider = provider, .before_id = before, .limit = limit };
	json_t *j = NULL, *c;
	size_t i;

	assert_int_equal(rp_store_complaints_json(f->st, &q, &j), RP_OK);
	out[0] = '\0';
	json_array_foreach(json_object_get(j, "complaints"), i, c) {
		assert_null(json_object_get(c, "reporter_id"));
		snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? " " : "", json_string_value(json_object_get(c, "id")));
	}
	const char *n = json_string_value(json_object_get(j, "next"));
	snprintf(next, RP_REPORT_ID_LEN, "%s", n ? n : "");
	json_decref(j);
}

/* want - the ids of reports idx (newest first) as feed_ids writes them. */
static const char *want(struct fixture *f, const int *idx, size_t n, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? " " : "", f->ids[idx[i]]);
	return out;
}

static void test_feeds(void **state)
{
	struct fixture *f = *state;
	char got[512], exp[512], next[RP_REPORT_ID_LEN];
	static const int a[] = { 7, 1, 0 }, b[] = { 3, 2 }, all[] = { 7, 3, 2, 1, 0 };

	feed_ids(f, "a", NULL, 0, got, sizeof(got), next);
	assert_string_equal(got, want(f, a, 3, exp, sizeof(exp)));
	assert_string_equal(next, "");
	feed_ids(f, "b", NULL, 0, got, sizeof(got), next);
	assert_string_equal(got, want(f, b, 2, exp, sizeof(exp)));
	feed_ids(f, NULL, NULL, 0, got, sizeof(got), next);
	assert_string_equal(got, want(f, all, 5, exp, sizeof(exp)));
	feed_ids(f, "nobody", NULL, 0, got, sizeof(got), next);
	assert_string_equal(got, "");
	/* pages of two */
	feed_ids(f, "a", NULL, 2, got, sizeof(got), next);
	assert_string_equal(got, want(f, a, 2, exp, sizeof(exp)));
	assert_string_equal(next, f->ids[1]);
	char before[RP_REPORT_ID_LEN];
	snprintf(before, sizeof(before), "%s", next);
	feed_ids(f, "a", before, 2, got, sizeof(got), next);
	assert_string_equal(got, f->ids[0]);
	assert_string_equal(next, "");
}

static void test_complaint_in(void **state)
{
	struct fixture *f = *state;
	struct rp_diag d = { 0 };
	bool in;

	assert_int_equal(rp_store_complaint_in(f->st, "a", f->ids[0], &in), RP_OK);
	assert_true(in);
	assert_int_equal(rp_store_complaint_in(f->st, "b", f->ids[0], &in), RP_OK);
	assert_false(in);
	assert_int_equal(rp_store_complaint_in(f->st, "b", f->ids[3], &in), RP_OK);
	assert_true(in);
	assert_int_equal(rp_store_complaint_in(f->st, "b", f->ids[4], &in), RP_OK);
	assert_false(in);
	assert_int_equal(rp_store_complaint_in(f->st, "a", f->ids[6], &in), RP_OK);
	assert_false(in);
	assert_int_equal(rp_store_complaint_in(f->st, "a", "RNOSUCH", &in), RP_ENOTFOUND);
	assert_false(in);
	/* a removed network no longer counts, for old reports too */
	assert_int_equal(rp_store_provider_entry(f->st, "b", "net", "85.2.2.0/23", false, "t", "r", NOW, &d), RP_OK);
	assert_int_equal(rp_store_complaint_in(f->st, "b", f->ids[2], &in), RP_OK);
	assert_false(in);
}

static void test_members(void **state)
{
	struct fixture *f = *state;
	struct rp_diag d = { 0 };
	char p[64], id[32];
	json_t *j = NULL;

	assert_int_equal(rp_store_reporter_add(f->st, "noc", "provider", id, &d), RP_OK);
	assert_int_equal(rp_store_provider_of(f->st, id, p, sizeof(p)), RP_ENOTFOUND);
	assert_int_equal(rp_store_provider_member(f->st, "a", "noc", true, "ops", "contract", &d), RP_OK);
	assert_int_equal(rp_store_provider_of(f->st, id, p, sizeof(p)), RP_OK);
	assert_string_equal(p, "a");
	assert_int_equal(rp_store_provider_member(f->st, "b", "noc", true, "ops", "moved", &d), RP_OK);
	assert_int_equal(rp_store_provider_of(f->st, id, p, sizeof(p)), RP_OK);
	assert_string_equal(p, "b");
	assert_int_equal(rp_store_provider_member(f->st, "a", "noc", false, "ops", "not a member", &d), RP_ENOTFOUND);
	assert_int_equal(rp_store_provider_member(f->st, "c", "noc", true, "ops", "x", &d), RP_ENOTFOUND);
	assert_int_equal(rp_store_provider_member(f->st, "a", "ghost", true, "ops", "x", &d), RP_ENOTFOUND);
	assert_int_equal(rp_store_provider_member(f->st, "b", "noc", false, "ops", "left", &d), RP_OK);
	assert_int_equal(rp_store_provider_of(f->st, id, p, sizeof(p)), RP_ENOTFOUND);
	assert_int_equal(rp_store_audit_json(f->st, "provider:b", 50, &j), RP_OK);
	char *text = json_dumps(j, 0);
	assert_non_null(strstr(text, "provider.member"));
	free(text);
	json_decref(j);
	assert_int_equal(rp_store_provider_json(f->st, "a", &j), RP_OK);
	assert_string_equal(json_string_value(json_object_get(j, "contact")), "abuse@a.example");
	assert_int_equal(json_array_size(json_object_get(j, "networks")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "domains"), 0), "value")),
			    "a.example");
	json_decref(j);
	assert_int_equal(rp_store_provider_json(f->st, "zz", &j), RP_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_feeds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complaint_in, setup, teardown),
		cmocka_unit_test_setup_teardown(test_members, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
