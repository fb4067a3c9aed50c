/* quarantine.c - the mail filter's quarantine in SQLite (include/repute/quarantine.h).
 *
 * Schema: migrations[] is an ordered list of SQL scripts; PRAGMA user_version records how many have
 * run, and each runs with its version bump in one transaction, so an interrupted upgrade leaves the
 * previous version. WAL journal, synchronous=FULL (a held message is the only copy of that mail),
 * busy timeout for the CLI and the daemon sharing the file. Metadata and recipients are stored with
 * the body in one transaction. No statement is cached: the quarantine is far off the hot path. */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/error.h"
#include "repute/quarantine.h"

static const char *const migrations[] = {
	/* 1: messages and their recipients */
	"CREATE TABLE messages (id INTEGER PRIMARY KEY, received INTEGER NOT NULL, sender TEXT NOT NULL,"
	" client TEXT NOT NULL, subject TEXT NOT NULL, reason TEXT NOT NULL, score REAL NOT NULL,"
	" size INTEGER NOT NULL, released INTEGER NOT NULL DEFAULT 0, body BLOB NOT NULL);"
	"CREATE TABLE recipients (msg_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	" rcpt TEXT NOT NULL COLLATE NOCASE, PRIMARY KEY (rcpt, msg_id)) WITHOUT ROWID;"
	"CREATE INDEX recipients_msg ON recipients(msg_id);"
	"CREATE INDEX messages_received ON messages(received);",
};
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

struct rp_quarantine {
	sqlite3 *db;
};

/* qfail - record SQLite's message with a context; returns RP_EDB. */
static int qfail(struct rp_quarantine *q, struct rp_diag *diag, const char *what)
{
	rp_diag_set(diag, 0, 0, "%s: %s", what, sqlite3_errmsg(q->db));
	return RP_EDB;
}

/* qexec - run SQL without results. */
static int qexec(struct rp_quarantine *q, const char *sql, struct rp_diag *diag)
{
	char *err = NULL;

	if (sqlite3_exec(q->db, sql, NULL, NULL, &err) == SQLITE_OK)
		return RP_OK;
	rp_diag_set(diag, 0, 0, "%s", err ? err : sqlite3_errmsg(q->db));
	sqlite3_free(err);
	return RP_EDB;
}

/* rp_quarantine_schema_version - PRAGMA user_version, or -1. */
int rp_quarantine_schema_version(struct rp_quarantine *q)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* migrate - apply the missing migrations, each with its version bump in one transaction. */
static int migrate(struct rp_quarantine *q, struct rp_diag *diag)
{
	int v = rp_quarantine_schema_version(q);

	if (v < 0)
		return qfail(q, diag, "reading schema version");
	if (v > N_MIGRATIONS) {
		rp_diag_set(diag, 0, 0, "quarantine schema version %d is newer than this program's %d", v, N_MIGRATIONS);
		return RP_EUNSUPP;
	}
	for (; v < N_MIGRATIONS; v++) {
		char bump[64];
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
		if (qexec(q, "BEGIN IMMEDIATE", diag) != RP_OK)
			return RP_EDB;
		if (qexec(q, migrations[v], diag) != RP_OK || qexec(q, bump, diag) != RP_OK) {
			qexec(q, "ROLLBACK", NULL);
			return RP_EDB;
		}
		if (qexec(q, "COMMIT", diag) != RP_OK)
			return RP_EDB;
	}
	return RP_OK;
}

/* rp_quarantine_close - close the connection. */
struct rp_quarantine *rp_quarantine_close(struct rp_quarantine *q)
{
	if (q != NULL) {
		sqlite3_close(q->db);
		xfree(q);
	}
	return NULL;
}

/* rp_quarantine_open - open, set the pragmas, migrate. */
int rp_quarantine_open(const char *path, long busy_ms, struct rp_quarantine **out, struct rp_diag *diag)
{
	struct rp_quarantine *q = xcalloc(1, sizeof(*q));
	char pragmas[200];
	int rc;

	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		rp_diag_set(diag, 0, 0, "%s: %s", path, q->db ? sqlite3_errmsg(q->db) : "cannot open");
		rp_quarantine_close(q);
		return RP_EDB;
	}
	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA busy_timeout = %ld; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
		 " PRAGMA foreign_keys = ON;", busy_ms);
	rc = qexec(q, pragmas, diag);
	if (rc == RP_OK)
		rc = migrate(q, diag);
	if (rc != RP_OK) {
		rp_quarantine_close(q);
		return rc;
	}
	*out = q;
	return RP_OK;
}

