/* origin.c - find the originating IP of a message by walking its Received chain top down.
 *
 * The top header was written by our own MX, so its client is the first thing we can verify.
 * While the client of a hop is inside the trust boundary (loopback, configured trusted
 * networks, private/reserved/link-local/CGNAT scopes, or a receiver-verified rDNS under a
 * trusted domain), the hop below it was written by a machine we trust and the walk goes on.
 * The first client outside is the origin; everything below was written by that untrusted
 * machine or its predecessors and is ignored, however plausible it looks. Authentication
 * ends the walk early: an ESMTPA/ESMTPSA/"Authenticated sender" hop (or the hop written by a
 * configured MSA) names the sender's own machine, which is the origin even when private.
 * The HELO name proves nothing and never makes a client trusted.
 *
 * rp_trust_config owns its arrays (rp_trust_config_fini frees them); everything returned by
 * rp_origin_find lives in the caller's arena. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "repute/alloc.h"
#include "repute/error.h"
#include "repute/origin.h"

/* rp_trust_config_init - an empty configuration: SpamAssassin-style inferred trust. */
void rp_trust_config_init(struct rp_trust_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	rp_cidrset_init(&cfg->trusted);
}

/* netrules_fini - free one rule list. */
static void netrules_fini(struct rp_netrules *r)
{
	r->items = xfree(r->items);
	r->n = r->cap = 0;
}

/* rp_trust_config_fini - free every list; the struct may be reused after init or freed twice. */
void rp_trust_config_fini(struct rp_trust_config *cfg)
{
	rp_cidrset_fini(&cfg->trusted);
	for (size_t i = 0; i < cfg->n_trusted_domains; i++)
		xfree(cfg->trusted_domains[i]);
	cfg->trusted_domains = xfree(cfg->trusted_domains);
	cfg->n_trusted_domains = 0;
	netrules_fini(&cfg->trusted_rules);
	netrules_fini(&cfg->internal);
	netrules_fini(&cfg->msa);
}

/* rp_trust_config_add_domain - add a domain suffix, without leading or trailing dots. */
void rp_trust_config_add_domain(struct rp_trust_config *cfg, const char *domain)
{
	size_t n;

	while (*domain == '.')
		domain++;
	for (n = strlen(domain); n && domain[n - 1] == '.'; n--)
		;
	cfg->trusted_domains = xreallocarray(cfg->trusted_domains, cfg->n_trusted_domains + 1,
					     sizeof(*cfg->trusted_domains));
	cfg->trusted_domains[cfg->n_trusted_domains++] = xstrndup(domain, n);
}

/* rules_of - the list named by which. */
static struct rp_netrules *rules_of(struct rp_trust_config *cfg, enum rp_trust_list which)
{
	switch (which) {
	case RP_TRUST_TRUSTED: return &cfg->trusted_rules;
	case RP_TRUST_INTERNAL: return &cfg->internal;
	case RP_TRUST_MSA: return &cfg->msa;
	}
	return NULL;
}

/* rp_trust_config_add_network - append "net" or "!net" to one rule list. */
int rp_trust_config_add_network(struct rp_trust_config *cfg, enum rp_trust_list list, const char *text)
{
	struct rp_netrules *r = rules_of(cfg, list);
	struct rp_netrule rule = { .exclude = false };

	if (r == NULL || text == NULL)
		return RP_EINVAL;
	while (*text == ' ' || *text == '\t')
		text++;
	if (*text == '!') {
		rule.exclude = true;
		text++;
	}
	if (rp_cidr_parse(text, &rule.cidr) != RP_OK)
		return RP_EINVAL;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 8;
		r->items = xreallocarray(r->items, r->cap, sizeof(*r->items));
	}
	r->items[r->n++] = rule;
	return RP_OK;
}

/* rules_match - first matching rule: 1 include, -1 exclude, 0 none; *hit gets the rule. */
static int rules_match(const struct rp_netrules *r, const struct rp_addr *ip, const struct rp_netrule **hit)
{
	for (size_t i = 0; i < r->n; i++)
		if (rp_cidr_contains(&r->items[i].cidr, ip)) {
			if (hit)
				*hit = &r->items[i];
			return r->items[i].exclude ? -1 : 1;
		}
	return 0;
}

