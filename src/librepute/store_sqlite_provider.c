/* store_sqlite_provider.c - the complaint feed of provider organisations (struct
 * rp_store_provider_ops in include/repute/store.h, docs/provider-feed.md): membership of a
 * reporter (a console user's or an API key's) in a provider of the registry (table
 * provider_members, migration 4 in store_sqlite.c), the provider's own view (networks and
 * domains), and the reports whose origin lies in a provider's networks.
 *
 * Matching addresses against networks needs CIDR arithmetic, so the connection gets one SQL
 * function, rp_net_overlap(a, b): 1 when the two prefixes (or addresses, or a source's
 * "x::/64") share an address. It is registered on first use (probed with a prepare), so
 * store_sqlite.c needs no change. The feed first narrows the candidates through the sources
 * table (distinct addresses, far fewer than reports), then checks each report's own origin.
 * The public wrappers sit here, as in store_sqlite_users.c, so the feed's storage stays in one
 * file. Statements are prepared per call: the feed is read rarely next to report intake. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "repute/alloc.h"
#include "repute/netaddr.h"
#include "repute/store.h"

#include "store_sqlite_int.h"

/* net_overlap - the SQL function rp_net_overlap(a, b): 1 when both parse and overlap. */
static void net_overlap(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *a = sqlite3_value_text(argv[0]), *b = argc > 1 ? sqlite3_value_text(argv[1]) : NULL;
	struct rp_cidr x, y;
	int r = 0;

	if (a != NULL && b != NULL && a[0] != '+' &&
	    rp_cidr_parse((const char *)a, &x) == 0 && rp_cidr_parse((const char *)b, &y) == 0 &&
	    x.addr.family == y.addr.family) {
		/* the shorter prefix, applied to the other's address, decides */
		const struct rp_cidr *wide = x.len <= y.len ? &x : &y;
		const struct rp_addr *other = x.len <= y.len ? &y.addr : &x.addr;
		r = rp_cidr_contains(wide, other);
	}
	sqlite3_result_int(ctx, r);
}

/* ensure_fn - register rp_net_overlap on this connection unless it is there already. */
static int ensure_fn(struct sq *s)
{
	sqlite3_stmt *probe = NULL;

	if (sqlite3_prepare_v2(s->db, "SELECT rp_net_overlap('0.0.0.0', '0.0.0.0/0')", -1, &probe, NULL) == SQLITE_OK) {
		sqlite3_finalize(probe);
		return RP_OK;
	}
	sqlite3_finalize(probe);
	if (sqlite3_create_function_v2(s->db, "rp_net_overlap", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
				       net_overlap, NULL, NULL, NULL) != SQLITE_OK)
		return RP_EDB;
	return RP_OK;
}

/* pprep - prepare one statement; NULL (diag set when given) on error. */
static sqlite3_stmt *pprep(struct sq *s, const char *sql, struct rp_diag *diag)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		if (diag != NULL)
			sq_fail(s, diag, "prepare");
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* pexec - run SQL without results. */
static int pexec(struct sq *s, const char *sql, struct rp_diag *diag)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(s, diag, sql);
	return RP_OK;
}

/* member_write - insert or delete the membership row (inside the savepoint). */
static int member_write(struct sq *s, const char *provider, const char *reporter_id, bool add, int64_t now,
			struct rp_diag *diag)
{
	sqlite3_stmt *st = pprep(s,
				 add ? "INSERT INTO provider_members (reporter_id, provider_id, added_at) "
				       "SELECT ?2, id, ?3 FROM providers WHERE name = ?1 "
				       "ON CONFLICT (reporter_id) DO UPDATE SET provider_id = excluded.provider_id, "
				       "added_at = excluded.added_at"
				     : "DELETE FROM provider_members WHERE reporter_id = ?2 "
				       "AND provider_id = (SELECT id FROM providers WHERE name = ?1)",
				 diag);
	int rc;

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, provider);
	sq_bind_text(st, 2, reporter_id);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? RP_OK : sq_fail(s, diag, "provider member");
	sqlite3_finalize(st);
	if (rc == RP_OK && sqlite3_changes(s->db) == 0) {
		rp_diag_set(diag, 0, 0, add ? "no provider \"%s\"" : "not a member of provider \"%s\"", provider);
		rc = RP_ENOTFOUND;
	}
	return rc;
}

