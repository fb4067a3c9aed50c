/* extract.c - evidence lists: URLs, registrable domains, e-mail addresses and phone numbers.
 *
 * Holds the extractor (libpsl context, default country code), the deduplicated bounded
 * string lists (rp_strlist_*, also used by arf.c), the result set and the entry points for
 * single links (href, List-Unsubscribe: http/https/ftp, mailto:, tel:, sms:) and addresses.
 * Text scanning and host normalisation live in extract_url.c, phone numbers in
 * extract_phone.c; all share extract_priv.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <libpsl.h>

#include "repute/alloc.h"
#include "repute/error.h"
#include "repute/extract.h"
#include "extract_priv.h"

#define STRLIST_DEFAULT_MAX 10000

/* rp_strlist_add - append a copy of s unless present or the list holds max_items already. */
bool rp_strlist_add(struct rp_strlist *l, const char *s, size_t max_items)
{
	if (max_items == 0)
		max_items = STRLIST_DEFAULT_MAX;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return false;
	if (l->n >= max_items)
		return false;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->items = xreallocarray(l->items, l->cap, sizeof(*l->items));
	}
	l->items[l->n++] = xstrdup(s);
	return true;
}

/* rp_strlist_fini - free every item and the array; the list is left empty and reusable. */
void rp_strlist_fini(struct rp_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		xfree(l->items[i]);
	xfree(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

/* rp_extractor_new - load the public suffix list (system file, else built-in). */
struct rp_extractor *rp_extractor_new(const char *default_cc)
{
	const psl_ctx_t *psl = psl_latest(NULL);
	struct rp_extractor *x;

	if (psl == NULL)
		psl = psl_builtin();
	if (psl == NULL)
		return NULL;
	if (default_cc == NULL || *default_cc == '\0')
		default_cc = "86";
	x = xcalloc(1, sizeof(*x));
	x->psl = psl;
	x->psl_owned = psl != psl_builtin();
	snprintf(x->default_cc, sizeof(x->default_cc), "%s", default_cc + (*default_cc == '+'));
	return x;
}

/* rp_extractor_free - release the extractor; accepts NULL, returns NULL. */
struct rp_extractor *rp_extractor_free(struct rp_extractor *x)
{
	if (x == NULL)
		return NULL;
	if (x->psl_owned)
		psl_free((psl_ctx_t *)x->psl);
	xfree(x);
	return NULL;
}

/* rp_extract_init - empty result set with the default limit. */
void rp_extract_init(struct rp_extract *e)
{
	memset(e, 0, sizeof(*e));
}

/* rp_extract_fini - free everything the result set holds. */
void rp_extract_fini(struct rp_extract *e)
{
	for (size_t i = 0; i < e->n_urls; i++) {
		xfree(e->urls[i].url);
		xfree(e->urls[i].host);
		xfree(e->urls[i].host_unicode);
		xfree(e->urls[i].domain);
	}
	xfree(e->urls);
	rp_strlist_fini(&e->domains);
	rp_strlist_fini(&e->emails);
	rp_strlist_fini(&e->phones);
	memset(e, 0, sizeof(*e));
}

/* extract_max - the effective per-list limit. */
static size_t extract_max(const struct rp_extract *e)
{
	return e->max_items ? e->max_items : STRLIST_DEFAULT_MAX;
}

/* list_add - add to one list, noting truncation when the list is full. */
static void list_add(struct rp_extract *e, struct rp_strlist *l, const char *s)
{
	if (l->n >= extract_max(e)) {
		e->truncated = true; /* may be a duplicate: not worth a scan of the full list */
		return;
	}
	rp_strlist_add(l, s, extract_max(e));
}

/* extract_add_domain - record a registrable domain (ignored when empty). */
void extract_add_domain(struct rp_extract *e, const char *domain)
{
	if (domain != NULL && *domain != '\0')
		list_add(e, &e->domains, domain);
}

/* extract_add_phone - record an E.164 number. */
void extract_add_phone(struct rp_extract *e, const char *e164)
{
	list_add(e, &e->phones, e164);
}

/* extract_add_email_norm - record a normalised address and its domain. */
void extract_add_email_norm(struct rp_extractor *x, struct rp_extract *e, const char *addr)
{
	const char *at = strrchr(addr, '@');
	char *dom;

	list_add(e, &e->emails, addr);
	if (at == NULL)
		return;
	dom = rp_registrable_domain(x, at + 1);
	extract_add_domain(e, dom);
	xfree(dom);
}

/* extract_add_url - take ownership of u's strings and append it unless a duplicate. */
void extract_add_url(struct rp_extract *e, struct rp_url *u)
{
	if (e->n_urls >= extract_max(e)) {
		e->truncated = true; /* may be a duplicate: not worth a scan of the full list */
		extract_url_clear(u);
		return;
	}
	for (size_t i = 0; i < e->n_urls; i++) {
		if (strcmp(e->urls[i].url, u->url) == 0) {
			extract_url_clear(u);
			return;
		}
	}
	extract_add_domain(e, u->domain);
	if (e->n_urls == e->cap_urls) {
		e->cap_urls = e->cap_urls ? e->cap_urls * 2 : 8;
		e->urls = xreallocarray(e->urls, e->cap_urls, sizeof(*e->urls));
	}
	e->urls[e->n_urls++] = *u;
	memset(u, 0, sizeof(*u));
}

/* extract_url_clear - free the strings of a URL that was not kept. */
void extract_url_clear(struct rp_url *u)
{
	xfree(u->url);
	xfree(u->host);
	xfree(u->host_unicode);
	xfree(u->domain);
	memset(u, 0, sizeof(*u));
}

/* rp_registrable_domain - eTLD+1 of an ASCII host via libpsl; NULL for IPs and bare suffixes. */
/* registrable_cached - psl_registrable_domain of a lower-case host through a small direct-mapped
 * cache in the extractor (a message names the same few hosts many times); heap copy or NULL. */
static char *registrable_cached(struct rp_extractor *x, const char *host)
{
	size_t n = strlen(host);
	uint32_t h = 2166136261u;

	for (size_t k = 0; k < n; k++)
		h = (h ^ (unsigned char)host[k]) * 16777619u;
	struct domain_cache_entry *c = &x->domain_cache[h % DOMAIN_CACHE_SLOTS];
	if (c->valid && strcmp(c->host, host) == 0)
		return c->domain[0] ? xstrdup(c->domain) : NULL;
	const char *rd = psl_registrable_domain(x->psl, host);
	if (n < sizeof(c->host) && (rd == NULL || strlen(rd) < sizeof(c->domain))) {
		memcpy(c->host, host, n + 1);
		snprintf(c->domain, sizeof(c->domain), "%s", rd ? rd : "");
		c->valid = true;
	}
	return rd ? xstrdup(rd) : NULL;
}

char *rp_registrable_domain(struct rp_extractor *x, const char *host)
{
	char small[256], *lower;
	size_t n;

	if (host == NULL || *host == '\0' || extract_is_ip_host(host))
		return NULL;
	n = strlen(host); /* host names are at most 253 bytes: the stack copy is the rule */
	lower = n < sizeof(small) ? memcpy(small, host, n + 1) : xstrdup(host);
	for (char *p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (n > 0 && lower[n - 1] == '.')
		lower[n - 1] = '\0';
	char *out = registrable_cached(x, lower);
	if (lower != small)
		xfree(lower);
	return out;
}

/* link_email - add each address of a mailto: link (comma separated, query dropped). */
static void link_email(struct rp_extractor *x, struct rp_extract *e, const char *s)
{
	size_t n = strcspn(s, "?#");
	bool changed;
	char *d = extract_pct_decode(s, n, &changed), *save = NULL;

	if (d == NULL)
		return;
	for (char *tok = strtok_r(d, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
		rp_extract_email(x, e, tok);
	xfree(d);
}

/* link_phone - add the number of a tel: or sms: link (parameters dropped). */
static void link_phone(struct rp_extractor *x, struct rp_extract *e, const char *s)
{
	size_t n = strcspn(s, ";?,#");
	char num[64], out[24];
	bool changed;
	char *d;

	if (n >= sizeof(num))
		return;
	d = extract_pct_decode(s, n, &changed);
	if (d == NULL)
		return;
	if (rp_phone_normalize(d, x->default_cc, out, sizeof(out)) == 0)
		extract_add_phone(e, out);
	xfree(d);
}

/* rp_extract_link - one href or List-Unsubscribe link; relative links are ignored. */
void rp_extract_link(struct rp_extractor *x, struct rp_extract *e, const char *link)
{
	const char *s = link, *scheme;
	size_t n, sn;
	char *copy;

	if (link == NULL)
		return;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == '<')
		s++;
	n = strlen(s);
	while (n > 0 && strchr(" \t\r\n>", s[n - 1]))
		n--;
	copy = xmemdup0(s, n);
	if ((scheme = extract_scheme_at(copy, 0, n, &sn)) != NULL) {
		struct rp_url u;
		if (n > EXTRACT_URL_MAX)
			n = EXTRACT_URL_MAX;
		if (extract_url_build(x, scheme, copy + sn, n - sn, &u))
			extract_add_url(e, &u);
	} else if (n > 2 && copy[0] == '/' && copy[1] == '/') {
		struct rp_url u;
		if (extract_url_build(x, "http", copy + 2, (n > EXTRACT_URL_MAX ? EXTRACT_URL_MAX : n) - 2, &u))
			extract_add_url(e, &u);
	} else if (strncasecmp(copy, "mailto:", 7) == 0) {
		link_email(x, e, copy + 7);
	} else if (strncasecmp(copy, "tel:", 4) == 0 || strncasecmp(copy, "sms:", 4) == 0) {
		link_phone(x, e, copy + 4);
	}
	xfree(copy);
}

/* rp_extract_email - one address ("Name <a@b>" or bare); lower-cased, IDN domain to punycode. */
void rp_extract_email(struct rp_extractor *x, struct rp_extract *e, const char *addr)
{
	const char *s = addr, *lt, *at;
	size_t n;
	char *a;
	struct rp_url u;
	bool changed;

	if (addr == NULL)
		return;
	if ((lt = strrchr(s, '<')) != NULL)
		s = lt + 1;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strcspn(s, "> \t\r\n");
	if (n == 0 || n > 320)
		return;
	a = xmemdup0(s, n);
	at = strrchr(a, '@');
	if (at == NULL || at == a || at[1] == '\0') {
		xfree(a);
		return;
	}
	memset(&u, 0, sizeof(u));
	if (extract_host_normalize(x, at + 1, strlen(at + 1), &u, &changed) && u.domain[0] != '\0') {
		char *norm;
		for (char *p = a; p < at; p++)
			*p = (char)tolower((unsigned char)*p);
		norm = xasprintf("%.*s@%s", (int)(at - a), a, u.host);
		extract_add_email_norm(x, e, norm);
		xfree(norm);
	}
	extract_url_clear(&u);
	xfree(a);
}
