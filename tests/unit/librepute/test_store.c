/* test_store.c - the storage module on a real SQLite file in a temporary directory:
 * migrations, report insert/get, duplicate merging, campaigns, sources and cases, API key
 * hashing and verification, and the append-only audit log. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "repute/alloc.h"
#include "repute/store.h"

struct fixture {
	char dir[64];
	char path[128];
	struct rp_store *st;
	char reporter[32];
};

/* setup - a fresh database with one reporter. */
static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct rp_store_config cfg = { 0 };
	struct rp_diag diag = { 0 };

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/repute.db", f->dir);
	cfg.path = f->path;
	assert_int_equal(rp_store_open(&cfg, &f->st, &diag), RP_OK);
	assert_int_equal(rp_store_reporter_add(f->st, "alice", "reporter", f->reporter, &diag), RP_OK);
	*state = f;
	return 0;
}

/* teardown - close and remove the files. */
static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[160];

	f->st = rp_store_close(f->st);
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
		unlink(p);
	}
	rmdir(f->dir);
	xfree(f);
	return 0;
}

/* sql_int - one integer from a query on a second connection (what sqlite3(1) would see). */
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

/* sql_exec_rc - run SQL on a second connection, return the SQLite result code. */
static int sql_exec_rc(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static void test_migrations(void **state)
{
	struct fixture *f = *state;
	struct rp_store_config cfg = { .path = f->path };
	struct rp_diag diag = { 0 };
	struct rp_store *again = NULL;

	assert_int_equal(rp_store_schema_version(f->st), rp_store_schema_latest());
	assert_true(rp_store_schema_latest() >= 1);
	/* reopening is idempotent */
	assert_int_equal(rp_store_open(&cfg, &again, &diag), RP_OK);
	assert_int_equal(rp_store_schema_version(again), rp_store_schema_latest());
	again = rp_store_close(again);
	/* WAL mode is persistent in the file */
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* a database from the future is refused */
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", rp_store_schema_latest() + 1);
	f->st = rp_store_close(f->st);
	assert_int_equal(sql_exec_rc(f->path, sql), SQLITE_OK);
	assert_int_equal(rp_store_open(&cfg, &again, &diag), RP_EUNSUPP);
	assert_non_null(strstr(diag.reason, "newer"));
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", rp_store_schema_latest());
	assert_int_equal(sql_exec_rc(f->path, sql), SQLITE_OK);
	assert_int_equal(rp_store_open(&cfg, &f->st, &diag), RP_OK);
	/* unknown scheme */
	cfg.path = "postgres://nowhere/db";
	assert_int_equal(rp_store_open(&cfg, &again, &diag), RP_EUNSUPP);
}

static void test_ids(void **state)
{
	char a[RP_REPORT_ID_LEN], b[RP_REPORT_ID_LEN];

	rp_id_new('R', a);
	usleep(2000);
	rp_id_new('R', b);
	assert_int_equal(strlen(a), RP_REPORT_ID_LEN - 1);
	assert_int_equal(a[0], 'R');
	assert_true(strcmp(a, b) < 0); /* time-sortable */
	assert_null(strpbrk(a + 1, "ILOUilou"));
}

/* report_in - a mail report with one origin IP and one domain. */
static struct rp_report_in report_in(const char *reporter, const char *msgid, const char *origin,
				     const struct rp_source_ref *src, size_t n)
{
	static const char raw[] = "From: a@example.com\r\nSubject: win\r\n\r\nhello\r\n";
	struct rp_report_in in = {
		.channel = "http", .reporter_id = reporter, .received_at = 1700000000, .raw = raw,
		.raw_len = sizeof(raw) - 1, .evidence_json = "{\"origin\":null}", .message_id = msgid,
		.fingerprint = "fp1", .origin = origin, .sources = src, .n_sources = n,
	};
	return in;
}

static void test_ids_increase(void **state)
{
	struct fixture *f = *state;
	struct rp_report_result res;
	struct rp_diag diag = { 0 };
	char prev[RP_REPORT_ID_LEN] = "";

	for (int i = 0; i < 50; i++) { /* many within one millisecond */
		char msgid[32];
		snprintf(msgid, sizeof(msgid), "<inc%d@x>", i);
		struct rp_report_in in = report_in(f->reporter, msgid, NULL, NULL, 0);
		assert_int_equal(rp_store_report_add(f->st, &in, &res, &diag), RP_OK);
		assert_true(strcmp(res.id, prev) > 0);
		memcpy(prev, res.id, sizeof(prev));
	}
}

static void test_insert_get(void **state)
{
	struct fixture *f = *state;
	struct rp_source_ref src[] = { { RP_SRC_IP4, "192.0.2.7" }, { RP_SRC_DOMAIN, "spam.example" },
				       { RP_SRC_DOMAIN, "spam.example" } };
	struct rp_report_in in = report_in(f->reporter, "<m1@example.com>", "192.0.2.7", src, 3);
	struct rp_report_result res;
	struct rp_report *r = NULL;
	struct rp_diag diag = { 0 };

	assert_int_equal(rp_store_report_add(f->st, &in, &res, &diag), RP_OK);
	assert_false(res.duplicate);
	assert_int_equal(res.id[0], 'R');
	assert_int_equal(rp_store_report_get(f->st, res.id, &r), RP_OK);
	assert_string_equal(r->channel, "http");
	assert_string_equal(r->reporter_id, f->reporter);
	assert_int_equal(r->raw_len, in.raw_len);
	assert_memory_equal(r->raw, in.raw, in.raw_len);
	assert_string_equal(r->evidence_json, in.evidence_json);
	assert_string_equal(r->message_id, "<m1@example.com>");
	assert_string_equal(r->origin, "192.0.2.7");
	assert_int_equal(r->dup_count, 0);
	r = rp_report_free(r);
	assert_int_equal(rp_store_report_get(f->st, "RNOSUCHREPORT0000000000000", &r), RP_ENOTFOUND);
	assert_int_equal(rp_store_report_get(f->st, "x", &r), RP_ENOTFOUND);
	/* a repeated source in one report counts once */
	assert_int_equal(sql_int(f->path, "SELECT reports FROM sources WHERE value = 'spam.example'"), 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM cases"), 2);
	/* an unknown reporter is refused and leaves nothing behind */
	in.reporter_id = "Unobody";
	in.message_id = "<m2@example.com>";
	assert_int_equal(rp_store_report_add(f->st, &in, &res, &diag), RP_EINVAL);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM reports"), 1);
	assert_int_equal(sql_int(f->path, "SELECT reports FROM sources WHERE value = '192.0.2.7'"), 1);
}

static void test_duplicates(void **state)
{
	struct fixture *f = *state;
	struct rp_source_ref src[] = { { RP_SRC_IP4, "192.0.2.7" } };
	struct rp_report_in in = report_in(f->reporter, "<m1@example.com>", "192.0.2.7", src, 1);
	struct rp_report_result first, res;
	struct rp_diag diag = { 0 };
	char bob[32];

	assert_int_equal(rp_store_report_add(f->st, &in, &first, &diag), RP_OK);
	/* same reporter, same Message-ID */
	assert_int_equal(rp_store_report_add(f->st, &in, &res, &diag), RP_OK);
	assert_true(res.duplicate);
	assert_string_equal(res.id, first.id);
	assert_int_equal(res.dup_count, 1);
	/* same reporter, other Message-ID but same fingerprint and origin */
	in.message_id = "<m2@example.com>";
	assert_int_equal(rp_store_report_add(f->st, &in, &res, &diag), RP_OK);
	assert_true(res.duplicate);
	assert_string_equal(res.id, first.id);
	assert_int_equal(res.dup_count, 2);
	/* same fingerprint, other origin: a new report */
	in.origin = "192.0.2.8";
	in.message_id = "<m3@example.com>";
	assert_int_equal(rp_store_report_add(f->st, &in, &res, &diag), RP_OK);
	assert_false(res.duplicate);
	/* another reporter, same Message-ID: a new report, and a second distinct reporter */
	assert_int_equal(rp_store_reporter_add(f->st, "bob", "reporter", bob, &diag), RP_OK);
	in = report_in(bob, "<m1@example.com>", "192.0.2.7", src, 1);
	assert_int_equal(rp_store_report_add(f->st, &in, &res, &diag), RP_OK);
	assert_false(res.duplicate);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM reports"), 3);
	assert_int_equal(sql_int(f->path, "SELECT dup_count FROM reports ORDER BY id LIMIT 1"), 2);
	assert_int_equal(sql_int(f->path, "SELECT reports FROM sources WHERE value = '192.0.2.7'"), 3);
	assert_int_equal(sql_int(f->path, "SELECT reporters FROM sources WHERE value = '192.0.2.7'"), 2);
}

/* near_match - test matcher: fingerprints whose first slot agrees. */
static bool near_match(const struct rp_fingerprint *a, const struct rp_fingerprint *b)
{
	return a->slot[0] == b->slot[0];
}

static void test_campaigns(void **state)
{
	struct fixture *f = *state;
	struct rp_store_config cfg = { .path = f->path, .fp_match = near_match };
	struct rp_fingerprint fa = { .n_features = 10 }, fb = { .n_features = 10 }, fc = { .n_features = 10 };
	struct rp_report_result r1, r2, r3, r4;
	struct rp_diag diag = { 0 };

	f->st = rp_store_close(f->st);
	assert_int_equal(rp_store_open(&cfg, &f->st, &diag), RP_OK);
	fa.slot[0] = 7, fa.slot[1] = 1;
	fb.slot[0] = 7, fb.slot[1] = 2; /* same campaign as fa */
	fc.slot[0] = 9;                 /* another */
	struct rp_report_in in = report_in(f->reporter, "<a@x>", "192.0.2.1", NULL, 0);
	in.fp = &fa;
	in.fingerprint = "a";
	assert_int_equal(rp_store_report_add(f->st, &in, &r1, &diag), RP_OK);
	in.fp = &fb, in.fingerprint = "b", in.message_id = "<b@x>";
	assert_int_equal(rp_store_report_add(f->st, &in, &r2, &diag), RP_OK);
	in.fp = &fc, in.fingerprint = "c", in.message_id = "<c@x>";
	assert_int_equal(rp_store_report_add(f->st, &in, &r3, &diag), RP_OK);
	struct rp_fingerprint empty = { 0 };
	in.fp = &empty, in.fingerprint = "e", in.message_id = "<e@x>";
	assert_int_equal(rp_store_report_add(f->st, &in, &r4, &diag), RP_OK);
	assert_true(r1.campaign_id > 0);
	assert_int_equal(r1.campaign_id, r2.campaign_id);
	assert_true(r3.campaign_id > 0 && r3.campaign_id != r1.campaign_id);
	assert_int_equal(r4.campaign_id, 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM campaigns"), 2);
	assert_int_equal(sql_int(f->path, "SELECT max(reports) FROM campaigns"), 2);
}

static void test_group_transaction(void **state)
{
	struct fixture *f = *state;
	struct rp_report_in in = report_in(f->reporter, "<g1@x>", "192.0.2.1", NULL, 0);
	struct rp_report_result res;
	struct rp_diag diag = { 0 };

	assert_int_equal(rp_store_begin(f->st, &diag), RP_OK);
	assert_int_equal(rp_store_report_add(f->st, &in, &res, &diag), RP_OK);
	in.reporter_id = "Unobody"; /* fails inside the group: only this one is undone */
	in.message_id = "<g2@x>";
	assert_int_equal(rp_store_report_add(f->st, &in, &res, &diag), RP_EINVAL);
	in.reporter_id = f->reporter;
	in.message_id = "<g3@x>";
	in.origin = "192.0.2.3";
	assert_int_equal(rp_store_report_add(f->st, &in, &res, &diag), RP_OK);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM reports"), 0); /* not committed yet */
	assert_int_equal(rp_store_commit(f->st, &diag), RP_OK);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM reports"), 2);
	/* a rolled back group leaves nothing */
	assert_int_equal(rp_store_begin(f->st, &diag), RP_OK);
	in.message_id = "<g4@x>";
	in.origin = "192.0.2.4";
	assert_int_equal(rp_store_report_add(f->st, &in, &res, &diag), RP_OK);
	assert_int_equal(rp_store_rollback(f->st), RP_OK);
	int64_t n = 0;
	assert_int_equal(rp_store_report_count(f->st, &n), RP_OK);
	assert_int_equal(n, 2);
}

static void test_keys(void **state)
{
	struct fixture *f = *state;
	char key[RP_KEY_LEN], key2[RP_KEY_LEN], hash[65], sql[256];
	struct rp_principal who;
	struct rp_diag diag = { 0 };
	int64_t kid = 0, kid2 = 0;

	assert_int_equal(rp_store_key_create(f->st, f->reporter, "reporter", key, &kid, &diag), RP_OK);
	assert_int_equal(rp_store_key_create(f->st, f->reporter, "operator", key2, &kid2, &diag), RP_OK);
	assert_int_equal(strlen(key), RP_KEY_LEN - 1);
	assert_true(strncmp(key, "rpk_", 4) == 0);
	assert_string_not_equal(key, key2);
	/* only the hash and a prefix are at rest */
	rp_key_hash(key, hash);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM api_keys WHERE hash = '%s' AND length(prefix) = %d", hash,
		 RP_KEY_PREFIX_LEN);
	assert_int_equal(sql_int(f->path, sql), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM api_keys WHERE hash LIKE '%%%s%%' OR prefix = '%s'", key + 4,
		 key);
	assert_int_equal(sql_int(f->path, sql), 0);
	assert_int_equal(rp_store_key_verify(f->st, key, &who), RP_OK);
	assert_string_equal(who.reporter_id, f->reporter);
	assert_string_equal(who.name, "alice");
	assert_string_equal(who.role, "reporter");
	assert_int_equal(who.key_id, kid);
	assert_int_equal(rp_store_key_verify(f->st, key2, &who), RP_OK);
	assert_string_equal(who.role, "operator");
	/* a key with one character changed, a short key, no key */
	char bad[RP_KEY_LEN];
	memcpy(bad, key, sizeof(bad));
	bad[RP_KEY_LEN - 2] = bad[RP_KEY_LEN - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(rp_store_key_verify(f->st, bad, &who), RP_ENOTFOUND);
	assert_int_equal(rp_store_key_verify(f->st, "rpk_short", &who), RP_ENOTFOUND);
	assert_int_equal(rp_store_key_verify(f->st, "", &who), RP_ENOTFOUND);
	/* revoked keys stop working */
	assert_int_equal(rp_store_key_revoke(f->st, kid, &diag), RP_OK);
	assert_int_equal(rp_store_key_verify(f->st, key, &who), RP_ENOTFOUND);
	assert_int_equal(rp_store_key_revoke(f->st, kid, &diag), RP_ENOTFOUND);
	/* bad role, unknown reporter, duplicate reporter name */
	assert_int_equal(rp_store_key_create(f->st, f->reporter, "god", key, &kid, &diag), RP_EINVAL);
	assert_int_equal(rp_store_key_create(f->st, "Unobody", "reporter", key, &kid, &diag), RP_ENOTFOUND);
	char id[32];
	assert_int_equal(rp_store_reporter_add(f->st, "alice", "reporter", id, &diag), RP_EEXIST);
	assert_int_equal(rp_store_reporter_find(f->st, "alice", id), RP_OK);
	assert_string_equal(id, f->reporter);
	assert_int_equal(rp_store_reporter_find(f->st, "carol", id), RP_ENOTFOUND);
}

static void test_cases_and_audit(void **state)
{
	struct fixture *f = *state;
	struct rp_source_ref src[] = { { RP_SRC_IP4, "198.51.100.9" } };
	struct rp_report_in in = report_in(f->reporter, "<c1@x>", "198.51.100.9", src, 1);
	struct rp_report_result res;
	struct rp_diag diag = { 0 };
	enum rp_case_state state_now;
	int64_t cid = 0;

	assert_int_equal(rp_store_report_add(f->st, &in, &res, &diag), RP_OK);
	assert_int_equal(rp_store_case_for_source(f->st, RP_SRC_IP4, "198.51.100.9", &cid), RP_OK);
	assert_int_equal(rp_store_case_state(f->st, cid, &state_now), RP_OK);
	assert_int_equal(state_now, RP_CASE_NEW);
	assert_int_equal(rp_store_case_transition(f->st, cid, RP_CASE_RESOLVED, "ana", "why not", &diag), RP_EINVAL);
	assert_non_null(strstr(diag.reason, "new to resolved"));
	assert_int_equal(rp_store_case_transition(f->st, cid, RP_CASE_CONFIRMED, "ana", "", &diag), RP_EINVAL);
	assert_int_equal(rp_store_case_transition(f->st, cid, RP_CASE_CONFIRMED, "ana", "3 reporters", &diag), RP_OK);
	assert_int_equal(rp_store_case_transition(f->st, cid, RP_CASE_LISTED, "ana", "policy", &diag), RP_OK);
	assert_int_equal(rp_store_case_transition(f->st, cid, RP_CASE_RESOLVED, "ana", "cleaned", &diag), RP_OK);
	assert_int_equal(rp_store_case_state(f->st, cid, &state_now), RP_OK);
	assert_int_equal(state_now, RP_CASE_RESOLVED);
	assert_int_equal(rp_store_case_transition(f->st, 999, RP_CASE_CONFIRMED, "ana", "x", &diag), RP_ENOTFOUND);
	/* a rejected case lowers the trust of the source's reporters */
	struct rp_source_ref src2[] = { { RP_SRC_DOMAIN, "innocent.example" } };
	struct rp_report_in in2 = report_in(f->reporter, "<c2@x>", "198.51.100.10", src2, 1);
	int64_t cid2 = 0;
	assert_int_equal(rp_store_report_add(f->st, &in2, &res, &diag), RP_OK);
	assert_int_equal(rp_store_case_for_source(f->st, RP_SRC_DOMAIN, "innocent.example", &cid2), RP_OK);
	assert_int_equal(rp_store_case_transition(f->st, cid2, RP_CASE_REJECTED, "ana", "newsletter, not spam", &diag),
			 RP_OK);
	assert_int_equal(sql_int(f->path, "SELECT rejected FROM reporters WHERE name = 'alice'"), 1);
	assert_int_equal(sql_int(f->path, "SELECT round(trust * 100) FROM reporters WHERE name = 'alice'"), 83); /* 1 - 1/(2 + 4) */
	json_t *src_json = NULL;
	assert_int_equal(rp_store_source_json(f->st, RP_SRC_DOMAIN, "innocent.example", &src_json), RP_OK);
	assert_true(json_real_value(json_object_get(src_json, "weighted_reporters")) < 0.9);
	json_decref(src_json);
	assert_int_equal(rp_store_audit_append(f->st, "admin", "key.create", "key:1", "new partner", &diag), RP_OK);
	assert_int_equal(rp_store_audit_append(f->st, "", "x", NULL, NULL, &diag), RP_EINVAL);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit_log"), 5);

	json_t *log = NULL;
	char object[32];
	snprintf(object, sizeof(object), "case:%lld", (long long)cid);
	assert_int_equal(rp_store_audit_json(f->st, object, 10, &log), RP_OK);
	assert_int_equal(json_array_size(log), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(log, 0), "action")),
			    "case.listed->resolved");
	assert_string_equal(json_string_value(json_object_get(json_array_get(log, 2), "reason")), "3 reporters");
	json_decref(log);
	/* append-only: the database itself refuses update and delete */
	assert_int_not_equal(sql_exec_rc(f->path, "UPDATE audit_log SET reason = 'x'"), SQLITE_OK);
	assert_int_not_equal(sql_exec_rc(f->path, "DELETE FROM audit_log"), SQLITE_OK);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit_log WHERE reason = 'x'"), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit_log"), 5);
}

