/* store_sqlite_int.h - private to the SQLite back end of the storage module: the
 * connection state, the ids of its prepared statements (their SQL is in stmt_sql[] in
 * store_sqlite.c), helpers shared by store_sqlite.c (schema, transactions, writes) and
 * store_sqlite_query.c (reads and JSON views). */
#ifndef STORE_SQLITE_INT_H
#define STORE_SQLITE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "repute/store.h"

/* Every statement the back end runs, prepared once per connection on first use. */
enum stmt_id {
	Q_DUP_MSGID, Q_DUP_FP, Q_DUP_BUMP, Q_CAMPAIGN_RECENT, Q_CAMPAIGN_BUMP, Q_CAMPAIGN_NEW,
	Q_REPORT_INSERT, Q_REPORTER_BUMP, Q_SOURCE_UPSERT, Q_REPORT_SOURCE, Q_SOURCE_REPORTS,
	Q_SOURCE_REPORTER, Q_SOURCE_REPORTERS, Q_CASE_OPEN, Q_REPORT_GET, Q_REPORT_COUNT,
	Q_REPORTER_ADD, Q_REPORTER_FIND, Q_KEY_ADD, Q_KEY_LOOKUP, Q_KEY_REVOKE, Q_SOURCE_GET,
	Q_SOURCE_BY_CHANNEL, Q_SOURCE_BY_DAY, Q_CASE_GET, Q_CASE_SET, Q_CASE_FOR_SOURCE,
	Q_AUDIT_ADD, Q_AUDIT_ALL, Q_AUDIT_OBJECT, Q_STATS_DAYS, Q_STATS_TOP, Q_STATS_TOTALS,
	Q_REPORT_SEARCH, Q_CAMPAIGN_GET, Q_CAMPAIGN_REPORTERS, Q_CAMPAIGN_CHANNELS, Q_CAMPAIGN_SOURCES,
	Q_CAMPAIGN_RECENT_REPORTS, Q_SWEEP_RAW, Q_REPORTERS_REJECTED, Q_SOURCE_WEIGHT,
	Q_N
};

struct sq {
	sqlite3 *db;
	sqlite3_stmt *stmt[Q_N];
	size_t campaign_scan;
	bool (*fp_match)(const struct rp_fingerprint *a, const struct rp_fingerprint *b);
	bool in_txn;
	struct sq_camps *camps; /* recent campaigns in memory (store_sqlite_campaign.c), or NULL */
	struct sq_lcache *lcache; /* listing statements prepared once (store_sqlite_listing.c), or NULL */
};

/* sq_lcache_free - finalize the listing module's cached statements (before sqlite3_close). */
void sq_lcache_free(struct sq *s);

/* sq_fail - record SQLite's message about what failed; returns RP_EDB. */
int sq_fail(struct sq *s, struct rp_diag *diag, const char *what);
/* sq_stmt - statement id prepared (first use) or reset with bindings cleared; NULL on error. */
sqlite3_stmt *sq_stmt(struct sq *s, enum stmt_id id);
/* sq_bind_text - bind a string, or NULL when v is NULL (v must outlive the step). */
void sq_bind_text(sqlite3_stmt *st, int i, const char *v);
/* sq_col_dup - heap copy of a text column (xfree), or NULL. */
char *sq_col_dup(sqlite3_stmt *st, int i);
/* sq_step_done - run a statement that returns no row; RP_EDB with diag on failure. */
int sq_step_done(struct sq *s, sqlite3_stmt *st, struct rp_diag *diag, const char *what);
/* sq_now - Unix seconds. */
int64_t sq_now(void);

/* Read-only operations of struct rp_store_ops (store_sqlite_query.c). */
int sq_report_get(void *impl, const char *id, struct rp_report **out);
int sq_report_count(void *impl, int64_t *out);
int sq_reporter_find(void *impl, const char *name, char *id_out, size_t id_len);
int sq_key_lookup(void *impl, const char *prefix, const char *hash_hex, struct rp_principal *out);
int sq_source_json(void *impl, enum rp_source_kind kind, const char *value, json_t **out);
int sq_stats_json(void *impl, int64_t since, json_t **out);
int sq_case_state(void *impl, int64_t case_id, enum rp_case_state *out);
int sq_case_for_source(void *impl, enum rp_source_kind kind, const char *value, int64_t *case_id);
int sq_audit_json(void *impl, const char *object, size_t limit, json_t **out);
int sq_report_search_json(void *impl, const struct rp_report_query *q, json_t **out);
int sq_campaign_json(void *impl, int64_t id, json_t **out);

/* Listings, providers and delisting requests (store_sqlite_listing.c). */
extern const struct rp_store_listing_ops sq_listing_ops;
/* Console users and sessions (store_sqlite_users.c). */
extern const struct rp_store_user_ops sq_user_ops;
/* Provider members and the complaint feed (store_sqlite_provider.c). */
extern const struct rp_store_provider_ops sq_provider_ops;

/* store_sqlite_campaign.c: the recent campaigns kept in memory for the writer. */
struct sq_camps;
/* sq_camps_find - first of the storage.campaign_scan most recent campaigns whose fingerprint
 * is the same as fp by same() (id in *found, 0 if none); RP_EDB when they cannot be read. */
int sq_camps_find(struct sq *s, const struct rp_fingerprint *fp,
		  bool (*same)(struct sq *, const struct rp_fingerprint *, const struct rp_fingerprint *), int64_t *found,
		  struct rp_diag *diag);
/* sq_camps_touched - campaign id was just created or bumped (last_seen = max(last_seen, at)). */
void sq_camps_touched(struct sq *s, int64_t id, const struct rp_fingerprint *fp, int64_t at);
/* sq_camps_forget - a rollback happened: reload before the next use. */
void sq_camps_forget(struct sq *s);
/* sq_camps_free - free the copy; returns NULL. */
struct sq_camps *sq_camps_free(struct sq_camps *c);

#endif
