/* store.h - durable storage of the reporting centre: reports, reporters and API keys,
 * sources with aggregate counts, campaigns, cases and the append-only audit log.
 *
 * One module holds all SQL. The public functions below dispatch through a table of
 * callbacks (struct rp_store_ops, one back end per file group: store_sqlite*.c today, a
 * PostgreSQL back end later), chosen by the URL-ish path given to rp_store_open
 * ("sqlite:PATH" or a bare PATH). The schema is versioned; migrations run at open.
 *
 * Threading: one struct rp_store is one database connection; use it from one thread at a
 * time (reputed has one writer thread and a mutex-guarded reader). Everything returned
 * through an out pointer is owned by the caller and freed with the matching *_free.
 *
 * Transactions: rp_store_begin / rp_store_commit bracket a group commit; every mutating
 * call works inside or outside one and, on failure, leaves the database as before the call
 * (it runs inside its own savepoint). Nothing is durable until the commit returns 0. */
#ifndef REPUTE_STORE_H
#define REPUTE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "repute/error.h"
#include "repute/fingerprint.h"

/* "R" + 26 Crockford base32 characters (48-bit milliseconds + 80 random bits) + NUL:
 * ids sort by time of receipt, and strictly increase for the reports of one connection
 * (within a millisecond the previous id plus one). */
#define RP_REPORT_ID_LEN 28
/* An API key as shown once: "rpk_" + 43 base64url characters (32 random bytes) + NUL. */
#define RP_KEY_LEN 48
/* The key prefix kept in clear for lookup: the first 12 characters ("rpk_" + 8). */
#define RP_KEY_PREFIX_LEN 12

enum rp_source_kind {
	RP_SRC_IP4 = 0,  /* "192.0.2.7" */
	RP_SRC_IP6_64,   /* "2001:db8:1:2::/64": the /64 an IPv6 address is in */
	RP_SRC_DOMAIN,   /* registrable domain, punycode, lower case */
	RP_SRC_PHONE,    /* E.164 "+8613800138000" */
	RP_SRC_N_KINDS,
};

enum rp_case_state {
	RP_CASE_NEW = 0,
	RP_CASE_CONFIRMED,
	RP_CASE_LISTED,
	RP_CASE_RESOLVED,
	RP_CASE_REJECTED,
	RP_CASE_N_STATES,
};

struct rp_store_config {
	const char *path;        /* "sqlite:var/repute.db" or "var/repute.db" */
	long busy_timeout_ms;    /* wait for a lock this long (0 = 5000) */
	size_t campaign_scan;    /* recent campaigns compared with a new fingerprint (0 = 500) */
	/* fp_match - same campaign? NULL compares fingerprints for equality. reputed passes
	 * rp_fingerprint_match; tests may pass their own. */
	bool (*fp_match)(const struct rp_fingerprint *a, const struct rp_fingerprint *b);
};

/* A source a report is about (the origin IP, domains of its URLs, the SMS sender). */
struct rp_source_ref {
	enum rp_source_kind kind;
	const char *value; /* normalised as described for enum rp_source_kind */
};

/* One report as handed to the store. Strings may be NULL unless said otherwise. */
struct rp_report_in {
	const char *channel;       /* required: "http", "smtp", "sms", "form", "operator", "import" */
	const char *reporter_id;   /* required: a reporter id from rp_store_reporter_add */
	int64_t received_at;       /* Unix seconds */
	const void *raw;           /* the original as received (message or SMS JSON) */
	size_t raw_len;
	const char *evidence_json; /* evidence object, compact JSON */
	const char *message_id;    /* Message-ID of the reported message */
	const char *fingerprint;   /* text form (rp_fingerprint_format) */
	const struct rp_fingerprint *fp; /* for campaign grouping; NULL or empty = none */
	const char *origin;        /* origin IP, or the SMS sender */
	const struct rp_source_ref *sources;
	size_t n_sources;
};

struct rp_report_result {
	char id[RP_REPORT_ID_LEN];
	bool duplicate;      /* merged into an existing report: id is that report's */
	long dup_count;      /* times it was received again after the first */
	int64_t campaign_id; /* 0 when not grouped */
};

