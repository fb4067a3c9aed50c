/* store_sqlite_users.c - console accounts and sessions (struct rp_store_user_ops in
 * include/repute/store.h): the public rp_store_user_* / rp_store_session_* calls, which hash
 * passwords (argon2id, libsodium crypto_pwhash_str) and tokens (BLAKE2b-256) before anything
 * reaches the back end, and the SQLite back end of the users and sessions tables (migration
 * 3 in store_sqlite.c), plus the analyst's case queue. Statements are prepared per call:
 * logins are rare next to report intake. The wrappers sit here rather than in store.c so the
 * console's storage stays in one file; a second back end would move them to store_users.c. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "repute/alloc.h"
#include "repute/store.h"

#include "store_sqlite_int.h"

#define SESSION_SWEEP_SQL "DELETE FROM sessions WHERE expires_at <= ?1"

/* uprep - prepare one statement; NULL (diag set when given) on error. */
static sqlite3_stmt *uprep(struct sq *s, const char *sql, struct rp_diag *diag)
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

/* urun - step a statement that returns no row and finalise it. */
static int urun(struct sq *s, sqlite3_stmt *st, struct rp_diag *diag, const char *what)
{
	int rc = sq_step_done(s, st, diag, what);

	sqlite3_finalize(st);
	return rc;
}

/* copy_col - a text column into a fixed array (empty when NULL). */
static void copy_col(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(out, len, "%s", t ? (const char *)t : "");
}

/* sq_user_add - insert one user row. */
static int sq_user_add(void *impl, const char *name, const char *reporter_id, const char *role, const char *pwhash,
		       int64_t *id, struct rp_diag *diag)
{
	struct sq *s = impl;
	sqlite3_stmt *st = uprep(s, "INSERT INTO users(name, reporter_id, role, pwhash, created_at) "
				    "VALUES (?1, ?2, ?3, ?4, ?5)", diag);

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, name);
	sq_bind_text(st, 2, reporter_id);
	sq_bind_text(st, 3, role);
	sq_bind_text(st, 4, pwhash);
	sqlite3_bind_int64(st, 5, sq_now());
	int step = sqlite3_step(st);
	sqlite3_finalize(st);
	if ((step & 0xff) == SQLITE_CONSTRAINT) { /* with or without extended result codes */
		rp_diag_set(diag, 0, 0, "user \"%s\" exists", name);
		return RP_EEXIST;
	}
	if (step != SQLITE_DONE)
		return sq_fail(s, diag, "user insert");
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	return RP_OK;
}

/* sq_user_get - an enabled user by name with its password hash. */
static int sq_user_get(void *impl, const char *name, struct rp_user *out, char *pwhash, size_t pwhash_len)
{
	struct sq *s = impl;
	sqlite3_stmt *st = uprep(s, "SELECT id, name, reporter_id, role, pwhash FROM users "
				    "WHERE name = ?1 AND disabled_at IS NULL", NULL);

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, name);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		copy_col(st, 1, out->name, sizeof(out->name));
		copy_col(st, 2, out->reporter_id, sizeof(out->reporter_id));
		copy_col(st, 3, out->role, sizeof(out->role));
		copy_col(st, 4, pwhash, pwhash_len);
	}
	sqlite3_finalize(st);
	return step == SQLITE_ROW ? RP_OK : step == SQLITE_DONE ? RP_ENOTFOUND : RP_EDB;
}

/* sq_session_add - drop expired sessions, insert a new one. */
static int sq_session_add(void *impl, const char *hash_hex, int64_t user_id, const char *csrf, int64_t expires_at,
			  struct rp_diag *diag)
{
	struct sq *s = impl;
	sqlite3_stmt *st = uprep(s, SESSION_SWEEP_SQL, diag);

	if (st == NULL)
		return RP_EDB;
	sqlite3_bind_int64(st, 1, sq_now());
	if (urun(s, st, diag, "session sweep") != RP_OK)
		return RP_EDB;
	st = uprep(s, "INSERT INTO sessions(hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
		   diag);
	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, hash_hex);
	sqlite3_bind_int64(st, 2, user_id);
	sq_bind_text(st, 3, csrf);
	sqlite3_bind_int64(st, 4, sq_now());
	sqlite3_bind_int64(st, 5, expires_at);
	return urun(s, st, diag, "session insert");
}

