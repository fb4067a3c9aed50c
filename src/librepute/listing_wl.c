/* listing_wl.c - the provider whitelist of the listing policy (include/repute/listing.h):
 * sending networks and domains of certified providers, which are never listed automatically.
 * Linear sets: a registry holds tens to hundreds of providers, consulted once per decision. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "repute/alloc.h"
#include "repute/listing.h"

/* rp_whitelist_init - an empty whitelist. */
void rp_whitelist_init(struct rp_whitelist *w)
{
	memset(w, 0, sizeof(*w));
	rp_cidrset_init(&w->nets);
}

/* rp_whitelist_fini - free the networks and domains. */
void rp_whitelist_fini(struct rp_whitelist *w)
{
	rp_cidrset_fini(&w->nets);
	for (size_t i = 0; i < w->n_domains; i++)
		xfree(w->domains[i]);
	xfree(w->domains);
	memset(w, 0, sizeof(*w));
}

/* rp_whitelist_add_network - parse and add one CIDR. */
int rp_whitelist_add_network(struct rp_whitelist *w, const char *cidr)
{
	return rp_cidrset_add_text(&w->nets, cidr);
}

/* rp_whitelist_add_domain - add a domain, lower-cased, without a trailing dot. */
int rp_whitelist_add_domain(struct rp_whitelist *w, const char *domain)
{
	size_t len = strlen(domain);

	while (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || memchr(domain, '/', len) != NULL)
		return RP_EINVAL;
	if (w->n_domains == w->cap_domains) {
		w->cap_domains = w->cap_domains ? w->cap_domains * 2 : 8;
		w->domains = xreallocarray(w->domains, w->cap_domains, sizeof(*w->domains));
	}
	char *d = xstrndup(domain, len);
	for (char *c = d; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	w->domains[w->n_domains++] = d;
	return RP_OK;
}

/* rp_whitelist_match_addr - inside a whitelisted network. */
bool rp_whitelist_match_addr(const struct rp_whitelist *w, const struct rp_addr *a)
{
	return rp_cidrset_contains(&w->nets, a);
}

/* rp_whitelist_match_domain - equal to a whitelisted domain or a subdomain of one. */
bool rp_whitelist_match_domain(const struct rp_whitelist *w, const char *domain)
{
	size_t len = strlen(domain);

	while (len > 0 && domain[len - 1] == '.')
		len--;
	for (size_t i = 0; i < w->n_domains; i++) {
		size_t dl = strlen(w->domains[i]);
		if (dl > len || strncasecmp(domain + len - dl, w->domains[i], dl) != 0)
			continue;
		if (dl == len || domain[len - dl - 1] == '.')
			return true;
	}
	return false;
}

/* rp_whitelist_overlaps - some whitelisted network and c share an address. */
bool rp_whitelist_overlaps(const struct rp_whitelist *w, const struct rp_cidr *c)
{
	for (size_t i = 0; i < w->nets.n; i++) {
		const struct rp_cidr *n = &w->nets.items[i];
		if (n->addr.family != c->addr.family)
			continue;
		if (rp_cidr_contains(n, &c->addr) || rp_cidr_contains(c, &n->addr))
			return true;
	}
	return false;
}

/* rp_whitelist_match_source - an address, a /64 or a domain; phone numbers never match. */
bool rp_whitelist_match_source(const struct rp_whitelist *w, const char *value)
{
	struct rp_cidr c;

	if (value[0] == '+' || value[0] == '\0')
		return false;
	if (strchr(value, '/') != NULL || strchr(value, ':') != NULL ||
	    strspn(value, "0123456789.") == strlen(value)) {
		if (rp_cidr_parse(value, &c) != RP_OK)
			return false;
		return rp_whitelist_overlaps(w, &c);
	}
	return rp_whitelist_match_domain(w, value);
}