/* trust_rules - the rule list that stands for trusted_networks (internal when only it is set). */
static const struct rp_netrules *trust_rules(const struct rp_trust_config *cfg)
{
	if (cfg->trusted_rules.n == 0 && cfg->trusted.n == 0)
		return &cfg->internal;
	return &cfg->trusted_rules;
}

/* configured - any trust configuration at all (otherwise SpamAssassin's inference applies). */
static bool configured(const struct rp_trust_config *cfg)
{
	return cfg->trusted.n || cfg->trusted_rules.n || cfg->internal.n || cfg->n_trusted_domains;
}

/* domain_match - name equals suffix or ends with "." suffix, ignoring case. */
static bool domain_match(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);

	while (n && name[n - 1] == '.')
		n--;
	if (m == 0 || n < m || strncasecmp(name + n - m, suffix, m) != 0)
		return false;
	return n == m || name[n - m - 1] == '.';
}

/* trust_of - why the client of r is inside the trust boundary, or NULL when it is not.
 * *excluded is set when a "!net" rule put it outside on purpose. With a NULL arena the
 * answer is only "inside or not" (no text is built). */
static const char *trust_of(const struct rp_trust_config *cfg, const struct rp_received *r, struct arena *a,
			    bool *excluded)
{
	const struct rp_netrule *hit = NULL;
	enum rp_addr_scope scope = rp_addr_scope(&r->ip);
	char buf[RP_ADDR_STRLEN + 4];

	*excluded = false;
	if (scope == RP_SCOPE_LOOPBACK)
		return "loopback address: passed";
	switch (rules_match(trust_rules(cfg), &r->ip, &hit)) {
	case 1: return a ? arena_printf(a, "in trusted networks (%s): passed", rp_cidr_format(&hit->cidr, buf))
			 : "in trusted networks";
	case -1: *excluded = true; return NULL;
	default: break;
	}
	switch (scope) {
	case RP_SCOPE_PRIVATE: return "private address: passed";
	case RP_SCOPE_LINKLOCAL: return "link-local address: passed";
	case RP_SCOPE_CGNAT: return "carrier-grade NAT address: passed";
	case RP_SCOPE_RESERVED: return "reserved address, not routed on the Internet: passed";
	default: break;
	}
	if (rp_cidrset_contains(&cfg->trusted, &r->ip))
		return "in trusted networks: passed";
	if (r->rdns[0])
		for (size_t i = 0; i < cfg->n_trusted_domains; i++)
			if (domain_match(r->rdns, cfg->trusted_domains[i]))
				return a ? arena_printf(a, "verified rDNS %s is under trusted domain %s: passed",
							r->rdns, cfg->trusted_domains[i])
					 : "under a trusted domain";
	return NULL;
}

/* internal_of - SpamAssassin's internal_networks test for a trusted client. */
static bool internal_of(const struct rp_trust_config *cfg, const struct rp_received *r)
{
	bool excluded;

	if (rp_addr_scope(&r->ip) == RP_SCOPE_LOOPBACK)
		return true;
	if (cfg->internal.n)
		return rules_match(&cfg->internal, &r->ip, NULL) > 0;
	return trust_of(cfg, r, NULL, &excluded) != NULL;
}

/* Walk state, top down. */
struct walk {
	const struct rp_trust_config *cfg;
	struct arena *a;
	bool infer;        /* nothing configured: SpamAssassin's inferred trust */
	bool in_internal;
	bool msa_pending;  /* the previous client is an MSA: this hop names the sender */
	bool done;         /* origin found (or chain broken): the rest is ignored */
	size_t broken;     /* 1 + index of a hop that hides its client, or 0 */
	size_t n_trusted, n_relays;
};

/* hides_client - a hop received over SMTP from a named remote host without its address
 * ("from [Masked] by relay with ESMTP"): whoever wrote the lines below cannot be known, so
 * the walk must stop rather than believe them. Local reinjection (localhost) is not this. */
