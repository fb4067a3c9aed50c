/* store_sqlite_listing.c - the SQLite back end of the listing storage (struct
 * rp_store_listing_ops in include/repute/listing.h): listings, the provider registry,
 * non-report evidence (trap hits, relay findings, confirmations) and delisting requests.
 * Tables: migration 2 in store_sqlite.c, documented in docs/schema.md.
 * Every mutating call runs in its own SAVEPOINT with its audit record, like the rest of the
 * store. Statements are prepared per call: these calls are rare next to report intake. */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "repute/alloc.h"
#include "repute/listing.h"

#include "store_sqlite_int.h"

/* lexec - run SQL without results; RP_EDB with diag. */
static int lexec(struct sq *s, const char *sql, struct rp_diag *diag)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(s, diag, sql);
	return RP_OK;
}

#define LCACHE_SLOTS 64

/* The listing thread runs these queries over and over: preparing each one per call cost a
 * fifth of reputed's CPU under intake load. Statements are kept per connection, keyed by
 * their SQL text, and handed out one user at a time (a nested use of the same text gets a
 * statement of its own, finalized on release). */
struct sq_lcache {
	struct {
		char *sql;
		sqlite3_stmt *st;
		bool busy;
	} slot[LCACHE_SLOTS];
	size_t n;
};

/* lprep - a prepared statement for sql, reset and unbound; NULL (diag set) on error.
 * Give it back with lrelease. */
static sqlite3_stmt *lprep(struct sq *s, const char *sql, struct rp_diag *diag)
{
	struct sq_lcache *c = s->lcache ? s->lcache : (s->lcache = xcalloc(1, sizeof(*s->lcache)));
	sqlite3_stmt *st = NULL;

	for (size_t i = 0; i < c->n; i++)
		if (!c->slot[i].busy && strcmp(c->slot[i].sql, sql) == 0) {
			c->slot[i].busy = true;
			return c->slot[i].st;
		}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		sq_fail(s, diag, "prepare");
		sqlite3_finalize(st);
		return NULL;
	}
	if (c->n < LCACHE_SLOTS) {
		c->slot[c->n].sql = xstrdup(sql);
		c->slot[c->n].st = st;
		c->slot[c->n++].busy = true;
	}
	return st;
}

/* lrelease - give a statement from lprep back (reset for its next use); NULL is ignored. */
static void lrelease(struct sq *s, sqlite3_stmt *st)
{
	struct sq_lcache *c = s->lcache;

	if (st == NULL)
		return;
	for (size_t i = 0; c != NULL && i < c->n; i++)
		if (c->slot[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			c->slot[i].busy = false;
			return;
		}
	sqlite3_finalize(st); /* not cached: the cache was full or the text was in use */
}

void sq_lcache_free(struct sq *s)
{
	struct sq_lcache *c = s->lcache;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		sqlite3_finalize(c->slot[i].st);
		xfree(c->slot[i].sql);
	}
	s->lcache = xfree(c);
}

/* lrun - step a statement that returns no row and release it. */
static int lrun(struct sq *s, sqlite3_stmt *st, struct rp_diag *diag, const char *what)
{
	int rc = sq_step_done(s, st, diag, what);

	lrelease(s, st);
	return rc;
}

/* begin_call - the call's savepoint. */
static int begin_call(struct sq *s, struct rp_diag *diag)
{
	return lexec(s, "SAVEPOINT listing", diag);
}

/* end_call - release the savepoint on success, roll it back on failure; returns rc. */
static int end_call(struct sq *s, int rc, struct rp_diag *diag)
{
	if (rc == RP_OK)
		return lexec(s, "RELEASE listing", diag);
	sqlite3_exec(s->db, "ROLLBACK TO listing; RELEASE listing", NULL, NULL, NULL);
	return rc;
}

/* audit - append one audit record at now. */
static int audit(struct sq *s, int64_t now, const char *actor, const char *action, const char *object,
		 const char *reason, struct rp_diag *diag)
{
	sqlite3_stmt *st = lprep(s, "INSERT INTO audit_log (at, actor, action, object, reason) VALUES (?1,?2,?3,?4,?5)",
				 diag);

	if (st == NULL)
		return RP_EDB;
	sqlite3_bind_int64(st, 1, now);
	sq_bind_text(st, 2, actor);
	sq_bind_text(st, 3, action);
	sq_bind_text(st, 4, object);
	sq_bind_text(st, 5, reason);
	return lrun(s, st, diag, "audit");
}