/* audit - one audit record. */
static int audit(struct sq *s, int64_t now, const char *actor, const char *action, const char *object,
		 const char *reason, struct rp_diag *diag)
{
	sqlite3_stmt *st = pprep(s, "INSERT INTO audit_log (at, actor, action, object, reason) VALUES (?1,?2,?3,?4,?5)",
				 diag);
	int rc;

	if (st == NULL)
		return RP_EDB;
	sqlite3_bind_int64(st, 1, now);
	sq_bind_text(st, 2, actor);
	sq_bind_text(st, 3, action);
	sq_bind_text(st, 4, object);
	sq_bind_text(st, 5, reason);
	rc = sq_step_done(s, st, diag, "audit");
	sqlite3_finalize(st);
	return rc;
}

/* sp_member_set - add or end a membership, audited, in its own savepoint. */
static int sp_member_set(void *impl, const char *provider, const char *reporter_id, bool add, const char *actor,
			 const char *reason, int64_t now, struct rp_diag *diag)
{
	struct sq *s = impl;
	char obj[160], why[512];
	int rc = pexec(s, "SAVEPOINT provider", diag);

	if (rc != RP_OK)
		return rc;
	rc = member_write(s, provider, reporter_id, add, now, diag);
	snprintf(obj, sizeof(obj), "provider:%s", provider);
	snprintf(why, sizeof(why), "%s %s: %s", add ? "add" : "remove", reporter_id, reason ? reason : "");
	if (rc == RP_OK)
		rc = audit(s, now, actor, "provider.member", obj, why, diag);
	if (rc == RP_OK)
		return pexec(s, "RELEASE provider", diag);
	sqlite3_exec(s->db, "ROLLBACK TO provider; RELEASE provider", NULL, NULL, NULL);
	return rc;
}

