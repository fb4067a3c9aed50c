/* store_sqlite_query.c - the read side of the SQLite back end: reports, reporters and keys
 * by id, and the JSON views of sources, statistics and the audit log. The SQL of every
 * statement is in stmt_sql[] in store_sqlite.c; this file only binds and reads. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "repute/alloc.h"
#include "repute/store.h"

#include "store_sqlite_int.h"

/* sq_report_get - one report row. */
int sq_report_get(void *impl, const char *id, struct rp_report **out)
{
	struct sq *s = impl;
	sqlite3_stmt *st = sq_stmt(s, Q_REPORT_GET);

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? RP_ENOTFOUND : RP_EDB;
	struct rp_report *r = xcalloc(1, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", (const char *)sqlite3_column_text(st, 0));
	r->channel = sq_col_dup(st, 1);
	r->reporter_id = sq_col_dup(st, 2);
	r->received_at = sqlite3_column_int64(st, 3);
	if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
		r->raw_len = (size_t)sqlite3_column_bytes(st, 4);
		r->raw = xmemdup0(sqlite3_column_blob(st, 4), r->raw_len);
	}
	r->evidence_json = sq_col_dup(st, 6);
	r->message_id = sq_col_dup(st, 7);
	r->fingerprint = sq_col_dup(st, 8);
	r->origin = sq_col_dup(st, 9);
	r->dup_count = (long)sqlite3_column_int64(st, 10);
	r->campaign_id = sqlite3_column_int64(st, 11);
	sqlite3_reset(st);
	*out = r;
	return RP_OK;
}

/* sq_report_count - reports stored. */
int sq_report_count(void *impl, int64_t *out)
{
	struct sq *s = impl;
	sqlite3_stmt *st = sq_stmt(s, Q_REPORT_COUNT);

	if (st == NULL || sqlite3_step(st) != SQLITE_ROW)
		return RP_EDB;
	*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return RP_OK;
}

/* sq_reporter_find - reporter id by name. */
int sq_reporter_find(void *impl, const char *name, char *id_out, size_t id_len)
{
	struct sq *s = impl;
	sqlite3_stmt *st = sq_stmt(s, Q_REPORTER_FIND);

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, name);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? RP_ENOTFOUND : RP_EDB;
	snprintf(id_out, id_len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return RP_OK;
}

/* sq_key_lookup - rows with the prefix; the hash is compared in constant time. */
int sq_key_lookup(void *impl, const char *prefix, const char *hash_hex, struct rp_principal *out)
{
	struct sq *s = impl;
	sqlite3_stmt *st = sq_stmt(s, Q_KEY_LOOKUP);
	int found = RP_ENOTFOUND;

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, prefix);
	while (found != RP_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 1);
		if (h == NULL || strlen(h) != 64 || sodium_memcmp(h, hash_hex, 64) != 0)
			continue;
		memset(out, 0, sizeof(*out));
		out->key_id = sqlite3_column_int64(st, 0);
		snprintf(out->role, sizeof(out->role), "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(out->reporter_id, sizeof(out->reporter_id), "%s", (const char *)sqlite3_column_text(st, 3));
		snprintf(out->name, sizeof(out->name), "%s", (const char *)sqlite3_column_text(st, 4));
		found = RP_OK;
	}
	sqlite3_reset(st);
	return found;
}

/* pairs_json - a two-column query as a JSON object {col0: col1}. */
static json_t *pairs_json(sqlite3_stmt *st)
{
	json_t *o = json_object();

	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_set_new(o, (const char *)sqlite3_column_text(st, 0), json_integer(sqlite3_column_int64(st, 1)));
	sqlite3_reset(st);
	return o;
}