/* object_name - "listing:KIND:VALUE" into buf. */
static const char *object_name(const char *prefix, const char *kind, const char *value, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s:%s", prefix, kind, value);
	return buf;
}

#define LISTING_COLS                                                                                           \
	"id, kind, value, reason, score, summary, actor, listed_at, expires_at, evidence, collateral, "        \
	"coalesce(ended_at, 0)"

/* row_listing - one row of LISTING_COLS into l. */
static void row_listing(sqlite3_stmt *st, struct rp_listing *l)
{
	const char *t;

	memset(l, 0, sizeof(*l));
	l->id = sqlite3_column_int64(st, 0);
	snprintf(l->kind, sizeof(l->kind), "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(l->value, sizeof(l->value), "%s", (const char *)sqlite3_column_text(st, 2));
	t = (const char *)sqlite3_column_text(st, 3);
	if (t == NULL || rp_list_reason_parse(t, &l->reason) != RP_OK)
		l->reason = RP_LIST_NONE;
	l->score = sqlite3_column_double(st, 4);
	snprintf(l->summary, sizeof(l->summary), "%s", (const char *)sqlite3_column_text(st, 5));
	snprintf(l->actor, sizeof(l->actor), "%s", (const char *)sqlite3_column_text(st, 6));
	l->listed_at = sqlite3_column_int64(st, 7);
	l->expires_at = sqlite3_column_int64(st, 8);
	l->evidence = (long)sqlite3_column_int64(st, 9);
	l->collateral = (long)sqlite3_column_int64(st, 10);
	l->ended_at = sqlite3_column_int64(st, 11);
}

/* sl_get - the active listing of a source. */
static int sl_get(void *impl, const char *kind, const char *value, struct rp_listing *out)
{
	struct sq *s = impl;
	sqlite3_stmt *st = lprep(s, "SELECT " LISTING_COLS " FROM listings WHERE kind = ?1 AND value = ?2 "
				    "AND ended_at IS NULL", NULL);
	int rc = RP_ENOTFOUND;

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, kind);
	sq_bind_text(st, 2, value);
	if (sqlite3_step(st) == SQLITE_ROW) {
		row_listing(st, out);
		rc = RP_OK;
	}
	lrelease(s, st);
	return rc;
}

/* put_update - refresh an active listing (the expiry never shortens; 0 stays 0). */
static int put_update(struct sq *s, const struct rp_listing *l, int64_t id, struct rp_diag *diag)
{
	sqlite3_stmt *st = lprep(s, "UPDATE listings SET reason = ?2, score = ?3, summary = ?4, "
				    "expires_at = CASE WHEN expires_at = 0 OR ?5 = 0 THEN 0 ELSE max(expires_at, ?5) END, "
				    "evidence = ?6, collateral = ?7 WHERE id = ?1", diag);

	if (st == NULL)
		return RP_EDB;
	sqlite3_bind_int64(st, 1, id);
	sq_bind_text(st, 2, rp_list_reason_name(l->reason));
	sqlite3_bind_double(st, 3, l->score);
	sq_bind_text(st, 4, l->summary);
	sqlite3_bind_int64(st, 5, l->expires_at);
	sqlite3_bind_int64(st, 6, l->evidence);
	sqlite3_bind_int64(st, 7, l->collateral);
	return lrun(s, st, diag, "listing update");
}

