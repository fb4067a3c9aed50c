/* test_listing_store.c - the listing storage on a real SQLite file: migration 2, evidence
 * counted from reports (distinct reporters, trust) and events, listing put/update/get/each,
 * manual and self-service ends, expiry, history for repeat offenders, the provider registry
 * loaded as a whitelist, delisting requests, and an audit record for every change. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "repute/alloc.h"
#include "repute/listing.h"
#include "repute/store.h"

#define NOW 1795450000

struct fixture {
	char dir[64];
	char path[128];
	struct rp_store *st;
	char rep[5][32];
};

/* setup - a fresh database with five reporters. */
static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct rp_store_config cfg = { 0 };
	struct rp_diag d = { 0 };
	char name[16];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_lstore.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/repute.db", f->dir);
	cfg.path = f->path;
	assert_int_equal(rp_store_open(&cfg, &f->st, &d), RP_OK);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "isp%d", i);
		assert_int_equal(rp_store_reporter_add(f->st, name, "reporter", f->rep[i], &d), RP_OK);
	}
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

/* sql_int - one integer from a query on a second connection. */
static long long sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* report - reporter i reports ip at time t. */
static void report(struct fixture *f, int i, const char *ip, int64_t t, int n)
{
	struct rp_source_ref src = { RP_SRC_IP4, ip };
	struct rp_report_result res;
	struct rp_diag d = { 0 };
	char mid[64];

	snprintf(mid, sizeof(mid), "<%d.%s.%lld@x>", n, ip, (long long)t);
	struct rp_report_in in = { .channel = "http", .reporter_id = f->rep[i], .received_at = t, .message_id = mid,
				   .origin = ip, .sources = &src, .n_sources = 1 };
	assert_int_equal(rp_store_report_add(f->st, &in, &res, &d), RP_OK);
}

static void test_schema(void **state)
{
	struct fixture *f = *state;

	assert_true(rp_store_schema_latest() >= 2);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM sqlite_master WHERE name IN "
					  "('listings','providers','provider_entries','source_events','delist_requests')"),
			 5);
}

