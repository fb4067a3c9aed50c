/* store.c - the back-end independent half of the storage module: opening by scheme,
 * dispatch through struct rp_store_ops, report and reporter ids, API key generation and
 * hashing, and the names and rules of source kinds and case states. All SQL lives in the
 * back end files (store_sqlite.c). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "repute/alloc.h"
#include "repute/netaddr.h"
#include "repute/store.h"

struct rp_store {
	const struct rp_store_ops *ops;
	void *impl;
	char last_id[RP_REPORT_ID_LEN]; /* ids from one connection strictly increase */
};

static const struct rp_store_ops *const store_backends[] = { &rp_store_sqlite_ops };

/* rp_store_open - pick the back end by scheme, open and migrate. */
int rp_store_open(const struct rp_store_config *cfg, struct rp_store **out, struct rp_diag *diag)
{
	const char *colon = strchr(cfg->path, ':');
	const struct rp_store_ops *ops = &rp_store_sqlite_ops;
	struct rp_store_config c = *cfg;
	void *impl = NULL;

	if (sodium_init() < 0) {
		rp_diag_set(diag, 0, 0, "libsodium failed to initialise");
		return RP_EIO;
	}
	if (colon != NULL && colon - cfg->path > 1 && strchr(cfg->path, '/') > colon) {
		ops = NULL;
		for (size_t i = 0; i < sizeof(store_backends) / sizeof(store_backends[0]); i++)
			if (strncmp(cfg->path, store_backends[i]->scheme, (size_t)(colon - cfg->path)) == 0 &&
			    strlen(store_backends[i]->scheme) == (size_t)(colon - cfg->path))
				ops = store_backends[i];
		if (ops == NULL) {
			rp_diag_set(diag, 0, 0, "unknown storage scheme in \"%s\"", cfg->path);
			return RP_EUNSUPP;
		}
		c.path = colon + 1;
	}
	if (c.busy_timeout_ms <= 0)
		c.busy_timeout_ms = 5000;
	if (c.campaign_scan == 0)
		c.campaign_scan = 500;
	int rc = ops->open(&c, &impl, diag);
	if (rc != RP_OK)
		return rc;
	*out = xcalloc(1, sizeof(**out));
	(*out)->ops = ops;
	(*out)->impl = impl;
	return RP_OK;
}

/* rp_store_close - close the back end. */
struct rp_store *rp_store_close(struct rp_store *st)
{
	if (st != NULL) {
		st->ops->close(st->impl);
		xfree(st);
	}
	return NULL;
}

/* rp_store_schema_version - current version of the open database. */
int rp_store_schema_version(struct rp_store *st)
{
	return st->ops->schema_version(st->impl);
}

/* rp_store_begin - start a group transaction. */
int rp_store_begin(struct rp_store *st, struct rp_diag *diag)
{
	return st->ops->begin(st->impl, diag);
}

/* rp_store_commit - commit the group transaction durably. */
int rp_store_commit(struct rp_store *st, struct rp_diag *diag)
{
	return st->ops->commit(st->impl, diag);
}

/* rp_store_rollback - abandon the group transaction. */
int rp_store_rollback(struct rp_store *st)
{
	return st->ops->rollback(st->impl);
}

/* id_increment - the next id in Crockford base32 order (carrying to the left). */
static void id_increment(char id[RP_REPORT_ID_LEN])
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

	for (int i = RP_REPORT_ID_LEN - 2; i > 0; i--) {
		const char *p = strchr(alphabet, id[i]);
		if (p != NULL && p[1] != '\0') {
			id[i] = p[1];
			return;
		}
		id[i] = '0';
	}
}

/* rp_store_report_add - validate, give the report a new id and store or merge it. */
int rp_store_report_add(struct rp_store *st, const struct rp_report_in *in, struct rp_report_result *res,
			struct rp_diag *diag)
{
	char id[RP_REPORT_ID_LEN];

	if (in->channel == NULL || in->reporter_id == NULL || (in->raw == NULL && in->raw_len > 0)) {
		rp_diag_set(diag, 0, 0, "report without channel or reporter");
		return RP_EINVAL;
	}
	for (size_t i = 0; i < in->n_sources; i++)
		if (in->sources[i].kind >= RP_SRC_N_KINDS || in->sources[i].value == NULL ||
		    in->sources[i].value[0] == '\0') {
			rp_diag_set(diag, 0, 0, "source %zu is invalid", i);
			return RP_EINVAL;
		}
	rp_id_new('R', id);
	if (strcmp(id, st->last_id) <= 0) { /* the same millisecond (or a clock step back) */
		memcpy(id, st->last_id, sizeof(id));
		id_increment(id);
	}
	memcpy(st->last_id, id, sizeof(id));
	memset(res, 0, sizeof(*res));
	return st->ops->report_add(st->impl, in, id, res, diag);
}