/* put_insert - a new active listing. */
static int put_insert(struct sq *s, const struct rp_listing *l, int64_t now, int64_t *id, struct rp_diag *diag)
{
	sqlite3_stmt *st = lprep(s, "INSERT INTO listings (kind, value, reason, score, summary, actor, listed_at, "
				    "expires_at, evidence, collateral) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)", diag);

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, l->kind);
	sq_bind_text(st, 2, l->value);
	sq_bind_text(st, 3, rp_list_reason_name(l->reason));
	sqlite3_bind_double(st, 4, l->score);
	sq_bind_text(st, 5, l->summary);
	sq_bind_text(st, 6, l->actor);
	sqlite3_bind_int64(st, 7, l->listed_at ? l->listed_at : now);
	sqlite3_bind_int64(st, 8, l->expires_at);
	sqlite3_bind_int64(st, 9, l->evidence);
	sqlite3_bind_int64(st, 10, l->collateral);
	int rc = lrun(s, st, diag, "listing insert");
	if (rc == RP_OK && id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

/* sl_put - insert or update, with its audit record, in one savepoint. */
static int sl_put(void *impl, const struct rp_listing *l, int64_t now, int64_t *id, struct rp_diag *diag)
{
	struct sq *s = impl;
	struct rp_listing old;
	char obj[160], why[256];
	bool update = sl_get(s, l->kind, l->value, &old) == RP_OK;
	int rc = begin_call(s, diag);

	if (rc != RP_OK)
		return rc;
	if (update) {
		rc = put_update(s, l, old.id, diag);
		if (id != NULL)
			*id = old.id;
	} else {
		rc = put_insert(s, l, now, id, diag);
	}
	snprintf(why, sizeof(why), "%s; expires %lld; %s", rp_list_reason_name(l->reason), (long long)l->expires_at,
		 l->summary);
	if (rc == RP_OK)
		rc = audit(s, now, l->actor, update ? "listing.update" : "listing.add",
			   object_name("listing", l->kind, l->value, obj, sizeof(obj)), why, diag);
	return end_call(s, rc, diag);
}

/* end_row - mark one active listing ended. */
static int end_row(struct sq *s, const char *kind, const char *value, const char *how, const char *actor,
		   const char *reason, int64_t now, struct rp_diag *diag)
{
	sqlite3_stmt *st = lprep(s, "UPDATE listings SET ended_at = ?3, end_how = ?4, end_actor = ?5, "
				    "end_reason = ?6 WHERE kind = ?1 AND value = ?2 AND ended_at IS NULL", diag);
	char obj[160], action[48];

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, kind);
	sq_bind_text(st, 2, value);
	sqlite3_bind_int64(st, 3, now);
	sq_bind_text(st, 4, how);
	sq_bind_text(st, 5, actor);
	sq_bind_text(st, 6, reason);
	int rc = lrun(s, st, diag, "listing end");
	if (rc != RP_OK)
		return rc;
	if (sqlite3_changes(s->db) == 0) {
		rp_diag_set(diag, 0, 0, "%s %s is not listed", kind, value);
		return RP_ENOTFOUND;
	}
	snprintf(action, sizeof(action), "listing.%s", how);
	return audit(s, now, actor, action, object_name("listing", kind, value, obj, sizeof(obj)), reason, diag);
}

/* sl_end - end the active listing in one savepoint. */
static int sl_end(void *impl, const char *kind, const char *value, const char *how, const char *actor,
		  const char *reason, int64_t now, struct rp_diag *diag)
{
	struct sq *s = impl;
	int rc = begin_call(s, diag);

	if (rc != RP_OK)
		return rc;
	return end_call(s, end_row(s, kind, value, how, actor, reason, now, diag), diag);
}

/* expire_all - end each expired listing (inside the caller's savepoint). */
static int expire_all(struct sq *s, int64_t now, long *n, struct rp_diag *diag)
{
	sqlite3_stmt *st = lprep(s, "SELECT kind, value FROM listings WHERE ended_at IS NULL AND expires_at > 0 "
				    "AND expires_at <= ?1 ORDER BY id", diag);
	int rc = RP_OK;

	if (st == NULL)
		return RP_EDB;
	sqlite3_bind_int64(st, 1, now);
	/* collect first: ending rows while the SELECT runs would disturb it */
	struct { char kind[16], value[128]; } *rows = NULL;
	size_t nr = 0, cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (nr == cap) {
			cap = cap ? cap * 2 : 16;
			rows = xreallocarray(rows, cap, sizeof(*rows));
		}
		snprintf(rows[nr].kind, sizeof(rows[nr].kind), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(rows[nr].value, sizeof(rows[nr].value), "%s", (const char *)sqlite3_column_text(st, 1));
		nr++;
	}
	lrelease(s, st);
	for (size_t i = 0; i < nr && rc == RP_OK; i++)
		rc = end_row(s, rows[i].kind, rows[i].value, "expired", "system", "expiry reached", now, diag);
	xfree(rows);
	*n = rc == RP_OK ? (long)nr : 0;
	return rc;
}

