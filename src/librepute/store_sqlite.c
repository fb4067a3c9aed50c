/* store_sqlite.c - the SQLite back end of the storage module (struct rp_store_ops): every
 * SQL text of the centre (migrations[] and stmt_sql[]), opening, migrations, transactions and
 * the writes; store_sqlite_query.c has the reads. docs/schema.md documents the tables.
 *
 * Durability: WAL journal with synchronous=FULL, so every COMMIT fsyncs the WAL before it
 * returns; a commit that returned survives a crash of the process and of the machine.
 * reputed amortises the fsync by committing many reports per transaction (group commit).
 * Schema: migrations[] is an ordered list of SQL scripts; PRAGMA user_version records how
 * many have run. Open applies the missing ones, each in its own transaction, and refuses a
 * database whose version is newer than this program knows.
 * Every mutating call runs inside a SAVEPOINT, so a failure undoes only that call even
 * in the middle of a group transaction. Prepared statements are cached per connection.
 * Checkpoints: SQLite's automatic checkpoint runs inside the COMMIT of the connection that
 * pushed the WAL past 1,000 pages, which put it on reputed's serial path (the writer thread).
 * Instead each connection's WAL hook wakes a checkpoint thread of its own (started on first
 * need, with its own connection) that runs a PASSIVE checkpoint. SQLite restarts the WAL
 * from its beginning only when a write transaction begins with every frame copied back,
 * which a background checkpoint racing the next commit rarely achieves; so once the thread
 * has copied all but CKPT_REST pages, the committing connection copies that rest itself
 * (a short PASSIVE checkpoint, most of the work done elsewhere) and the next transaction
 * restarts the WAL. Past CKPT_INLINE pages it checkpoints inline whatever happens, so the
 * WAL stays bounded. A checkpoint never
 * changes what a crash keeps: the WAL is fsynced at every commit (synchronous=FULL), and
 * SQLite copies pages back and fsyncs the database before it reuses the WAL. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "repute/alloc.h"
#include "repute/store.h"

#include "store_sqlite_int.h"

/* Migration n (1-based) brings the schema from version n-1 to n. Append, never edit. */
static const char *const migrations[] = {
	/* 1: the centre's core records */
	"CREATE TABLE reporters ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL, trust REAL NOT NULL DEFAULT 1.0,"
	"  reports INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE api_keys ("
	"  id INTEGER PRIMARY KEY, reporter_id TEXT NOT NULL REFERENCES reporters(id),"
	"  role TEXT NOT NULL, prefix TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL, revoked_at INTEGER);"
	"CREATE INDEX api_keys_prefix ON api_keys(prefix);"
	"CREATE TABLE campaigns ("
	"  id INTEGER PRIMARY KEY, fingerprint TEXT, fp BLOB NOT NULL,"
	"  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, reports INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX campaigns_last_seen ON campaigns(last_seen);"
	"CREATE TABLE reports ("
	"  id TEXT PRIMARY KEY, channel TEXT NOT NULL, reporter_id TEXT NOT NULL REFERENCES reporters(id),"
	"  received_at INTEGER NOT NULL, raw BLOB, raw_len INTEGER NOT NULL DEFAULT 0, evidence TEXT,"
	"  message_id TEXT, fingerprint TEXT, origin TEXT, dup_count INTEGER NOT NULL DEFAULT 0,"
	"  last_dup_at INTEGER, campaign_id INTEGER REFERENCES campaigns(id));"
	"CREATE INDEX reports_msgid ON reports(reporter_id, message_id) WHERE message_id IS NOT NULL;"
	"CREATE INDEX reports_fp ON reports(reporter_id, fingerprint, origin) WHERE fingerprint IS NOT NULL;"
	"CREATE INDEX reports_received ON reports(received_at);"
	"CREATE INDEX reports_campaign ON reports(campaign_id);"
	"CREATE TABLE sources ("
	"  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL,"
	"  reports INTEGER NOT NULL DEFAULT 0, reporters INTEGER NOT NULL DEFAULT 0,"
	"  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, UNIQUE (kind, value));"
	"CREATE TABLE source_reporters ("
	"  source_id INTEGER NOT NULL REFERENCES sources(id), reporter_id TEXT NOT NULL,"
	"  first_seen INTEGER NOT NULL, PRIMARY KEY (source_id, reporter_id)) WITHOUT ROWID;"
	"CREATE TABLE report_sources ("
	"  report_id TEXT NOT NULL REFERENCES reports(id), source_id INTEGER NOT NULL REFERENCES sources(id),"
	"  PRIMARY KEY (report_id, source_id)) WITHOUT ROWID;"
	"CREATE INDEX report_sources_source ON report_sources(source_id);"
	"CREATE TABLE cases ("
	"  id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL UNIQUE REFERENCES sources(id),"
	"  state TEXT NOT NULL DEFAULT 'new'"
	"    CHECK (state IN ('new','confirmed','listed','resolved','rejected')),"
	"  opened_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	"CREATE INDEX cases_state ON cases(state);"
	"CREATE TABLE audit_log ("
	"  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
	"  object TEXT, reason TEXT);"
	"CREATE INDEX audit_log_object ON audit_log(object);"
	"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	"  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
	"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	"  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;",
	/* 2: listings, the provider registry, delisting requests, non-report evidence */
	"CREATE TABLE listings ("
	"  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL,"
	"  reason TEXT NOT NULL CHECK (reason IN ('reports','trap','relay','manual','range')),"
	"  score REAL NOT NULL DEFAULT 0, summary TEXT NOT NULL, actor TEXT NOT NULL,"
	"  listed_at INTEGER NOT NULL, expires_at INTEGER NOT NULL DEFAULT 0,"
	"  evidence INTEGER NOT NULL DEFAULT 0, collateral INTEGER NOT NULL DEFAULT 0,"
	"  ended_at INTEGER, end_how TEXT, end_actor TEXT, end_reason TEXT);"
	"CREATE UNIQUE INDEX listings_active ON listings(kind, value) WHERE ended_at IS NULL;"
	"CREATE INDEX listings_source ON listings(kind, value, listed_at);"
	"CREATE INDEX listings_listed ON listings(listed_at);"
	"CREATE TABLE providers ("
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, contact TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE TABLE provider_entries ("
	"  id INTEGER PRIMARY KEY, provider_id INTEGER NOT NULL REFERENCES providers(id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('net','domain')), value TEXT NOT NULL,"
	"  added_at INTEGER NOT NULL, removed_at INTEGER);"
	"CREATE UNIQUE INDEX provider_entries_active ON provider_entries(kind, value) WHERE removed_at IS NULL;"
	"CREATE TABLE source_events ("
	"  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL,"
	"  type TEXT NOT NULL CHECK (type IN ('trap','relay','confirm')), at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL, note TEXT);"
	"CREATE INDEX source_events_source ON source_events(kind, value, at);"
	"CREATE TABLE delist_requests ("
	"  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL, contact TEXT NOT NULL,"
	"  reason TEXT NOT NULL, requested_at INTEGER NOT NULL, listing_id INTEGER REFERENCES listings(id),"
	"  outcome TEXT NOT NULL, published_at INTEGER);"
	"CREATE INDEX delist_requests_source ON delist_requests(kind, value, requested_at);",
	/* 3: console accounts and sessions (store_sqlite_users.c, docs/web-console.md) */
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, reporter_id TEXT NOT NULL REFERENCES reporters(id),"
	"  role TEXT NOT NULL, pwhash TEXT NOT NULL, created_at INTEGER NOT NULL, disabled_at INTEGER);"
	"CREATE TABLE sessions ("
	"  hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), csrf TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);"
	"CREATE INDEX sessions_expires ON sessions(expires_at);",
	/* 4: members of provider organisations (store_sqlite_provider.c, docs/provider-feed.md) */
	"CREATE TABLE provider_members ("
	"  reporter_id TEXT PRIMARY KEY REFERENCES reporters(id),"
	"  provider_id INTEGER NOT NULL REFERENCES providers(id), added_at INTEGER NOT NULL);"
	"CREATE INDEX provider_members_provider ON provider_members(provider_id);",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))