struct rp_report {
	char id[RP_REPORT_ID_LEN];
	char *channel;
	char *reporter_id;
	int64_t received_at;
	void *raw;           /* raw_len bytes plus a NUL; NULL when swept by retention */
	size_t raw_len;
	char *evidence_json;
	char *message_id;
	char *fingerprint;
	char *origin;
	long dup_count;
	int64_t campaign_id;
};

/* A report search (GET /v1/reports): every set member narrows it; newest first. */
struct rp_report_query {
	const char *reporter_id;  /* only this reporter's reports, or NULL */
	bool by_source;           /* source_kind and source_value are set */
	enum rp_source_kind source_kind;
	const char *source_value;
	int64_t campaign_id;      /* 0 = any */
	const char *channel;      /* NULL = any */
	int64_t since, until;     /* received_at in [since, until); until 0 = no bound */
	const char *before_id;    /* keyset pagination: ids below this one (the previous page's "next") */
	size_t limit;             /* 1..1000 (0 = 50) */
};

/* The caller of an authenticated request. */
struct rp_principal {
	char reporter_id[32];
	char name[64];
	char role[16];
	int64_t key_id;
};

struct rp_store;
struct rp_store_listing_ops; /* listings, providers, delisting requests: see repute/listing.h */
struct rp_store_user_ops;    /* console users and sessions: see the end of this header */

/* The callbacks a back end provides; see the rp_store_* functions for each contract. */
struct rp_store_ops {
	const char *scheme; /* "sqlite" */
	int (*open)(const struct rp_store_config *cfg, void **impl, struct rp_diag *diag);
	void (*close)(void *impl);
	int (*schema_version)(void *impl);
	int (*begin)(void *impl, struct rp_diag *diag);
	int (*commit)(void *impl, struct rp_diag *diag);
	int (*rollback)(void *impl);
	int (*report_add)(void *impl, const struct rp_report_in *in, const char *new_id,
			  struct rp_report_result *res, struct rp_diag *diag);
	int (*report_get)(void *impl, const char *id, struct rp_report **out);
	int (*report_count)(void *impl, int64_t *out);
	int (*reporter_add)(void *impl, const char *id, const char *name, const char *role,
			    struct rp_diag *diag);
	int (*reporter_find)(void *impl, const char *name, char *id_out, size_t id_len);
	int (*key_add)(void *impl, const char *reporter_id, const char *role, const char *prefix,
		       const char *hash_hex, int64_t *key_id, struct rp_diag *diag);
	int (*key_lookup)(void *impl, const char *prefix, const char *hash_hex, struct rp_principal *out);
	int (*key_revoke)(void *impl, int64_t key_id, struct rp_diag *diag);
	int (*source_json)(void *impl, enum rp_source_kind kind, const char *value, json_t **out);
	int (*stats_json)(void *impl, int64_t since, json_t **out);
	int (*case_transition)(void *impl, int64_t case_id, enum rp_case_state to, const char *actor,
			       const char *reason, struct rp_diag *diag);
	int (*case_state)(void *impl, int64_t case_id, enum rp_case_state *out);
	int (*case_for_source)(void *impl, enum rp_source_kind kind, const char *value, int64_t *case_id);
	int (*audit_append)(void *impl, const char *actor, const char *action, const char *object,
			    const char *reason, struct rp_diag *diag);
	int (*audit_json)(void *impl, const char *object, size_t limit, json_t **out);
	int (*report_search_json)(void *impl, const struct rp_report_query *q, json_t **out);
	int (*campaign_json)(void *impl, int64_t id, json_t **out);
	int (*sweep_raw)(void *impl, int64_t before, size_t limit, int64_t *n, struct rp_diag *diag);
	const struct rp_store_listing_ops *listing; /* listing storage (repute/listing.h) */
	const struct rp_store_user_ops *users;      /* console accounts and sessions (below) */
	const struct rp_store_provider_ops *provider; /* provider members, complaint feed (below) */
};

/* rp_store_open - open (creating if needed) and migrate to the current schema version.
 * RP_EDB with a reason in diag when the database cannot be opened or migrated;
 * RP_EUNSUPP for an unknown scheme or a database newer than this program. */
