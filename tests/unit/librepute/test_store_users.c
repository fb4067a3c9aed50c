/* test_store_users.c - console accounts in the storage module on a real SQLite file: user
 * creation (argon2id hash, its own reporter, audited, duplicates and bad roles refused),
 * password checks, sessions (token hashed at rest, CSRF token, expiry, logout) and the
 * analyst's case queue. */
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

struct fixture {
	char dir[64];
	char path[128];
	struct rp_store *st;
};

/* setup - a fresh database. */
static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct rp_store_config cfg = { 0 };
	struct rp_diag diag = { 0 };

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_store_users.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/repute.db", f->dir);
	cfg.path = f->path;
	assert_int_equal(rp_store_open(&cfg, &f->st, &diag), RP_OK);
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

/* sql_text - the first column of the first row on a second connection (caller frees). */
static char *sql_text(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *out = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		out = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

/* test_user_create - hash at rest, reporter of the same name, audit, refusals. */
static void test_user_create(void **state)
{
	struct fixture *f = *state;
	struct rp_diag diag = { 0 };
	int64_t id = 0;
	char rid[32];

	assert_int_equal(rp_store_user_create(f->st, "ana", "analyst", "s3cret pw", "cli", &id, &diag), RP_OK);
	assert_true(id > 0);
	char *h = sql_text(f->path, "SELECT pwhash FROM users WHERE name = 'ana'");
	assert_non_null(h);
	assert_memory_equal(h, "$argon2id$", 10);
	assert_null(strstr(h, "s3cret"));
	xfree(h);
	assert_int_equal(rp_store_reporter_find(f->st, "ana", rid), RP_OK);
	char *a = sql_text(f->path, "SELECT action || ' ' || object FROM audit_log ORDER BY id DESC LIMIT 1");
	assert_string_equal(a, "user.create user:1");
	xfree(a);
	assert_int_equal(rp_store_user_create(f->st, "ana", "analyst", "x", "cli", NULL, &diag), RP_EEXIST);
	assert_int_equal(rp_store_user_create(f->st, "bob", "operator", "x", "cli", NULL, &diag), RP_EINVAL);
	assert_int_equal(rp_store_user_create(f->st, "bob", "reporter", "", "cli", NULL, &diag), RP_EINVAL);
	assert_int_equal(rp_store_reporter_find(f->st, "bob", rid), RP_ENOTFOUND);
	assert_true(rp_user_role_valid("provider"));
	assert_false(rp_user_role_valid("gateway"));
}

/* test_login_and_sessions - passwords, session tokens hashed, CSRF, logout. */
static void test_login_and_sessions(void **state)
{
	struct fixture *f = *state;
	struct rp_diag diag = { 0 };
	struct rp_user u, v;
	char tok[RP_TOKEN_LEN], csrf[RP_TOKEN_LEN], csrf2[RP_TOKEN_LEN], sql[200];

	assert_int_equal(rp_store_user_create(f->st, "rep", "reporter", "pw-1", "cli", NULL, &diag), RP_OK);
	assert_int_equal(rp_store_user_login(f->st, "rep", "pw-2", &u), RP_ENOTFOUND);
	assert_int_equal(rp_store_user_login(f->st, "nobody", "pw-1", &u), RP_ENOTFOUND);
	assert_int_equal(rp_store_user_login(f->st, "rep", "pw-1", &u), RP_OK);
	assert_string_equal(u.name, "rep");
	assert_string_equal(u.role, "reporter");
	assert_int_equal(strlen(u.reporter_id), 17);
	assert_int_equal(rp_store_session_create(f->st, u.id, 3600, tok, csrf, &diag), RP_OK);
	assert_int_equal(strlen(tok), 43);
	assert_int_equal(strlen(csrf), 43);
	assert_string_not_equal(tok, csrf);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM sessions WHERE hash = '%s' OR csrf = '%s'", tok, tok);
	char *n = sql_text(f->path, sql);
	assert_string_equal(n, "0"); /* the token is not stored */
	xfree(n);
	assert_int_equal(rp_store_session_get(f->st, tok, &v, csrf2), RP_OK);
	assert_int_equal(v.id, u.id);
	assert_string_equal(csrf2, csrf);
	assert_int_equal(rp_store_session_get(f->st, csrf, &v, csrf2), RP_ENOTFOUND);
	assert_int_equal(rp_store_session_get(f->st, "short", &v, csrf2), RP_ENOTFOUND);
	assert_int_equal(rp_store_session_delete(f->st, tok, &diag), RP_OK);
	assert_int_equal(rp_store_session_get(f->st, tok, &v, csrf2), RP_ENOTFOUND);
	/* an expired session does not authenticate */
	assert_int_equal(rp_store_session_create(f->st, u.id, -1, tok, csrf, &diag), RP_OK);
	assert_int_equal(rp_store_session_get(f->st, tok, &v, csrf2), RP_ENOTFOUND);
}

/* test_case_queue - new cases with their source and newest report. */
static void test_case_queue(void **state)
{
	struct fixture *f = *state;
	struct rp_diag diag = { 0 };
	struct rp_report_result res;
	char rid[32];
	struct rp_source_ref src[] = { { RP_SRC_IP4, "61.135.10.77" }, { RP_SRC_DOMAIN, "spam.example.cn" } };
	struct rp_report_in in = { .channel = "form", .received_at = 1795450242, .raw = "x", .raw_len = 1,
				   .evidence_json = "{}", .sources = src, .n_sources = 2 };
	json_t *j = NULL;

	assert_int_equal(rp_store_reporter_add(f->st, "alice", "reporter", rid, &diag), RP_OK);
	in.reporter_id = rid;
	assert_int_equal(rp_store_report_add(f->st, &in, &res, &diag), RP_OK);
	assert_int_equal(rp_store_case_queue_json(f->st, NULL, 10, &j), RP_OK);
	json_t *cases = json_object_get(j, "cases");
	assert_int_equal(json_array_size(cases), 2);
	json_t *c = json_array_get(cases, 0);
	assert_string_equal(json_string_value(json_object_get(c, "state")), "new");
	assert_string_equal(json_string_value(json_object_get(c, "last_report")), res.id);
	assert_int_equal(json_integer_value(json_object_get(c, "reports")), 1);
	int64_t id = json_integer_value(json_object_get(c, "id"));
	json_decref(j);
	assert_int_equal(rp_store_case_transition(f->st, id, RP_CASE_CONFIRMED, "ana", "seen", &diag), RP_OK);
	assert_int_equal(rp_store_case_queue_json(f->st, "new", 10, &j), RP_OK);
	assert_int_equal(json_array_size(json_object_get(j, "cases")), 1);
	json_decref(j);
	assert_int_equal(rp_store_case_queue_json(f->st, "confirmed", 10, &j), RP_OK);
	assert_int_equal(json_array_size(json_object_get(j, "cases")), 1);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_user_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_and_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_queue, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