static void test_evidence(void **state)
{
	struct fixture *f = *state;
	struct rp_listing_evidence ev;
	struct rp_diag d = { 0 };

	for (int i = 0; i < 3; i++)
		report(f, i, "192.0.2.10", NOW - 100 + i, 1);
	report(f, 0, "192.0.2.10", NOW - 50, 2);      /* same reporter again: still 3 */
	report(f, 3, "192.0.2.10", NOW - 30 * 86400, 1); /* outside the window */
	assert_int_equal(rp_store_listing_evidence(f->st, "ip4", "192.0.2.10", NOW - 7 * 86400, &ev), RP_OK);
	assert_int_equal(ev.reporters, 3);
	assert_true(ev.reporter_weight > 2.9 && ev.reporter_weight < 3.01);
	assert_int_equal(ev.last_evidence, NOW - 50);
	assert_int_equal(ev.trap_hits, 0);
	assert_int_equal(rp_store_source_event(f->st, "ip4", "192.0.2.10", "trap", NOW - 10, "trap:t1@example.org",
					       "trap hit", &d), RP_OK);
	assert_int_equal(rp_store_source_event(f->st, "ip4", "192.0.2.10", "relay", NOW - 5, "scanner", "open relay",
					       &d), RP_OK);
	assert_int_equal(rp_store_source_event(f->st, "ip4", "192.0.2.10", "bogus", NOW, "x", "y", &d), RP_EINVAL);
	assert_int_equal(rp_store_listing_evidence(f->st, "ip4", "192.0.2.10", NOW - 7 * 86400, &ev), RP_OK);
	assert_int_equal(ev.trap_hits, 1);
	assert_true(ev.open_relay);
	assert_int_equal(ev.last_evidence, NOW - 5);
	/* nothing after the cut */
	assert_int_equal(rp_store_listing_evidence(f->st, "ip4", "192.0.2.10", NOW, &ev), RP_OK);
	assert_int_equal(ev.reporters, 0);
	assert_int_equal(ev.last_evidence, 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit_log WHERE action LIKE 'evidence.%'"), 2);
}

/* count_each - counts active listings. */
static bool count_each(void *ctx, const struct rp_listing *l)
{
	(void)l;
	(*(int *)ctx)++;
	return true;
}

static void test_listing_life(void **state)
{
	struct fixture *f = *state;
	struct rp_listing l = { .reason = RP_LIST_REPORTS, .score = 30, .expires_at = NOW + 100 };
	struct rp_listing got;
	struct rp_diag d = { 0 };
	int64_t id = 0, id2 = 0, last_end;
	long n, prior;
	int count = 0;

	snprintf(l.kind, sizeof(l.kind), "ip4");
	snprintf(l.value, sizeof(l.value), "192.0.2.10");
	snprintf(l.actor, sizeof(l.actor), "system");
	snprintf(l.summary, sizeof(l.summary), "3 reporters");
	assert_int_equal(rp_store_listing_put(f->st, &l, NOW, &id, &d), RP_OK);
	assert_true(id > 0);
	/* an update keeps the id and never shortens the expiry */
	l.expires_at = NOW + 50;
	l.reason = RP_LIST_TRAP;
	assert_int_equal(rp_store_listing_put(f->st, &l, NOW + 1, &id2, &d), RP_OK);
	assert_int_equal(id2, id);
	assert_int_equal(rp_store_listing_get(f->st, "ip4", "192.0.2.10", &got), RP_OK);
	assert_int_equal(got.expires_at, NOW + 100);
	assert_int_equal(got.reason, RP_LIST_TRAP);
	assert_int_equal(got.listed_at, NOW);
	assert_int_equal(rp_store_listing_get(f->st, "ip4", "192.0.2.99", &got), RP_ENOTFOUND);
	/* a manual listing without expiry */
	snprintf(l.value, sizeof(l.value), "spam.example");
	snprintf(l.kind, sizeof(l.kind), "domain");
	l.reason = RP_LIST_MANUAL;
	l.expires_at = 0;
	assert_int_equal(rp_store_listing_put(f->st, &l, NOW, NULL, &d), RP_OK);
	assert_int_equal(rp_store_listing_each(f->st, count_each, &count), RP_OK);
	assert_int_equal(count, 2);
	/* expiry ends the first, not the manual one */
	assert_int_equal(rp_store_listing_expire(f->st, NOW + 99, &n, &d), RP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(rp_store_listing_expire(f->st, NOW + 100, &n, &d), RP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rp_store_listing_get(f->st, "ip4", "192.0.2.10", &got), RP_ENOTFOUND);
	assert_int_equal(rp_store_listing_history(f->st, "ip4", "192.0.2.10", NOW - 1000, &prior, &last_end), RP_OK);
	assert_int_equal(prior, 1);
	assert_int_equal(last_end, NOW + 100);
	/* ending needs a reason; ending twice is not found */
	assert_int_equal(rp_store_listing_end(f->st, "domain", "spam.example", "delisted", "ana", "", NOW, &d),
			 RP_EINVAL);
	assert_int_equal(rp_store_listing_end(f->st, "domain", "spam.example", "delisted", "ana", "false positive",
					      NOW + 200, &d), RP_OK);
	assert_int_equal(rp_store_listing_end(f->st, "domain", "spam.example", "delisted", "ana", "again", NOW, &d),
			 RP_ENOTFOUND);
	/* re-listing makes a new row */
	l.expires_at = NOW + 1000;
	assert_int_equal(rp_store_listing_put(f->st, &l, NOW + 300, &id2, &d), RP_OK);
	assert_int_equal(rp_store_listing_history(f->st, "domain", "spam.example", 0, &prior, &last_end), RP_OK);
	assert_int_equal(prior, 2);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit_log WHERE object LIKE 'listing:%'"), 6);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit_log WHERE action = 'listing.expired'"), 1);
	/* missing fields */
	l.summary[0] = '\0';
	assert_int_equal(rp_store_listing_put(f->st, &l, NOW, NULL, &d), RP_EINVAL);
}

