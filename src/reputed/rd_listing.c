/* rd_listing.c - reputed's listing thread and the listing endpoints.
 *
 * The thread owns its own database connection. Every listing.scan_interval (1 s), or at
 * once when kicked, it runs one pass: end expired listings, evaluate every source named by
 * reports stored since the last pass (a cursor over the reports table, so intake needs no
 * hook), bring range listings in step, and publish when anything changed, including
 * changes made by `repute list|delist|whitelist` in another process (seen as a new audit
 * record). The policy and the storage are library code (listing*.c); this file is wiring.
 *
 * Endpoints (rd_http.c routes them; JSON in and out):
 *   POST /v1/delist          public: {value, contact, reason} self-service or a case
 *   POST /v1/listings        analyst: {value, action: list|delist, reason, days}
 *   POST /v1/whitelist       analyst: {provider, contact, network|domain, remove, reason}
 *   POST /v1/evidence        analyst: {value, type: trap|relay|confirm, note}
 *   GET  /v1/listings/{value} public: the active listing with its evidence summary
 *   GET  /v1/stats/listings  public: the fairness figures ([?days=N]) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repute/alloc.h"
#include "repute/log.h"

#include "rd.h"
#include "rd_http.h"

struct rd_listing {
	struct rd *rd;
	struct rp_store *st;
	pthread_t thr;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, kick, started;
	int64_t cursor;     /* reports row number seen */
	int64_t audit_seen; /* audit id after the last publication */
	uint32_t serial;
	bool published_once;
	int64_t retry_at;   /* after a failed publication, not before this time */
};

/* now_s - Unix seconds. */
static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* A pass's state for the changed-sources callback. */
struct pass {
	struct rd_listing *l;
	struct rp_whitelist *w;
	int64_t now;
	bool changed;
};

/* on_source - evaluate one source named by a new report. */
static void on_source(void *ctx, const char *kind, const char *value)
{
	struct pass *p = ctx;
	struct rp_listing_decision d;
	struct rp_diag diag = { 0 };
	bool changed = false;

	if (rp_listing_evaluate(p->l->st, &p->l->rd->cfg.listing, p->w, kind, value, p->now, &d, &changed, &diag) !=
	    RP_OK) {
		log_warnx("listing: source=%s:%s evaluation failed: %s", kind, value, diag.reason);
		return;
	}
	if (changed)
		log_info("listing: %s=%s action=listed reason=%s expires=%lld %s", kind, value,
			 rp_list_reason_name(d.reason), (long long)d.expires, d.summary);
	else if (d.action == RP_ACT_CASE)
		log_info("listing: %s=%s action=case whitelisted provider, not listed (%s)", kind, value, d.summary);
	p->changed |= changed;
}

/* publish_now - compile and announce the zones with a serial above the last one; false on failure. */
static bool publish_now(struct rd_listing *l, int64_t now)
{
	struct rp_diag diag = { 0 };
	long n = 0;
	uint32_t serial = (uint32_t)now > l->serial ? (uint32_t)now : l->serial + 1;

	if (rd_publish(l->rd, l->st, serial) != RP_OK) {
		l->retry_at = now + 60; /* logged once a minute, not every pass */
		return false;
	}
	l->serial = serial;
	l->published_once = true;
	if (rp_store_delist_published(l->st, now_s(), &n, &diag) != RP_OK)
		log_warnx("listing: stamping delisting publication: %s", diag.reason);
	return true;
}