/* sq_source_json - counts, first/last seen, by channel and day, and the case. */
int sq_source_json(void *impl, enum rp_source_kind kind, const char *value, json_t **out)
{
	struct sq *s = impl;
	sqlite3_stmt *st = sq_stmt(s, Q_SOURCE_GET);

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, rp_source_kind_name(kind));
	sq_bind_text(st, 2, value);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? RP_ENOTFOUND : RP_EDB;
	int64_t sid = sqlite3_column_int64(st, 0);
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "kind", rp_source_kind_name(kind), "value", value,
			      "reports", (json_int_t)sqlite3_column_int64(st, 1), "reporters",
			      (json_int_t)sqlite3_column_int64(st, 2), "first_seen",
			      (json_int_t)sqlite3_column_int64(st, 3), "last_seen", (json_int_t)sqlite3_column_int64(st, 4));
	if (sqlite3_column_type(st, 5) != SQLITE_NULL)
		json_object_set_new(o, "case",
				    json_pack("{s:I, s:s, s:I, s:I}", "id", (json_int_t)sqlite3_column_int64(st, 5),
					      "state", (const char *)sqlite3_column_text(st, 6), "opened_at",
					      (json_int_t)sqlite3_column_int64(st, 7), "updated_at",
					      (json_int_t)sqlite3_column_int64(st, 8)));
	sqlite3_reset(st);
	if ((st = sq_stmt(s, Q_SOURCE_WEIGHT)) != NULL) {
		sqlite3_bind_int64(st, 1, sid);
		if (sqlite3_step(st) == SQLITE_ROW)
			json_object_set_new(o, "weighted_reporters", json_real(sqlite3_column_double(st, 0)));
		sqlite3_reset(st);
	}
	if ((st = sq_stmt(s, Q_SOURCE_BY_CHANNEL)) != NULL) {
		sqlite3_bind_int64(st, 1, sid);
		json_object_set_new(o, "by_channel", pairs_json(st));
	}
	if ((st = sq_stmt(s, Q_SOURCE_BY_DAY)) != NULL) {
		sqlite3_bind_int64(st, 1, sid);
		json_object_set_new(o, "by_day", pairs_json(st));
	}
	*out = o;
	return RP_OK;
}

/* stats_days - [{day, channel, reports, duplicates}] since a time. */
static json_t *stats_days(struct sq *s, int64_t since)
{
	sqlite3_stmt *st = sq_stmt(s, Q_STATS_DAYS);
	json_t *a = json_array();

	if (st == NULL)
		return a;
	sqlite3_bind_int64(st, 1, since);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I}", "day", (const char *)sqlite3_column_text(st, 0),
						   "channel", (const char *)sqlite3_column_text(st, 1), "reports",
						   (json_int_t)sqlite3_column_int64(st, 2), "duplicates",
						   (json_int_t)sqlite3_column_int64(st, 3)));
	sqlite3_reset(st);
	return a;
}

/* stats_top - the most reported sources seen since a time. */
static json_t *stats_top(struct sq *s, int64_t since)
{
	sqlite3_stmt *st = sq_stmt(s, Q_STATS_TOP);
	json_t *a = json_array();

	if (st == NULL)
		return a;
	sqlite3_bind_int64(st, 1, since);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I, s:I}", "kind",
						   (const char *)sqlite3_column_text(st, 0), "value",
						   (const char *)sqlite3_column_text(st, 1), "reports",
						   (json_int_t)sqlite3_column_int64(st, 2), "reporters",
						   (json_int_t)sqlite3_column_int64(st, 3), "last_seen",
						   (json_int_t)sqlite3_column_int64(st, 4)));
	sqlite3_reset(st);
	return a;
}

/* sq_stats_json - totals, reports per day per channel, top sources. */
int sq_stats_json(void *impl, int64_t since, json_t **out)
{
	struct sq *s = impl;
	sqlite3_stmt *st = sq_stmt(s, Q_STATS_TOTALS);

	if (st == NULL || sqlite3_step(st) != SQLITE_ROW)
		return RP_EDB;
	json_t *o = json_pack("{s:{s:I, s:I, s:I, s:I, s:I}, s:I}", "totals", "reports",
			      (json_int_t)sqlite3_column_int64(st, 0), "duplicates", (json_int_t)sqlite3_column_int64(st, 1),
			      "sources", (json_int_t)sqlite3_column_int64(st, 2), "campaigns",
			      (json_int_t)sqlite3_column_int64(st, 3), "open_cases", (json_int_t)sqlite3_column_int64(st, 4),
			      "since", (json_int_t)since);
	sqlite3_reset(st);
	json_object_set_new(o, "per_day", stats_days(s, since));
	json_object_set_new(o, "top_sources", stats_top(s, since));
	*out = o;
	return RP_OK;
}

