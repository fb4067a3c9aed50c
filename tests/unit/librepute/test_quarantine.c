/* test_quarantine.c - the quarantine module on a real SQLite file in a temporary directory: schema
 * version and WAL, add with several recipients, list per recipient (case-insensitive), get with body
 * and recipients, release once, expiry, reopen keeps the data, a newer schema is refused. */
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
#include "repute/buf.h"
#include "repute/quarantine.h"

struct fixture {
	char dir[64];
	char path[128];
	struct rp_quarantine *q;
};

/* setup - a fresh database. */
static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct rp_diag d = { 0 };

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_quarantine.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/q.db", f->dir);
	assert_int_equal(rp_quarantine_open(f->path, 1000, &f->q, &d), RP_OK);
	*state = f;
	return 0;
}

/* teardown - close and remove the files. */
static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[200];

	rp_quarantine_close(f->q);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	xfree(f);
	return 0;
}

/* add - store one message for the given recipients; returns its id. */
static int64_t add(struct rp_quarantine *q, const char *subject, const char *const *rcpts, size_t n, int64_t when)
{
	struct rp_quarantine_entry e = { .received = when, .sender = "spammer@example.org", .client = "192.0.2.7",
					 .subject = subject, .reason = "content score 97 >= 90", .score = 97,
					 .rcpts = rcpts, .n_rcpts = n };
	char body[200];
	struct rp_diag d = { 0 };

	snprintf(body, sizeof(body), "Subject: %s\r\n\r\nbody of %s\r\n", subject, subject);
	assert_int_equal(rp_quarantine_add(q, &e, body, strlen(body), &d), RP_OK);
	assert_true(e.id > 0);
	return e.id;
}

struct seen {
	char subjects[10][40];
	int n;
};

/* collect - list callback: remember the subjects. */
static int collect(void *arg, const struct rp_quarantine_entry *e)
{
	struct seen *s = arg;

	if (s->n < 10)
		snprintf(s->subjects[s->n++], sizeof(s->subjects[0]), "%s", e->subject);
	return 0;
}

/* test_schema - version 1, WAL journal. */
static void test_schema(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(rp_quarantine_schema_version(f->q), 1);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* test_add_list_get - per-recipient listing and fetching. */
static void test_add_list_get(void **state)
{
	struct fixture *f = *state;
	const char *ab[] = { "alice@example.net", "bob@example.net" }, *b[] = { "Bob@Example.NET" };
	struct seen s = { 0 };
	struct rp_diag d = { 0 };

	int64_t id1 = add(f->q, "one", ab, 2, 1000);
	add(f->q, "two", b, 1, 1001);
	assert_int_equal(rp_quarantine_list(f->q, "alice@example.net", 0, collect, &s, &d), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.subjects[0], "one");
	memset(&s, 0, sizeof(s));
	assert_int_equal(rp_quarantine_list(f->q, "BOB@example.net", 0, collect, &s, &d), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.subjects[1], "two");
	memset(&s, 0, sizeof(s));
	assert_int_equal(rp_quarantine_list(f->q, NULL, 0, collect, &s, &d), 0);
	assert_int_equal(s.n, 2);

	struct rp_quarantine_entry e;
	struct buf msg;
	buf_init(&msg);
	assert_int_equal(rp_quarantine_get(f->q, id1, &e, &msg, &d), RP_OK);
	assert_int_equal(e.n_rcpts, 2);
	assert_string_equal(e.rcpts[0], "alice@example.net");
	assert_string_equal(e.sender, "spammer@example.org");
	assert_string_equal(e.client, "192.0.2.7");
	assert_true(e.score > 96.9 && e.score < 97.1);
	assert_int_equal(e.size, msg.len);
	assert_true(msg.len > 10 && memcmp(msg.data, "Subject: one\r\n", 14) == 0);
	rp_quarantine_entry_fini(&e);
	buf_fini(&msg);
	buf_init(&msg);
	assert_int_equal(rp_quarantine_get(f->q, 999, &e, &msg, &d), RP_ENOTFOUND);
	buf_fini(&msg);
	const char *none[] = { NULL };
	struct rp_quarantine_entry bad = { .rcpts = none, .n_rcpts = 0 };
	assert_int_equal(rp_quarantine_add(f->q, &bad, "x", 1, &d), RP_EINVAL);
}

/* test_release_expire - release once; released ones leave the list; expiry deletes. */
static void test_release_expire(void **state)
{
	struct fixture *f = *state;
	const char *a[] = { "alice@example.net" };
	struct seen s = { 0 };
	struct rp_diag d = { 0 };
	long n = 0;

	int64_t id1 = add(f->q, "old", a, 1, 100);
	add(f->q, "new", a, 1, 5000);
	assert_int_equal(rp_quarantine_mark_released(f->q, id1, 4000, &d), RP_OK);
	assert_int_equal(rp_quarantine_mark_released(f->q, id1, 4001, &d), RP_EEXIST);
	assert_int_equal(rp_quarantine_mark_released(f->q, 77, 4001, &d), RP_ENOTFOUND);
	assert_int_equal(rp_quarantine_list(f->q, "alice@example.net", 0, collect, &s, &d), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.subjects[0], "new");
	memset(&s, 0, sizeof(s));
	assert_int_equal(rp_quarantine_list(f->q, "alice@example.net", 1, collect, &s, &d), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(rp_quarantine_expire(f->q, 1000, &n, &d), RP_OK);
	assert_int_equal(n, 1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(rp_quarantine_list(f->q, "alice@example.net", 1, collect, &s, &d), 0);
	assert_int_equal(s.n, 1);
}

/* test_reopen_and_newer_schema - data survives a reopen; a newer schema is refused. */
static void test_reopen_and_newer_schema(void **state)
{
	struct fixture *f = *state;
	const char *a[] = { "alice@example.net" };
	struct seen s = { 0 };
	struct rp_diag d = { 0 };
	sqlite3 *db;

	add(f->q, "kept", a, 1, 10);
	f->q = rp_quarantine_close(f->q);
	assert_int_equal(rp_quarantine_open(f->path, 1000, &f->q, &d), RP_OK);
	assert_int_equal(rp_quarantine_list(f->q, "alice@example.net", 0, collect, &s, &d), 0);
	assert_int_equal(s.n, 1);
	f->q = rp_quarantine_close(f->q);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(rp_quarantine_open(f->path, 1000, &f->q, &d), RP_EUNSUPP);
	assert_non_null(strstr(d.reason, "newer"));
	assert_null(f->q);
}

/* main - run the tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_list_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_expire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_and_newer_schema, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
