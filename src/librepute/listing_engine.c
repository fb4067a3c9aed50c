/* listing_engine.c - the listing policy applied to the store (include/repute/listing.h):
 * evaluate one source (evidence in, decision, listing stored), keep range listings in step
 * with the address listings, collect the active listings for publication, and the manual
 * and self-service list/delist operations. No SQL here: everything goes through the
 * rp_store_* calls; reputed and the CLI share this code. */
#include <stdio.h>
#include <string.h>

#include "repute/alloc.h"
#include "repute/listing.h"
#include "repute/store.h"

#define UPDATE_SLACK 3600 /* an expiry moved by less than this is not rewritten */

/* classify - the store's kind and value of a looked-up text. */
static int classify(const char *text, char kind[16], char value[128], struct rp_diag *diag)
{
	enum rp_source_kind k;

	if (text == NULL || rp_source_classify(text, &k, value, 128) != RP_OK) {
		rp_diag_set(diag, 0, 0, "\"%.60s\" is not a public address, /64, domain or +number", text ? text : "");
		return RP_EINVAL;
	}
	snprintf(kind, 16, "%s", rp_source_kind_name(k));
	return RP_OK;
}

/* fill - a listing record from a decision. */
static void fill(struct rp_listing *l, const char *kind, const char *value, const struct rp_listing_decision *d)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->kind, sizeof(l->kind), "%s", kind);
	snprintf(l->value, sizeof(l->value), "%s", value);
	snprintf(l->actor, sizeof(l->actor), "system");
	snprintf(l->summary, sizeof(l->summary), "%s", d->summary);
	l->reason = d->reason;
	l->score = d->score;
	l->expires_at = d->expires;
}

/* worth_update - the decision changes what is published or the expiry by an hour or more. */
static bool worth_update(const struct rp_listing *old, const struct rp_listing_decision *d)
{
	return old->reason != d->reason || (old->expires_at != 0 && d->expires > old->expires_at + UPDATE_SLACK);
}

/* rp_listing_evaluate - evidence, decision, storage. */
int rp_listing_evaluate(struct rp_store *st, const struct rp_listing_policy *p, const struct rp_whitelist *w,
			const char *kind, const char *value, int64_t now, struct rp_listing_decision *d, bool *changed,
			struct rp_diag *diag)
{
	struct rp_listing_evidence ev;
	struct rp_listing old, l;
	int64_t last_end = 0;
	long prior = 0;
	bool active = rp_store_listing_get(st, kind, value, &old) == RP_OK;
	int rc;

	*changed = false;
	memset(d, 0, sizeof(*d));
	if (active && (old.reason == RP_LIST_MANUAL || old.reason == RP_LIST_RANGE))
		return RP_OK;
	if ((rc = rp_store_listing_history(st, kind, value, now - p->repeat_memory, &prior, &last_end)) != RP_OK)
		return rc;
	if (active && prior > 0)
		prior--; /* the active listing is not an earlier one */
	rc = rp_store_listing_evidence(st, kind, value, rp_listing_since(p, now, active || last_end == 0 ? 0 : last_end + 1), &ev);
	if (rc != RP_OK)
		return rc;
	rp_listing_decide(p, &ev, w != NULL && rp_whitelist_match_source(w, value), prior, now, d);
	if (d->action != RP_ACT_LIST || (active && !worth_update(&old, d)))
		return RP_OK;
	fill(&l, kind, value, d);
	if ((rc = rp_store_listing_put(st, &l, now, NULL, diag)) == RP_OK)
		*changed = true;
	return rc;
}

/* A growable array of listings. */
struct lvec {
	struct rp_listing *v;
	size_t n, cap;
};

/* lvec_push - append a copy (used as a listing_each callback). */
static bool lvec_push(void *ctx, const struct rp_listing *l)
{
	struct lvec *a = ctx;

	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	a->v[a->n++] = *l;
	return true;
}

/* rp_listing_collect - all active listings. */
int rp_listing_collect(struct rp_store *st, struct rp_listing **out, size_t *n)
{
	struct lvec a = { 0 };
	int rc = rp_store_listing_each(st, lvec_push, &a);

	if (rc != RP_OK) {
		xfree(a.v);
		return rc;
	}
	*out = a.v;
	*n = a.n;
	return RP_OK;
}

/* range_put - list (or refresh) one computed range. */
static int range_put(struct rp_store *st, const struct rp_listing_policy *p, const struct rp_range_listing *r,
		     const char *value, int64_t now, struct rp_diag *diag)
{
	struct rp_listing l = { .reason = RP_LIST_RANGE, .evidence = r->evidence, .collateral = r->collateral };

	snprintf(l.kind, sizeof(l.kind), "range4");
	snprintf(l.value, sizeof(l.value), "%s", value);
	snprintf(l.actor, sizeof(l.actor), "system");
	snprintf(l.summary, sizeof(l.summary), "%ld listed addresses, %ld with evidence, collateral %ld", r->listed,
		 r->evidence, r->collateral);
	l.score = (double)r->listed;
	l.expires_at = now + p->expiry;
	return rp_store_listing_put(st, &l, now, NULL, diag);
}

/* sync_new - list the computed ranges not yet listed (or whose counts changed). */
static int sync_new(struct rp_store *st, const struct rp_listing_policy *p, const struct rp_range_listing *r, size_t nr,
		    const struct lvec *all, int64_t now, bool *changed, struct rp_diag *diag)
{
	char cidr[RP_ADDR_STRLEN + 8];
	int rc = RP_OK;

	for (size_t i = 0; i < nr && rc == RP_OK; i++) {
		bool same = false;
		rp_cidr_format(&r[i].cidr, cidr);
		for (size_t j = 0; j < all->n; j++)
			if (!strcmp(all->v[j].kind, "range4") && !strcmp(all->v[j].value, cidr))
				same = all->v[j].evidence == r[i].evidence && all->v[j].collateral == r[i].collateral;
		if (same)
			continue;
		rc = range_put(st, p, &r[i], cidr, now, diag);
		*changed = true;
	}
	return rc;
}