static bool hides_client(const struct rp_received *r)
{
	static const char *const local[] = { "localhost", "localhost.localdomain", "127.0.0.1", "[127.0.0.1]", "" };
	const char *w = r->with;

	if (r->ip.family || strncasecmp(r->raw, "from ", 5) != 0)
		return false;
	if (!(strncasecmp(w, "SMTP", 4) == 0 || strncasecmp(w, "ESMTP", 5) == 0))
		return false;
	const char *name = r->raw + 5;
	size_t n = strcspn(name, " \t(");
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (strlen(local[i]) == n && strncasecmp(name, local[i], n) == 0)
			return false;
	return true;
}

/* set_origin - mark hop i as the origin. */
static void set_origin(struct rp_origin *out, size_t i, bool submission)
{
	out->found = true;
	out->hop = (long)i;
	out->ip = out->hops[i].rcvd.ip;
	out->submission = submission;
	out->hops[i].verdict = RP_HOP_ORIGIN;
}

/* walk_hop - give hop i its verdict. */
static void walk_hop(struct walk *w, struct rp_origin *out, size_t i)
{
	struct rp_hop *h = &out->hops[i];
	const struct rp_received *r = &h->rcvd;
	char ip[RP_ADDR_STRLEN];
	bool excluded;

	if (h->parse_rc != RP_OK) {
		h->verdict = RP_HOP_SKIPPED;
		h->why = h->parse_rc == RP_ESKIP ? "not a relay hop (local delivery, filter, or no client IP)"
						 : "unparseable Received header";
		if (!w->done && hides_client(r)) {
			h->why = "received over SMTP from a remote host but records no client IP: the lines below "
				 "cannot be verified";
			w->broken = i + 1;
			w->done = true;
		}
		return;
	}
	w->n_relays++;
	if (w->done) {
		h->verdict = RP_HOP_IGNORED;
		h->why = w->broken ? "below a hop that hides its client: cannot be verified"
			   : "below the origin: written by an untrusted host, may be forged";
		return;
	}
	if (w->msa_pending) {
		h->internal = w->in_internal;
		set_origin(out, i, true);
		h->why = arena_printf(w->a, "written by a configured MSA: client %s is the sender",
				      rp_addr_format(&r->ip, ip));
		w->done = true;
		return;
	}
	if (r->auth[0]) {
		h->internal = w->in_internal;
		set_origin(out, i, true);
		h->why = arena_printf(w->a, "authenticated submission (%s): client %s is the sender", r->auth,
				      rp_addr_format(&r->ip, ip));
		w->done = true;
		return;
	}
	const char *why = trust_of(w->cfg, r, w->a, &excluded);
	if (why == NULL) {
		w->in_internal = false;
		set_origin(out, i, false);
		h->why = excluded ? "excluded from trusted networks: first hop from outside the trust boundary"
				  : "public address not in trusted networks: first hop from outside the trust boundary";
		w->done = true;
		return;
	}
	h->verdict = RP_HOP_TRUSTED;
	h->why = why;
	w->n_trusted++;
	w->in_internal = w->in_internal && (w->infer || internal_of(w->cfg, r));
	h->internal = w->in_internal;
	if (rules_match(&w->cfg->msa, &r->ip, NULL) > 0) {
		h->msa = true;
		w->msa_pending = true;
		h->why = arena_printf(w->a, "%s; configured MSA, the next hop names the sender", why);
	}
}