/* rp_store_report_get - one report by id. */
int rp_store_report_get(struct rp_store *st, const char *id, struct rp_report **out)
{
	if (id == NULL || strlen(id) != RP_REPORT_ID_LEN - 1)
		return RP_ENOTFOUND;
	return st->ops->report_get(st->impl, id, out);
}

/* rp_report_free - free a report and its strings. */
struct rp_report *rp_report_free(struct rp_report *r)
{
	if (r != NULL) {
		xfree(r->channel);
		xfree(r->reporter_id);
		xfree(r->raw);
		xfree(r->evidence_json);
		xfree(r->message_id);
		xfree(r->fingerprint);
		xfree(r->origin);
		xfree(r);
	}
	return NULL;
}

/* rp_store_report_count - number of stored reports (duplicates merged). */
int rp_store_report_count(struct rp_store *st, int64_t *out)
{
	return st->ops->report_count(st->impl, out);
}

/* rp_store_sweep_raw - retention sweep of raw originals. */
int rp_store_sweep_raw(struct rp_store *st, int64_t before, size_t limit, int64_t *n, struct rp_diag *diag)
{
	*n = 0;
	return st->ops->sweep_raw(st->impl, before, limit ? limit : 1000, n, diag);
}

/* rp_role_valid - one of the roles the platform knows. */
bool rp_role_valid(const char *role)
{
	static const char *const roles[] = { "public", "reporter", "operator", "gateway",
					     "provider", "partner",  "analyst",  "admin" };

	for (size_t i = 0; role != NULL && i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(role, roles[i]) == 0)
			return true;
	return false;
}

/* rp_store_reporter_add - new reporter with a fresh id. */
int rp_store_reporter_add(struct rp_store *st, const char *name, const char *role, char id_out[32],
			  struct rp_diag *diag)
{
	char id[RP_REPORT_ID_LEN];

	if (name == NULL || name[0] == '\0' || strlen(name) >= 64) {
		rp_diag_set(diag, 0, 0, "reporter name must be 1 to 63 bytes");
		return RP_EINVAL;
	}
	if (!rp_role_valid(role)) {
		rp_diag_set(diag, 0, 0, "unknown role \"%s\"", role ? role : "");
		return RP_EINVAL;
	}
	rp_id_new('U', id);
	id[17] = '\0'; /* "U" + 16 characters: time and 32 random bits are plenty for people */
	int rc = st->ops->reporter_add(st->impl, id, name, role, diag);
	if (rc == RP_OK)
		snprintf(id_out, 32, "%s", id);
	return rc;
}

/* rp_store_reporter_find - reporter id by name. */
int rp_store_reporter_find(struct rp_store *st, const char *name, char id_out[32])
{
	return st->ops->reporter_find(st->impl, name, id_out, 32);
}

/* rp_key_hash - hex BLAKE2b-256 of the key text. */
void rp_key_hash(const char *key, char out[65])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)key, strlen(key), NULL, 0);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