/* sp_member_of - the provider name of a reporter. */
static int sp_member_of(void *impl, const char *reporter_id, char *provider, size_t len)
{
	struct sq *s = impl;
	sqlite3_stmt *st = pprep(s, "SELECT p.name FROM provider_members m JOIN providers p ON p.id = m.provider_id "
				    "WHERE m.reporter_id = ?1", NULL);
	int rc;

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, reporter_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(provider, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? RP_OK : rc == SQLITE_DONE ? RP_ENOTFOUND : RP_EDB;
}

/* sp_provider_json - the provider with its current networks and domains. */
static int sp_provider_json(void *impl, const char *provider, json_t **out)
{
	struct sq *s = impl;
	sqlite3_stmt *st = pprep(s, "SELECT p.name, p.contact, p.created_at, e.kind, e.value, e.added_at FROM providers p "
				    "LEFT JOIN provider_entries e ON e.provider_id = p.id AND e.removed_at IS NULL "
				    "WHERE p.name = ?1 ORDER BY e.kind, e.value", NULL);
	json_t *j = NULL, *nets = json_array(), *doms = json_array();
	int rc;

	if (st == NULL) {
		json_decref(nets);
		json_decref(doms);
		return RP_EDB;
	}
	sq_bind_text(st, 1, provider);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (j == NULL)
			j = json_pack("{s:s, s:s, s:I}", "name", (const char *)sqlite3_column_text(st, 0), "contact",
				      (const char *)sqlite3_column_text(st, 1), "created_at",
				      (json_int_t)sqlite3_column_int64(st, 2));
		const char *kind = (const char *)sqlite3_column_text(st, 3);
		if (kind == NULL)
			continue;
		json_array_append_new(strcmp(kind, "net") == 0 ? nets : doms,
				      json_pack("{s:s, s:I}", "value", (const char *)sqlite3_column_text(st, 4), "added_at",
						(json_int_t)sqlite3_column_int64(st, 5)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || j == NULL) {
		json_decref(j);
		json_decref(nets);
		json_decref(doms);
		return rc != SQLITE_DONE ? RP_EDB : RP_ENOTFOUND;
	}
	json_object_set_new(j, "networks", nets);
	json_object_set_new(j, "domains", doms);
	*out = j;
	return RP_OK;
}

/* The feed: candidates through the sources table (distinct public origins, ip4 or ip6-64),
 * then the report's own origin against the same networks. ?1 provider (NULL: any). */
#define FEED_SQL                                                                                               \
	"WITH nets AS (SELECT e.value AS net, p.name AS provider FROM provider_entries e JOIN providers p "    \
	"  ON p.id = e.provider_id WHERE e.kind = 'net' AND e.removed_at IS NULL AND (?1 IS NULL OR p.name = ?1)), " \
	"cand AS (SELECT DISTINCT rs.report_id AS id FROM sources s JOIN nets n ON rp_net_overlap(s.value, n.net) " \
	"  JOIN report_sources rs ON rs.source_id = s.id WHERE s.kind IN ('ip4', 'ip6-64')) "              \
	"SELECT r.id, r.channel, r.received_at, r.origin, r.message_id, r.dup_count, r.campaign_id, "        \
	"  min(n.net), min(n.provider) FROM reports r JOIN cand c ON c.id = r.id "                           \
	"  JOIN nets n ON rp_net_overlap(r.origin, n.net) "

/* feed_sources - the report's sources (kind, value) as a JSON array. */
static json_t *feed_sources(struct sq *s, const char *id)
{
	sqlite3_stmt *st = pprep(s, "SELECT s.kind, s.value FROM report_sources rs JOIN sources s ON s.id = rs.source_id "
				    "WHERE rs.report_id = ?1 ORDER BY s.kind, s.value LIMIT 50", NULL);
	json_t *a = json_array();

	if (st == NULL)
		return a;
	sq_bind_text(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:s, s:s}", "kind", (const char *)sqlite3_column_text(st, 0), "value",
						   (const char *)sqlite3_column_text(st, 1)));
	sqlite3_finalize(st);
	return a;
}

/* feed_row - one complaint summary (never the reporter). */
static json_t *feed_row(struct sq *s, sqlite3_stmt *st)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);
	const char *mid = (const char *)sqlite3_column_text(st, 4);
	json_t *j = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:I}", "id", id, "channel",
			      (const char *)sqlite3_column_text(st, 1), "received_at", (json_int_t)sqlite3_column_int64(st, 2),
			      "origin", (const char *)sqlite3_column_text(st, 3), "network",
			      (const char *)sqlite3_column_text(st, 7), "provider", (const char *)sqlite3_column_text(st, 8),
			      "dup_count", (json_int_t)sqlite3_column_int64(st, 5));

	json_object_set_new(j, "message_id", mid ? json_string(mid) : json_null());
	json_object_set_new(j, "campaign_id", sqlite3_column_type(st, 6) == SQLITE_NULL
						      ? json_null()
						      : json_integer(sqlite3_column_int64(st, 6)));
	json_object_set_new(j, "sources", feed_sources(s, id));
	return j;
}

/* sp_complaints_json - one page of the feed, newest first. */
static int sp_complaints_json(void *impl, const struct rp_complaint_query *q, json_t **out)
{
	struct sq *s = impl;
	size_t limit = q->limit == 0 ? 50 : q->limit > 500 ? 500 : q->limit;
	sqlite3_stmt *st;
	json_t *list, *last = NULL;
	int rc;

	if (ensure_fn(s) != RP_OK)
		return RP_EDB;
	st = pprep(s, FEED_SQL "WHERE (?2 IS NULL OR r.id < ?2) GROUP BY r.id ORDER BY r.id DESC LIMIT ?3", NULL);
	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, q->provider);
	sq_bind_text(st, 2, q->before_id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)limit + 1);
	list = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (json_array_size(list) == limit) {
			last = json_object_get(json_array_get(list, limit - 1), "id");
			break;
		}
		json_array_append_new(list, feed_row(s, st));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		json_decref(list);
		return RP_EDB;
	}
	*out = json_pack("{s:o, s:O}", "complaints", list, "next", last ? last : json_null());
	return RP_OK;
}