/* sq_session_get - the user of a live session. */
static int sq_session_get(void *impl, const char *hash_hex, int64_t now, struct rp_user *out, char csrf[RP_TOKEN_LEN])
{
	struct sq *s = impl;
	sqlite3_stmt *st = uprep(s, "SELECT u.id, u.name, u.reporter_id, u.role, x.csrf FROM sessions x "
				    "JOIN users u ON u.id = x.user_id "
				    "WHERE x.hash = ?1 AND x.expires_at > ?2 AND u.disabled_at IS NULL", NULL);

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, hash_hex);
	sqlite3_bind_int64(st, 2, now);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		copy_col(st, 1, out->name, sizeof(out->name));
		copy_col(st, 2, out->reporter_id, sizeof(out->reporter_id));
		copy_col(st, 3, out->role, sizeof(out->role));
		copy_col(st, 4, csrf, RP_TOKEN_LEN);
	}
	sqlite3_finalize(st);
	return step == SQLITE_ROW ? RP_OK : step == SQLITE_DONE ? RP_ENOTFOUND : RP_EDB;
}

/* sq_session_del - delete one session and every expired one. */
static int sq_session_del(void *impl, const char *hash_hex, int64_t now, struct rp_diag *diag)
{
	struct sq *s = impl;
	sqlite3_stmt *st = uprep(s, "DELETE FROM sessions WHERE hash = ?1 OR expires_at <= ?2", diag);

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, hash_hex);
	sqlite3_bind_int64(st, 2, now);
	return urun(s, st, diag, "session delete");
}

/* case_row - one queue entry as JSON. */
static json_t *case_row(sqlite3_stmt *st)
{
	const unsigned char *last = sqlite3_column_text(st, 8);

	return json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s?}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			 "state", (const char *)sqlite3_column_text(st, 1), "kind",
			 (const char *)sqlite3_column_text(st, 2), "value", (const char *)sqlite3_column_text(st, 3),
			 "reports", (json_int_t)sqlite3_column_int64(st, 4), "reporters",
			 (json_int_t)sqlite3_column_int64(st, 5), "opened_at", (json_int_t)sqlite3_column_int64(st, 6),
			 "updated_at", (json_int_t)sqlite3_column_int64(st, 7), "last_report", (const char *)last);
}

/* sq_case_queue_json - cases in a state with their source's counts and newest report. */
static int sq_case_queue_json(void *impl, const char *state, size_t limit, json_t **out)
{
	struct sq *s = impl;
	sqlite3_stmt *st = uprep(s, "SELECT c.id, c.state, s.kind, s.value, s.reports, s.reporters, c.opened_at, "
				    "c.updated_at, (SELECT MAX(rs.report_id) FROM report_sources rs "
				    "WHERE rs.source_id = s.id) FROM cases c JOIN sources s ON s.id = c.source_id "
				    "WHERE c.state = ?1 ORDER BY s.reporters DESC, c.updated_at, c.id LIMIT ?2", NULL);

	if (st == NULL)
		return RP_EDB;
	sq_bind_text(st, 1, state);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	json_t *cases = json_array();
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(cases, case_row(st));
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		json_decref(cases);
		return RP_EDB;
	}
	*out = json_pack("{s:o}", "cases", cases);
	return RP_OK;
}

const struct rp_store_user_ops sq_user_ops = {
	.user_add = sq_user_add,
	.user_get = sq_user_get,
	.session_add = sq_session_add,
	.session_get = sq_session_get,
	.session_del = sq_session_del,
	.case_queue_json = sq_case_queue_json,
};

/* uops - the user callbacks of st's back end (NULL when it has none). */
static const struct rp_store_user_ops *uops(struct rp_store *st, void **impl)
{
	return rp_store_backend(st, impl)->users;
}

/* rp_user_role_valid - the roles a console user may have. */
bool rp_user_role_valid(const char *role)
{
	static const char *const roles[] = { "public", "reporter", "provider", "partner", "analyst", "admin" };

	for (size_t i = 0; role != NULL && i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(role, roles[i]) == 0)
			return true;
	return false;
}