/* origin_reason - the one-line summary for JSON. */
static const char *origin_reason(const struct walk *w, const struct rp_origin *out, size_t n)
{
	char ip[RP_ADDR_STRLEN];

	if (out->found) {
		const struct rp_received *r = &out->hops[out->hop].rcvd;
		if (out->submission && r->auth[0])
			return arena_printf(w->a, "authenticated submission (%s) from %s to %s (hop %ld)", r->auth,
					    rp_addr_format(&out->ip, ip), r->by[0] ? r->by : "?", out->hop);
		if (out->submission)
			return arena_printf(w->a, "submitted through a configured MSA by %s (hop %ld)",
					    rp_addr_format(&out->ip, ip), out->hop);
		return arena_printf(w->a, "first hop from outside the trust boundary: %s connected to %s (hop %ld)",
				    rp_addr_format(&out->ip, ip), r->by[0] ? r->by : "?", out->hop);
	}
	const char *cut = n > out->n_hops ? arena_printf(w->a, "; stopped after max_hops=%zu of %zu Received headers",
							 out->n_hops, n)
					   : "";
	if (n == 0)
		return "no Received headers";
	if (w->broken)
		return arena_printf(w->a, "no origin: hop %zu was received over SMTP but records no client IP, "
				    "so the lines below cannot be verified", w->broken - 1);
	if (w->n_relays == 0)
		return arena_printf(w->a, "no relay hop with a client IP%s", cut);
	return arena_printf(w->a, "all %zu relay hops are inside the trust boundary%s", w->n_relays, cut);
}

/* rp_origin_find - parse each header (at most max_hops) and walk the chain top down. */
int rp_origin_find(const char *const *received, size_t n, const struct rp_trust_config *cfg, size_t max_hops,
		   struct arena *a, struct rp_origin *out)
{
	struct walk w = { .cfg = cfg, .a = a, .infer = !configured(cfg), .in_internal = true };

	memset(out, 0, sizeof(*out));
	out->hop = -1;
	if (received == NULL && n)
		return RP_EINVAL;
	if (max_hops == 0)
		max_hops = RP_ORIGIN_MAX_HOPS;
	out->n_hops = n < max_hops ? n : max_hops;
	out->hops = out->n_hops ? arena_alloc(a, out->n_hops * sizeof(*out->hops)) : NULL;
	for (size_t i = 0; i < out->n_hops; i++) {
		struct rp_hop *h = &out->hops[i];
		h->parse_rc = rp_received_parse(received[i] ? received[i] : "", a, &h->rcvd);
		walk_hop(&w, out, i);
	}
	out->reason = origin_reason(&w, out, n);
	return RP_OK;
}

/* covered - every address of c's range ends (first and last) is trusted: a cheap subset test. */
static bool covered(const struct rp_trust_config *cfg, const struct rp_cidr *c)
{
	struct rp_received r = { .rdns = "" };
	bool excluded;
	unsigned bytes = c->addr.family == 4 ? 4 : 16;

	r.ip = c->addr;
	if (trust_of(cfg, &r, NULL, &excluded) == NULL)
		return false;
	for (unsigned bit = c->len; bit < bytes * 8; bit++)
		r.ip.b[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	return trust_of(cfg, &r, NULL, &excluded) != NULL;
}

/* rp_trust_config_check - every internal and MSA network must lie inside the trusted ones. */
int rp_trust_config_check(const struct rp_trust_config *cfg, struct rp_diag *diag)
{
	const struct { const struct rp_netrules *list; const char *name; } lists[] = {
		{ &cfg->internal, "internal" }, { &cfg->msa, "msa" },
	};
	char buf[RP_ADDR_STRLEN + 4];
	int rc = RP_OK;

	for (size_t l = 0; l < 2 && rc == RP_OK; l++) {
		if (lists[l].list == &cfg->internal && trust_rules(cfg) == &cfg->internal)
			continue; /* internal stands in for trusted */
		for (size_t i = 0; i < lists[l].list->n && rc == RP_OK; i++) {
			const struct rp_netrule *r = &lists[l].list->items[i];
			if (!r->exclude && !covered(cfg, &r->cidr)) {
				rp_diag_set(diag, 0, 0, "%s network %s is not inside the trusted networks", lists[l].name,
					    rp_cidr_format(&r->cidr, buf));
				rc = RP_EINVAL;
			}
		}
	}
	return rc;
}

/* rp_hop_verdict_name - the verdict as used in JSON. */
const char *rp_hop_verdict_name(enum rp_hop_verdict v)
{
	switch (v) {
	case RP_HOP_TRUSTED: return "trusted";
	case RP_HOP_ORIGIN: return "origin";
	case RP_HOP_IGNORED: return "ignored";
	case RP_HOP_SKIPPED: return "skipped";
	}
	return "unknown";
}
