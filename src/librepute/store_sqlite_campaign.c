/* store_sqlite_campaign.c - an in-memory copy of the recently active campaigns for the
 * writer's campaign assignment (a performance cache, same answers as the SQL scan).
 *
 * Assigning a report to a campaign compares its fingerprint with the storage.campaign_scan
 * most recently active campaigns (ORDER BY last_seen DESC, id DESC). Reading those rows and
 * unpacking their fingerprints for every report was a fifth of the writer thread's time, so
 * this module keeps them, in the same order, in memory: loaded once, then kept up to date by
 * the writer's own changes (a bump moves a campaign up, a new one goes in and the last drops
 * out, exactly as in the table). The copy is used only inside a group transaction, is dropped
 * whenever a savepoint or transaction is rolled back, and is reloaded when another connection
 * has written the database since it was read (PRAGMA data_version). sq_camps_free frees it. */
#include <string.h>

#include "repute/alloc.h"
#include "repute/fingerprint.h"

#include "store_sqlite_int.h"

struct camp {
	int64_t id, last_seen;
	struct rp_fingerprint fp;
};

struct sq_camps {
	struct camp *v;
	size_t n, cap;
	bool valid;
	int64_t data_version;
	sqlite3_stmt *load, *version;
};

/* camp_unpack - a stored fingerprint blob (little-endian words: slots, n_features); false when malformed. */
static bool camp_unpack(const void *blob, int len, struct rp_fingerprint *fp)
{
	const unsigned char *p = blob;

	if (blob == NULL || len != (RP_FP_SLOTS + 1) * 4)
		return false;
	for (int i = 0; i <= RP_FP_SLOTS; i++) {
		uint32_t v = (uint32_t)p[i * 4] | (uint32_t)p[i * 4 + 1] << 8 | (uint32_t)p[i * 4 + 2] << 16 |
			     (uint32_t)p[i * 4 + 3] << 24;
		if (i < RP_FP_SLOTS)
			fp->slot[i] = v;
		else
			fp->n_features = v;
	}
	return true;
}

/* data_version - PRAGMA data_version of the connection, -1 on error. */
static int64_t data_version(struct sq *s, struct sq_camps *c)
{
	if (c->version == NULL &&
	    sqlite3_prepare_v3(s->db, "PRAGMA data_version", -1, SQLITE_PREPARE_PERSISTENT, &c->version, NULL) !=
		    SQLITE_OK)
		return -1;
	sqlite3_reset(c->version);
	int64_t v = sqlite3_step(c->version) == SQLITE_ROW ? sqlite3_column_int64(c->version, 0) : -1;
	sqlite3_reset(c->version);
	return v;
}

/* load - read the recent campaigns in scan order; RP_EDB on error. A row whose fingerprint
 * cannot be unpacked is kept with no features, so it never matches (as in the SQL scan). */
static int load(struct sq *s, struct sq_camps *c, struct rp_diag *diag)
{
	static const char sql[] = "SELECT id, fp, last_seen FROM campaigns ORDER BY last_seen DESC, id DESC LIMIT ?1";

	c->valid = false;
	c->n = 0;
	if (c->load == NULL && sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->load, NULL) != SQLITE_OK)
		return sq_fail(s, diag, "campaign lookup");
	c->data_version = data_version(s, c);
	if (c->cap < s->campaign_scan) {
		c->cap = s->campaign_scan;
		c->v = xreallocarray(c->v, c->cap ? c->cap : 1, sizeof(*c->v));
	}
	sqlite3_reset(c->load);
	sqlite3_bind_int64(c->load, 1, (sqlite3_int64)s->campaign_scan);
	int rc;
	while (c->n < c->cap && (rc = sqlite3_step(c->load)) == SQLITE_ROW) {
		struct camp *e = &c->v[c->n++];
		e->id = sqlite3_column_int64(c->load, 0);
		e->last_seen = sqlite3_column_int64(c->load, 2);
		if (!camp_unpack(sqlite3_column_blob(c->load, 1), sqlite3_column_bytes(c->load, 1), &e->fp))
			memset(&e->fp, 0, sizeof(e->fp));
	}
	sqlite3_reset(c->load);
	if (c->data_version < 0)
		return sq_fail(s, diag, "campaign lookup");
	c->valid = true;
	return RP_OK;
}

/* camps_of - the connection's cache, made on first use. */
static struct sq_camps *camps_of(struct sq *s)
{
	if (s->camps == NULL)
		s->camps = xcalloc(1, sizeof(*s->camps));
	return s->camps;
}

/* before - a sorts before b in the scan order (last_seen DESC, id DESC). */
static bool before(const struct camp *a, const struct camp *b)
{
	return a->last_seen > b->last_seen || (a->last_seen == b->last_seen && a->id > b->id);
}

/* sq_camps_find - the first recent campaign matching fp in scan order (0 if none). */
int sq_camps_find(struct sq *s, const struct rp_fingerprint *fp,
		  bool (*same)(struct sq *, const struct rp_fingerprint *, const struct rp_fingerprint *), int64_t *found,
		  struct rp_diag *diag)
{
	struct sq_camps *c = camps_of(s);

	*found = 0;
	if (!c->valid || data_version(s, c) != c->data_version)
		if (load(s, c, diag) != RP_OK)
			return RP_EDB;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].fp.n_features != 0 && same(s, fp, &c->v[i].fp)) {
			*found = c->v[i].id;
			break;
		}
	return RP_OK;
}

/* sq_camps_touched - campaign id (new, or bumped to last_seen = max(last_seen, at)) after its
 * row was written: keep the copy in the table's order and size. */
void sq_camps_touched(struct sq *s, int64_t id, const struct rp_fingerprint *fp, int64_t at)
{
	struct sq_camps *c = s->camps;
	size_t i = 0;

	if (c == NULL || !c->valid)
		return;
	while (i < c->n && c->v[i].id != id)
		i++;
	struct camp e = { .id = id, .last_seen = at, .fp = *fp };
	if (i < c->n) {
		e = c->v[i];
		if (at > e.last_seen)
			e.last_seen = at;
		memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof(*c->v));
		c->n--;
	}
	size_t pos = 0;
	while (pos < c->n && before(&c->v[pos], &e))
		pos++;
	if (pos >= c->cap)
		return; /* older than every kept campaign: not among the recent ones */
	if (c->n == c->cap)
		c->n--;
	memmove(&c->v[pos + 1], &c->v[pos], (c->n - pos) * sizeof(*c->v));
	c->v[pos] = e;
	c->n++;
}

/* sq_camps_forget - drop the copy (after a rollback); the next use reloads it. */
void sq_camps_forget(struct sq *s)
{
	if (s->camps != NULL)
		s->camps->valid = false;
}

/* sq_camps_free - free the copy and its statements; returns NULL. */
struct sq_camps *sq_camps_free(struct sq_camps *c)
{
	if (c == NULL)
		return NULL;
	sqlite3_finalize(c->load);
	sqlite3_finalize(c->version);
	xfree(c->v);
	xfree(c);
	return NULL;
}