/* insert_rcpts - the recipient rows of message id. */
static int insert_rcpts(struct rp_quarantine *q, const struct rp_quarantine_entry *e, struct rp_diag *diag)
{
	sqlite3_stmt *st;
	int rc = RP_OK;

	if (sqlite3_prepare_v2(q->db, "INSERT OR IGNORE INTO recipients (msg_id, rcpt) VALUES (?, ?)", -1, &st,
			       NULL) != SQLITE_OK)
		return qfail(q, diag, "insert recipient");
	for (size_t i = 0; i < e->n_rcpts && rc == RP_OK; i++) {
		sqlite3_bind_int64(st, 1, e->id);
		sqlite3_bind_text(st, 2, e->rcpts[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = qfail(q, diag, "insert recipient");
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

/* insert_message - the message row; sets e->id. */
static int insert_message(struct rp_quarantine *q, struct rp_quarantine_entry *e, const char *msg, size_t len,
			  struct rp_diag *diag)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(q->db, "INSERT INTO messages (received, sender, client, subject, reason, score, size,"
				      " body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return qfail(q, diag, "insert message");
	sqlite3_bind_int64(st, 1, e->received);
	sqlite3_bind_text(st, 2, e->sender ? e->sender : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->client ? e->client : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->subject ? e->subject : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->reason ? e->reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 6, e->score);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)len);
	sqlite3_bind_blob64(st, 8, len ? msg : "", len, SQLITE_STATIC);
	int rc = sqlite3_step(st) == SQLITE_DONE ? RP_OK : qfail(q, diag, "insert message");
	sqlite3_finalize(st);
	if (rc == RP_OK)
		e->id = sqlite3_last_insert_rowid(q->db);
	return rc;
}

/* rp_quarantine_add - message and recipients in one transaction. */
int rp_quarantine_add(struct rp_quarantine *q, struct rp_quarantine_entry *e, const char *msg, size_t len,
		      struct rp_diag *diag)
{
	if (e->n_rcpts == 0) {
		rp_diag_set(diag, 0, 0, "no recipients");
		return RP_EINVAL;
	}
	if (qexec(q, "BEGIN IMMEDIATE", diag) != RP_OK)
		return RP_EDB;
	int rc = insert_message(q, e, msg, len, diag);
	if (rc == RP_OK)
		rc = insert_rcpts(q, e, diag);
	if (rc == RP_OK)
		rc = qexec(q, "COMMIT", diag);
	if (rc != RP_OK) {
		qexec(q, "ROLLBACK", NULL);
		e->id = 0;
	}
	e->size = len;
	return rc;
}

/* col_text - a text column, "" for NULL. */
static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

/* row_entry - the metadata columns (id .. released) of a row into e, strings borrowed. */
static void row_entry(sqlite3_stmt *st, struct rp_quarantine_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(st, 0);
	e->received = sqlite3_column_int64(st, 1);
	e->sender = col_text(st, 2);
	e->client = col_text(st, 3);
	e->subject = col_text(st, 4);
	e->reason = col_text(st, 5);
	e->score = sqlite3_column_double(st, 6);
	e->size = (size_t)sqlite3_column_int64(st, 7);
	e->released = sqlite3_column_int64(st, 8);
}

#define ENTRY_COLS "m.id, m.received, m.sender, m.client, m.subject, m.reason, m.score, m.size, m.released"

/* rp_quarantine_list - walk the held messages of one recipient (or all). */
int rp_quarantine_list(struct rp_quarantine *q, const char *rcpt, int with_released, rp_quarantine_cb cb,
		       void *arg, struct rp_diag *diag)
{
	const char *sql = rcpt != NULL
		? "SELECT " ENTRY_COLS " FROM messages m JOIN recipients r ON r.msg_id = m.id"
		  " WHERE r.rcpt = ?1 AND (?2 OR m.released = 0) ORDER BY m.id"
		: "SELECT " ENTRY_COLS " FROM messages m WHERE (?2 OR m.released = 0) ORDER BY m.id";
	sqlite3_stmt *st;
	int rc = RP_OK, s;

	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return qfail(q, diag, "list");
	if (rcpt != NULL)
		sqlite3_bind_text(st, 1, rcpt, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, with_released != 0);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct rp_quarantine_entry e;
		row_entry(st, &e);
		if ((rc = cb(arg, &e)) != 0)
			break;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = qfail(q, diag, "list");
	sqlite3_finalize(st);
	return rc;
}

/* own_entry - copy the borrowed strings of e so they outlive the statement. */
static void own_entry(struct rp_quarantine_entry *e)
{
	e->sender = xstrdup(e->sender);
	e->client = xstrdup(e->client);
	e->subject = xstrdup(e->subject);
	e->reason = xstrdup(e->reason);
}

/* get_rcpts - the recipients of e->id into an owned array. */
static int get_rcpts(struct rp_quarantine *q, struct rp_quarantine_entry *e, struct rp_diag *diag)
{
	sqlite3_stmt *st;
	char **v = NULL;
	size_t n = 0;
	int s;

	if (sqlite3_prepare_v2(q->db, "SELECT rcpt FROM recipients WHERE msg_id = ? ORDER BY rcpt", -1, &st,
			       NULL) != SQLITE_OK)
		return qfail(q, diag, "recipients");
	sqlite3_bind_int64(st, 1, e->id);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = xstrdup(col_text(st, 0));
	}
	sqlite3_finalize(st);
	e->rcpts = (const char *const *)v;
	e->n_rcpts = n;
	return s == SQLITE_DONE ? RP_OK : qfail(q, diag, "recipients");
}

/* rp_quarantine_get - metadata, recipients and body of one message. */
int rp_quarantine_get(struct rp_quarantine *q, int64_t id, struct rp_quarantine_entry *e, struct buf *msg,
		      struct rp_diag *diag)
{
	sqlite3_stmt *st;
	int rc;

	memset(e, 0, sizeof(*e));
	if (sqlite3_prepare_v2(q->db, "SELECT " ENTRY_COLS ", m.body FROM messages m WHERE m.id = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return qfail(q, diag, "get");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? RP_ENOTFOUND : qfail(q, diag, "get");
		if (rc == RP_ENOTFOUND)
			rp_diag_set(diag, 0, 0, "no quarantined message %lld", (long long)id);
		sqlite3_finalize(st);
		return rc;
	}
	row_entry(st, e);
	own_entry(e);
	buf_append(msg, sqlite3_column_blob(st, 9), (size_t)sqlite3_column_bytes(st, 9));
	sqlite3_finalize(st);
	rc = get_rcpts(q, e, diag);
	if (rc != RP_OK)
		rp_quarantine_entry_fini(e);
	return rc;
}

/* rp_quarantine_entry_fini - free the owned strings and recipients. */
void rp_quarantine_entry_fini(struct rp_quarantine_entry *e)
{
	xfree((char *)e->sender);
	xfree((char *)e->client);
	xfree((char *)e->subject);
	xfree((char *)e->reason);
	for (size_t i = 0; i < e->n_rcpts; i++)
		xfree((char *)e->rcpts[i]);
	xfree((void *)e->rcpts);
	memset(e, 0, sizeof(*e));
}

/* rp_quarantine_mark_released - set released once. */
int rp_quarantine_mark_released(struct rp_quarantine *q, int64_t id, int64_t when, struct rp_diag *diag)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(q->db, "SELECT released FROM messages WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return qfail(q, diag, "release");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	int64_t was = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		rp_diag_set(diag, 0, 0, "no quarantined message %lld", (long long)id);
		return rc == SQLITE_DONE ? RP_ENOTFOUND : RP_EDB;
	}
	if (was != 0) {
		rp_diag_set(diag, 0, 0, "message %lld already released", (long long)id);
		return RP_EEXIST;
	}
	if (sqlite3_prepare_v2(q->db, "UPDATE messages SET released = ? WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return qfail(q, diag, "release");
	sqlite3_bind_int64(st, 1, when > 0 ? when : 1);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? RP_OK : qfail(q, diag, "release");
	sqlite3_finalize(st);
	return rc;
}

/* rp_quarantine_expire - delete old messages (recipients go by cascade). */
int rp_quarantine_expire(struct rp_quarantine *q, int64_t before, long *n, struct rp_diag *diag)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(q->db, "DELETE FROM messages WHERE received < ?", -1, &st, NULL) != SQLITE_OK)
		return qfail(q, diag, "expire");
	sqlite3_bind_int64(st, 1, before);
	int rc = sqlite3_step(st) == SQLITE_DONE ? RP_OK : qfail(q, diag, "expire");
	sqlite3_finalize(st);
	if (rc == RP_OK && n != NULL)
		*n = (long)sqlite3_changes(q->db);
	return rc;
}