/* sp_complaint_in - is the report's origin inside the provider's networks? */
static int sp_complaint_in(void *impl, const char *provider, const char *report_id, bool *inside)
{
	struct sq *s = impl;
	sqlite3_stmt *st;
	int rc;

	if (ensure_fn(s) != RP_OK)
		return RP_EDB;
	st = pprep(s, "SELECT (SELECT count(*) FROM provider_entries e JOIN providers p ON p.id = e.provider_id "
		      "WHERE p.name = ?1 AND e.kind = 'net' AND e.removed_at IS NULL AND rp_net_overlap(r.origin, e.value)) "
		      "FROM reports r WHERE r.id = ?2", NULL);
	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, provider);
	sq_bind_text(st, 2, report_id);
	rc = sqlite3_step(st);
	*inside = rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? RP_OK : rc == SQLITE_DONE ? RP_ENOTFOUND : RP_EDB;
}

const struct rp_store_provider_ops sq_provider_ops = {
	.member_set = sp_member_set,
	.member_of = sp_member_of,
	.provider_json = sp_provider_json,
	.complaints_json = sp_complaints_json,
	.complaint_in = sp_complaint_in,
};

/* ops_of - the provider callbacks behind st, or NULL when the back end has none. */
static const struct rp_store_provider_ops *ops_of(struct rp_store *st, void **impl)
{
	const struct rp_store_ops *ops = rp_store_backend(st, impl);

	return ops->provider;
}

/* rp_store_provider_member - membership by reporter name. */
int rp_store_provider_member(struct rp_store *st, const char *provider, const char *member, bool add,
			     const char *actor, const char *reason, struct rp_diag *diag)
{
	void *impl;
	const struct rp_store_provider_ops *p = ops_of(st, &impl);
	char rid[32];

	if (p == NULL)
		return RP_EUNSUPP;
	if (provider == NULL || member == NULL || actor == NULL) {
		rp_diag_set(diag, 0, 0, "provider, member and actor are required");
		return RP_EINVAL;
	}
	if (rp_store_reporter_find(st, member, rid) != RP_OK) {
		rp_diag_set(diag, 0, 0, "no user or reporter \"%s\"", member);
		return RP_ENOTFOUND;
	}
	return p->member_set(impl, provider, rid, add, actor, reason, (int64_t)time(NULL), diag);
}

/* rp_store_provider_of - a reporter's provider. */
int rp_store_provider_of(struct rp_store *st, const char *reporter_id, char *provider, size_t len)
{
	void *impl;
	const struct rp_store_provider_ops *p = ops_of(st, &impl);

	return p == NULL ? RP_EUNSUPP : p->member_of(impl, reporter_id, provider, len);
}

/* rp_store_provider_json - a provider's own view. */
int rp_store_provider_json(struct rp_store *st, const char *provider, json_t **out)
{
	void *impl;
	const struct rp_store_provider_ops *p = ops_of(st, &impl);

	return p == NULL ? RP_EUNSUPP : p->provider_json(impl, provider, out);
}

/* rp_store_complaints_json - one page of the feed. */
int rp_store_complaints_json(struct rp_store *st, const struct rp_complaint_query *q, json_t **out)
{
	void *impl;
	const struct rp_store_provider_ops *p = ops_of(st, &impl);

	return p == NULL ? RP_EUNSUPP : p->complaints_json(impl, q, out);
}

/* rp_store_complaint_in - whether a report belongs to a provider's feed. */
int rp_store_complaint_in(struct rp_store *st, const char *provider, const char *report_id, bool *inside)
{
	void *impl;
	const struct rp_store_provider_ops *p = ops_of(st, &impl);

	*inside = false;
	return p == NULL ? RP_EUNSUPP : p->complaint_in(impl, provider, report_id, inside);
}
