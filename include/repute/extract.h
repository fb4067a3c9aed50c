/* extract.h - URLs, registrable domains, e-mail addresses and phone numbers from text.
 *
 * URLs are found in plain text and taken from HTML links, de-obfuscated ("hxxp", "[.]",
 * "(dot)", inserted spaces, zero-width characters), their hosts converted between Unicode
 * and punycode (libidn2) and reduced to registrable domains (libpsl). Phone numbers are
 * normalised to E.164 with a default country (+86 unless configured): 138-0013-8000,
 * +86 138 0013 8000 and 13800138000 are the same number.
 *
 * Results are collected, deduplicated, in a struct rp_extract the caller owns
 * (rp_extract_init / rp_extract_fini); one extractor may be fed many texts. A struct
 * rp_extractor holds the libpsl context and the configuration; create it once, use it
 * from one thread at a time. */
#ifndef REPUTE_EXTRACT_H
#define REPUTE_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>

struct rp_url {
	char *url;          /* normalised URL with a punycode host */
	char *host;         /* punycode (ASCII) host, lower case */
	char *host_unicode; /* Unicode form of the host (same as host when ASCII) */
	char *domain;       /* registrable domain (eTLD+1) of host, or "" for IP hosts */
	bool obfuscated;    /* had to be de-obfuscated to be found */
};

struct rp_strlist {
	char **items;
	size_t n, cap;
};

struct rp_extract {
	struct rp_url *urls;
	size_t n_urls, cap_urls;
	struct rp_strlist domains; /* registrable domains of URLs and e-mail addresses */
	struct rp_strlist emails;  /* lower-case addr-specs */
	struct rp_strlist phones;  /* E.164, "+8613800138000" */
	size_t max_items;          /* per list; 0 = 10,000 */
	bool truncated;
};

struct rp_extractor;

/* rp_extractor_new - default_cc is the country calling code for numbers written without
 * one ("86"); NULL means "86". Returns NULL only when the public suffix list is missing. */
struct rp_extractor *rp_extractor_new(const char *default_cc);
struct rp_extractor *rp_extractor_free(struct rp_extractor *x);

void rp_extract_init(struct rp_extract *e);
void rp_extract_fini(struct rp_extract *e);

/* rp_extract_text - find URLs, e-mail addresses and phone numbers in UTF-8 text. */
void rp_extract_text(struct rp_extractor *x, struct rp_extract *e, const char *text, size_t len);
/* rp_extract_link - add one link taken from HTML (href) or a header (List-Unsubscribe). */
void rp_extract_link(struct rp_extractor *x, struct rp_extract *e, const char *link);
/* rp_extract_email - add one e-mail address (e.g. from a From: header). */
void rp_extract_email(struct rp_extractor *x, struct rp_extract *e, const char *addr);

/* rp_registrable_domain - eTLD+1 of a punycode host into out (heap, caller frees), or NULL. */
char *rp_registrable_domain(struct rp_extractor *x, const char *host);
/* rp_phone_normalize - E.164 form of a written number, or RP_EINVAL when it is not one. */
int rp_phone_normalize(const char *text, const char *default_cc, char *out, size_t outlen);

/* rp_strlist_add - add a copy unless already present; false when present or full. */
bool rp_strlist_add(struct rp_strlist *l, const char *s, size_t max_items);
void rp_strlist_fini(struct rp_strlist *l);

#endif