static const char *const stmt_sql[Q_N] = {
	[Q_DUP_MSGID] = "SELECT id, dup_count, campaign_id FROM reports WHERE reporter_id = ?1 AND message_id = ?2 "
			"LIMIT 1",
	[Q_DUP_FP] = "SELECT id, dup_count, campaign_id FROM reports WHERE reporter_id = ?1 AND fingerprint = ?2 "
		     "AND origin = ?3 LIMIT 1",
	[Q_DUP_BUMP] = "UPDATE reports SET dup_count = dup_count + 1, last_dup_at = ?2 WHERE id = ?1",
	[Q_CAMPAIGN_RECENT] = "SELECT id, fp FROM campaigns ORDER BY last_seen DESC, id DESC LIMIT ?1",
	[Q_CAMPAIGN_BUMP] = "UPDATE campaigns SET reports = reports + 1, last_seen = max(last_seen, ?2) WHERE id = ?1",
	[Q_CAMPAIGN_NEW] = "INSERT INTO campaigns (fingerprint, fp, first_seen, last_seen, reports) "
			   "VALUES (?1, ?2, ?3, ?3, 1)",
	[Q_REPORT_INSERT] = "INSERT INTO reports (id, channel, reporter_id, received_at, raw, raw_len, evidence, "
			    "message_id, fingerprint, origin, campaign_id) "
			    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	/* trust = 1 - rejected / (reports + 4), at least 0.05: see docs/schema.md */
	[Q_REPORTER_BUMP] = "UPDATE reporters SET reports = reports + 1, "
			    "trust = max(0.05, 1.0 - rejected / (reports + 5.0)) WHERE id = ?1",
	[Q_SOURCE_UPSERT] = "INSERT INTO sources (kind, value, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3) "
			    "ON CONFLICT (kind, value) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen) "
			    "RETURNING id",
	[Q_REPORT_SOURCE] = "INSERT OR IGNORE INTO report_sources (report_id, source_id) VALUES (?1, ?2)",
	[Q_SOURCE_REPORTS] = "UPDATE sources SET reports = reports + 1 WHERE id = ?1",
	[Q_SOURCE_REPORTER] = "INSERT OR IGNORE INTO source_reporters (source_id, reporter_id, first_seen) "
			      "VALUES (?1, ?2, ?3)",
	[Q_SOURCE_REPORTERS] = "UPDATE sources SET reporters = reporters + 1 WHERE id = ?1",
	[Q_CASE_OPEN] = "INSERT OR IGNORE INTO cases (source_id, state, opened_at, updated_at) "
			"VALUES (?1, 'new', ?2, ?2)",
	[Q_REPORT_GET] = "SELECT id, channel, reporter_id, received_at, raw, raw_len, evidence, message_id, "
			 "fingerprint, origin, dup_count, campaign_id FROM reports WHERE id = ?1",
	[Q_REPORT_COUNT] = "SELECT count(*) FROM reports",
	[Q_REPORTER_ADD] = "INSERT INTO reporters (id, name, role, created_at) VALUES (?1, ?2, ?3, ?4)",
	[Q_REPORTER_FIND] = "SELECT id FROM reporters WHERE name = ?1",
	[Q_KEY_ADD] = "INSERT INTO api_keys (reporter_id, role, prefix, hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[Q_KEY_LOOKUP] = "SELECT k.id, k.hash, k.role, r.id, r.name FROM api_keys k JOIN reporters r "
			 "ON r.id = k.reporter_id WHERE k.prefix = ?1 AND k.revoked_at IS NULL",
	[Q_KEY_REVOKE] = "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
	[Q_SOURCE_GET] = "SELECT s.id, s.reports, s.reporters, s.first_seen, s.last_seen, c.id, c.state, c.opened_at, "
			 "c.updated_at FROM sources s LEFT JOIN cases c ON c.source_id = s.id "
			 "WHERE s.kind = ?1 AND s.value = ?2",
	[Q_SOURCE_BY_CHANNEL] = "SELECT r.channel, count(*) FROM report_sources rs JOIN reports r ON r.id = rs.report_id "
				"WHERE rs.source_id = ?1 GROUP BY r.channel ORDER BY r.channel",
	[Q_SOURCE_BY_DAY] = "SELECT date(r.received_at, 'unixepoch') AS d, count(*) FROM report_sources rs "
			    "JOIN reports r ON r.id = rs.report_id WHERE rs.source_id = ?1 GROUP BY d "
			    "ORDER BY d DESC LIMIT 90",
	[Q_CASE_GET] = "SELECT state, source_id FROM cases WHERE id = ?1",
	[Q_CASE_SET] = "UPDATE cases SET state = ?2, updated_at = ?3 WHERE id = ?1",
	[Q_CASE_FOR_SOURCE] = "SELECT c.id FROM cases c JOIN sources s ON s.id = c.source_id "
			      "WHERE s.kind = ?1 AND s.value = ?2",
	[Q_AUDIT_ADD] = "INSERT INTO audit_log (at, actor, action, object, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
	[Q_AUDIT_ALL] = "SELECT id, at, actor, action, object, reason FROM audit_log ORDER BY id DESC LIMIT ?1",
	[Q_AUDIT_OBJECT] = "SELECT id, at, actor, action, object, reason FROM audit_log WHERE object = ?2 "
			   "ORDER BY id DESC LIMIT ?1",
	[Q_STATS_DAYS] = "SELECT date(received_at, 'unixepoch') AS d, channel, count(*), sum(dup_count) FROM reports "
			 "WHERE received_at >= ?1 GROUP BY d, channel ORDER BY d, channel",
	[Q_STATS_TOP] = "SELECT kind, value, reports, reporters, last_seen FROM sources WHERE last_seen >= ?1 "
			"ORDER BY reports DESC, reporters DESC, value LIMIT 20",
	[Q_STATS_TOTALS] = "SELECT (SELECT count(*) FROM reports), (SELECT coalesce(sum(dup_count), 0) FROM reports), "
			   "(SELECT count(*) FROM sources), (SELECT count(*) FROM campaigns), "
			   "(SELECT count(*) FROM cases WHERE state = 'new')",
	[Q_REPORT_SEARCH] = "SELECT id, channel, reporter_id, received_at, origin, message_id, dup_count, campaign_id "
			    "FROM reports WHERE (?1 IS NULL OR reporter_id = ?1) "
			    "AND (?2 IS NULL OR id IN (SELECT rs.report_id FROM report_sources rs JOIN sources s "
			    "ON s.id = rs.source_id WHERE s.kind = ?2 AND s.value = ?3)) "
			    "AND (?4 IS NULL OR campaign_id = ?4) AND (?5 IS NULL OR channel = ?5) "
			    "AND received_at >= ?6 AND (?7 IS NULL OR received_at < ?7) AND (?8 IS NULL OR id < ?8) "
			    "ORDER BY id DESC LIMIT ?9",
	[Q_CAMPAIGN_GET] = "SELECT id, fingerprint, first_seen, last_seen, reports FROM campaigns WHERE id = ?1",
	[Q_CAMPAIGN_REPORTERS] = "SELECT count(DISTINCT reporter_id), coalesce(sum(dup_count), 0) FROM reports "
				 "WHERE campaign_id = ?1",
	[Q_CAMPAIGN_CHANNELS] = "SELECT channel, count(*) FROM reports WHERE campaign_id = ?1 GROUP BY channel "
				"ORDER BY channel",
	[Q_CAMPAIGN_SOURCES] = "SELECT s.kind, s.value, count(*) AS n FROM reports r JOIN report_sources rs "
			       "ON rs.report_id = r.id JOIN sources s ON s.id = rs.source_id WHERE r.campaign_id = ?1 "
			       "GROUP BY s.id ORDER BY n DESC, s.value LIMIT 20",
	[Q_CAMPAIGN_RECENT_REPORTS] = "SELECT id FROM reports WHERE campaign_id = ?1 ORDER BY id DESC LIMIT 20",
	[Q_REPORTERS_REJECTED] = "UPDATE reporters SET rejected = rejected + 1, "
				 "trust = max(0.05, 1.0 - (rejected + 1.0) / (reports + 4.0)) WHERE id IN "
				 "(SELECT reporter_id FROM source_reporters WHERE source_id = "
				 "(SELECT source_id FROM cases WHERE id = ?1))",
	[Q_SOURCE_WEIGHT] = "SELECT coalesce(sum(r.trust), 0) FROM source_reporters sr JOIN reporters r "
			    "ON r.id = sr.reporter_id WHERE sr.source_id = ?1",
	[Q_SWEEP_RAW] = "UPDATE reports SET raw = NULL WHERE id IN (SELECT id FROM reports WHERE received_at < ?1 "
			"AND raw IS NOT NULL LIMIT ?2)",
};