/* sl_expire - end every expired listing in one savepoint. */
static int sl_expire(void *impl, int64_t now, long *n, struct rp_diag *diag)
{
	struct sq *s = impl;
	int rc = begin_call(s, diag);

	*n = 0;
	if (rc != RP_OK)
		return rc;
	return end_call(s, expire_all(s, now, n, diag), diag);
}

/* sl_each - every active listing, in kind and value order. */
static int sl_each(void *impl, rp_listing_each_fn fn, void *ctx)
{
	struct sq *s = impl;
	sqlite3_stmt *st = lprep(s, "SELECT " LISTING_COLS " FROM listings WHERE ended_at IS NULL ORDER BY kind, value",
				 NULL);
	struct rp_listing l;
	int rc;

	if (st == NULL)
		return RP_EDB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_listing(st, &l);
		if (!fn(ctx, &l)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	lrelease(s, st);
	return rc == SQLITE_DONE ? RP_OK : RP_EDB;
}

/* sl_history - listings since a time and the newest end. */
static int sl_history(void *impl, const char *kind, const char *value, int64_t since, long *prior, int64_t *last_end)
{
	struct sq *s = impl;
	sqlite3_stmt *st = lprep(s, "SELECT count(*) FILTER (WHERE listed_at >= ?3), coalesce(max(ended_at), 0) "
				    "FROM listings WHERE kind = ?1 AND value = ?2", NULL);
	int rc = RP_EDB;

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, kind);
	sq_bind_text(st, 2, value);
	sqlite3_bind_int64(st, 3, since);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*prior = (long)sqlite3_column_int64(st, 0);
		*last_end = sqlite3_column_int64(st, 1);
		rc = RP_OK;
	}
	lrelease(s, st);
	return rc;
}

/* sl_event_add - one trap hit, relay finding or confirmation, audited. */
static int sl_event_add(void *impl, const char *kind, const char *value, const char *type, int64_t at,
			const char *actor, const char *note, struct rp_diag *diag)
{
	struct sq *s = impl;
	char obj[160], action[32];
	int rc = begin_call(s, diag);
	sqlite3_stmt *st;

	if (rc != RP_OK)
		return rc;
	st = lprep(s, "INSERT INTO source_events (kind, value, type, at, actor, note) VALUES (?1,?2,?3,?4,?5,?6)", diag);
	if (st == NULL)
		return end_call(s, RP_EDB, diag);
	sq_bind_text(st, 1, kind);
	sq_bind_text(st, 2, value);
	sq_bind_text(st, 3, type);
	sqlite3_bind_int64(st, 4, at);
	sq_bind_text(st, 5, actor);
	sq_bind_text(st, 6, note);
	rc = lrun(s, st, diag, "source event");
	snprintf(action, sizeof(action), "evidence.%s", type);
	if (rc == RP_OK)
		rc = audit(s, at, actor, action, object_name("source", kind, value, obj, sizeof(obj)), note, diag);
	return end_call(s, rc, diag);
}

/* sl_evidence - distinct reporters (with trust) of the source's reports since a time, and
 * its events by type. */
