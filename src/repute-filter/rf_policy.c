/* rf_policy.c - one policy decision (docs/repute-filter.md, "Decision"): rate limits first,
 * then DNSWL (a listed client is accepted), DNSBL (enough listings reject with the list's
 * reason and the delisting address, fewer tag), SPF per the configured actions, and the tags
 * gathered into one PREPENDed header. DNS trouble never rejects: lists that fail or time out
 * are skipped (logged, counted). Also the per-thread resolver objects of a worker. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/dnsbl.h"
#include "repute/log.h"
#include "repute/netaddr.h"
#include "repute/policy.h"
#include "repute/spf.h"

#include "rf.h"

/* One decision in the making. */
struct rf_decision {
	enum rf_action action;
	char text[1024];  /* reject/defer text */
	char tags[512];   /* tag words for the header */
	const char *why;  /* short reason for the log */
};

/* rf_worker_fini - drop the worker's generation and resolvers. */
void rf_worker_fini(struct rf_worker *w)
{
	w->dnsbl = rp_dnsbl_free(w->dnsbl);
	w->spf = rp_spf_free(w->spf);
	rf_gen_release(w->gen);
	w->gen = NULL;
}

/* rf_worker_sync - rebuild the worker's resolvers when a new generation is current. */
void rf_worker_sync(struct rf_worker *w)
{
	struct rf_gen *g = rf_gen_acquire(w->srv);
	struct rp_diag d = { 0 };

	if (g == w->gen) {
		rf_gen_release(g);
		return;
	}
	rf_worker_fini(w);
	w->gen = g;
	if (g->dnsbl.n > 0) {
		w->dnsbl = rp_dnsbl_new(&g->dnsbl, w->srv->cache, &d);
		if (w->dnsbl == NULL)
			log_warnx("dnsbl disabled: %s", d.reason);
	}
	if (g->cfg.spf_enable)
		w->spf = rf_spf_new(&g->cfg);
}

/* add_tag - append one tag word. */
static void add_tag(struct rf_decision *dec, const char *fmt, const char *arg)
{
	size_t n = strlen(dec->tags);

	if (n > 0 && n + 1 < sizeof(dec->tags))
		dec->tags[n++] = ' ';
	snprintf(dec->tags + n, sizeof(dec->tags) - n, fmt, arg);
}

/* delist_url - the template with {ip} and {zone} replaced (caller frees). */
static char *delist_url(const char *tmpl, const char *ip, const char *zone)
{
	struct buf b;

	buf_init(&b);
	for (const char *p = tmpl; *p != '\0'; p++) {
		if (strncmp(p, "{ip}", 4) == 0) {
			buf_puts(&b, ip);
			p += 3;
		} else if (strncmp(p, "{zone}", 6) == 0) {
			buf_puts(&b, zone);
			p += 5;
		} else {
			buf_putc(&b, *p);
		}
	}
	return buf_steal(&b);
}

/* rate_limits - per client and per sender; true when the request is deferred. */
static bool rate_limits(struct rf_worker *w, const char *ip, const char *sender, struct rf_decision *dec)
{
	const struct rf_config *c = &w->gen->cfg;
	char key[600];

	if (c->rate_client_max > 0) {
		snprintf(key, sizeof(key), "c:%s", ip);
		if (rf_rate_hit(w->srv->rate, key, c->rate_window) > c->rate_client_max) {
			RF_INC(w->srv->stats.rate_client);
			dec->action = RF_DEFER;
			dec->why = "rate-client";
			snprintf(dec->text, sizeof(dec->text),
				 "4.7.1 rate limit: client [%s] sent more than %ld recipients in %lds", ip,
				 c->rate_client_max, c->rate_window);
			return true;
		}
	}
	if (c->rate_sender_max > 0 && sender != NULL && *sender != '\0') {
		snprintf(key, sizeof(key), "s:%.500s", sender);
		for (char *k = key; *k != '\0'; k++)
			*k = (char)(*k >= 'A' && *k <= 'Z' ? *k + 32 : *k);
		if (rf_rate_hit(w->srv->rate, key, c->rate_window) > c->rate_sender_max) {
			RF_INC(w->srv->stats.rate_sender);
			dec->action = RF_DEFER;
			dec->why = "rate-sender";
			snprintf(dec->text, sizeof(dec->text),
				 "4.7.1 rate limit: sender <%.200s> sent more than %ld recipients in %lds",
				 sender, c->rate_sender_max, c->rate_window);
			return true;
		}
	}
	return false;
}

/* dnsbl_stage - look the client up; true when the decision is final (whitelisted or rejected). */
static bool dnsbl_stage(struct rf_worker *w, const struct rp_addr *addr, const char *ip,
			struct rf_decision *dec)
{
	struct rp_dnsbl_result r;
	struct rf_stats *st = &w->srv->stats;