/* sq_fail - record SQLite's message and return RP_EDB. */
int sq_fail(struct sq *s, struct rp_diag *diag, const char *what)
{
	rp_diag_set(diag, 0, 0, "%s: %s", what, sqlite3_errmsg(s->db));
	return RP_EDB;
}

/* sq_stmt - the prepared statement id, reset and with bindings cleared; NULL on a prepare error. */
sqlite3_stmt *sq_stmt(struct sq *s, enum stmt_id id)
{
	if (s->stmt[id] == NULL) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[id], NULL) !=
		    SQLITE_OK)
			return NULL;
	} else {
		sqlite3_reset(s->stmt[id]);
		sqlite3_clear_bindings(s->stmt[id]);
	}
	return s->stmt[id];
}

/* sq_bind_text - bind a string or NULL. */
void sq_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* sq_col_dup - copy of a text column, or NULL. */
char *sq_col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? xstrdup((const char *)t) : NULL;
}

/* exec - run SQL without results. */
static int exec(struct sq *s, const char *sql, struct rp_diag *diag)
{
	char *err = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		rp_diag_set(diag, 0, 0, "%s", err ? err : sqlite3_errmsg(s->db));
		sqlite3_free(err);
		return RP_EDB;
	}
	return RP_OK;
}

/* sq_step_done - run a statement that returns no row. */
int sq_step_done(struct sq *s, sqlite3_stmt *st, struct rp_diag *diag, const char *what)
{
	if (st == NULL || sqlite3_step(st) != SQLITE_DONE)
		return sq_fail(s, diag, what);
	return RP_OK;
}