/* state_parse - case state from its stored name. */
static enum rp_case_state state_parse(const char *name)
{
	for (int i = 0; i < RP_CASE_N_STATES; i++)
		if (name != NULL && strcmp(name, rp_case_state_name((enum rp_case_state)i)) == 0)
			return (enum rp_case_state)i;
	return RP_CASE_N_STATES;
}

/* sq_case_state - a case's state. */
int sq_case_state(void *impl, int64_t case_id, enum rp_case_state *out)
{
	struct sq *s = impl;
	sqlite3_stmt *st = sq_stmt(s, Q_CASE_GET);

	if (st == NULL)
		return RP_EDB;
	sqlite3_bind_int64(st, 1, case_id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? RP_ENOTFOUND : RP_EDB;
	*out = state_parse((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return RP_OK;
}

/* sq_case_for_source - the case of a source. */
int sq_case_for_source(void *impl, enum rp_source_kind kind, const char *value, int64_t *case_id)
{
	struct sq *s = impl;
	sqlite3_stmt *st = sq_stmt(s, Q_CASE_FOR_SOURCE);

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, rp_source_kind_name(kind));
	sq_bind_text(st, 2, value);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? RP_ENOTFOUND : RP_EDB;
	*case_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return RP_OK;
}

/* sq_audit_json - newest audit records, optionally about one object. */
int sq_audit_json(void *impl, const char *object, size_t limit, json_t **out)
{
	struct sq *s = impl;
	sqlite3_stmt *st = sq_stmt(s, object ? Q_AUDIT_OBJECT : Q_AUDIT_ALL);
	json_t *a = json_array();

	if (st == NULL) {
		json_decref(a);
		return RP_EDB;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(limit ? limit : 100));
	if (object != NULL)
		sq_bind_text(st, 2, object);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *e = json_pack("{s:I, s:I, s:s, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0), "at",
				      (json_int_t)sqlite3_column_int64(st, 1), "actor",
				      (const char *)sqlite3_column_text(st, 2), "action",
				      (const char *)sqlite3_column_text(st, 3));
		const char *obj = (const char *)sqlite3_column_text(st, 4);
		const char *why = (const char *)sqlite3_column_text(st, 5);
		json_object_set_new(e, "object", obj ? json_string(obj) : json_null());
		json_object_set_new(e, "reason", why ? json_string(why) : json_null());
		json_array_append_new(a, e);
	}
	sqlite3_reset(st);
	*out = a;
	return RP_OK;
}

/* report_summary - one row of Q_REPORT_SEARCH as JSON. */
static json_t *report_summary(sqlite3_stmt *st)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", (const char *)sqlite3_column_text(st, 0), "channel",
			      (const char *)sqlite3_column_text(st, 1), "reporter_id",
			      (const char *)sqlite3_column_text(st, 2), "received_at",
			      (json_int_t)sqlite3_column_int64(st, 3), "dup_count", (json_int_t)sqlite3_column_int64(st, 6));
	const char *origin = (const char *)sqlite3_column_text(st, 4);
	const char *msgid = (const char *)sqlite3_column_text(st, 5);

	json_object_set_new(j, "origin", origin ? json_string(origin) : json_null());
	json_object_set_new(j, "message_id", msgid ? json_string(msgid) : json_null());
	json_object_set_new(j, "campaign_id", sqlite3_column_type(st, 7) == SQLITE_NULL
						      ? json_null()
						      : json_integer(sqlite3_column_int64(st, 7)));
	return j;
}