static int sl_evidence(void *impl, const char *kind, const char *value, int64_t since, struct rp_listing_evidence *out)
{
	struct sq *s = impl;
	sqlite3_stmt *st = lprep(
		s,
		"WITH r AS (SELECT rp.id, rp.trust, max(r.received_at) AS last FROM sources src "
		"  JOIN report_sources rs ON rs.source_id = src.id JOIN reports r ON r.id = rs.report_id "
		"  JOIN reporters rp ON rp.id = r.reporter_id WHERE src.kind = ?1 AND src.value = ?2 "
		"  AND r.received_at >= ?3 GROUP BY rp.id), "
		"e AS (SELECT type, at FROM source_events WHERE kind = ?1 AND value = ?2 AND at >= ?3) "
		"SELECT (SELECT count(*) FROM r), (SELECT coalesce(sum(trust), 0) FROM r), "
		"(SELECT count(*) FROM e WHERE type = 'trap'), (SELECT count(*) FROM e WHERE type = 'confirm'), "
		"(SELECT count(*) FROM e WHERE type = 'relay'), "
		"max((SELECT coalesce(max(last), 0) FROM r), (SELECT coalesce(max(at), 0) FROM e))",
		NULL);
	int rc = RP_EDB;

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, kind);
	sq_bind_text(st, 2, value);
	sqlite3_bind_int64(st, 3, since);
	memset(out, 0, sizeof(*out));
	if (sqlite3_step(st) == SQLITE_ROW) {
		out->reporters = (long)sqlite3_column_int64(st, 0);
		out->reporter_weight = sqlite3_column_double(st, 1);
		out->trap_hits = (long)sqlite3_column_int64(st, 2);
		out->confirmations = (long)sqlite3_column_int64(st, 3);
		out->open_relay = sqlite3_column_int64(st, 4) > 0;
		out->last_evidence = sqlite3_column_int64(st, 5);
		rc = RP_OK;
	}
	lrelease(s, st);
	return rc;
}

/* sl_provider_add - a certified provider, audited. */
static int sl_provider_add(void *impl, const char *name, const char *contact, const char *actor, const char *reason,
			   int64_t now, struct rp_diag *diag)
{
	struct sq *s = impl;
	char obj[160];
	int rc = begin_call(s, diag);
	sqlite3_stmt *st;

	if (rc != RP_OK)
		return rc;
	st = lprep(s, "INSERT INTO providers (name, contact, created_at) VALUES (?1, ?2, ?3)", diag);
	if (st == NULL)
		return end_call(s, RP_EDB, diag);
	sq_bind_text(st, 1, name);
	sq_bind_text(st, 2, contact);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? RP_OK
	     : sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE ? RP_EEXIST
									   : sq_fail(s, diag, "provider add");
	lrelease(s, st);
	if (rc == RP_EEXIST)
		rp_diag_set(diag, 0, 0, "provider \"%s\" exists", name);
	snprintf(obj, sizeof(obj), "provider:%s", name);
	if (rc == RP_OK)
		rc = audit(s, now, actor, "provider.add", obj, reason, diag);
	return end_call(s, rc, diag);
}

/* entry_change - insert or retire one provider entry (inside the savepoint). */
static int entry_change(struct sq *s, const char *provider, const char *kind, const char *value, bool add, int64_t now,
			struct rp_diag *diag)
{
	sqlite3_stmt *st = lprep(s,
				 add ? "INSERT INTO provider_entries (provider_id, kind, value, added_at) "
				       "SELECT id, ?2, ?3, ?4 FROM providers WHERE name = ?1"
				     : "UPDATE provider_entries SET removed_at = ?4 WHERE kind = ?2 AND value = ?3 "
				       "AND removed_at IS NULL AND provider_id = (SELECT id FROM providers WHERE name = ?1)",
				 diag);
	int rc;

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, provider);
	sq_bind_text(st, 2, kind);
	sq_bind_text(st, 3, value);
	sqlite3_bind_int64(st, 4, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? RP_OK
	     : sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE ? RP_EEXIST
									   : sq_fail(s, diag, "provider entry");
	lrelease(s, st);
	if (rc == RP_EEXIST)
		rp_diag_set(diag, 0, 0, "%s %s is already whitelisted", kind, value);
	if (rc == RP_OK && sqlite3_changes(s->db) == 0) {
		rp_diag_set(diag, 0, 0, add ? "no provider \"%s\"" : "provider \"%s\" has no such entry", provider);
		rc = RP_ENOTFOUND;
	}
	return rc;
}