static void test_providers(void **state)
{
	struct fixture *f = *state;
	struct rp_whitelist w;
	struct rp_diag d = { 0 };
	struct rp_addr a;

	assert_int_equal(rp_store_provider_add(f->st, "BigMail", "abuse@bigmail.example", "admin", "certified", NOW, &d),
			 RP_OK);
	assert_int_equal(rp_store_provider_add(f->st, "BigMail", "x@y", "admin", "again", NOW, &d), RP_EEXIST);
	assert_int_equal(rp_store_provider_add(f->st, "Nobody", "", "admin", "no contact", NOW, &d), RP_EINVAL);
	assert_int_equal(rp_store_provider_entry(f->st, "BigMail", "net", "198.51.100.0/24", true, "admin", "outbound",
						 NOW, &d), RP_OK);
	assert_int_equal(rp_store_provider_entry(f->st, "BigMail", "net", "198.51.100.0/24", true, "admin", "twice",
						 NOW, &d), RP_EEXIST);
	assert_int_equal(rp_store_provider_entry(f->st, "BigMail", "net", "not-a-net", true, "admin", "x", NOW, &d),
			 RP_EINVAL);
	assert_int_equal(rp_store_provider_entry(f->st, "Ghost", "domain", "ghost.example", true, "admin", "x", NOW, &d),
			 RP_ENOTFOUND);
	assert_int_equal(rp_store_provider_entry(f->st, "BigMail", "domain", "bigmail.example", true, "admin", "mail",
						 NOW, &d), RP_OK);
	assert_int_equal(rp_store_provider_entry(f->st, "BigMail", "domain", "old.example", true, "admin", "mail",
						 NOW, &d), RP_OK);
	assert_int_equal(rp_store_provider_entry(f->st, "BigMail", "domain", "old.example", false, "admin", "sold",
						 NOW, &d), RP_OK);
	rp_whitelist_init(&w);
	assert_int_equal(rp_store_whitelist_load(f->st, &w), RP_OK);
	rp_addr_parse("198.51.100.9", &a);
	assert_true(rp_whitelist_match_addr(&w, &a));
	assert_true(rp_whitelist_match_domain(&w, "mx.bigmail.example"));
	assert_false(rp_whitelist_match_domain(&w, "old.example"));
	rp_whitelist_fini(&w);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit_log WHERE object = 'provider:BigMail'"), 5);
}