/* sq_now - Unix seconds. */
int64_t sq_now(void)
{
	return (int64_t)time(NULL);
}

/* user_version - PRAGMA user_version, or -1. */
static int user_version(struct sq *s)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* migrate - apply the missing migrations, each with its version bump in one transaction. */
static int migrate(struct sq *s, struct rp_diag *diag)
{
	int v = user_version(s);

	if (v < 0)
		return sq_fail(s, diag, "reading schema version");
	if (v > N_MIGRATIONS) {
		rp_diag_set(diag, 0, 0, "database schema version %d is newer than this program's %d", v,
			    N_MIGRATIONS);
		return RP_EUNSUPP;
	}
	for (; v < N_MIGRATIONS; v++) {
		char bump[64];
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
		if (exec(s, "BEGIN IMMEDIATE", diag) != RP_OK)
			return RP_EDB;
		if (exec(s, migrations[v], diag) != RP_OK || exec(s, bump, diag) != RP_OK) {
			char reason[sizeof(diag->reason)];
			snprintf(reason, sizeof(reason), "%s", diag ? diag->reason : "");
			exec(s, "ROLLBACK", NULL);
			rp_diag_set(diag, 0, 0, "migration %d: %s", v + 1, reason);
			return RP_EDB;
		}
		if (exec(s, "COMMIT", diag) != RP_OK)
			return RP_EDB;
	}
	return RP_OK;
}

#define CKPT_PAGES 1000  /* WAL pages that wake the checkpoint thread (SQLite's default) */
#define CKPT_INLINE 8000 /* WAL pages at which the committing connection checkpoints itself */
#define CKPT_REST 400    /* pages left over by the thread that the committing connection copies */

/* The checkpoint thread of one connection; the WAL hook's argument. */
struct ckpt {
	char *path;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started, due, stopping, running;
	int backfilled; /* WAL frames copied back by the thread's last checkpoint */
	pthread_t thread;
};

/* ckpt_main - run a PASSIVE checkpoint on a connection of its own each time one is due. */
static void *ckpt_main(void *arg)
{
	struct ckpt *c = arg;
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		db = NULL; /* the inline checkpoint at CKPT_INLINE pages still bounds the WAL */
	}
	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		if (!c->due) {
			pthread_cond_wait(&c->cond, &c->lock);
			continue;
		}
		c->due = false;
		c->running = true;
		pthread_mutex_unlock(&c->lock);
		int copied = 0;
		if (db != NULL && sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, &copied) != SQLITE_OK)
			copied = 0;
		pthread_mutex_lock(&c->lock);
		c->running = false;
		c->backfilled = copied;
	}
	pthread_mutex_unlock(&c->lock);
	sqlite3_close(db);
	return NULL;
}

/* ckpt_hook - the WAL hook after each commit: past CKPT_PAGES, wake the checkpoint thread,
 * or copy the rest itself once the thread is nearly done (see the top of the file). */
static int ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct ckpt *c = arg;
	bool inline_now = pages >= CKPT_INLINE || c->path == NULL;

	pthread_mutex_lock(&c->lock);
	if (pages < CKPT_PAGES) {
		c->backfilled = 0; /* the WAL was restarted */
	} else if (!c->running && c->backfilled > 0 && pages - c->backfilled <= CKPT_REST) {
		inline_now = true;
		c->backfilled = 0;
	} else if (!inline_now && !c->running) {
		if (!c->started && !c->stopping)
			c->started = pthread_create(&c->thread, NULL, ckpt_main, c) == 0;
		c->due = true;
		pthread_cond_signal(&c->cond);
		inline_now = !c->started; /* no thread: checkpoint here, as SQLite would */
	}
	pthread_mutex_unlock(&c->lock);
	if (inline_now && pages >= CKPT_PAGES)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/* ckpt_attach - replace the automatic checkpoint with ckpt_hook (every open connection has
 * it, so ckpt_detach always finds its own argument: never use PRAGMA wal_autocheckpoint or
 * sqlite3_wal_hook on these connections elsewhere). */
static void ckpt_attach(struct sq *s)
{
	const char *path = sqlite3_db_filename(s->db, "main");
	struct ckpt *c = xcalloc(1, sizeof(*c));

	if (path != NULL && path[0] != '\0') /* else temporary or in-memory: checkpoints inline */
		c->path = xstrdup(path);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	sqlite3_wal_hook(s->db, ckpt_hook, c);
}

/* ckpt_detach - remove the hook, stop and join the checkpoint thread. */
static void ckpt_detach(struct sq *s)
{
	struct ckpt *c = sqlite3_wal_hook(s->db, NULL, NULL);

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (c->started)
		pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	xfree(c->path);
	xfree(c);
}

