/* spf.h - Sender Policy Framework (RFC 7208) checks of the envelope sender and the HELO name
 * for a client IP, over libspf2.
 *
 * The DNS source is pluggable: RP_SPF_DNS_SYSTEM uses the system resolver (res_query, with
 * libspf2's cache in front); RP_SPF_DNS_ZONE answers only from records added with
 * rp_spf_zone_add (tests, and offline checks). A checker is not thread-safe: use one per thread.
 * rp_spf_new returns a heap object the caller frees with rp_spf_free (which accepts NULL).
 * Results are plain values copied into caller storage; nothing returned needs freeing. */
#ifndef REPUTE_SPF_H
#define REPUTE_SPF_H

#include "repute/error.h"
#include "repute/netaddr.h"

enum rp_spf_result {
	RP_SPF_NONE = 0,
	RP_SPF_NEUTRAL,
	RP_SPF_PASS,
	RP_SPF_FAIL,
	RP_SPF_SOFTFAIL,
	RP_SPF_TEMPERROR,
	RP_SPF_PERMERROR,
};

enum rp_spf_dns {
	RP_SPF_DNS_SYSTEM = 0, /* system resolver with a cache */
	RP_SPF_DNS_ZONE,       /* in-memory zone only; unknown names are NXDOMAIN */
};

/* Record types for rp_spf_zone_add. NXDOMAIN/NODATA/TIMEOUT take no data: NODATA makes the
 * name exist without records of rrtype, TIMEOUT makes every query for the name fail
 * temporarily (must be added before other records of the name to win). */
enum rp_spf_rr {
	RP_SPF_RR_A = 0,
	RP_SPF_RR_AAAA,
	RP_SPF_RR_MX,      /* data: "preference host" or "host" */
	RP_SPF_RR_TXT,     /* data: the strings already concatenated */
	RP_SPF_RR_PTR,
};

struct rp_spf_answer {
	enum rp_spf_result result;
	char explanation[256]; /* exp= text for fail, else empty */
	char comment[256];     /* libspf2's header comment (why), may be empty */
	char received_spf[512]; /* a complete "Received-SPF: ..." header value, may be empty */
};

struct rp_spf;

/* rp_spf_new - a checker over dns; rec_dom names the receiving host in comments (NULL: the
 * host name). Returns NULL only when libspf2 cannot set up the resolver. */
struct rp_spf *rp_spf_new(enum rp_spf_dns dns, const char *rec_dom);
/* rp_spf_free - free a checker; returns NULL. */
struct rp_spf *rp_spf_free(struct rp_spf *spf);

/* rp_spf_zone_add - add one record to a RP_SPF_DNS_ZONE checker. Returns RP_EINVAL for a bad
 * address or a checker with another DNS source. */
int rp_spf_zone_add(struct rp_spf *spf, const char *name, enum rp_spf_rr type, const char *data);
/* rp_spf_zone_nodata - the name exists but has no record of type. */
int rp_spf_zone_nodata(struct rp_spf *spf, const char *name, enum rp_spf_rr type);
/* rp_spf_zone_timeout - every query for name times out (temperror). Add it first. */
int rp_spf_zone_timeout(struct rp_spf *spf, const char *name);

/* rp_spf_check_mailfrom - check the envelope sender (MAIL FROM) for ip. An empty or NULL
 * mailfrom falls back to postmaster@helo as RFC 7208 section 2.4 says. helo may be NULL
 * when mailfrom is given. Returns 0 with out filled, or RP_EINVAL for bad arguments. */
int rp_spf_check_mailfrom(struct rp_spf *spf, const struct rp_addr *ip, const char *helo,
			  const char *mailfrom, struct rp_spf_answer *out);
/* rp_spf_check_helo - check the HELO/EHLO identity (RFC 7208 section 2.3) for ip. */
int rp_spf_check_helo(struct rp_spf *spf, const struct rp_addr *ip, const char *helo,
		      struct rp_spf_answer *out);

/* rp_spf_result_name - "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror". */
const char *rp_spf_result_name(enum rp_spf_result r);
/* rp_spf_result_parse - the reverse; returns -1 for an unknown name. */
int rp_spf_result_parse(const char *name);

#endif