/* rp_store_key_create - random key; store its hash and prefix only. */
int rp_store_key_create(struct rp_store *st, const char *reporter_id, const char *role,
			char key_out[RP_KEY_LEN], int64_t *key_id, struct rp_diag *diag)
{
	unsigned char rnd[32];
	char key[RP_KEY_LEN], prefix[RP_KEY_PREFIX_LEN + 1], hash[65];
	int64_t kid = 0;

	if (!rp_role_valid(role)) {
		rp_diag_set(diag, 0, 0, "unknown role \"%s\"", role ? role : "");
		return RP_EINVAL;
	}
	randombytes_buf(rnd, sizeof(rnd));
	memcpy(key, "rpk_", 4);
	sodium_bin2base64(key + 4, sizeof(key) - 4, rnd, sizeof(rnd), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(rnd, sizeof(rnd));
	memcpy(prefix, key, RP_KEY_PREFIX_LEN);
	prefix[RP_KEY_PREFIX_LEN] = '\0';
	rp_key_hash(key, hash);
	int rc = st->ops->key_add(st->impl, reporter_id, role, prefix, hash, &kid, diag);
	if (rc == RP_OK) {
		memcpy(key_out, key, RP_KEY_LEN);
		if (key_id != NULL)
			*key_id = kid;
	}
	sodium_memzero(key, sizeof(key));
	return rc;
}

/* rp_store_key_verify - find the principal of a presented key. */
int rp_store_key_verify(struct rp_store *st, const char *key, struct rp_principal *out)
{
	char prefix[RP_KEY_PREFIX_LEN + 1], hash[65];

	if (key == NULL || strlen(key) != RP_KEY_LEN - 1 || strncmp(key, "rpk_", 4) != 0)
		return RP_ENOTFOUND;
	memcpy(prefix, key, RP_KEY_PREFIX_LEN);
	prefix[RP_KEY_PREFIX_LEN] = '\0';
	rp_key_hash(key, hash);
	return st->ops->key_lookup(st->impl, prefix, hash, out);
}

/* rp_store_key_revoke - a revoked key no longer verifies. */
int rp_store_key_revoke(struct rp_store *st, int64_t key_id, struct rp_diag *diag)
{
	return st->ops->key_revoke(st->impl, key_id, diag);
}

/* rp_source_kind_name - the stored name of a kind. */
const char *rp_source_kind_name(enum rp_source_kind kind)
{
	static const char *const names[] = { "ip4", "ip6-64", "domain", "phone" };

	return kind < RP_SRC_N_KINDS ? names[kind] : "unknown";
}

/* classify_ip - an address (or an IPv6 /64) as a source. */
static int classify_ip(const char *text, enum rp_source_kind *kind, char *value, size_t len)
{
	char tmp[RP_ADDR_STRLEN + 8];
	struct rp_addr a;
	size_t n = strlen(text);
	bool slash64 = false;

	if (n >= sizeof(tmp))
		return RP_EINVAL;
	memcpy(tmp, text, n + 1);
	if (n > 3 && strcmp(tmp + n - 3, "/64") == 0) {
		tmp[n - 3] = '\0';
		slash64 = true;
	}
	if (rp_addr_parse(tmp, &a) != RP_OK)
		return RP_EINVAL;
	if (a.family == 4) {
		if (slash64)
			return RP_EINVAL; /* "/64" after an IPv4 address */
		*kind = RP_SRC_IP4;
		rp_addr_format(&a, value);
		return RP_OK;
	}
	memset(a.b + 8, 0, 8);
	*kind = RP_SRC_IP6_64;
	rp_addr_format(&a, tmp);
	snprintf(value, len, "%s/64", tmp);
	return RP_OK;
}

/* rp_source_classify - kind and normalised value of a text naming a source. */
int rp_source_classify(const char *text, enum rp_source_kind *kind, char *value, size_t len)
{
	size_t n = strlen(text), digits = 0, dots = 0;

	if (n == 0 || n >= len || len < 64)
		return RP_EINVAL;
	if (classify_ip(text, kind, value, len) == RP_OK)
		return RP_OK;
	if (text[0] == '+') {
		for (size_t i = 1; i < n; i++)
			if (!isdigit((unsigned char)text[i]))
				return RP_EINVAL;
		if (n - 1 < 6 || n - 1 > 15)
			return RP_EINVAL;
		*kind = RP_SRC_PHONE;
		memcpy(value, text, n + 1);
		return RP_OK;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '.')
			dots++;
		else if (isdigit(c))
			digits++;
		else if (!isalpha(c) && c != '-')
			return RP_EINVAL;
		value[i] = (char)tolower(c);
	}
	value[n] = '\0';
	if (dots == 0 || text[0] == '.' || text[n - 1] == '.' || n > 253)
		return RP_EINVAL;
	*kind = RP_SRC_DOMAIN;
	return RP_OK;
}

/* rp_store_source_json - summary of one source. */
int rp_store_source_json(struct rp_store *st, enum rp_source_kind kind, const char *value, json_t **out)
{
	return st->ops->source_json(st->impl, kind, value, out);
}

/* rp_store_stats_json - reports per day and channel, top sources. */
int rp_store_stats_json(struct rp_store *st, int64_t since, json_t **out)
{
	return st->ops->stats_json(st->impl, since, out);
}