/* sl_provider_entry - add or remove a network or domain, audited. */
static int sl_provider_entry(void *impl, const char *provider, const char *kind, const char *value, bool add,
			     const char *actor, const char *reason, int64_t now, struct rp_diag *diag)
{
	struct sq *s = impl;
	char obj[256], action[48];
	struct rp_whitelist probe;
	int rc;

	if (strcmp(kind, "net") == 0) { /* validate before it reaches the registry */
		rp_whitelist_init(&probe);
		rc = rp_whitelist_add_network(&probe, value);
		rp_whitelist_fini(&probe);
		if (rc != RP_OK) {
			rp_diag_set(diag, 0, 0, "\"%s\" is not a network", value);
			return RP_EINVAL;
		}
	}
	if ((rc = begin_call(s, diag)) != RP_OK)
		return rc;
	rc = entry_change(s, provider, kind, value, add, now, diag);
	snprintf(obj, sizeof(obj), "provider:%s", provider);
	snprintf(action, sizeof(action), "provider.%s.%s", kind, add ? "add" : "remove");
	char why[512];
	snprintf(why, sizeof(why), "%s: %s", value, reason);
	if (rc == RP_OK)
		rc = audit(s, now, actor, action, obj, why, diag);
	return end_call(s, rc, diag);
}

/* sl_whitelist_load - current entries into w (bad stored networks are skipped). */
static int sl_whitelist_load(void *impl, struct rp_whitelist *w)
{
	struct sq *s = impl;
	sqlite3_stmt *st = lprep(s, "SELECT kind, value FROM provider_entries WHERE removed_at IS NULL ORDER BY id", NULL);
	int rc;

	if (st == NULL)
		return RP_EDB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);
		if (strcmp(k, "net") == 0)
			(void)rp_whitelist_add_network(w, v);
		else
			(void)rp_whitelist_add_domain(w, v);
	}
	lrelease(s, st);
	return rc == SQLITE_DONE ? RP_OK : RP_EDB;
}

/* sl_delist_add - one delisting request with its outcome, audited. */
static int sl_delist_add(void *impl, const char *kind, const char *value, const char *contact, const char *reason,
			 const char *outcome, int64_t now, int64_t *id, struct rp_diag *diag)
{
	struct sq *s = impl;
	char obj[160], why[512];
	int rc = begin_call(s, diag);
	sqlite3_stmt *st;

	if (rc != RP_OK)
		return rc;
	st = lprep(s, "INSERT INTO delist_requests (kind, value, contact, reason, requested_at, outcome, listing_id) "
		      "VALUES (?1,?2,?3,?4,?5,?6,(SELECT max(id) FROM listings WHERE kind = ?1 AND value = ?2))",
		   diag);
	if (st == NULL)
		return end_call(s, RP_EDB, diag);
	sq_bind_text(st, 1, kind);
	sq_bind_text(st, 2, value);
	sq_bind_text(st, 3, contact);
	sq_bind_text(st, 4, reason);
	sqlite3_bind_int64(st, 5, now);
	sq_bind_text(st, 6, outcome);
	rc = lrun(s, st, diag, "delisting request");
	if (rc == RP_OK && id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	snprintf(why, sizeof(why), "%s; contact %s; %s", outcome, contact, reason);
	if (rc == RP_OK)
		rc = audit(s, now, "public", "delist.request", object_name("listing", kind, value, obj, sizeof(obj)),
			   why, diag);
	return end_call(s, rc, diag);
}

/* sl_last_self_delist - newest self-service removal of a source. */
static int sl_last_self_delist(void *impl, const char *kind, const char *value, int64_t *at)
{
	struct sq *s = impl;
	sqlite3_stmt *st = lprep(s, "SELECT coalesce(max(requested_at), 0) FROM delist_requests WHERE kind = ?1 "
				    "AND value = ?2 AND outcome = 'delisted'", NULL);
	int rc = RP_EDB;

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, kind);
	sq_bind_text(st, 2, value);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*at = sqlite3_column_int64(st, 0);
		rc = RP_OK;
	}
	lrelease(s, st);
	return rc;
}

/* sl_delist_published - stamp the publication time of delisted, unpublished requests. */
static int sl_delist_published(void *impl, int64_t now, long *n, struct rp_diag *diag)
{
	struct sq *s = impl;
	sqlite3_stmt *st = lprep(s, "UPDATE delist_requests SET published_at = ?1 WHERE outcome = 'delisted' "
				    "AND published_at IS NULL", diag);

	*n = 0;
	if (st == NULL)
		return RP_EDB;
	sqlite3_bind_int64(st, 1, now);
	int rc = lrun(s, st, diag, "delisting publication");
	if (rc == RP_OK)
		*n = sqlite3_changes(s->db);
	return rc;
}