int rp_store_open(const struct rp_store_config *cfg, struct rp_store **out, struct rp_diag *diag);
/* rp_store_close - roll back any open transaction and close; accepts NULL, returns NULL. */
struct rp_store *rp_store_close(struct rp_store *st);
/* rp_store_schema_version - the version the database is at (rp_store_schema_latest after open). */
int rp_store_schema_version(struct rp_store *st);
int rp_store_schema_latest(void);

int rp_store_begin(struct rp_store *st, struct rp_diag *diag);
/* rp_store_commit - commit and make durable (fsync) every change since rp_store_begin. */
int rp_store_commit(struct rp_store *st, struct rp_diag *diag);
int rp_store_rollback(struct rp_store *st);

/* rp_store_report_add - store one report with its sources, campaign and cases, or merge it
 * into an earlier report of the same reporter with the same Message-ID, or the same
 * fingerprint and origin (dup_count + 1, res->duplicate, res->id is the earlier id). */
int rp_store_report_add(struct rp_store *st, const struct rp_report_in *in, struct rp_report_result *res,
			struct rp_diag *diag);
/* rp_store_report_get - RP_ENOTFOUND when there is no such report. */
int rp_store_report_get(struct rp_store *st, const char *id, struct rp_report **out);
struct rp_report *rp_report_free(struct rp_report *r);
int rp_store_report_count(struct rp_store *st, int64_t *out);

/* rp_store_sweep_raw - retention: drop the raw originals of at most limit reports received
 * before a Unix time (evidence, counts and raw_len stay); *n says how many, and the sweep
 * is audited. Run it repeatedly until *n is 0. */
int rp_store_sweep_raw(struct rp_store *st, int64_t before, size_t limit, int64_t *n, struct rp_diag *diag);

/* rp_store_reporter_add - a new reporter with a fresh id ("U" + 16 base32) into id_out
 * (32 bytes); RP_EEXIST when the name is taken. role: see rp_role_valid. */
int rp_store_reporter_add(struct rp_store *st, const char *name, const char *role, char id_out[32],
			  struct rp_diag *diag);
/* rp_store_reporter_find - id of the reporter with this name, or RP_ENOTFOUND. */
int rp_store_reporter_find(struct rp_store *st, const char *name, char id_out[32]);
/* rp_role_valid - public, reporter, operator, gateway, provider, partner, analyst, admin. */
bool rp_role_valid(const char *role);

/* rp_store_key_create - a new random API key for reporter_id with role; the key text goes
 * to key_out (shown once: only its hash and prefix are stored). */
int rp_store_key_create(struct rp_store *st, const char *reporter_id, const char *role,
			char key_out[RP_KEY_LEN], int64_t *key_id, struct rp_diag *diag);
/* rp_store_key_verify - the principal owning key; RP_ENOTFOUND for an unknown or revoked
 * key (the comparison of hashes is constant-time). */
int rp_store_key_verify(struct rp_store *st, const char *key, struct rp_principal *out);
int rp_store_key_revoke(struct rp_store *st, int64_t key_id, struct rp_diag *diag);
/* rp_key_hash - hex BLAKE2b-256 (crypto_generichash) of a key text into out (65 bytes). */
void rp_key_hash(const char *key, char out[65]);

const char *rp_source_kind_name(enum rp_source_kind kind);
/* rp_source_classify - the kind and normalised value of a looked-up text (an IP address,
 * IPv6 /64, domain or phone number) into value (at least 64 bytes); RP_EINVAL when none. */
int rp_source_classify(const char *text, enum rp_source_kind *kind, char *value, size_t len);
/* rp_store_source_json - summary of one source: counts, first/last seen, counts by channel
 * and day, its case; RP_ENOTFOUND when never reported. Caller json_decref's *out. */
int rp_store_source_json(struct rp_store *st, enum rp_source_kind kind, const char *value, json_t **out);
/* rp_store_stats_json - reports per day per channel since a Unix time, top sources. */
int rp_store_stats_json(struct rp_store *st, int64_t since, json_t **out);