/* sq_close - finalise statements and close the connection. */
static void sq_close(void *impl)
{
	struct sq *s = impl;

	if (s == NULL)
		return;
	if (s->in_txn)
		exec(s, "ROLLBACK", NULL);
	for (int i = 0; i < Q_N; i++)
		sqlite3_finalize(s->stmt[i]);
	sq_lcache_free(s);
	s->camps = sq_camps_free(s->camps);
	if (s->db != NULL)
		ckpt_detach(s);
	sqlite3_close(s->db);
	xfree(s);
}

/* sq_open - open with WAL, synchronous=FULL, a busy timeout and foreign keys; migrate. */
static int sq_open(const struct rp_store_config *cfg, void **impl, struct rp_diag *diag)
{
	struct sq *s = xcalloc(1, sizeof(*s));
	char pragmas[256];

	s->campaign_scan = cfg->campaign_scan;
	s->fp_match = cfg->fp_match;
	int orc = sqlite3_open_v2(cfg->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				  NULL);
	if (s->db != NULL)
		ckpt_attach(s);
	if (orc != SQLITE_OK) {
		rp_diag_set(diag, 0, 0, "%s: %s", cfg->path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
		sq_close(s);
		return RP_EDB;
	}
	sqlite3_extended_result_codes(s->db, 1);
	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA busy_timeout = %ld; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
		 "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
		 cfg->busy_timeout_ms);
	int rc = exec(s, pragmas, diag);
	if (rc == RP_OK)
		rc = migrate(s, diag);
	if (rc != RP_OK) {
		char reason[sizeof(diag->reason)];
		snprintf(reason, sizeof(reason), "%s", diag ? diag->reason : "");
		rp_diag_set(diag, 0, 0, "%s: %s", cfg->path, reason);
		sq_close(s);
		return rc;
	}
	*impl = s;
	return RP_OK;
}

/* sq_schema_version - PRAGMA user_version. */
static int sq_schema_version(void *impl)
{
	return user_version(impl);
}

/* rp_store_schema_latest - the version migrations[] brings a database to. */
int rp_store_schema_latest(void)
{
	return N_MIGRATIONS;
}

/* sq_begin - BEGIN IMMEDIATE: take the write lock now, not at the first write. */
static int sq_begin(void *impl, struct rp_diag *diag)
{
	struct sq *s = impl;

	if (exec(s, "BEGIN IMMEDIATE", diag) != RP_OK)
		return RP_EDB;
	s->in_txn = true;
	return RP_OK;
}

/* sq_commit - COMMIT; with synchronous=FULL it returns after the WAL is fsynced. */
static int sq_commit(void *impl, struct rp_diag *diag)
{
	struct sq *s = impl;

	if (exec(s, "COMMIT", diag) != RP_OK) {
		exec(s, "ROLLBACK", NULL);
		sq_camps_forget(s);
		s->in_txn = false;
		return RP_EDB;
	}
	s->in_txn = false;
	return RP_OK;
}

/* sq_rollback - abandon the open transaction. */
static int sq_rollback(void *impl)
{
	struct sq *s = impl;

	s->in_txn = false;
	sq_camps_forget(s);
	return exec(s, "ROLLBACK", NULL);
}

/* savepoint - start a call's own savepoint: atomic inside or outside a group transaction. */
static int savepoint(struct sq *s, struct rp_diag *diag)
{
	return exec(s, "SAVEPOINT call", diag);
}

/* release - keep the call's changes. */
static int release(struct sq *s, struct rp_diag *diag)
{
	return exec(s, "RELEASE call", diag);
}

/* undo - drop the call's changes. */
static void undo(struct sq *s)
{
	exec(s, "ROLLBACK TO call", NULL);
	exec(s, "RELEASE call", NULL);
	sq_camps_forget(s);
}

/* fp_pack - a fingerprint as little-endian 32-bit words: slots, then n_features. */
static void fp_pack(const struct rp_fingerprint *fp, unsigned char out[(RP_FP_SLOTS + 1) * 4])
{
	for (int i = 0; i <= RP_FP_SLOTS; i++) {
		uint32_t v = i < RP_FP_SLOTS ? fp->slot[i] : fp->n_features;
		for (int b = 0; b < 4; b++)
			out[i * 4 + b] = (unsigned char)(v >> (8 * b));
	}
}

/* fp_unpack - the inverse of fp_pack; false when the blob has the wrong size. */
static bool fp_unpack(const void *blob, int len, struct rp_fingerprint *fp)
{
	const unsigned char *p = blob;

	if (blob == NULL || len != (RP_FP_SLOTS + 1) * 4)
		return false;
	for (int i = 0; i <= RP_FP_SLOTS; i++) {
		uint32_t v = 0;
		for (int b = 0; b < 4; b++)
			v |= (uint32_t)p[i * 4 + b] << (8 * b);
		if (i < RP_FP_SLOTS)
			fp->slot[i] = v;
		else
			fp->n_features = v;
	}
	return true;
}

/* fp_same - the configured matcher, or equality. */
static bool fp_same(struct sq *s, const struct rp_fingerprint *a, const struct rp_fingerprint *b)
{
	if (s->fp_match != NULL)
		return s->fp_match(a, b);
	return memcmp(a->slot, b->slot, sizeof(a->slot)) == 0 && a->n_features == b->n_features;
}

/* find_duplicate - an earlier report of the same reporter with this Message-ID, or with the
 * same fingerprint and origin; bumps its count. Returns 1 when found, 0 when not, or RP_EDB. */