/* sync_gone - withdraw range listings no longer computed. */
static int sync_gone(struct rp_store *st, const struct rp_range_listing *r, size_t nr, const struct lvec *all,
		     int64_t now, bool *changed, struct rp_diag *diag)
{
	char cidr[RP_ADDR_STRLEN + 8];
	int rc = RP_OK;

	for (size_t j = 0; j < all->n && rc == RP_OK; j++) {
		bool keep = false;
		if (strcmp(all->v[j].kind, "range4") != 0)
			continue;
		for (size_t i = 0; i < nr && !keep; i++)
			keep = !strcmp(all->v[j].value, rp_cidr_format(&r[i].cidr, cidr));
		if (keep)
			continue;
		rc = rp_store_listing_end(st, "range4", all->v[j].value, "withdrawn", "system",
					  "no longer enough listed addresses inside", now, diag);
		*changed = true;
	}
	return rc;
}

/* rp_listing_ranges_sync - ranges follow the address listings. */
int rp_listing_ranges_sync(struct rp_store *st, const struct rp_listing_policy *p, const struct rp_whitelist *w,
			   int64_t now, bool *changed, struct rp_diag *diag)
{
	struct lvec all = { 0 };
	struct rp_range_addr *ra;
	struct rp_range_listing out[256];
	size_t n = 0;
	int rc = rp_store_listing_each(st, lvec_push, &all);

	*changed = false;
	if (rc != RP_OK) {
		xfree(all.v);
		return rc;
	}
	ra = xcalloc(all.n + 1, sizeof(*ra));
	for (size_t i = 0; i < all.n; i++) {
		const struct rp_listing *l = &all.v[i];
		if (strcmp(l->kind, "ip4") != 0 || l->reason == RP_LIST_MANUAL)
			continue;
		if (rp_addr_parse(l->value, &ra[n].addr) == RP_OK)
			ra[n++].listed = true;
	}
	size_t nr = rp_listing_ranges(p, w, ra, n, out, sizeof(out) / sizeof(out[0]));
	rc = sync_new(st, p, out, nr, &all, now, changed, diag);
	if (rc == RP_OK)
		rc = sync_gone(st, out, nr, &all, now, changed, diag);
	xfree(ra);
	xfree(all.v);
	return rc;
}

/* rp_listing_request_delist - decide a public request and act on it. */
int rp_listing_request_delist(struct rp_store *st, const struct rp_listing_policy *p, const char *text,
			      const char *contact, const char *reason, int64_t now, struct rp_delist_result *res,
			      struct rp_diag *diag)
{
	struct rp_listing l;
	struct rp_listing_evidence ev;
	struct rp_delist_input in = { .now = now };
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = classify(text, res->kind, res->value, diag)) != RP_OK)
		return rc;
	if (rp_store_listing_get(st, res->kind, res->value, &l) != RP_OK) {
		rp_diag_set(diag, 0, 0, "%s is not listed", res->value);
		return RP_ENOTFOUND;
	}
	in.reason = l.reason;
	in.listed_at = l.listed_at;
	if ((rc = rp_store_listing_evidence(st, res->kind, res->value, l.listed_at + 1, &ev)) != RP_OK ||
	    (rc = rp_store_last_self_delist(st, res->kind, res->value, &in.last_self_delist)) != RP_OK)
		return rc;
	in.last_evidence = ev.last_evidence;
	res->outcome = rp_listing_delist(p, &in);
	if (res->outcome == RP_DELIST_NOW) {
		char actor[64];
		snprintf(actor, sizeof(actor), "delist:%.50s", contact);
		rc = rp_store_listing_end(st, res->kind, res->value, "self-service", actor, reason, now, diag);
		if (rc != RP_OK)
			return rc;
	}
	return rp_store_delist_add(st, res->kind, res->value, contact, reason, rp_delist_outcome_name(res->outcome),
				   now, &res->request_id, diag);
}

/* rp_listing_manual - an analyst's list or delist. */
int rp_listing_manual(struct rp_store *st, const char *text, bool list, const char *actor, const char *reason,
		      int64_t expires, int64_t now, char kind_out[16], char value_out[128], struct rp_diag *diag)
{
	struct rp_cidr c;
	int rc;

	if (reason == NULL || reason[0] == '\0') {
		rp_diag_set(diag, 0, 0, "a reason is required");
		return RP_EINVAL;
	}
	if (strchr(text, '/') != NULL && strchr(text, ':') == NULL && rp_cidr_parse(text, &c) == RP_OK &&
	    c.addr.family == 4) {
		snprintf(kind_out, 16, "range4");
		rp_cidr_format(&c, value_out);
	} else if ((rc = classify(text, kind_out, value_out, diag)) != RP_OK) {
		return rc;
	}
	if (!list)
		return rp_store_listing_end(st, kind_out, value_out, "delisted", actor, reason, now, diag);
	struct rp_listing l = { .reason = RP_LIST_MANUAL, .expires_at = expires };
	snprintf(l.kind, sizeof(l.kind), "%s", kind_out);
	snprintf(l.value, sizeof(l.value), "%s", value_out);
	snprintf(l.actor, sizeof(l.actor), "%s", actor);
	snprintf(l.summary, sizeof(l.summary), "manual: %.150s", reason);
	return rp_store_listing_put(st, &l, now, NULL, diag);
}