/* sq_report_search_json - one page of reports, newest first, with the next page's cursor. */
int sq_report_search_json(void *impl, const struct rp_report_query *q, json_t **out)
{
	struct sq *s = impl;
	sqlite3_stmt *st = sq_stmt(s, Q_REPORT_SEARCH);
	json_t *list = json_array();
	char last[RP_REPORT_ID_LEN] = "";

	if (st == NULL) {
		json_decref(list);
		return RP_EDB;
	}
	sq_bind_text(st, 1, q->reporter_id);
	if (q->by_source) {
		sq_bind_text(st, 2, rp_source_kind_name(q->source_kind));
		sq_bind_text(st, 3, q->source_value);
	}
	if (q->campaign_id != 0)
		sqlite3_bind_int64(st, 4, q->campaign_id);
	sq_bind_text(st, 5, q->channel);
	sqlite3_bind_int64(st, 6, q->since);
	if (q->until != 0)
		sqlite3_bind_int64(st, 7, q->until);
	sq_bind_text(st, 8, q->before_id);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)q->limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_array_append_new(list, report_summary(st));
		snprintf(last, sizeof(last), "%s", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	bool more = json_array_size(list) == q->limit;
	*out = json_pack("{s:o, s:o}", "reports", list, "next", more ? json_string(last) : json_null());
	return RP_OK;
}

/* campaign_extras - distinct reporters, channels, top sources and newest reports of a campaign. */
static void campaign_extras(struct sq *s, int64_t id, json_t *o)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(s, Q_CAMPAIGN_REPORTERS)) != NULL) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			json_object_set_new(o, "reporters", json_integer(sqlite3_column_int64(st, 0)));
			json_object_set_new(o, "duplicates", json_integer(sqlite3_column_int64(st, 1)));
		}
		sqlite3_reset(st);
	}
	if ((st = sq_stmt(s, Q_CAMPAIGN_CHANNELS)) != NULL) {
		sqlite3_bind_int64(st, 1, id);
		json_object_set_new(o, "by_channel", pairs_json(st));
	}
	json_t *src = json_array(), *ids = json_array();
	if ((st = sq_stmt(s, Q_CAMPAIGN_SOURCES)) != NULL) {
		sqlite3_bind_int64(st, 1, id);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(src, json_pack("{s:s, s:s, s:I}", "kind", (const char *)sqlite3_column_text(st, 0),
							     "value", (const char *)sqlite3_column_text(st, 1), "reports",
							     (json_int_t)sqlite3_column_int64(st, 2)));
		sqlite3_reset(st);
	}
	if ((st = sq_stmt(s, Q_CAMPAIGN_RECENT_REPORTS)) != NULL) {
		sqlite3_bind_int64(st, 1, id);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(ids, json_string((const char *)sqlite3_column_text(st, 0)));
		sqlite3_reset(st);
	}
	json_object_set_new(o, "top_sources", src);
	json_object_set_new(o, "recent_reports", ids);
}

/* sq_campaign_json - one campaign. */
int sq_campaign_json(void *impl, int64_t id, json_t **out)
{
	struct sq *s = impl;
	sqlite3_stmt *st = sq_stmt(s, Q_CAMPAIGN_GET);

	if (st == NULL)
		return RP_EDB;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? RP_ENOTFOUND : RP_EDB;
	const char *fp = (const char *)sqlite3_column_text(st, 1);
	json_t *o = json_pack("{s:I, s:I, s:I, s:I}", "id", (json_int_t)sqlite3_column_int64(st, 0), "first_seen",
			      (json_int_t)sqlite3_column_int64(st, 2), "last_seen", (json_int_t)sqlite3_column_int64(st, 3),
			      "reports", (json_int_t)sqlite3_column_int64(st, 4));
	json_object_set_new(o, "fingerprint", fp ? json_string(fp) : json_null());
	sqlite3_reset(st);
	campaign_extras(s, id, o);
	*out = o;
	return RP_OK;
}