/* One source named by a new report. */
struct src_pair {
	char kind[16];
	char value[128];
};

/* sl_changed_sources - distinct sources of reports after *cursor (collected before fn runs,
 * so fn may write). */
static int sl_changed_sources(void *impl, int64_t *cursor, void (*fn)(void *ctx, const char *kind, const char *value),
			      void *ctx)
{
	struct sq *s = impl;
	sqlite3_stmt *st = lprep(s, "SELECT coalesce(max(rowid), 0) FROM reports", NULL);
	struct src_pair *v = NULL;
	size_t n = 0, cap = 0;
	int64_t head = 0;
	int rc;

	if (st == NULL)
		return RP_EDB;
	if (sqlite3_step(st) == SQLITE_ROW)
		head = sqlite3_column_int64(st, 0);
	lrelease(s, st);
	if (head <= *cursor)
		return RP_OK;
	st = lprep(s, "SELECT DISTINCT s.kind, s.value FROM reports r JOIN report_sources rs ON rs.report_id = r.id "
		      "JOIN sources s ON s.id = rs.source_id WHERE r.rowid > ?1 AND r.rowid <= ?2", NULL);
	if (st == NULL)
		return RP_EDB;
	sqlite3_bind_int64(st, 1, *cursor);
	sqlite3_bind_int64(st, 2, head);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		snprintf(v[n].kind, sizeof(v[n].kind), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(v[n].value, sizeof(v[n].value), "%s", (const char *)sqlite3_column_text(st, 1));
		n++;
	}
	lrelease(s, st);
	if (rc == SQLITE_DONE) {
		*cursor = head;
		for (size_t i = 0; i < n; i++)
			fn(ctx, v[i].kind, v[i].value);
	}
	xfree(v);
	return rc == SQLITE_DONE ? RP_OK : RP_EDB;
}

/* sl_audit_head - the newest audit record id. */
static int sl_audit_head(void *impl, int64_t *id)
{
	struct sq *s = impl;
	sqlite3_stmt *st = lprep(s, "SELECT coalesce(max(id), 0) FROM audit_log", NULL);
	int rc = RP_EDB;

	if (st == NULL)
		return RP_EDB;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		rc = RP_OK;
	}
	lrelease(s, st);
	return rc;
}

/* by_key - {"key": count} of a two-column query bound to since. */
static json_t *by_key(struct sq *s, const char *sql, int64_t since)
{
	sqlite3_stmt *st = lprep(s, sql, NULL);
	json_t *o = json_object();

	if (st == NULL)
		return o;
	sqlite3_bind_int64(st, 1, since);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_set_new(o, (const char *)sqlite3_column_text(st, 0), json_integer(sqlite3_column_int64(st, 1)));
	lrelease(s, st);
	return o;
}

/* one_int - the first column of a one-row query bound to since. */
static int64_t one_int(struct sq *s, const char *sql, int64_t since)
{
	sqlite3_stmt *st = lprep(s, sql, NULL);
	int64_t v = 0;

	if (st == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, since);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	lrelease(s, st);
	return v;
}

/* percentile - the p-th percentile (nearest rank) of sorted v[n]. */
static int64_t percentile(const int64_t *v, size_t n, int p)
{
	size_t rank = (n * (size_t)p + 99) / 100;

	return n == 0 ? 0 : v[rank == 0 ? 0 : rank - 1];
}

/* turnaround - delisting requests: count by outcome, seconds from request to publication. */
static json_t *turnaround(struct sq *s, int64_t since)
{
	json_t *o = json_object();
	sqlite3_stmt *st = lprep(s, "SELECT published_at - requested_at FROM delist_requests WHERE outcome = 'delisted' "
				    "AND published_at IS NOT NULL AND requested_at >= ?1 ORDER BY 1", NULL);
	int64_t *v = NULL;
	size_t n = 0, cap = 0;

	json_object_set_new(o, "by_outcome",
			    by_key(s, "SELECT outcome, count(*) FROM delist_requests WHERE requested_at >= ?1 "
				      "GROUP BY outcome", since));
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, since);
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			v[n++] = sqlite3_column_int64(st, 0);
		}
		lrelease(s, st);
	}
	json_object_set_new(o, "published", json_integer((json_int_t)n));
	json_object_set_new(o, "turnaround_median_s", json_integer(percentile(v, n, 50)));
	json_object_set_new(o, "turnaround_p95_s", json_integer(percentile(v, n, 95)));
	xfree(v);
	return o;
}