static void test_source_views(void **state)
{
	struct fixture *f = *state;
	struct rp_source_ref src[] = { { RP_SRC_PHONE, "+8613800138000" }, { RP_SRC_DOMAIN, "spam.example" } };
	struct rp_report_in in = report_in(f->reporter, NULL, "+8613800138000", src, 2);
	struct rp_report_result res;
	struct rp_diag diag = { 0 };
	json_t *o = NULL;

	in.channel = "sms";
	in.received_at = (int64_t)time(NULL);
	assert_int_equal(rp_store_report_add(f->st, &in, &res, &diag), RP_OK);
	assert_int_equal(rp_store_source_json(f->st, RP_SRC_PHONE, "+8613800138000", &o), RP_OK);
	assert_int_equal(json_integer_value(json_object_get(o, "reports")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "by_channel"), "sms")), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "case"), "state")), "new");
	json_decref(o);
	assert_int_equal(rp_store_source_json(f->st, RP_SRC_PHONE, "+861", &o), RP_ENOTFOUND);
	assert_int_equal(rp_store_stats_json(f->st, 0, &o), RP_OK);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "totals"), "reports")), 1);
	assert_int_equal(json_array_size(json_object_get(o, "per_day")), 1);
	assert_int_equal(json_array_size(json_object_get(o, "top_sources")), 2);
	json_decref(o);
}

