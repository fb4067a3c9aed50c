/* extract_priv.h - private interface shared by extract.c, extract_url.c and extract_phone.c. */
#ifndef REPUTE_EXTRACT_PRIV_H
#define REPUTE_EXTRACT_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include <libpsl.h>

#include "repute/extract.h"

#define TLD_CACHE_SLOTS 256

/* One remembered answer of the public suffix list for a top-level label: text scanning asks
 * about the same few TLDs (and non-TLDs like "txt") over and over. */
struct tld_cache_entry {
	char tld[24];
	bool known;
};

#define DOMAIN_CACHE_SLOTS 256

/* One remembered registrable domain ("" when the host has none). */
struct domain_cache_entry {
	bool valid;
	char host[64];
	char domain[64];
};

struct rp_extractor {
	const psl_ctx_t *psl;
	bool psl_owned;
	char default_cc[8];
	struct tld_cache_entry tld_cache[TLD_CACHE_SLOTS];
	struct domain_cache_entry domain_cache[DOMAIN_CACHE_SLOTS];
};

/* Per-byte flags of the working text in extract_url.c. */
#define XM_EDITED 0x01 /* byte produced by de-obfuscation or folding */
#define XM_USED   0x02 /* byte belongs to a URL or e-mail already taken */

void extract_add_domain(struct rp_extract *e, const char *domain);
void extract_add_phone(struct rp_extract *e, const char *e164);
void extract_add_email_norm(struct rp_extractor *x, struct rp_extract *e, const char *addr);
/* extract_add_url - takes ownership of u's strings (u is cleared). */
void extract_add_url(struct rp_extract *e, struct rp_url *u);
void extract_url_clear(struct rp_url *u);

/* extract_is_ip_host - dotted IPv4 or bracketed / bare IPv6 literal. */
bool extract_is_ip_host(const char *host);
/* extract_known_tld - last label of host is a TLD in the public suffix list. */
bool extract_known_tld(struct rp_extractor *x, const char *host, size_t len);
/* extract_pct_decode - percent-decode n bytes into a new string; NULL on a control byte. */
char *extract_pct_decode(const char *s, size_t n, bool *changed);
/* extract_host_normalize - fill u->host, host_unicode and domain from a written host. */
bool extract_host_normalize(struct rp_extractor *x, const char *h, size_t n, struct rp_url *u, bool *changed);
/* extract_url_build - parse what follows "scheme://" (n bytes) into u; false if invalid. */
bool extract_url_build(struct rp_extractor *x, const char *scheme, const char *s, size_t n, struct rp_url *u);
/* extract_scheme_at - "http://", "https://" or "ftp://" at i: the scheme, *n its length. */
const char *extract_scheme_at(const char *t, size_t i, size_t len, size_t *n);

#define EXTRACT_URL_MAX 4096 /* longer URLs are cut here */

/* extract_phones - find phone numbers in working text, skipping bytes marked XM_USED. */
void extract_phones(struct rp_extractor *x, struct rp_extract *e, const char *t, const unsigned char *mark,
		    size_t len);

#endif
