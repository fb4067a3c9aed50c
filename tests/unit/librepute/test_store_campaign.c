/* test_store_campaign.c - the writer's in-memory copy of the recent campaigns
 * (store_sqlite_campaign.c) gives the same campaign to every report as the SQL scan it
 * replaces: the same random sequence of reports (ten fingerprint families, times going back
 * and forth, a small campaign_scan so campaigns fall out of the window) is stored once in
 * group transactions (the copy, with whole groups rolled back and single reports failing
 * inside groups) and once report by report (the SQL scan), and every kept report must get
 * the same campaign id. A campaign written by another connection is seen at once. */
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
#include "repute/store.h"

struct db {
	char path[160];
	struct rp_store *st;
	char reporter[32];
};

/* near_match - fingerprints whose first slot agrees are one campaign. */
static bool near_match(const struct rp_fingerprint *a, const struct rp_fingerprint *b)
{
	return a->slot[0] == b->slot[0];
}

/* db_open - a fresh database in dir with campaign_scan 3 and one reporter. */
static void db_open(struct db *d, const char *dir, const char *name)
{
	struct rp_store_config cfg = { .campaign_scan = 3, .fp_match = near_match };
	struct rp_diag diag = { 0 };

	snprintf(d->path, sizeof(d->path), "%s/%s.db", dir, name);
	cfg.path = d->path;
	assert_int_equal(rp_store_open(&cfg, &d->st, &diag), RP_OK);
	assert_int_equal(rp_store_reporter_add(d->st, "alice", "reporter", d->reporter, &diag), RP_OK);
}

/* db_close - close and remove the files. */
static void db_close(struct db *d)
{
	char p[200];

	d->st = rp_store_close(d->st);
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", d->path, suffixes[i]);
		unlink(p);
	}
}

/* add - one report with fingerprint family fam at time at; its campaign id (or -1 on failure). */
static int64_t add(struct db *d, const char *reporter, int n, uint32_t fam, int64_t at)
{
	static const char raw[] = "From: a@example.com\r\nSubject: win\r\n\r\nhello\r\n";
	struct rp_fingerprint fp = { .n_features = 10 };
	struct rp_report_result res;
	struct rp_diag diag = { 0 };
	char msgid[32], fptext[32];

	fp.slot[0] = fam;
	fp.slot[1] = (uint32_t)n;
	snprintf(msgid, sizeof(msgid), "<%d@x>", n);
	snprintf(fptext, sizeof(fptext), "f%d", n);
	struct rp_report_in in = {
		.channel = "http", .reporter_id = reporter, .received_at = at, .raw = raw, .raw_len = sizeof(raw) - 1,
		.evidence_json = "{}", .message_id = msgid, .fingerprint = fptext, .fp = &fp, .origin = "192.0.2.1",
	};
	if (rp_store_report_add(d->st, &in, &res, &diag) != RP_OK)
		return -1;
	return res.campaign_id;
}

/* test_same_as_scan - group transactions with the copy agree with the scan, report for report. */
static void test_same_as_scan(void **state)
{
	char dir[] = "/tmp/test_store_campaign.XXXXXX";
	struct db grouped, single;
	struct rp_diag diag = { 0 };
	int64_t ids[64];
	uint32_t fams[64];
	int64_t ats[64];
	unsigned seed = 12345;

	(void)state;
	assert_non_null(mkdtemp(dir));
	db_open(&grouped, dir, "grouped");
	db_open(&single, dir, "single");
	int n = 0, checked = 0;
	for (int g = 0; g < 60; g++) {
		int size = 1 + (int)(rand_r(&seed) % 8), kept = 0;
		bool rollback = rand_r(&seed) % 6 == 0;
		assert_int_equal(rp_store_begin(grouped.st, &diag), RP_OK);
		for (int i = 0; i < size; i++, n++) {
			uint32_t fam = (uint32_t)(rand_r(&seed) % 10);
			int64_t at = 1700000000 + n - (int64_t)(rand_r(&seed) % 20); /* sometimes older */
			if (rand_r(&seed) % 10 == 0) { /* fails after its campaign was chosen: undone alone */
				assert_int_equal(add(&grouped, "Unobody", n, fam, at), -1);
				continue;
			}
			ids[kept] = add(&grouped, grouped.reporter, n, fam, at);
			assert_true(ids[kept] > 0);
			fams[kept] = fam;
			ats[kept++] = at;
		}
		if (rollback) {
			assert_int_equal(rp_store_rollback(grouped.st), RP_OK);
			continue;
		}
		assert_int_equal(rp_store_commit(grouped.st, &diag), RP_OK);
		for (int i = 0; i < kept; i++, checked++) /* the same reports, one by one, scanned in SQL */
			assert_int_equal(add(&single, single.reporter, n - kept + i, fams[i], ats[i]), ids[i]);
	}
	assert_true(checked > 100);
	db_close(&grouped);
	db_close(&single);
	rmdir(dir);
}

/* test_other_connection - a campaign another connection committed is matched at once. */
static void test_other_connection(void **state)
{
	char dir[] = "/tmp/test_store_campaign.XXXXXX";
	struct db d;
	struct rp_diag diag = { 0 };
	sqlite3 *other;
	unsigned char blob[(RP_FP_SLOTS + 1) * 4] = { 0 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	db_open(&d, dir, "db");
	assert_int_equal(rp_store_begin(d.st, &diag), RP_OK);
	int64_t first = add(&d, d.reporter, 1, 1, 1700000000);
	assert_int_equal(rp_store_commit(d.st, &diag), RP_OK);
	/* family 5 (slot 0 = 5, n_features = 10 in the last word) written behind the store's back */
	blob[0] = 5;
	blob[RP_FP_SLOTS * 4] = 10;
	assert_int_equal(sqlite3_open(d.path, &other), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(other, "INSERT INTO campaigns (fingerprint, fp, first_seen, last_seen, "
						   "reports) VALUES ('x', ?1, 1700000100, 1700000100, 1)", -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(st, 1, blob, sizeof(blob), SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	int64_t theirs = sqlite3_last_insert_rowid(other);
	sqlite3_close(other);
	assert_int_equal(rp_store_begin(d.st, &diag), RP_OK);
	assert_int_equal(add(&d, d.reporter, 2, 5, 1700000200), theirs);
	assert_int_equal(add(&d, d.reporter, 3, 1, 1700000200), first);
	assert_int_equal(rp_store_commit(d.st, &diag), RP_OK);
	db_close(&d);
	rmdir(dir);
}

/* main - run the tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_scan),
		cmocka_unit_test(test_other_connection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