static void test_search_and_campaign(void **state)
{
	struct fixture *f = *state;
	struct rp_source_ref a[] = { { RP_SRC_IP4, "192.0.2.1" } }, b[] = { { RP_SRC_IP4, "192.0.2.2" } };
	struct rp_fingerprint fp = { .n_features = 5 };
	struct rp_report_result res;
	struct rp_diag diag = { 0 };
	char bob[32];
	json_t *o = NULL;

	assert_int_equal(rp_store_reporter_add(f->st, "bob", "reporter", bob, &diag), RP_OK);
	for (int i = 0; i < 5; i++) {
		char msgid[32];
		snprintf(msgid, sizeof(msgid), "<s%d@x>", i);
		struct rp_report_in in = report_in(i < 3 ? f->reporter : bob, msgid, i % 2 ? "192.0.2.2" : "192.0.2.1",
						   i % 2 ? b : a, 1);
		in.fp = &fp;
		in.fingerprint = NULL;
		in.channel = i == 4 ? "sms" : "http";
		in.received_at = 1700000000 + i;
		assert_int_equal(rp_store_report_add(f->st, &in, &res, &diag), RP_OK);
	}
	struct rp_report_query q = { .limit = 2 };
	assert_int_equal(rp_store_report_search_json(f->st, &q, &o), RP_OK);
	json_t *list = json_object_get(o, "reports");
	assert_int_equal(json_array_size(list), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "received_at")), 1700000004);
	char next[RP_REPORT_ID_LEN];
	snprintf(next, sizeof(next), "%s", json_string_value(json_object_get(o, "next")));
	json_decref(o);
	q.before_id = next; /* the next page */
	q.limit = 10;
	assert_int_equal(rp_store_report_search_json(f->st, &q, &o), RP_OK);
	assert_int_equal(json_array_size(json_object_get(o, "reports")), 3);
	assert_true(json_is_null(json_object_get(o, "next")));
	json_decref(o);
	struct rp_report_query by_src = { .by_source = true, .source_kind = RP_SRC_IP4, .source_value = "192.0.2.2" };
	assert_int_equal(rp_store_report_search_json(f->st, &by_src, &o), RP_OK);
	assert_int_equal(json_array_size(json_object_get(o, "reports")), 2);
	json_decref(o);
	struct rp_report_query mine = { .reporter_id = bob, .channel = "http" };
	assert_int_equal(rp_store_report_search_json(f->st, &mine, &o), RP_OK);
	assert_int_equal(json_array_size(json_object_get(o, "reports")), 1);
	json_decref(o);
	struct rp_report_query window = { .since = 1700000001, .until = 1700000003 };
	assert_int_equal(rp_store_report_search_json(f->st, &window, &o), RP_OK);
	assert_int_equal(json_array_size(json_object_get(o, "reports")), 2);
	json_decref(o);
	/* every report has the same fingerprint: one campaign with 5 reports from 2 reporters */
	assert_int_equal(rp_store_campaign_json(f->st, res.campaign_id, &o), RP_OK);
	assert_int_equal(json_integer_value(json_object_get(o, "reports")), 5);
	assert_int_equal(json_integer_value(json_object_get(o, "reporters")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "by_channel"), "sms")), 1);
	assert_int_equal(json_array_size(json_object_get(o, "top_sources")), 2);
	assert_int_equal(json_array_size(json_object_get(o, "recent_reports")), 5);
	json_decref(o);
	struct rp_report_query in_campaign = { .campaign_id = res.campaign_id };
	assert_int_equal(rp_store_report_search_json(f->st, &in_campaign, &o), RP_OK);
	assert_int_equal(json_array_size(json_object_get(o, "reports")), 5);
	json_decref(o);
	assert_int_equal(rp_store_campaign_json(f->st, 999, &o), RP_ENOTFOUND);
}