/* rp_store_report_search_json - {"reports": [summaries, newest first], "next": id or null}. */
int rp_store_report_search_json(struct rp_store *st, const struct rp_report_query *q, json_t **out);
/* rp_store_campaign_json - one campaign: counts, distinct reporters, channels, top sources,
 * newest report ids; RP_ENOTFOUND when there is none with this id. */
int rp_store_campaign_json(struct rp_store *st, int64_t id, json_t **out);

const char *rp_case_state_name(enum rp_case_state s);
/* rp_case_transition_valid - new -> confirmed -> listed -> resolved; any open -> rejected;
 * resolved or rejected -> new (reopened by fresh evidence or an analyst). */
bool rp_case_transition_valid(enum rp_case_state from, enum rp_case_state to);
/* rp_store_case_transition - change a case's state and append the audit record, in one
 * transaction; RP_EINVAL (diag says why) for a transition not allowed or no reason. */
int rp_store_case_transition(struct rp_store *st, int64_t case_id, enum rp_case_state to, const char *actor,
			     const char *reason, struct rp_diag *diag);
int rp_store_case_state(struct rp_store *st, int64_t case_id, enum rp_case_state *out);
int rp_store_case_for_source(struct rp_store *st, enum rp_source_kind kind, const char *value,
			     int64_t *case_id);

/* rp_store_audit_append - one append-only audit record (the database refuses update and delete). */
int rp_store_audit_append(struct rp_store *st, const char *actor, const char *action, const char *object,
			  const char *reason, struct rp_diag *diag);
/* rp_store_audit_json - the newest records (about object, or all when NULL), newest first. */
int rp_store_audit_json(struct rp_store *st, const char *object, size_t limit, json_t **out);

/* rp_id_new - prefix + 26 Crockford base32 characters of (48-bit ms time, 80 random bits). */
void rp_id_new(char prefix, char out[RP_REPORT_ID_LEN]);

/* rp_store_backend - the back end's callbacks and connection, for modules that keep their
 * own group of callbacks (the listing storage in listing_store.c). */
const struct rp_store_ops *rp_store_backend(struct rp_store *st, void **impl);

extern const struct rp_store_ops rp_store_sqlite_ops;

/* Console accounts (docs/web-console.md): a user logs in with a password (argon2id,
 * crypto_pwhash_str) and files reports as its own reporter (same name, created with it).
 * A session is a random token given to the browser once; the database keeps its
 * BLAKE2b-256 hash, the user, a CSRF token and an expiry. */
#define RP_TOKEN_LEN 48 /* 32 random bytes as base64url (43 characters) + NUL, like a key */

struct rp_user {
	int64_t id;
	char name[64];
	char reporter_id[32];
	char role[16];
};

struct rp_store_user_ops {
	int (*user_add)(void *impl, const char *name, const char *reporter_id, const char *role,
			const char *pwhash, int64_t *id, struct rp_diag *diag);
	/* user_get - the enabled user named name and its password hash (pwhash_len bytes). */
	int (*user_get)(void *impl, const char *name, struct rp_user *out, char *pwhash, size_t pwhash_len);
	int (*session_add)(void *impl, const char *hash_hex, int64_t user_id, const char *csrf, int64_t expires_at,
			   struct rp_diag *diag);
	int (*session_get)(void *impl, const char *hash_hex, int64_t now, struct rp_user *out,
			   char csrf[RP_TOKEN_LEN]);
	int (*session_del)(void *impl, const char *hash_hex, int64_t now, struct rp_diag *diag);
	int (*case_queue_json)(void *impl, const char *state, size_t limit, json_t **out);
};

/* rp_user_role_valid - public, reporter, provider, partner, analyst, admin. */
bool rp_user_role_valid(const char *role);
/* rp_store_user_create - hash password (argon2id) and add the user, with the reporter of
 * the same name (created with role when missing), audited as user.create by actor.
 * RP_EEXIST when the user name is taken, RP_EINVAL for a bad role or an empty password. */
int rp_store_user_create(struct rp_store *st, const char *name, const char *role, const char *password,
			 const char *actor, int64_t *id, struct rp_diag *diag);
/* rp_store_user_login - the user when name and password match; RP_ENOTFOUND otherwise
 * (an unknown name costs the same hashing as a wrong password). */