/* run_pass - one pass of expiry, evaluation, ranges and publication (under l->lock). */
static void run_pass(struct rd_listing *l)
{
	struct rp_whitelist w;
	struct rp_diag diag = { 0 };
	struct pass p = { .l = l, .w = &w, .now = now_s() };
	long expired = 0;
	bool ranges = false;
	int64_t head = 0;

	rp_whitelist_init(&w);
	if (rp_store_whitelist_load(l->st, &w) != RP_OK)
		log_warnx("listing: cannot load the provider whitelist");
	if (rp_store_listing_expire(l->st, p.now, &expired, &diag) != RP_OK)
		log_warnx("listing: expiry: %s", diag.reason);
	else if (expired > 0)
		log_info("listing: %ld listings expired", expired);
	if (rp_store_changed_sources(l->st, &l->cursor, on_source, &p) != RP_OK)
		log_warnx("listing: cannot read new reports");
	if (rp_listing_ranges_sync(l->st, &l->rd->cfg.listing, &w, p.now, &ranges, &diag) != RP_OK)
		log_warnx("listing: ranges: %s", diag.reason);
	rp_whitelist_fini(&w);
	if (rp_store_audit_head(l->st, &head) != RP_OK)
		return;
	if (l->rd->cfg.publish_enable && (!l->published_once || head != l->audit_seen) && p.now >= l->retry_at) {
		if (publish_now(l, p.now))
			l->audit_seen = head; /* changes made while publishing are seen next pass */
	}
}

/* listing_main - the thread: a pass per tick or kick. */
static void *listing_main(void *arg)
{
	struct rd_listing *l = arg;
	struct timespec ts;

	pthread_mutex_lock(&l->lock);
	while (!l->stop) {
		run_pass(l);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += l->rd->cfg.listing_scan;
		while (!l->stop && !l->kick)
			if (pthread_cond_timedwait(&l->cond, &l->lock, &ts) == ETIMEDOUT)
				break;
		l->kick = false;
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

/* rd_listing_start - open the connection, start the thread (fatal on bad policy). */
void rd_listing_start(struct rd *rd)
{
	struct rd_listing *l = xcalloc(1, sizeof(*l));
	struct rp_store_config sc = { .path = rd->cfg.database, .busy_timeout_ms = rd->cfg.busy_timeout_ms };
	struct rp_diag diag = { 0 };

	if (rp_listing_policy_check(&rd->cfg.listing, &diag) != RP_OK)
		log_fatalx("%s", diag.reason);
	if (rp_store_open(&sc, &l->st, &diag) != RP_OK)
		log_fatalx("listing: database: %s", diag.reason);
	l->rd = rd;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	if (pthread_create(&l->thr, NULL, listing_main, l) != 0)
		log_fatalx("listing: cannot start the thread");
	l->started = true;
	rd->listing = l;
}

/* rd_listing_stop - finish the pass under way, join, close. */
void rd_listing_stop(struct rd *rd)
{
	struct rd_listing *l = rd->listing;

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->lock);
	l->stop = true;
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->lock);
	if (l->started)
		pthread_join(l->thr, NULL);
	l->st = rp_store_close(l->st);
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
	rd->listing = xfree(l);
}

/* rd_listing_kick - wake the thread for a pass now. */
void rd_listing_kick(struct rd *rd)
{
	struct rd_listing *l = rd->listing;

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->lock);
	l->kick = true;
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

/* ---- endpoints ---- */

/* body_object - the request body as a JSON object; NULL after queuing a 400. */
static json_t *body_object(struct MHD_Connection *c, const struct req *r, enum MHD_Result *rc)
{
	json_error_t err;
	json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES, &err);

	if (j != NULL && json_is_object(j))
		return j;
	json_decref(j);
	*rc = j == NULL ? rd_reply_error(c, 400, "invalid_json", 0, "invalid JSON at line %d column %d: %s", err.line,
					 err.column, err.text)
			: rd_reply_error(c, 400, "invalid_json", 0, "the body must be a JSON object");
	return NULL;
}

/* str_member - a required, non-empty string member; NULL after queuing a 400. */
static const char *str_member(struct MHD_Connection *c, json_t *j, const char *name, size_t max, enum MHD_Result *rc)
{
	json_t *m = json_object_get(j, name);
	const char *v = json_string_value(m);

	if (m == NULL || (json_is_string(m) && v[0] == '\0'))
		*rc = rd_reply_error(c, 400, "missing_field", 0, "\"%s\" is required", name);
	else if (v == NULL || strlen(v) > max)
		*rc = rd_reply_error(c, 400, "invalid_field", 0, "\"%s\" must be a string of at most %zu bytes", name, max);
	else
		return v;
	return NULL;
}