static void test_retention_sweep(void **state)
{
	struct fixture *f = *state;
	struct rp_report_result res;
	struct rp_report *r = NULL;
	struct rp_diag diag = { 0 };
	int64_t n = -1;

	for (int i = 0; i < 3; i++) {
		char msgid[32];
		snprintf(msgid, sizeof(msgid), "<r%d@x>", i);
		struct rp_report_in in = report_in(f->reporter, msgid, NULL, NULL, 0);
		in.received_at = 1000 + i * 100; /* 1000, 1100, 1200 */
		assert_int_equal(rp_store_report_add(f->st, &in, &res, &diag), RP_OK);
	}
	assert_int_equal(rp_store_sweep_raw(f->st, 1150, 1, &n, &diag), RP_OK); /* one at a time */
	assert_int_equal(n, 1);
	assert_int_equal(rp_store_sweep_raw(f->st, 1150, 10, &n, &diag), RP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rp_store_sweep_raw(f->st, 1150, 10, &n, &diag), RP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM reports WHERE raw IS NULL AND raw_len > 0"), 2);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit_log WHERE action = 'retention.sweep'"), 2);
	assert_int_equal(rp_store_report_get(f->st, res.id, &r), RP_OK); /* the newest keeps its original */
	assert_non_null(r->raw);
	r = rp_report_free(r);
}