/* whitelisted_cases - sources matching the whitelist whose case is open. */
static json_t *whitelisted_cases(struct sq *s, const struct rp_whitelist *w)
{
	json_t *a = json_array();
	sqlite3_stmt *st = lprep(s, "SELECT s.kind, s.value, c.id, c.state FROM cases c JOIN sources s ON s.id = "
				    "c.source_id WHERE c.state IN ('new','confirmed') ORDER BY c.id", NULL);

	if (st == NULL || w == NULL) {
		lrelease(s, st);
		return a;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *value = (const char *)sqlite3_column_text(st, 1);
		if (!rp_whitelist_match_source(w, value))
			continue;
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:s}", "kind", (const char *)sqlite3_column_text(st, 0),
						   "value", value, "case", (json_int_t)sqlite3_column_int64(st, 2), "state",
						   (const char *)sqlite3_column_text(st, 3)));
	}
	lrelease(s, st);
	return a;
}

/* sl_stats_json - the fairness figures since a time. */
static int sl_stats_json(void *impl, int64_t since, const struct rp_whitelist *w, json_t **out)
{
	struct sq *s = impl;
	json_t *o = json_object(), *ranges = json_object();

	json_object_set_new(o, "since", json_integer(since));
	json_object_set_new(o, "listed_by_reason", by_key(s, "SELECT reason, count(*) FROM listings WHERE "
							    "listed_at >= ?1 GROUP BY reason", since));
	json_object_set_new(o, "active_by_reason", by_key(s, "SELECT reason, count(*) FROM listings WHERE "
							    "ended_at IS NULL AND ?1 >= 0 GROUP BY reason", since));
	json_object_set_new(o, "ended_by_how", by_key(s, "SELECT end_how, count(*) FROM listings WHERE "
							"ended_at >= ?1 GROUP BY end_how", since));
	json_object_set_new(ranges, "listed", json_integer(one_int(s, "SELECT count(*) FROM listings WHERE kind = "
								    "'range4' AND listed_at >= ?1", since)));
	json_object_set_new(ranges, "active", json_integer(one_int(s, "SELECT count(*) FROM listings WHERE kind = "
								    "'range4' AND ended_at IS NULL AND ?1 >= 0", since)));
	json_object_set_new(ranges, "collateral", json_integer(one_int(s, "SELECT coalesce(sum(collateral), 0) FROM "
									"listings WHERE kind = 'range4' AND listed_at >= ?1", since)));
	json_object_set_new(ranges, "with_evidence", json_integer(one_int(s, "SELECT coalesce(sum(evidence), 0) FROM "
									   "listings WHERE kind = 'range4' AND listed_at >= ?1",
									   since)));
	json_object_set_new(o, "ranges", ranges);
	json_object_set_new(o, "delisting", turnaround(s, since));
	json_object_set_new(o, "relistings",
			    json_integer(one_int(s, "SELECT count(*) FROM listings l WHERE l.listed_at >= ?1 AND EXISTS "
						    "(SELECT 1 FROM listings e WHERE e.kind = l.kind AND e.value = l.value "
						    "AND e.id < l.id AND e.end_how IN ('self-service','delisted'))", since)));
	json_object_set_new(o, "whitelisted_open_cases", whitelisted_cases(s, w));
	*out = o;
	return RP_OK;
}

const struct rp_store_listing_ops sq_listing_ops = {
	.put = sl_put,
	.end = sl_end,
	.expire = sl_expire,
	.get = sl_get,
	.each = sl_each,
	.history = sl_history,
	.event_add = sl_event_add,
	.evidence = sl_evidence,
	.provider_add = sl_provider_add,
	.provider_entry = sl_provider_entry,
	.whitelist_load = sl_whitelist_load,
	.delist_add = sl_delist_add,
	.last_self_delist = sl_last_self_delist,
	.delist_published = sl_delist_published,
	.changed_sources = sl_changed_sources,
	.audit_head = sl_audit_head,
	.stats_json = sl_stats_json,
};