/* rd_api_post_delist - POST /v1/delist: a public delisting request. */
enum MHD_Result rd_api_post_delist(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	struct rd_listing *l = rd->listing;
	struct rp_delist_result res;
	struct rp_diag diag = { 0 };
	enum MHD_Result rc = MHD_NO;
	json_t *j = body_object(c, r, &rc);
	const char *value, *contact, *reason;

	if (j == NULL)
		return rc;
	if ((value = str_member(c, j, "value", 255, &rc)) == NULL || (contact = str_member(c, j, "contact", 255, &rc)) == NULL ||
	    (reason = str_member(c, j, "reason", 2000, &rc)) == NULL) {
		json_decref(j);
		return rc;
	}
	pthread_mutex_lock(&l->lock);
	int st = rp_listing_request_delist(l->st, &rd->cfg.listing, value, contact, reason, now_s(), &res, &diag);
	pthread_mutex_unlock(&l->lock);
	if (st == RP_OK) {
		log_info("delist: request=%lld %s=%s outcome=%s contact=%s", (long long)res.request_id, res.kind, res.value,
			 rp_delist_outcome_name(res.outcome), contact);
		rd_listing_kick(rd);
		rc = rd_reply_json(c, res.outcome == RP_DELIST_NOW ? 200 : 202,
				   json_pack("{s:I, s:s, s:s, s:s}", "request", (json_int_t)res.request_id, "kind", res.kind,
					     "value", res.value, "outcome", rp_delist_outcome_name(res.outcome)),
				   0);
	} else if (st == RP_EINVAL) {
		rc = rd_reply_error(c, 400, "invalid_field", 0, "\"value\": %s", diag.reason);
	} else if (st == RP_ENOTFOUND) {
		rc = rd_reply_error(c, 404, "not_found", 0, "%s", diag.reason);
	} else {
		log_warnx("delist: %s", diag.reason);
		rc = rd_reply_error(c, 500, "internal", 0, "the request could not be stored");
	}
	json_decref(j);
	return rc;
}

/* rd_api_post_listing - POST /v1/listings: an analyst lists or delists by hand. */
enum MHD_Result rd_api_post_listing(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	struct rd_listing *l = rd->listing;
	struct rp_diag diag = { 0 };
	enum MHD_Result rc = MHD_NO;
	json_t *j = body_object(c, r, &rc);
	const char *value, *action, *reason;
	char kind[16], val[128];

	if (j == NULL)
		return rc;
	if ((value = str_member(c, j, "value", 255, &rc)) == NULL || (action = str_member(c, j, "action", 16, &rc)) == NULL ||
	    (reason = str_member(c, j, "reason", 2000, &rc)) == NULL) {
		json_decref(j);
		return rc;
	}
	json_int_t days = json_integer_value(json_object_get(j, "days"));
	bool list = strcmp(action, "list") == 0;
	if ((!list && strcmp(action, "delist") != 0) || days < 0 || days > 3650) {
		json_decref(j);
		return rd_reply_error(c, 400, "invalid_field", 0, "\"action\" is list or delist; \"days\" 0 to 3650");
	}
	int64_t now = now_s();
	pthread_mutex_lock(&l->lock);
	int st = rp_listing_manual(l->st, value, list, r->who.name, reason, days ? now + days * 86400 : 0, now, kind, val,
				   &diag);
	pthread_mutex_unlock(&l->lock);
	if (st == RP_OK) {
		log_info("listing: %s=%s action=%s actor=%s reason=%s", kind, val, action, r->who.name, reason);
		rd_listing_kick(rd);
		rc = rd_reply_json(c, 200, json_pack("{s:s, s:s, s:s}", "kind", kind, "value", val, "action", action), 0);
	} else if (st == RP_ENOTFOUND) {
		rc = rd_reply_error(c, 404, "not_found", 0, "%s", diag.reason);
	} else if (st == RP_EINVAL) {
		rc = rd_reply_error(c, 400, "invalid_field", 0, "%s", diag.reason);
	} else {
		rc = rd_reply_error(c, 500, "internal", 0, "the listing could not be changed");
	}
	json_decref(j);
	return rc;
}