static void test_source_classify(void **state)
{
	static const struct { const char *in; int rc; enum rp_source_kind kind; const char *value; } cases[] = {
		{ "192.0.2.7", RP_OK, RP_SRC_IP4, "192.0.2.7" },
		{ "2001:db8:1:2:3:4:5:6", RP_OK, RP_SRC_IP6_64, "2001:db8:1:2::/64" },
		{ "2001:db8:1:2::/64", RP_OK, RP_SRC_IP6_64, "2001:db8:1:2::/64" },
		{ "Spam.Example", RP_OK, RP_SRC_DOMAIN, "spam.example" },
		{ "+8613800138000", RP_OK, RP_SRC_PHONE, "+8613800138000" },
		{ "192.0.2.7/64", RP_EINVAL, 0, NULL },
		{ "+86x", RP_EINVAL, 0, NULL },
		{ "localhost", RP_EINVAL, 0, NULL },
		{ "a b.example", RP_EINVAL, 0, NULL },
		{ "", RP_EINVAL, 0, NULL },
	};
	char value[128];
	enum rp_source_kind kind;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = rp_source_classify(cases[i].in, &kind, value, sizeof(value));
		if (rc != cases[i].rc)
			fail_msg("%s: rc %d", cases[i].in, rc);
		if (rc == RP_OK) {
			assert_int_equal(kind, cases[i].kind);
			assert_string_equal(value, cases[i].value);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
		cmocka_unit_test(test_ids),
		cmocka_unit_test_setup_teardown(test_ids_increase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insert_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_campaigns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cases_and_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_views, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_and_campaign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_sweep, setup, teardown),
		cmocka_unit_test(test_source_classify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