static int find_duplicate(struct sq *s, const struct rp_report_in *in, struct rp_report_result *res,
			  struct rp_diag *diag)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (in->message_id != NULL && in->message_id[0] != '\0') {
		if ((st = sq_stmt(s, Q_DUP_MSGID)) == NULL)
			return sq_fail(s, diag, "duplicate lookup");
		sq_bind_text(st, 1, in->reporter_id);
		sq_bind_text(st, 2, in->message_id);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	if (!found && in->fingerprint != NULL && in->origin != NULL) {
		if ((st = sq_stmt(s, Q_DUP_FP)) == NULL)
			return sq_fail(s, diag, "duplicate lookup");
		sq_bind_text(st, 1, in->reporter_id);
		sq_bind_text(st, 2, in->fingerprint);
		sq_bind_text(st, 3, in->origin);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	if (!found)
		return 0;
	snprintf(res->id, sizeof(res->id), "%s", (const char *)sqlite3_column_text(st, 0));
	res->dup_count = (long)sqlite3_column_int64(st, 1) + 1;
	res->campaign_id = sqlite3_column_int64(st, 2);
	res->duplicate = true;
	sqlite3_reset(st);
	if ((st = sq_stmt(s, Q_DUP_BUMP)) == NULL)
		return sq_fail(s, diag, "duplicate count");
	sq_bind_text(st, 1, res->id);
	sqlite3_bind_int64(st, 2, in->received_at);
	return sq_step_done(s, st, diag, "duplicate count") == RP_OK ? 1 : RP_EDB;
}

/* campaign_assign - the id of the recent campaign whose fingerprint matches, else a new one. */
static int campaign_assign(struct sq *s, const struct rp_report_in *in, int64_t *campaign_id, struct rp_diag *diag)
{
	struct rp_fingerprint other;
	unsigned char blob[(RP_FP_SLOTS + 1) * 4];
	sqlite3_stmt *st;
	int64_t found = 0;

	*campaign_id = 0;
	if (in->fp == NULL || in->fp->n_features == 0)
		return RP_OK;
	if (s->in_txn) { /* group transactions use the copy in memory (store_sqlite_campaign.c) */
		if (sq_camps_find(s, in->fp, fp_same, &found, diag) != RP_OK)
			return RP_EDB;
	} else {
		if ((st = sq_stmt(s, Q_CAMPAIGN_RECENT)) == NULL)
			return sq_fail(s, diag, "campaign lookup");
		sqlite3_bind_int64(st, 1, (sqlite3_int64)s->campaign_scan);
		while (found == 0 && sqlite3_step(st) == SQLITE_ROW)
			if (fp_unpack(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), &other) &&
			    fp_same(s, in->fp, &other))
				found = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	if (found != 0) {
		st = sq_stmt(s, Q_CAMPAIGN_BUMP);
		if (st == NULL)
			return sq_fail(s, diag, "campaign update");
		sqlite3_bind_int64(st, 1, found);
		sqlite3_bind_int64(st, 2, in->received_at);
		*campaign_id = found;
		if (sq_step_done(s, st, diag, "campaign update") != RP_OK)
			return RP_EDB;
		sq_camps_touched(s, found, in->fp, in->received_at);
		return RP_OK;
	}
	fp_pack(in->fp, blob);
	if ((st = sq_stmt(s, Q_CAMPAIGN_NEW)) == NULL)
		return sq_fail(s, diag, "new campaign");
	sq_bind_text(st, 1, in->fingerprint);
	sqlite3_bind_blob(st, 2, blob, sizeof(blob), SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, in->received_at);
	if (sq_step_done(s, st, diag, "new campaign") != RP_OK)
		return RP_EDB;
	*campaign_id = sqlite3_last_insert_rowid(s->db);
	sq_camps_touched(s, *campaign_id, in->fp, in->received_at);
	return RP_OK;
}

/* insert_report - the report row itself, and the reporter's count. */
static int insert_report(struct sq *s, const struct rp_report_in *in, const char *id, int64_t campaign_id,
			 struct rp_diag *diag)
{
	sqlite3_stmt *st = sq_stmt(s, Q_REPORT_INSERT);

	if (st == NULL)
		return sq_fail(s, diag, "report insert");
	sq_bind_text(st, 1, id);
	sq_bind_text(st, 2, in->channel);
	sq_bind_text(st, 3, in->reporter_id);
	sqlite3_bind_int64(st, 4, in->received_at);
	if (in->raw != NULL)
		sqlite3_bind_blob64(st, 5, in->raw, in->raw_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)in->raw_len);
	sq_bind_text(st, 7, in->evidence_json);
	sq_bind_text(st, 8, in->message_id && in->message_id[0] ? in->message_id : NULL);
	sq_bind_text(st, 9, in->fingerprint);
	sq_bind_text(st, 10, in->origin);
	if (campaign_id != 0)
		sqlite3_bind_int64(st, 11, campaign_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
		sqlite3_reset(st);
		rp_diag_set(diag, 0, 0, "unknown reporter %s", in->reporter_id);
		return RP_EINVAL;
	}
	if (rc != SQLITE_DONE)
		return sq_fail(s, diag, "report insert");
	if ((st = sq_stmt(s, Q_REPORTER_BUMP)) == NULL)
		return sq_fail(s, diag, "reporter count");
	sq_bind_text(st, 1, in->reporter_id);
	return sq_step_done(s, st, diag, "reporter count");
}

/* bump_if_changed - run the counter update when the previous insert added a row. */
static int bump_if_changed(struct sq *s, enum stmt_id id, int64_t source_id, struct rp_diag *diag)
{
	if (sqlite3_changes(s->db) == 0)
		return RP_OK;
	sqlite3_stmt *st = sq_stmt(s, id);
	if (st == NULL)
		return sq_fail(s, diag, "source count");
	sqlite3_bind_int64(st, 1, source_id);
	return sq_step_done(s, st, diag, "source count");
}