/* whitelist_change - provider (created when a contact is given and it is new) and entry. */
static int whitelist_change(struct rd_listing *l, json_t *j, const char *provider, const char *actor,
			    const char *reason, struct rp_diag *diag)
{
	const char *contact = json_string_value(json_object_get(j, "contact"));
	const char *net = json_string_value(json_object_get(j, "network"));
	const char *dom = json_string_value(json_object_get(j, "domain"));
	bool remove = json_is_true(json_object_get(j, "remove"));
	int64_t now = now_s();
	int rc = RP_OK;

	if (contact != NULL && contact[0] != '\0') {
		rc = rp_store_provider_add(l->st, provider, contact, actor, reason, now, diag);
		if (rc == RP_EEXIST && (net || dom))
			rc = RP_OK;
	}
	if (rc == RP_OK && net != NULL)
		rc = rp_store_provider_entry(l->st, provider, "net", net, !remove, actor, reason, now, diag);
	if (rc == RP_OK && dom != NULL)
		rc = rp_store_provider_entry(l->st, provider, "domain", dom, !remove, actor, reason, now, diag);
	return rc;
}

/* rd_api_post_whitelist - POST /v1/whitelist: the provider registry. */
enum MHD_Result rd_api_post_whitelist(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	struct rd_listing *l = rd->listing;
	struct rp_diag diag = { 0 };
	enum MHD_Result rc = MHD_NO;
	json_t *j = body_object(c, r, &rc);
	const char *provider, *reason;

	if (j == NULL)
		return rc;
	if ((provider = str_member(c, j, "provider", 200, &rc)) == NULL ||
	    (reason = str_member(c, j, "reason", 2000, &rc)) == NULL) {
		json_decref(j);
		return rc;
	}
	pthread_mutex_lock(&l->lock);
	int st = whitelist_change(l, j, provider, r->who.name, reason, &diag);
	pthread_mutex_unlock(&l->lock);
	if (st == RP_OK) {
		log_info("whitelist: provider=%s actor=%s reason=%s", provider, r->who.name, reason);
		rd_listing_kick(rd);
		rc = rd_reply_json(c, 200, json_pack("{s:s}", "provider", provider), 0);
	} else if (st == RP_ENOTFOUND) {
		rc = rd_reply_error(c, 404, "not_found", 0, "%s", diag.reason);
	} else if (st == RP_EEXIST) {
		rc = rd_reply_error(c, 409, "conflict", 0, "%s", diag.reason);
	} else if (st == RP_EINVAL) {
		rc = rd_reply_error(c, 400, "invalid_field", 0, "%s", diag.reason);
	} else {
		rc = rd_reply_error(c, 500, "internal", 0, "the whitelist could not be changed");
	}
	json_decref(j);
	return rc;
}

/* rd_api_post_evidence - POST /v1/evidence: a trap hit, relay finding or confirmation. */
enum MHD_Result rd_api_post_evidence(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	struct rd_listing *l = rd->listing;
	struct rp_diag diag = { 0 };
	enum MHD_Result rc = MHD_NO;
	json_t *j = body_object(c, r, &rc);
	const char *value, *type, *note;
	enum rp_source_kind k;
	char val[128];

	if (j == NULL)
		return rc;
	if ((value = str_member(c, j, "value", 255, &rc)) == NULL || (type = str_member(c, j, "type", 16, &rc)) == NULL ||
	    (note = str_member(c, j, "note", 2000, &rc)) == NULL) {
		json_decref(j);
		return rc;
	}
	if (rp_source_classify(value, &k, val, sizeof(val)) != RP_OK) {
		json_decref(j);
		return rd_reply_error(c, 400, "invalid_field", 0, "\"value\" is not an address, /64, domain or +number");
	}
	struct rp_listing_decision d = { 0 };
	bool changed = false;
	struct rp_whitelist w;
	rp_whitelist_init(&w);
	pthread_mutex_lock(&l->lock);
	int st = rp_store_source_event(l->st, rp_source_kind_name(k), val, type, now_s(), r->who.name, note, &diag);
	if (st == RP_OK && rp_store_whitelist_load(l->st, &w) == RP_OK)
		st = rp_listing_evaluate(l->st, &rd->cfg.listing, &w, rp_source_kind_name(k), val, now_s(), &d, &changed,
					 &diag);
	pthread_mutex_unlock(&l->lock);
	rp_whitelist_fini(&w);
	if (st == RP_OK) {
		log_info("evidence: %s=%s type=%s actor=%s listed=%s", rp_source_kind_name(k), val, type, r->who.name,
			 changed ? "yes" : "no");
		rd_listing_kick(rd);
		rc = rd_reply_json(c, 201, json_pack("{s:s, s:s, s:s, s:f}", "value", val, "type", type, "action",
						     d.action == RP_ACT_LIST ? "listed"
						     : d.action == RP_ACT_CASE ? "case" : "none", "score", d.score), 0);
	} else {
		rc = rd_reply_error(c, st == RP_EINVAL ? 400 : 500, st == RP_EINVAL ? "invalid_field" : "internal", 0, "%s",
				    diag.reason);
	}
	json_decref(j);
	return rc;
}