static void test_delist_requests(void **state)
{
	struct fixture *f = *state;
	struct rp_diag d = { 0 };
	int64_t id, at;
	long n;

	assert_int_equal(rp_store_last_self_delist(f->st, "ip4", "192.0.2.10", &at), RP_OK);
	assert_int_equal(at, 0);
	assert_int_equal(rp_store_delist_add(f->st, "ip4", "192.0.2.10", "postmaster@x.example", "fixed", "delisted",
					     NOW, &id, &d), RP_OK);
	assert_int_equal(rp_store_delist_add(f->st, "ip4", "192.0.2.10", "", "fixed", "delisted", NOW, &id, &d),
			 RP_EINVAL);
	assert_int_equal(rp_store_delist_add(f->st, "ip4", "192.0.2.11", "a@b", "why", "case:new-evidence", NOW + 5, &id,
					     &d), RP_OK);
	assert_int_equal(rp_store_last_self_delist(f->st, "ip4", "192.0.2.10", &at), RP_OK);
	assert_int_equal(at, NOW);
	assert_int_equal(rp_store_delist_published(f->st, NOW + 2, &n, &d), RP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rp_store_delist_published(f->st, NOW + 3, &n, &d), RP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(sql_int(f->path, "SELECT published_at - requested_at FROM delist_requests WHERE id = 1"), 2);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit_log WHERE action = 'delist.request'"), 2);
}

static void test_engine(void **state)
{
	struct fixture *f = *state;
	struct rp_listing_policy p;
	struct rp_listing_decision dec;
	struct rp_delist_result res;
	struct rp_whitelist w;
	struct rp_listing got;
	struct rp_diag d = { 0 };
	bool changed;
	char ip[32], kind[16], value[128];
	json_t *j;

	rp_listing_policy_defaults(&p);
	rp_whitelist_init(&w);
	rp_whitelist_add_network(&w, "61.135.10.0/24");
	/* two reporters: not listed; three: listed for reports */
	report(f, 0, "62.1.1.1", NOW - 10, 1);
	report(f, 1, "62.1.1.1", NOW - 9, 1);
	assert_int_equal(rp_listing_evaluate(f->st, &p, &w, "ip4", "62.1.1.1", NOW, &dec, &changed, &d), RP_OK);
	assert_false(changed);
	report(f, 2, "62.1.1.1", NOW - 8, 1);
	assert_int_equal(rp_listing_evaluate(f->st, &p, &w, "ip4", "62.1.1.1", NOW, &dec, &changed, &d), RP_OK);
	assert_true(changed);
	assert_int_equal(rp_store_listing_get(f->st, "ip4", "62.1.1.1", &got), RP_OK);
	assert_int_equal(got.reason, RP_LIST_REPORTS);
	assert_int_equal(got.expires_at, NOW + 2 * 86400);
	/* again: nothing to change */
	assert_int_equal(rp_listing_evaluate(f->st, &p, &w, "ip4", "62.1.1.1", NOW + 5, &dec, &changed, &d), RP_OK);
	assert_false(changed);
	/* a provider's address with five reporters: a case, never a listing */
	for (int i = 0; i < 5; i++)
		report(f, i, "61.135.10.77", NOW - 5, 1);
	assert_int_equal(rp_listing_evaluate(f->st, &p, &w, "ip4", "61.135.10.77", NOW, &dec, &changed, &d), RP_OK);
	assert_false(changed);
	assert_int_equal(dec.action, RP_ACT_CASE);
	assert_int_equal(rp_store_listing_get(f->st, "ip4", "61.135.10.77", &got), RP_ENOTFOUND);
	/* self-service delisting: immediate, then not re-listed on the old evidence */
	assert_int_equal(rp_listing_request_delist(f->st, &p, "62.1.1.1", "postmaster@62.example", "fixed", NOW + 60,
						   &res, &d), RP_OK);
	assert_int_equal(res.outcome, RP_DELIST_NOW);
	assert_int_equal(rp_store_listing_get(f->st, "ip4", "62.1.1.1", &got), RP_ENOTFOUND);
	assert_int_equal(rp_listing_evaluate(f->st, &p, &w, "ip4", "62.1.1.1", NOW + 61, &dec, &changed, &d), RP_OK);
	assert_false(changed);
	assert_int_equal(rp_listing_request_delist(f->st, &p, "62.1.1.1", "x@y", "again", NOW + 62, &res, &d),
			 RP_ENOTFOUND);
	assert_int_equal(rp_listing_request_delist(f->st, &p, "not a source!", "x@y", "junk", NOW, &res, &d), RP_EINVAL);
	/* three new reports after the delisting: listed again, expiry doubled */
	for (int i = 0; i < 3; i++)
		report(f, i, "62.1.1.1", NOW + 100, 2);
	assert_int_equal(rp_listing_evaluate(f->st, &p, &w, "ip4", "62.1.1.1", NOW + 101, &dec, &changed, &d), RP_OK);
	assert_true(changed);
	assert_int_equal(rp_store_listing_get(f->st, "ip4", "62.1.1.1", &got), RP_OK);
	assert_int_equal(got.expires_at, NOW + 101 + 4 * 86400);
	/* new evidence after the listing: the next request becomes a case */
	report(f, 3, "62.1.1.1", NOW + 200, 3);
	assert_int_equal(rp_listing_request_delist(f->st, &p, "62.1.1.1", "x@y", "please", NOW + 300, &res, &d), RP_OK);
	assert_int_equal(res.outcome, RP_DELIST_CASE_EVIDENCE);
	assert_int_equal(rp_store_listing_get(f->st, "ip4", "62.1.1.1", &got), RP_OK);
	/* a manual listing and delisting need a reason */
	assert_int_equal(rp_listing_manual(f->st, "bad.example", true, "ana", "", 0, NOW, kind, value, &d), RP_EINVAL);
	assert_int_equal(rp_listing_manual(f->st, "Bad.Example", true, "ana", "phishing kit", 0, NOW, kind, value, &d),
			 RP_OK);
	assert_string_equal(kind, "domain");
	assert_int_equal(rp_store_listing_get(f->st, "domain", value, &got), RP_OK);
	assert_int_equal(got.reason, RP_LIST_MANUAL);
	/* ranges: eight listed addresses of one /29 make a range; delisting one withdraws it */
	for (int i = 8; i < 16; i++) {
		snprintf(ip, sizeof(ip), "62.2.2.%d", i);
		assert_int_equal(rp_listing_manual(f->st, ip, true, "ana", "seed", 0, NOW, kind, value, &d), RP_OK);
	}
	assert_int_equal(rp_listing_ranges_sync(f->st, &p, &w, NOW, &changed, &d), RP_OK);
	assert_false(changed); /* manual listings do not make ranges */
	for (int i = 8; i < 16; i++) {
		struct rp_listing l = { .reason = RP_LIST_REPORTS, .expires_at = NOW + 1000 };
		snprintf(l.kind, sizeof(l.kind), "ip4");
		snprintf(l.value, sizeof(l.value), "62.2.2.%d", i);
		snprintf(l.actor, sizeof(l.actor), "system");
		snprintf(l.summary, sizeof(l.summary), "reports");
		assert_int_equal(rp_store_listing_put(f->st, &l, NOW, NULL, &d), RP_OK);
	}
	assert_int_equal(rp_listing_ranges_sync(f->st, &p, &w, NOW, &changed, &d), RP_OK);
	assert_true(changed);
	assert_int_equal(rp_store_listing_get(f->st, "range4", "62.2.2.8/29", &got), RP_OK);
	assert_int_equal(got.collateral, 0);
	assert_int_equal(rp_listing_ranges_sync(f->st, &p, &w, NOW, &changed, &d), RP_OK);
	assert_false(changed);
	assert_int_equal(rp_listing_manual(f->st, "62.2.2.9", false, "ana", "fp", 0, NOW, kind, value, &d), RP_OK);
	assert_int_equal(rp_listing_ranges_sync(f->st, &p, &w, NOW, &changed, &d), RP_OK);
	assert_true(changed);
	assert_int_equal(rp_store_listing_get(f->st, "range4", "62.2.2.8/29", &got), RP_ENOTFOUND);
	/* the fairness figures */
	long np;
	assert_int_equal(rp_store_delist_published(f->st, NOW + 62, &np, &d), RP_OK);
	assert_int_equal(np, 1);
	assert_int_equal(rp_store_listing_stats_json(f->st, 0, &w, &j), RP_OK);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "listed_by_reason"), "reports")), 10);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "ranges"), "listed")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "relistings")), 1);
	json_t *dl = json_object_get(j, "delisting");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(dl, "by_outcome"), "delisted")), 1);
	assert_int_equal(json_integer_value(json_object_get(dl, "turnaround_median_s")), 2);
	json_t *wc = json_object_get(j, "whitelisted_open_cases");
	assert_int_equal(json_array_size(wc), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(wc, 0), "value")), "61.135.10.77");
	json_decref(j);
	rp_whitelist_fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listing_life, setup, teardown),
		cmocka_unit_test_setup_teardown(test_providers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delist_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