/* link_source - upsert one source, link it to the report, count reports and distinct
 * reporters, open its case when new. */
static int link_source(struct sq *s, const struct rp_report_in *in, const char *id, const struct rp_source_ref *src,
		       struct rp_diag *diag)
{
	sqlite3_stmt *st = sq_stmt(s, Q_SOURCE_UPSERT);
	int64_t sid;

	if (st == NULL)
		return sq_fail(s, diag, "source upsert");
	sq_bind_text(st, 1, rp_source_kind_name(src->kind));
	sq_bind_text(st, 2, src->value);
	sqlite3_bind_int64(st, 3, in->received_at);
	if (sqlite3_step(st) != SQLITE_ROW)
		return sq_fail(s, diag, "source upsert");
	sid = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if ((st = sq_stmt(s, Q_REPORT_SOURCE)) == NULL)
		return sq_fail(s, diag, "report source");
	sq_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, sid);
	if (sq_step_done(s, st, diag, "report source") != RP_OK || bump_if_changed(s, Q_SOURCE_REPORTS, sid, diag) != RP_OK)
		return RP_EDB;
	if ((st = sq_stmt(s, Q_SOURCE_REPORTER)) == NULL)
		return sq_fail(s, diag, "source reporter");
	sqlite3_bind_int64(st, 1, sid);
	sq_bind_text(st, 2, in->reporter_id);
	sqlite3_bind_int64(st, 3, in->received_at);
	if (sq_step_done(s, st, diag, "source reporter") != RP_OK ||
	    bump_if_changed(s, Q_SOURCE_REPORTERS, sid, diag) != RP_OK)
		return RP_EDB;
	if ((st = sq_stmt(s, Q_CASE_OPEN)) == NULL)
		return sq_fail(s, diag, "case open");
	sqlite3_bind_int64(st, 1, sid);
	sqlite3_bind_int64(st, 2, in->received_at);
	return sq_step_done(s, st, diag, "case open");
}

/* add_new_report - campaign, row, sources (inside the caller's savepoint). */
static int add_new_report(struct sq *s, const struct rp_report_in *in, const char *id,
			  struct rp_report_result *res, struct rp_diag *diag)
{
	int rc = campaign_assign(s, in, &res->campaign_id, diag);

	if (rc == RP_OK)
		rc = insert_report(s, in, id, res->campaign_id, diag);
	for (size_t i = 0; rc == RP_OK && i < in->n_sources; i++)
		rc = link_source(s, in, id, &in->sources[i], diag);
	if (rc == RP_OK)
		snprintf(res->id, sizeof(res->id), "%s", id);
	return rc;
}

/* sq_report_add - merge a duplicate or add a new report, atomically. */
static int sq_report_add(void *impl, const struct rp_report_in *in, const char *new_id,
			 struct rp_report_result *res, struct rp_diag *diag)
{
	struct sq *s = impl;
	struct rp_report_in copy = *in;

	if (copy.fp != NULL && copy.fp->n_features == 0) {
		copy.fp = NULL; /* too little text: neither a campaign nor a duplicate key */
		copy.fingerprint = NULL;
	}
	if (savepoint(s, diag) != RP_OK)
		return RP_EDB;
	int rc = find_duplicate(s, &copy, res, diag);
	if (rc == 0)
		rc = add_new_report(s, &copy, new_id, res, diag);
	else if (rc == 1)
		rc = RP_OK;
	if (rc != RP_OK) {
		undo(s);
		memset(res, 0, sizeof(*res));
		return rc;
	}
	return release(s, diag);
}

/* sq_reporter_add - insert a reporter; RP_EEXIST when the name is taken. */
static int sq_reporter_add(void *impl, const char *id, const char *name, const char *role, struct rp_diag *diag)
{
	struct sq *s = impl;
	sqlite3_stmt *st = sq_stmt(s, Q_REPORTER_ADD);

	if (st == NULL)
		return sq_fail(s, diag, "reporter insert");
	sq_bind_text(st, 1, id);
	sq_bind_text(st, 2, name);
	sq_bind_text(st, 3, role);
	sqlite3_bind_int64(st, 4, sq_now());
	int rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		sqlite3_reset(st);
		rp_diag_set(diag, 0, 0, "a reporter named \"%s\" exists", name);
		return RP_EEXIST;
	}
	return rc == SQLITE_DONE ? RP_OK : sq_fail(s, diag, "reporter insert");
}

/* sq_key_add - store a key's prefix and hash. */
static int sq_key_add(void *impl, const char *reporter_id, const char *role, const char *prefix, const char *hash_hex,
		      int64_t *key_id, struct rp_diag *diag)
{
	struct sq *s = impl;
	sqlite3_stmt *st = sq_stmt(s, Q_KEY_ADD);

	if (st == NULL)
		return sq_fail(s, diag, "key insert");
	sq_bind_text(st, 1, reporter_id);
	sq_bind_text(st, 2, role);
	sq_bind_text(st, 3, prefix);
	sq_bind_text(st, 4, hash_hex);
	sqlite3_bind_int64(st, 5, sq_now());
	int rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
		sqlite3_reset(st);
		rp_diag_set(diag, 0, 0, "unknown reporter %s", reporter_id);
		return RP_ENOTFOUND;
	}
	if (rc != SQLITE_DONE)
		return sq_fail(s, diag, "key insert");
	*key_id = sqlite3_last_insert_rowid(s->db);
	return RP_OK;
}

/* sq_key_revoke - mark a key revoked; RP_ENOTFOUND when no active key has this id. */
static int sq_key_revoke(void *impl, int64_t key_id, struct rp_diag *diag)
{
	struct sq *s = impl;
	sqlite3_stmt *st = sq_stmt(s, Q_KEY_REVOKE);

	if (st == NULL)
		return sq_fail(s, diag, "key revoke");
	sqlite3_bind_int64(st, 1, key_id);
	sqlite3_bind_int64(st, 2, sq_now());
	if (sq_step_done(s, st, diag, "key revoke") != RP_OK)
		return RP_EDB;
	return sqlite3_changes(s->db) == 1 ? RP_OK : RP_ENOTFOUND;
}