/* listing_json - one listing as JSON. */
static json_t *listing_json(const struct rp_listing *x)
{
	uint32_t code = rp_list_reason_code(x->reason);
	char a[16];

	snprintf(a, sizeof(a), "%u.%u.%u.%u", code >> 24, (code >> 16) & 255, (code >> 8) & 255, code & 255);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "kind", x->kind, "value", x->value, "reason",
			      rp_list_reason_name(x->reason), "code", a, "evidence", x->summary, "actor", x->actor,
			      "listed_at", (json_int_t)x->listed_at, "expires_at", (json_int_t)x->expires_at);
	if (!strcmp(x->kind, "range4"))
		json_object_set_new(j, "collateral", json_integer(x->collateral));
	return j;
}

/* rd_api_get_listing - GET /v1/listings/{value}: the active listing, or 404. */
enum MHD_Result rd_api_get_listing(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	struct rd_listing *l = rd->listing;
	enum rp_source_kind k;
	struct rp_listing x;
	char val[128];

	if (rp_source_classify(r->arg, &k, val, sizeof(val)) != RP_OK)
		return rd_reply_error(c, 400, "invalid_field", 0, "\"%.60s\" is not an address, /64, domain or +number",
				      r->arg);
	pthread_mutex_lock(&l->lock);
	int st = rp_store_listing_get(l->st, rp_source_kind_name(k), val, &x);
	pthread_mutex_unlock(&l->lock);
	if (st != RP_OK)
		return rd_reply_error(c, 404, "not_found", 0, "%s is not listed", val);
	return rd_reply_json(c, 200, listing_json(&x), 0);
}

/* rd_api_get_listing_stats - GET /v1/stats/listings[?days=N]: the fairness figures. */
enum MHD_Result rd_api_get_listing_stats(struct rd *rd, struct MHD_Connection *c)
{
	struct rd_listing *l = rd->listing;
	const char *d = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "days");
	long days = 30;
	struct rp_whitelist w;
	json_t *j = NULL;
	char *end;

	if (d != NULL) {
		days = strtol(d, &end, 10);
		if (*d == '\0' || *end != '\0' || days < 1 || days > 3650)
			return rd_reply_error(c, 400, "invalid_field", 0, "\"days\" must be a whole number from 1 to 3650");
	}
	rp_whitelist_init(&w);
	pthread_mutex_lock(&l->lock);
	int st = rp_store_whitelist_load(l->st, &w);
	if (st == RP_OK)
		st = rp_store_listing_stats_json(l->st, now_s() - days * 86400, &w, &j);
	pthread_mutex_unlock(&l->lock);
	rp_whitelist_fini(&w);
	if (st != RP_OK)
		return rd_reply_error(c, 500, "internal", 0, "the figures could not be read");
	json_object_set_new(j, "days", json_integer(days));
	return rd_reply_json(c, 200, j, 0);
}