/* rp_store_report_search_json - a page of report summaries. */
int rp_store_report_search_json(struct rp_store *st, const struct rp_report_query *q, json_t **out)
{
	struct rp_report_query c = *q;

	if (c.limit == 0)
		c.limit = 50;
	if (c.limit > 1000)
		c.limit = 1000;
	return st->ops->report_search_json(st->impl, &c, out);
}

/* rp_store_campaign_json - one campaign's summary. */
int rp_store_campaign_json(struct rp_store *st, int64_t id, json_t **out)
{
	return st->ops->campaign_json(st->impl, id, out);
}

/* rp_case_state_name - the stored name of a case state. */
const char *rp_case_state_name(enum rp_case_state s)
{
	static const char *const names[] = { "new", "confirmed", "listed", "resolved", "rejected" };

	return s < RP_CASE_N_STATES ? names[s] : "unknown";
}

/* rp_case_transition_valid - the case life cycle. */
bool rp_case_transition_valid(enum rp_case_state from, enum rp_case_state to)
{
	switch (to) {
	case RP_CASE_CONFIRMED: return from == RP_CASE_NEW;
	case RP_CASE_LISTED: return from == RP_CASE_CONFIRMED || from == RP_CASE_NEW;
	case RP_CASE_RESOLVED: return from == RP_CASE_LISTED;
	case RP_CASE_REJECTED: return from == RP_CASE_NEW || from == RP_CASE_CONFIRMED || from == RP_CASE_LISTED;
	case RP_CASE_NEW: return from == RP_CASE_RESOLVED || from == RP_CASE_REJECTED;
	default: return false;
	}
}

/* rp_store_case_transition - audited state change. */
int rp_store_case_transition(struct rp_store *st, int64_t case_id, enum rp_case_state to, const char *actor,
			     const char *reason, struct rp_diag *diag)
{
	if (to >= RP_CASE_N_STATES || actor == NULL || actor[0] == '\0' || reason == NULL || reason[0] == '\0') {
		rp_diag_set(diag, 0, 0, "a case transition needs a valid state, an actor and a reason");
		return RP_EINVAL;
	}
	return st->ops->case_transition(st->impl, case_id, to, actor, reason, diag);
}

/* rp_store_case_state - the state of one case. */
int rp_store_case_state(struct rp_store *st, int64_t case_id, enum rp_case_state *out)
{
	return st->ops->case_state(st->impl, case_id, out);
}

/* rp_store_case_for_source - the case opened for a source. */
int rp_store_case_for_source(struct rp_store *st, enum rp_source_kind kind, const char *value,
			     int64_t *case_id)
{
	return st->ops->case_for_source(st->impl, kind, value, case_id);
}

/* rp_store_audit_append - one audit record. */
int rp_store_audit_append(struct rp_store *st, const char *actor, const char *action, const char *object,
			  const char *reason, struct rp_diag *diag)
{
	if (actor == NULL || actor[0] == '\0' || action == NULL || action[0] == '\0') {
		rp_diag_set(diag, 0, 0, "an audit record needs an actor and an action");
		return RP_EINVAL;
	}
	return st->ops->audit_append(st->impl, actor, action, object, reason, diag);
}

/* rp_store_audit_json - newest audit records. */
int rp_store_audit_json(struct rp_store *st, const char *object, size_t limit, json_t **out)
{
	return st->ops->audit_json(st->impl, object, limit, out);
}

/* rp_id_new - time-sortable id in Crockford base32. */
void rp_id_new(char prefix, char out[RP_REPORT_ID_LEN])
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	unsigned char v[17] = { 0 }; /* 130 bits, big-endian, top 6 bits of v[0] unused */
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	for (int i = 0; i < 6; i++)
		v[6 - i] = (unsigned char)(ms >> (8 * i));
	randombytes_buf(v + 7, 10);
	/* read 26 groups of 5 bits starting at bit 6 of the 136-bit big-endian value */
	out[0] = prefix;
	for (int i = 0; i < 26; i++) {
		unsigned bit = 6 + 5u * (unsigned)i, byte = bit / 8, off = bit % 8;
		unsigned w = ((unsigned)v[byte] << 8) | (byte + 1 < sizeof(v) ? v[byte + 1] : 0);
		out[1 + i] = alphabet[(w >> (11 - off)) & 31];
	}
	out[27] = '\0';
}

/* rp_store_backend - the callbacks and connection behind st. */
const struct rp_store_ops *rp_store_backend(struct rp_store *st, void **impl)
{
	*impl = st->impl;
	return st->ops;
}