/* audit_insert - one audit row (no savepoint of its own). */
static int audit_insert(struct sq *s, const char *actor, const char *action, const char *object, const char *reason,
			struct rp_diag *diag)
{
	sqlite3_stmt *st = sq_stmt(s, Q_AUDIT_ADD);

	if (st == NULL)
		return sq_fail(s, diag, "audit append");
	sqlite3_bind_int64(st, 1, sq_now());
	sq_bind_text(st, 2, actor);
	sq_bind_text(st, 3, action);
	sq_bind_text(st, 4, object);
	sq_bind_text(st, 5, reason);
	return sq_step_done(s, st, diag, "audit append");
}

/* case_change - check and apply a transition, and audit it. */
static int case_change(struct sq *s, int64_t case_id, enum rp_case_state to, const char *actor, const char *reason,
		       struct rp_diag *diag)
{
	enum rp_case_state from;
	char object[48], action[64];
	int rc = sq_case_state(s, case_id, &from);

	if (rc != RP_OK) {
		rp_diag_set(diag, 0, 0, "no case %lld", (long long)case_id);
		return rc;
	}
	if (!rp_case_transition_valid(from, to)) {
		rp_diag_set(diag, 0, 0, "case %lld cannot go from %s to %s", (long long)case_id,
			    rp_case_state_name(from), rp_case_state_name(to));
		return RP_EINVAL;
	}
	sqlite3_stmt *st = sq_stmt(s, Q_CASE_SET);
	if (st == NULL)
		return sq_fail(s, diag, "case update");
	sqlite3_bind_int64(st, 1, case_id);
	sq_bind_text(st, 2, rp_case_state_name(to));
	sqlite3_bind_int64(st, 3, sq_now());
	if (sq_step_done(s, st, diag, "case update") != RP_OK)
		return RP_EDB;
	if (to == RP_CASE_REJECTED) { /* the source's reporters weigh less from now on */
		if ((st = sq_stmt(s, Q_REPORTERS_REJECTED)) == NULL)
			return sq_fail(s, diag, "reporter trust");
		sqlite3_bind_int64(st, 1, case_id);
		if (sq_step_done(s, st, diag, "reporter trust") != RP_OK)
			return RP_EDB;
	}
	snprintf(object, sizeof(object), "case:%lld", (long long)case_id);
	snprintf(action, sizeof(action), "case.%s->%s", rp_case_state_name(from), rp_case_state_name(to));
	return audit_insert(s, actor, action, object, reason, diag);
}

/* sq_case_transition - the audited transition in one savepoint. */
static int sq_case_transition(void *impl, int64_t case_id, enum rp_case_state to, const char *actor,
			      const char *reason, struct rp_diag *diag)
{
	struct sq *s = impl;

	if (savepoint(s, diag) != RP_OK)
		return RP_EDB;
	int rc = case_change(s, case_id, to, actor, reason, diag);
	if (rc != RP_OK) {
		undo(s);
		return rc;
	}
	return release(s, diag);
}

/* sq_audit_append - one audit record. */
static int sq_audit_append(void *impl, const char *actor, const char *action, const char *object, const char *reason,
			   struct rp_diag *diag)
{
	return audit_insert(impl, actor, action, object, reason, diag);
}

/* sweep - drop raw originals and audit how many (inside the caller's savepoint). */
static int sweep(struct sq *s, int64_t before, size_t limit, int64_t *n, struct rp_diag *diag)
{
	sqlite3_stmt *st = sq_stmt(s, Q_SWEEP_RAW);
	char why[96];

	if (st == NULL)
		return sq_fail(s, diag, "retention sweep");
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	if (sq_step_done(s, st, diag, "retention sweep") != RP_OK)
		return RP_EDB;
	*n = sqlite3_changes(s->db);
	if (*n == 0)
		return RP_OK;
	snprintf(why, sizeof(why), "%lld raw originals received before %lld", (long long)*n, (long long)before);
	return audit_insert(s, "system", "retention.sweep", "reports", why, diag);
}

/* sq_sweep_raw - the retention sweep in one savepoint. */
static int sq_sweep_raw(void *impl, int64_t before, size_t limit, int64_t *n, struct rp_diag *diag)
{
	struct sq *s = impl;

	if (savepoint(s, diag) != RP_OK)
		return RP_EDB;
	int rc = sweep(s, before, limit, n, diag);
	if (rc != RP_OK) {
		undo(s);
		*n = 0;
		return rc;
	}
	return release(s, diag);
}

const struct rp_store_ops rp_store_sqlite_ops = {
	.scheme = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.schema_version = sq_schema_version,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.report_add = sq_report_add,
	.report_get = sq_report_get,
	.report_count = sq_report_count,
	.reporter_add = sq_reporter_add,
	.reporter_find = sq_reporter_find,
	.key_add = sq_key_add,
	.key_lookup = sq_key_lookup,
	.key_revoke = sq_key_revoke,
	.source_json = sq_source_json,
	.stats_json = sq_stats_json,
	.case_transition = sq_case_transition,
	.case_state = sq_case_state,
	.case_for_source = sq_case_for_source,
	.audit_append = sq_audit_append,
	.audit_json = sq_audit_json,
	.report_search_json = sq_report_search_json,
	.campaign_json = sq_campaign_json,
	.sweep_raw = sq_sweep_raw,
	.listing = &sq_listing_ops,
	.users = &sq_user_ops,
	.provider = &sq_provider_ops,
};