	if (w->dnsbl == NULL || rp_dnsbl_check(w->dnsbl, addr, &r) != 0)
		return false;
	atomic_fetch_add(&st->dnsbl_listed, r.listed);
	atomic_fetch_add(&st->dnsbl_allowed, r.allowed);
	atomic_fetch_add(&st->dnsbl_errors, r.errors);
	atomic_fetch_add(&st->dnsbl_timeouts, r.timeouts);
	atomic_fetch_add(&st->dnsbl_cache_hits, r.cache_hits);
	const struct rp_dnsbl_hit *first = NULL;
	for (size_t i = 0; i < r.n; i++) {
		const struct rp_dnsbl_hit *h = &r.hits[i];
		if (h->status == RP_DNSBL_TIMEOUT || h->status == RP_DNSBL_ERROR)
			log_warnx("client=%s dnsbl=%s %s: skipped (fail open)", ip, h->zone->zone,
				  rp_dnsbl_status_name(h->status));
		if (h->status == RP_DNSBL_LISTED && h->zone->kind == RP_DNSBL_ALLOW) {
			dec->why = "dnswl";
			add_tag(dec, "dnswl=%s", h->zone->zone);
			return true;
		}
		if (h->status == RP_DNSBL_LISTED && first == NULL)
			first = h;
		if (h->status == RP_DNSBL_LISTED)
			add_tag(dec, "dnsbl=%s", h->zone->zone);
	}
	if (first == NULL || (long)r.listed < w->gen->cfg.reject_threshold)
		return false;
	char *url = delist_url(w->gen->cfg.delist_url, ip, first->zone->zone);
	snprintf(dec->text, sizeof(dec->text), "5.7.1 Service unavailable; client [%s] listed in %s: %s; delist at %s",
		 ip, first->zone->zone, first->txt[0] ? first->txt : "listed", url);
	xfree(url);
	dec->action = RF_REJECT;
	dec->why = "dnsbl";
	return true;
}

/* spf_verdict - the configured handling of an SPF result. */
static enum rf_spf_verdict spf_verdict(const struct rf_config *c, enum rp_spf_result r)
{
	const char *what = r == RP_SPF_FAIL ? c->spf_fail : r == RP_SPF_SOFTFAIL ? c->spf_softfail
			 : r == RP_SPF_TEMPERROR ? c->spf_temperror : "ignore";

	if (strcmp(what, "reject") == 0)
		return RF_SPF_REJECT;
	if (strcmp(what, "tag") == 0)
		return RF_SPF_TAG;
	if (strcmp(what, "defer") == 0)
		return RF_SPF_DEFER;
	return RF_SPF_IGNORE;
}

/* spf_stage - check SPF and apply the configured action. */
static void spf_stage(struct rf_worker *w, const struct rp_addr *addr, const char *ip, const char *helo,
		      const char *sender, struct rf_decision *dec)
{
	struct rp_spf_answer a;
	bool has_sender = sender != NULL && *sender != '\0';
	const char *identity = has_sender ? sender : helo;

	if (w->spf == NULL || rp_spf_check_mailfrom(w->spf, addr, helo, sender, &a) != 0)
		return;
	RF_INC(w->srv->stats.spf[a.result]);
	enum rf_spf_verdict v = spf_verdict(&w->gen->cfg, a.result);
	if (v == RF_SPF_TAG)
		add_tag(dec, "spf=%s", rp_spf_result_name(a.result));
	if (v == RF_SPF_REJECT && dec->action == RF_DUNNO) {
		dec->action = RF_REJECT;
		dec->why = "spf";
		snprintf(dec->text, sizeof(dec->text), "5.7.23 SPF %s for <%.200s> from [%s]%s%.300s",
			 rp_spf_result_name(a.result), identity, ip, a.explanation[0] ? ": " : "", a.explanation);
	} else if (v == RF_SPF_DEFER && dec->action == RF_DUNNO) {
		dec->action = RF_DEFER;
		dec->why = "spf";
		snprintf(dec->text, sizeof(dec->text), "4.7.24 SPF temporary error for <%.200s>; try again later",
			 identity);
	}
}

/* finish - the answer line for a decision, logged. */
static void finish(struct rf_worker *w, struct rf_decision *dec, const char *ip, const char *sender,
		   struct buf *out)
{
	static const char *const names[] = { "DUNNO", "PREPEND", "REJECT", "DEFER_IF_PERMIT" };

	if (dec->action == RF_DUNNO && dec->tags[0] != '\0' && strncmp(dec->tags, "dnswl=", 6) != 0)
		dec->action = RF_PREPEND;
	RF_INC(w->srv->stats.actions[dec->action]);
	if (dec->action == RF_PREPEND) {
		char *hdr = xasprintf("%s: %s", w->gen->cfg.header, dec->tags);
		rp_policy_format(out, "PREPEND", hdr);
		xfree(hdr);
	} else {
		rp_policy_format(out, names[dec->action], dec->action == RF_DUNNO ? NULL : dec->text);
	}
	log_info("client=%s sender=<%.200s> action=%s reason=%s tags=\"%s\"", ip, sender ? sender : "",
		 names[dec->action], dec->why ? dec->why : "none", dec->tags);
}

/* rf_decide - one request, one answer. */
void rf_decide(struct rf_worker *w, const struct rp_policy_req *req, struct buf *out)
{
	struct rf_decision dec = { .action = RF_DUNNO };
	const char *ip = rp_policy_get(req, "client_address");
	const char *state = rp_policy_get(req, "protocol_state");
	const char *sender = rp_policy_get(req, "sender");
	const char *helo = rp_policy_get(req, "helo_name");
	struct rp_addr addr;

	if (ip == NULL || rp_addr_parse(ip, &addr) != 0) {
		dec.why = "no-client-address";
		finish(w, &dec, ip ? ip : "unknown", sender, out);
		return;
	}
	if (state != NULL && strcasecmp(state, "RCPT") != 0) {
		dec.why = "not-rcpt";
		finish(w, &dec, ip, sender, out);
		return;
	}
	if (!rate_limits(w, ip, sender, &dec) && !dnsbl_stage(w, &addr, ip, &dec))
		spf_stage(w, &addr, ip, helo, sender, &dec);
	finish(w, &dec, ip, sender, out);
}