int rp_store_user_login(struct rp_store *st, const char *name, const char *password, struct rp_user *out);
/* rp_store_session_create - a new session for user_id lasting ttl seconds: its token (given
 * to the browser only) and CSRF token into the out arrays. Expired sessions are dropped. */
int rp_store_session_create(struct rp_store *st, int64_t user_id, int64_t ttl, char token[RP_TOKEN_LEN],
			    char csrf[RP_TOKEN_LEN], struct rp_diag *diag);
/* rp_store_session_get - the user and CSRF token of a live session; RP_ENOTFOUND when the
 * token is unknown, expired or its user disabled. */
int rp_store_session_get(struct rp_store *st, const char *token, struct rp_user *out, char csrf[RP_TOKEN_LEN]);
/* rp_store_session_delete - end a session (logout); unknown tokens are not an error. */
int rp_store_session_delete(struct rp_store *st, const char *token, struct rp_diag *diag);
/* rp_store_case_queue_json - {"cases": [{"id", "state", "kind", "value", "reports",
 * "reporters", "opened_at", "updated_at", "last_report"}]} in state (NULL: new), oldest
 * update first, at most limit (1..500). Caller json_decref's *out. */
int rp_store_case_queue_json(struct rp_store *st, const char *state, size_t limit, json_t **out);
/* rp_random_token - 32 random bytes as base64url without padding. */
void rp_random_token(char out[RP_TOKEN_LEN]);

/* The complaint feed of providers (docs/provider-feed.md): a reporter (a console user's or an
 * API key's) is a member of at most one provider organisation of the registry
 * (repute/listing.h); the feed of a provider is every report whose origin address lies in
 * one of its current networks. Summaries never name the reporter. */
struct rp_complaint_query {
	const char *provider;  /* only reports from this provider's networks; NULL = every report
				* with an IP origin inside any provider's networks */
	const char *before_id; /* keyset pagination: ids below this one (the previous "next") */
	size_t limit;          /* 1..500 (0 = 50) */
};

struct rp_store_provider_ops {
	int (*member_set)(void *impl, const char *provider, const char *reporter_id, bool add, const char *actor,
			  const char *reason, int64_t now, struct rp_diag *diag);
	int (*member_of)(void *impl, const char *reporter_id, char *provider, size_t len);
	int (*provider_json)(void *impl, const char *provider, json_t **out);
	int (*complaints_json)(void *impl, const struct rp_complaint_query *q, json_t **out);
	int (*complaint_in)(void *impl, const char *provider, const char *report_id, bool *inside);
};

/* rp_store_provider_member - make the reporter named member (a console user or a key's
 * reporter) a member of provider (add), or end its membership; audited as provider.member.
 * RP_ENOTFOUND for an unknown provider or reporter; a reporter belongs to one provider. */
int rp_store_provider_member(struct rp_store *st, const char *provider, const char *member, bool add,
			     const char *actor, const char *reason, struct rp_diag *diag);
/* rp_store_provider_of - the name of the provider reporter_id belongs to into provider
 * (len bytes, 64 is enough); RP_ENOTFOUND when none. */
int rp_store_provider_of(struct rp_store *st, const char *reporter_id, char *provider, size_t len);
/* rp_store_provider_json - {"name", "contact", "created_at", "networks": [...], "domains": [...]};
 * RP_ENOTFOUND for an unknown provider. Caller json_decref's *out. */
int rp_store_provider_json(struct rp_store *st, const char *provider, json_t **out);
/* rp_store_complaints_json - {"complaints": [{"id", "received_at", "channel", "origin",
 * "network", "provider", "message_id", "dup_count", "campaign_id", "sources"}], "next": id or
 * null}, newest first. Caller json_decref's *out. */
int rp_store_complaints_json(struct rp_store *st, const struct rp_complaint_query *q, json_t **out);
/* rp_store_complaint_in - *inside when report_id's origin lies in provider's current
 * networks; RP_ENOTFOUND when there is no such report. */
int rp_store_complaint_in(struct rp_store *st, const char *provider, const char *report_id, bool *inside);

#endif