/* rp_random_token - 32 random bytes, base64url. */
void rp_random_token(char out[RP_TOKEN_LEN])
{
	unsigned char rnd[32];

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2base64(out, RP_TOKEN_LEN, rnd, sizeof(rnd), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(rnd, sizeof(rnd));
}

/* add_user - reporter (found or made) then user row then audit record. */
static int add_user(struct rp_store *st, const char *name, const char *role, const char *pwhash, const char *actor,
		    int64_t *id, struct rp_diag *diag)
{
	char rid[32], object[64];
	void *impl;
	int64_t uid = 0;
	int rc = RP_OK;

	if (rp_store_reporter_find(st, name, rid) != RP_OK)
		rc = rp_store_reporter_add(st, name, role, rid, diag);
	if (rc == RP_OK)
		rc = uops(st, &impl)->user_add(impl, name, rid, role, pwhash, &uid, diag);
	snprintf(object, sizeof(object), "user:%lld", (long long)uid);
	if (rc == RP_OK)
		rc = rp_store_audit_append(st, actor ? actor : "cli", "user.create", object, role, diag);
	if (rc == RP_OK && id != NULL)
		*id = uid;
	return rc;
}

/* rp_store_user_create - validate, hash the password, add reporter and user in one transaction. */
int rp_store_user_create(struct rp_store *st, const char *name, const char *role, const char *password,
			 const char *actor, int64_t *id, struct rp_diag *diag)
{
	char pwhash[crypto_pwhash_STRBYTES];
	void *impl;

	if (!rp_user_role_valid(role)) {
		rp_diag_set(diag, 0, 0, "role must be public, reporter, provider, partner, analyst or admin");
		return RP_EINVAL;
	}
	if (name == NULL || name[0] == '\0' || strlen(name) >= 64 || password == NULL || password[0] == '\0') {
		rp_diag_set(diag, 0, 0, "a name of 1 to 63 bytes and a non-empty password are needed");
		return RP_EINVAL;
	}
	if (uops(st, &impl) == NULL)
		return RP_EUNSUPP;
	if (sodium_init() < 0 || crypto_pwhash_str_alg(pwhash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
						       crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		rp_diag_set(diag, 0, 0, "password hashing failed (out of memory)");
		return RP_ENOMEM;
	}
	int rc = rp_store_begin(st, diag);
	if (rc == RP_OK)
		rc = add_user(st, name, role, pwhash, actor, id, diag);
	if (rc == RP_OK)
		rc = rp_store_commit(st, diag);
	else
		rp_store_rollback(st);
	return rc;
}

/* rp_store_user_login - verify a password; unknown names are hashed too. */
int rp_store_user_login(struct rp_store *st, const char *name, const char *password, struct rp_user *out)
{
	char pwhash[crypto_pwhash_STRBYTES] = "";
	void *impl;
	const struct rp_store_user_ops *ops = uops(st, &impl);

	if (ops == NULL || name == NULL || password == NULL)
		return RP_EINVAL;
	int rc = ops->user_get(impl, name, out, pwhash, sizeof(pwhash));
	if (rc == RP_ENOTFOUND) {
		/* same cost as a wrong password, so a timing does not tell names apart */
		if (crypto_pwhash_str_alg(pwhash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
					  crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
			return RP_ENOMEM;
		return RP_ENOTFOUND;
	}
	if (rc != RP_OK)
		return rc;
	if (crypto_pwhash_str_verify(pwhash, password, strlen(password)) != 0) {
		memset(out, 0, sizeof(*out));
		return RP_ENOTFOUND;
	}
	return RP_OK;
}

/* rp_store_session_create - random token and CSRF token; only the token's hash is stored. */
int rp_store_session_create(struct rp_store *st, int64_t user_id, int64_t ttl, char token[RP_TOKEN_LEN],
			    char csrf[RP_TOKEN_LEN], struct rp_diag *diag)
{
	char hash[65];
	void *impl;
	const struct rp_store_user_ops *ops = uops(st, &impl);

	if (ops == NULL)
		return RP_EUNSUPP;
	rp_random_token(token);
	rp_random_token(csrf);
	rp_key_hash(token, hash);
	int rc = ops->session_add(impl, hash, user_id, csrf, sq_now() + ttl, diag);
	if (rc != RP_OK)
		sodium_memzero(token, RP_TOKEN_LEN);
	return rc;
}

/* rp_store_session_get - look a token up by its hash. */
int rp_store_session_get(struct rp_store *st, const char *token, struct rp_user *out, char csrf[RP_TOKEN_LEN])
{
	char hash[65];
	void *impl;
	const struct rp_store_user_ops *ops = uops(st, &impl);

	if (ops == NULL || token == NULL || strlen(token) != RP_TOKEN_LEN - 5)
		return RP_ENOTFOUND;
	rp_key_hash(token, hash);
	return ops->session_get(impl, hash, sq_now(), out, csrf);
}

/* rp_store_session_delete - logout. */
int rp_store_session_delete(struct rp_store *st, const char *token, struct rp_diag *diag)
{
	char hash[65];
	void *impl;
	const struct rp_store_user_ops *ops = uops(st, &impl);

	if (ops == NULL || token == NULL)
		return RP_OK;
	rp_key_hash(token, hash);
	return ops->session_del(impl, hash, sq_now(), diag);
}

/* rp_store_case_queue_json - the analyst's queue. */
int rp_store_case_queue_json(struct rp_store *st, const char *state, size_t limit, json_t **out)
{
	void *impl;
	const struct rp_store_user_ops *ops = uops(st, &impl);

	if (ops == NULL)
		return RP_EUNSUPP;
	if (limit < 1 || limit > 500)
		limit = 100;
	return ops->case_queue_json(impl, state ? state : "new", limit, out);
}
