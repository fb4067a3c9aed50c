/* listing_store.c - the public listing storage calls (include/repute/listing.h): argument
 * checks, then dispatch to the back end's struct rp_store_listing_ops. */
#include <string.h>

#include "repute/listing.h"
#include "repute/store.h"

/* lops - the listing callbacks and connection of st; NULL when the back end has none. */
static const struct rp_store_listing_ops *lops(struct rp_store *st, void **impl)
{
	return rp_store_backend(st, impl)->listing;
}

/* empty - NULL or "". */
static bool empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/* need - RP_EINVAL with a reason when a required text is missing. */
static int need(const char *what, const char *v, struct rp_diag *diag)
{
	if (!empty(v))
		return RP_OK;
	rp_diag_set(diag, 0, 0, "%s is required", what);
	return RP_EINVAL;
}

/* rp_store_listing_put - list or update, audited. */
int rp_store_listing_put(struct rp_store *st, const struct rp_listing *l, int64_t now, int64_t *id,
			 struct rp_diag *diag)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	if (need("kind", l->kind, diag) || need("value", l->value, diag) || need("actor", l->actor, diag) ||
	    need("summary", l->summary, diag))
		return RP_EINVAL;
	if (l->reason <= RP_LIST_NONE || l->reason >= RP_LIST_N_REASONS) {
		rp_diag_set(diag, 0, 0, "a listing needs a reason");
		return RP_EINVAL;
	}
	return o ? o->put(impl, l, now, id, diag) : RP_EUNSUPP;
}

/* rp_store_listing_end - end the active listing, audited. */
int rp_store_listing_end(struct rp_store *st, const char *kind, const char *value, const char *how,
			 const char *actor, const char *reason, int64_t now, struct rp_diag *diag)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	if (need("how", how, diag) || need("actor", actor, diag) || need("reason", reason, diag))
		return RP_EINVAL;
	return o ? o->end(impl, kind, value, how, actor, reason, now, diag) : RP_EUNSUPP;
}

/* rp_store_listing_expire - end expired listings. */
int rp_store_listing_expire(struct rp_store *st, int64_t now, long *n, struct rp_diag *diag)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	return o ? o->expire(impl, now, n, diag) : RP_EUNSUPP;
}

/* rp_store_listing_get - the active listing of a source. */
int rp_store_listing_get(struct rp_store *st, const char *kind, const char *value, struct rp_listing *out)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	return o ? o->get(impl, kind, value, out) : RP_EUNSUPP;
}

/* rp_store_listing_each - every active listing. */
int rp_store_listing_each(struct rp_store *st, rp_listing_each_fn fn, void *ctx)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	return o ? o->each(impl, fn, ctx) : RP_EUNSUPP;
}

/* rp_store_listing_history - earlier listings and the last end. */
int rp_store_listing_history(struct rp_store *st, const char *kind, const char *value, int64_t since, long *prior,
			     int64_t *last_end)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	return o ? o->history(impl, kind, value, since, prior, last_end) : RP_EUNSUPP;
}

/* rp_store_source_event - trap hit, relay finding or confirmation, audited. */
int rp_store_source_event(struct rp_store *st, const char *kind, const char *value, const char *type, int64_t at,
			  const char *actor, const char *note, struct rp_diag *diag)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	if (need("kind", kind, diag) || need("value", value, diag) || need("actor", actor, diag))
		return RP_EINVAL;
	if (type == NULL || (strcmp(type, "trap") && strcmp(type, "relay") && strcmp(type, "confirm"))) {
		rp_diag_set(diag, 0, 0, "event type must be trap, relay or confirm");
		return RP_EINVAL;
	}
	return o ? o->event_add(impl, kind, value, type, at, actor, note, diag) : RP_EUNSUPP;
}

/* rp_store_listing_evidence - evidence since a time. */
int rp_store_listing_evidence(struct rp_store *st, const char *kind, const char *value, int64_t since,
			      struct rp_listing_evidence *out)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	return o ? o->evidence(impl, kind, value, since, out) : RP_EUNSUPP;
}

/* rp_store_provider_add - a certified provider, audited. */
int rp_store_provider_add(struct rp_store *st, const char *name, const char *contact, const char *actor,
			  const char *reason, int64_t now, struct rp_diag *diag)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	if (need("name", name, diag) || need("contact", contact, diag) || need("actor", actor, diag) ||
	    need("reason", reason, diag))
		return RP_EINVAL;
	return o ? o->provider_add(impl, name, contact, actor, reason, now, diag) : RP_EUNSUPP;
}

/* rp_store_provider_entry - add or remove a network or domain, audited. */
int rp_store_provider_entry(struct rp_store *st, const char *provider, const char *kind, const char *value, bool add,
			    const char *actor, const char *reason, int64_t now, struct rp_diag *diag)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	if (need("provider", provider, diag) || need("value", value, diag) || need("actor", actor, diag) ||
	    need("reason", reason, diag))
		return RP_EINVAL;
	if (kind == NULL || (strcmp(kind, "net") && strcmp(kind, "domain"))) {
		rp_diag_set(diag, 0, 0, "a provider entry is a net or a domain");
		return RP_EINVAL;
	}
	return o ? o->provider_entry(impl, provider, kind, value, add, actor, reason, now, diag) : RP_EUNSUPP;
}

/* rp_store_whitelist_load - the provider registry into w. */
int rp_store_whitelist_load(struct rp_store *st, struct rp_whitelist *w)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	return o ? o->whitelist_load(impl, w) : RP_EUNSUPP;
}

/* rp_store_delist_add - a delisting request and its outcome. */
int rp_store_delist_add(struct rp_store *st, const char *kind, const char *value, const char *contact,
			const char *reason, const char *outcome, int64_t now, int64_t *id, struct rp_diag *diag)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	if (need("value", value, diag) || need("contact", contact, diag) || need("reason", reason, diag) ||
	    need("outcome", outcome, diag))
		return RP_EINVAL;
	return o ? o->delist_add(impl, kind, value, contact, reason, outcome, now, id, diag) : RP_EUNSUPP;
}

/* rp_store_last_self_delist - the last self-service delisting of a source. */
int rp_store_last_self_delist(struct rp_store *st, const char *kind, const char *value, int64_t *at)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	return o ? o->last_self_delist(impl, kind, value, at) : RP_EUNSUPP;
}

/* rp_store_delist_published - stamp publication of delisted requests. */
int rp_store_delist_published(struct rp_store *st, int64_t now, long *n, struct rp_diag *diag)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	return o ? o->delist_published(impl, now, n, diag) : RP_EUNSUPP;
}

/* rp_store_changed_sources - sources of reports after the cursor. */
int rp_store_changed_sources(struct rp_store *st, int64_t *cursor,
			     void (*fn)(void *ctx, const char *kind, const char *value), void *ctx)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	return o ? o->changed_sources(impl, cursor, fn, ctx) : RP_EUNSUPP;
}

/* rp_store_audit_head - the newest audit id. */
int rp_store_audit_head(struct rp_store *st, int64_t *id)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	return o ? o->audit_head(impl, id) : RP_EUNSUPP;
}

/* rp_store_listing_stats_json - the fairness figures. */
int rp_store_listing_stats_json(struct rp_store *st, int64_t since, const struct rp_whitelist *w, json_t **out)
{
	void *impl;
	const struct rp_store_listing_ops *o = lops(st, &impl);

	return o ? o->stats_json(impl, since, w, out) : RP_EUNSUPP;
}
